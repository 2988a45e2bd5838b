package org.handgrad.models.diffusion;

import java.util.Arrays;
import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * Rectified flow / flow matching with the straight path (Liu, Gong and Liu 2023; Lipman et al.
 * 2023), sharing the {@link Denoiser} of the diffusion models.
 *
 * <p>Direction convention, used throughout: t = 0 is data and t = 1 is noise,
 *
 * <pre>
 *   x_t = (1 - t) x0 + t eps,    v = dx_t/dt = eps - x0,
 * </pre>
 *
 * so the network learns the velocity v(x_t, t) that points from data to noise, and sampling
 * integrates dx/dt = v backwards in time from x_1 ~ N(0, I) at t = 1 to t = 0: an Euler step is
 * x_{t - h} = x_t - h v. (This matches the time direction of DDPM, where larger t is noisier; some
 * papers use the opposite direction and the opposite sign of v.)
 *
 * <p>Time input: the denoiser sees {@code t * timeScale} (1000 by default), so a U-Net whose time
 * embedding was designed for DDPM's indices 0..999 sees flow times on the same range.
 *
 * <p>Randomness comes only from the {@link Rng} passed to each call.
 */
public final class RectifiedFlow {
  /** The default factor from flow time in [0, 1] to the denoiser's time input. */
  public static final double DEFAULT_TIME_SCALE = 1000;

  private final double timeScale;

  /** A flow feeding the denoiser t * 1000. */
  public RectifiedFlow() {
    this(DEFAULT_TIME_SCALE);
  }

  /**
   * A flow feeding the denoiser {@code t * timeScale}.
   *
   * @param timeScale positive and finite
   */
  public RectifiedFlow(double timeScale) {
    if (!(timeScale > 0) || Double.isInfinite(timeScale)) {
      throw new IllegalArgumentException(
          "RectifiedFlow: timeScale must be positive and finite, got " + timeScale);
    }
    this.timeScale = timeScale;
  }

  /** The factor from flow time to the denoiser's time input. */
  public double timeScale() {
    return timeScale;
  }

  /**
   * The point of the straight path at time t: x_t = (1 - t) x0 + t eps.
   *
   * @param x0 data, shape (N, C, H, W)
   * @param t time per image, length N, each in [0, 1]
   * @param noise eps, shape (N, C, H, W)
   * @return x_t, shape (N, C, H, W)
   */
  public Tensor interpolate(Tensor x0, double[] t, Tensor noise) {
    checkBatch("interpolate", x0, t, noise);
    double[] oneMinus = new double[t.length];
    for (int i = 0; i < t.length; i++) {
      oneMinus[i] = 1 - t[i];
    }
    return Images.combine(oneMinus, x0, t, noise);
  }

  /**
   * The velocity target v = eps - x0 (constant along each straight path).
   *
   * @param x0 data, shape (N, C, H, W)
   * @param noise eps, shape (N, C, H, W)
   * @return v, shape (N, C, H, W)
   */
  public Tensor velocity(Tensor x0, Tensor noise) {
    Images.require("velocity", "x0", x0);
    Images.requireLike("velocity", "x0", x0, "noise", noise);
    return noise.sub(x0);
  }

  /**
   * The flow-matching loss L = mean((v_hat - (eps - x0))^2) over all elements; runs the denoiser's
   * backward with dL/dv_hat = 2 (v_hat - v) / (N C H W).
   *
   * @param denoiser the network
   * @param x0 data, shape (N, C, H, W)
   * @param t time per image, length N, each in [0, 1]
   * @param noise eps, shape (N, C, H, W)
   * @param y labels (already condition-dropped), length N, or {@code null}
   * @return the loss with the prediction, target and dL/dprediction
   */
  public DenoiserLoss loss(Denoiser denoiser, Tensor x0, double[] t, Tensor noise, int[] y) {
    Objects.requireNonNull(denoiser, "flow loss: denoiser");
    Tensor xt = interpolate(x0, t, noise);
    Images.requireLabels("flow loss", y, x0.shape(0));
    Tensor prediction = denoiser.forward(xt, scaled(t), y);
    Images.requireLike("flow loss", "x0", x0, "denoiser output", prediction);
    return Mse.mse(prediction, velocity(x0, noise), denoiser);
  }

  /**
   * A training step's loss on a batch: t uniform in [0, 1) (Liu et al.; Esser et al. 2024 prefer a
   * logit-normal t for large images), eps ~ N(0, I), labels dropped with probability {@code
   * condDrop}, then {@link #loss}.
   *
   * @param denoiser the network
   * @param x0 data, shape (N, C, H, W)
   * @param y labels, length N, or {@code null}
   * @param condDrop label drop probability in [0, 1]
   * @param rng draws t (N values), then eps, then the drops
   * @return the loss
   */
  public DenoiserLoss trainingLoss(
      Denoiser denoiser, Tensor x0, int[] y, double condDrop, Rng rng) {
    Images.require("flow trainingLoss", "x0", x0);
    int n = x0.shape(0);
    double[] t = new double[n];
    for (int i = 0; i < n; i++) {
      t[i] = rng.nextDouble();
    }
    Tensor noise = rng.randn(x0.dtype(), x0.shape());
    int[] yd = ClassifierFreeGuidance.dropLabels(y, condDrop, denoiser.numClasses(), rng);
    return loss(denoiser, x0, t, noise, yd);
  }

  /**
   * The (guided) velocity at time t for the whole batch.
   *
   * @param x current state, shape (N, C, H, W)
   * @param t time in [0, 1]
   * @return v_hat, shape (N, C, H, W)
   */
  public Tensor velocityAt(Denoiser denoiser, Tensor x, double t, Conditioning c) {
    Images.require("flow velocity", "x", x);
    checkTime("flow velocity", t);
    double[] ts = new double[x.shape(0)];
    Arrays.fill(ts, t * timeScale);
    Tensor v = ClassifierFreeGuidance.predict(x, ts, denoiser, c);
    Images.requireLike("flow velocity", "x", x, "denoiser output", v);
    return v;
  }

  /**
   * One Euler step from t to tNext &lt; t: x_{tNext} = x_t + (tNext - t) v_hat(x_t, t).
   *
   * @param x state at t, shape (N, C, H, W)
   * @param t current time in (0, 1]
   * @param tNext next time in [0, t)
   * @return state at tNext, shape (N, C, H, W)
   */
  public Tensor eulerStep(Denoiser denoiser, Tensor x, double t, double tNext, Conditioning c) {
    checkStep("eulerStep", t, tNext);
    Tensor v = velocityAt(denoiser, x, t, c);
    return Images.combine(1, x, tNext - t, v);
  }

  /**
   * One Heun step (the explicit trapezoidal rule, as in Karras et al. 2022's sampler): an Euler
   * predictor x' = x_t + (tNext - t) v1 with v1 = v_hat(x_t, t), then x_{tNext} = x_t + (tNext - t)
   * (v1 + v_hat(x', tNext)) / 2. Two network evaluations; second-order accurate.
   *
   * @param x state at t, shape (N, C, H, W)
   * @param t current time in (0, 1]
   * @param tNext next time in [0, t)
   * @return state at tNext, shape (N, C, H, W)
   */
  public Tensor heunStep(Denoiser denoiser, Tensor x, double t, double tNext, Conditioning c) {
    checkStep("heunStep", t, tNext);
    double h = tNext - t;
    Tensor v1 = velocityAt(denoiser, x, t, c);
    Tensor predictor = Images.combine(1, x, h, v1);
    Tensor v2 = velocityAt(denoiser, predictor, tNext, c);
    return Images.combine(1, x, 0.5 * h, Images.combine(1, v1, 1, v2));
  }

  /**
   * Euler sampling: x_1 ~ N(0, I), then {@code steps} Euler steps on the uniform grid t_k = 1 - k /
   * steps; {@code steps} network evaluations.
   *
   * @param shape sample shape (N, C, H, W)
   * @param dtype float32 or float64
   * @param steps at least 1
   * @param options conditioning, progress and trajectory (clipDenoised is not read)
   * @param rng draws the starting noise only
   * @return samples at t = 0, shape (N, C, H, W)
   */
  public Tensor sampleEuler(
      Denoiser denoiser, int[] shape, DType dtype, int steps, SampleOptions options, Rng rng) {
    return sample(denoiser, shape, dtype, steps, false, options, rng);
  }

  /**
   * Heun sampling on the same grid as {@link #sampleEuler}: 2 steps network evaluations.
   *
   * @param shape sample shape (N, C, H, W)
   * @param dtype float32 or float64
   * @param steps at least 1
   * @param options conditioning, progress and trajectory (clipDenoised is not read)
   * @param rng draws the starting noise only
   * @return samples at t = 0, shape (N, C, H, W)
   */
  public Tensor sampleHeun(
      Denoiser denoiser, int[] shape, DType dtype, int steps, SampleOptions options, Rng rng) {
    return sample(denoiser, shape, dtype, steps, true, options, rng);
  }

  private Tensor sample(
      Denoiser denoiser,
      int[] shape,
      DType dtype,
      int steps,
      boolean heun,
      SampleOptions options,
      Rng rng) {
    String op = heun ? "sampleHeun" : "sampleEuler";
    Images.requireShape(op, shape, dtype);
    if (steps < 1) {
      throw new IllegalArgumentException(op + ": steps must be >= 1, got " + steps);
    }
    Tensor x = rng.randn(dtype, shape);
    Trajectory traj = options.trajectory();
    if (traj != null) {
      traj.offer(0, steps, 1, x);
    }
    Conditioning c = options.conditioning();
    for (int k = 0; k < steps; k++) {
      double t = 1 - (double) k / steps;
      double tNext = 1 - (double) (k + 1) / steps;
      x = heun ? heunStep(denoiser, x, t, tNext, c) : eulerStep(denoiser, x, t, tNext, c);
      options.progress().onStep(k + 1, steps);
      if (traj != null) {
        traj.offer(k + 1, steps, tNext, x);
      }
    }
    return x;
  }

  private static void checkTime(String op, double t) {
    if (!(t >= 0 && t <= 1)) {
      throw new IllegalArgumentException(op + ": time must be in [0, 1], got " + t);
    }
  }

  private static void checkStep(String op, double t, double tNext) {
    checkTime(op, t);
    checkTime(op, tNext);
    if (!(tNext < t)) {
      throw new IllegalArgumentException(
          op + ": the next time " + tNext + " must be below the current time " + t);
    }
  }

  private double[] scaled(double[] t) {
    double[] s = new double[t.length];
    for (int i = 0; i < t.length; i++) {
      s[i] = t[i] * timeScale;
    }
    return s;
  }

  private static void checkBatch(String op, Tensor x0, double[] t, Tensor noise) {
    Images.require(op, "x0", x0);
    Images.requireLike(op, "x0", x0, "noise", noise);
    if (t == null || t.length != x0.shape(0)) {
      throw new IllegalArgumentException(
          op
              + ": expected "
              + x0.shape(0)
              + " times (one per image of "
              + x0.shapeString()
              + "), got "
              + (t == null ? "null" : t.length));
    }
    for (int i = 0; i < t.length; i++) {
      checkTime(op, t[i]);
    }
  }
}
