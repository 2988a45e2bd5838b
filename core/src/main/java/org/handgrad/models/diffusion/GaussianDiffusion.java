package org.handgrad.models.diffusion;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * The DDPM processes (Ho et al. 2020) around a {@link Denoiser}: the forward (noising) process, the
 * training loss, ancestral sampling and DDIM (Song, Meng and Ermon 2021), with classifier-free
 * guidance. Names follow the lucidrains {@code GaussianDiffusion} that CS231n's diffusion
 * assignment builds on ({@code q_sample} is {@link #qSample}, {@code p_losses} is {@link #pLosses},
 * ...).
 *
 * <p>Notation (0-based t in [0, T) as in the code; the papers' step t + 1): beta_t from the
 * schedule, alpha_t = 1 - beta_t, abar_t = prod_{s &lt;= t} alpha_s. The forward process in closed
 * form is x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps with eps ~ N(0, I). The buffers are float64
 * arrays; images are float32 or float64 tensors of shape (N, C, H, W), and the per-sample
 * coefficients are rounded to the images' dtype before use.
 *
 * <p>Randomness comes only from the {@link Rng} passed to each sampling or training call.
 */
public final class GaussianDiffusion {
  private final BetaSchedule schedule;
  private final int numTimesteps;
  private final Objective objective;

  private final double[] betas;
  private final double[] alphas;
  private final double[] alphasCumprod;
  private final double[] alphasCumprodPrev;
  private final double[] sqrtAlphasCumprod;
  private final double[] sqrtOneMinusAlphasCumprod;
  private final double[] sqrtRecipAlphasCumprod;
  private final double[] sqrtRecipm1AlphasCumprod;
  private final double[] posteriorVariance;
  private final double[] posteriorLogVarianceClipped;
  private final double[] posteriorMeanCoef1;
  private final double[] posteriorMeanCoef2;

  /**
   * A diffusion process predicting the noise (the DDPM default).
   *
   * @param schedule the betas
   * @param timesteps T
   */
  public GaussianDiffusion(BetaSchedule schedule, int timesteps) {
    this(schedule, timesteps, Objective.EPSILON);
  }

  /**
   * A diffusion process and precomputes its buffers in float64.
   *
   * @param schedule the betas
   * @param timesteps T, at least 1
   * @param objective what the denoiser predicts
   */
  public GaussianDiffusion(BetaSchedule schedule, int timesteps, Objective objective) {
    this.schedule = Objects.requireNonNull(schedule, "GaussianDiffusion: schedule");
    this.objective = Objects.requireNonNull(objective, "GaussianDiffusion: objective");
    this.betas = schedule.betas(timesteps);
    int steps = betas.length;
    this.numTimesteps = steps;
    alphas = new double[steps];
    alphasCumprod = new double[steps];
    alphasCumprodPrev = new double[steps];
    sqrtAlphasCumprod = new double[steps];
    sqrtOneMinusAlphasCumprod = new double[steps];
    sqrtRecipAlphasCumprod = new double[steps];
    sqrtRecipm1AlphasCumprod = new double[steps];
    posteriorVariance = new double[steps];
    posteriorLogVarianceClipped = new double[steps];
    posteriorMeanCoef1 = new double[steps];
    posteriorMeanCoef2 = new double[steps];
    double prod = 1;
    for (int t = 0; t < steps; t++) {
      alphas[t] = 1 - betas[t];
      alphasCumprodPrev[t] = prod; // abar_{t-1}, with abar_{-1} = 1 (x_{-1} is x0 itself)
      prod *= alphas[t];
      alphasCumprod[t] = prod;
      sqrtAlphasCumprod[t] = Math.sqrt(prod);
      sqrtOneMinusAlphasCumprod[t] = Math.sqrt(1 - prod);
      sqrtRecipAlphasCumprod[t] = Math.sqrt(1 / prod);
      sqrtRecipm1AlphasCumprod[t] = Math.sqrt(1 / prod - 1);
      // Ho et al. eq. 7: beta~_t = (1 - abar_{t-1}) / (1 - abar_t) beta_t,
      // mu~_t = sqrt(abar_{t-1}) beta_t / (1 - abar_t) x0 + sqrt(alpha_t) (1 - abar_{t-1}) / (1 -
      // abar_t) x_t
      double prev = alphasCumprodPrev[t];
      posteriorVariance[t] = betas[t] * (1 - prev) / (1 - prod);
      // beta~_0 = 0 (x0 is known exactly given x_1); clip before the log, as lucidrains does
      // (Ho et al.'s code instead repeats beta~_1 at t = 0: the log only matters for a learned
      // variance, and the sampler adds no noise at t = 0 either way)
      posteriorLogVarianceClipped[t] = Math.log(Math.max(posteriorVariance[t], 1e-20));
      posteriorMeanCoef1[t] = betas[t] * Math.sqrt(prev) / (1 - prod);
      posteriorMeanCoef2[t] = (1 - prev) * Math.sqrt(alphas[t]) / (1 - prod);
    }
  }

  // ---------------------------------------------------------------- buffers

  /** The schedule the betas came from. */
  public BetaSchedule schedule() {
    return schedule;
  }

  /** T: valid step indices are 0..T-1. */
  public int numTimesteps() {
    return numTimesteps;
  }

  /** What the denoiser predicts. */
  public Objective objective() {
    return objective;
  }

  /** abar_t for t in [0, T) (a copy). */
  public double[] alphasCumprod() {
    return alphasCumprod.clone();
  }

  /**
   * Every precomputed buffer under its lucidrains / CS231n name (betas, alphas, alphas_cumprod,
   * alphas_cumprod_prev, sqrt_alphas_cumprod, sqrt_one_minus_alphas_cumprod,
   * sqrt_recip_alphas_cumprod, sqrt_recipm1_alphas_cumprod, posterior_variance,
   * posterior_log_variance_clipped, posterior_mean_coef1, posterior_mean_coef2), each a copy of
   * length T.
   */
  public Map<String, double[]> buffers() {
    Map<String, double[]> m = new LinkedHashMap<>();
    m.put("betas", betas.clone());
    m.put("alphas", alphas.clone());
    m.put("alphas_cumprod", alphasCumprod.clone());
    m.put("alphas_cumprod_prev", alphasCumprodPrev.clone());
    m.put("sqrt_alphas_cumprod", sqrtAlphasCumprod.clone());
    m.put("sqrt_one_minus_alphas_cumprod", sqrtOneMinusAlphasCumprod.clone());
    m.put("sqrt_recip_alphas_cumprod", sqrtRecipAlphasCumprod.clone());
    m.put("sqrt_recipm1_alphas_cumprod", sqrtRecipm1AlphasCumprod.clone());
    m.put("posterior_variance", posteriorVariance.clone());
    m.put("posterior_log_variance_clipped", posteriorLogVarianceClipped.clone());
    m.put("posterior_mean_coef1", posteriorMeanCoef1.clone());
    m.put("posterior_mean_coef2", posteriorMeanCoef2.clone());
    return m;
  }

  // ---------------------------------------------------------------- forward process

  /**
   * Samples q(x_t | x0) in closed form: x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise (Ho et al.
   * eq. 4).
   *
   * @param x0 clean images, shape (N, C, H, W)
   * @param t step per image, length N, each in [0, T)
   * @param noise standard normal noise, shape (N, C, H, W)
   * @return x_t, shape (N, C, H, W)
   */
  public Tensor qSample(Tensor x0, int[] t, Tensor noise) {
    checkBatch("qSample", x0, t, "noise", noise);
    return Images.combine(
        Images.gather(sqrtAlphasCumprod, t),
        x0,
        Images.gather(sqrtOneMinusAlphasCumprod, t),
        noise);
  }

  /**
   * Inverts {@link #qSample} for x0: x0 = sqrt(1 / abar_t) x_t - sqrt(1 / abar_t - 1) eps.
   *
   * @param xt noisy images, shape (N, C, H, W)
   * @param t step per image, length N
   * @param noise eps, shape (N, C, H, W)
   * @return x0, shape (N, C, H, W)
   */
  public Tensor predictStartFromNoise(Tensor xt, int[] t, Tensor noise) {
    checkBatch("predictStartFromNoise", xt, t, "noise", noise);
    double[] r = Images.gather(sqrtRecipAlphasCumprod, t);
    double[] rm1 = Images.gather(sqrtRecipm1AlphasCumprod, t);
    for (int n = 0; n < t.length; n++) {
      rm1[n] = -rm1[n];
    }
    return Images.combine(r, xt, rm1, noise);
  }

  /**
   * Inverts {@link #qSample} for eps: eps = (sqrt(1 / abar_t) x_t - x0) / sqrt(1 / abar_t - 1).
   *
   * @param xt noisy images, shape (N, C, H, W)
   * @param t step per image, length N
   * @param x0 clean images, shape (N, C, H, W)
   * @return eps, shape (N, C, H, W)
   */
  public Tensor predictNoiseFromStart(Tensor xt, int[] t, Tensor x0) {
    checkBatch("predictNoiseFromStart", xt, t, "x0", x0);
    double[] a = new double[t.length];
    double[] b = new double[t.length];
    for (int n = 0; n < t.length; n++) {
      a[n] = sqrtRecipAlphasCumprod[t[n]] / sqrtRecipm1AlphasCumprod[t[n]];
      b[n] = -1 / sqrtRecipm1AlphasCumprod[t[n]];
    }
    return Images.combine(a, xt, b, x0);
  }

  /**
   * v = sqrt(abar_t) eps - sqrt(1 - abar_t) x0 (Salimans and Ho 2022, section 4).
   *
   * @param x0 clean images, shape (N, C, H, W)
   * @param t step per image, length N
   * @param noise eps, shape (N, C, H, W)
   * @return v, shape (N, C, H, W)
   */
  public Tensor predictV(Tensor x0, int[] t, Tensor noise) {
    checkBatch("predictV", x0, t, "noise", noise);
    double[] s = Images.gather(sqrtOneMinusAlphasCumprod, t);
    for (int n = 0; n < t.length; n++) {
      s[n] = -s[n];
    }
    return Images.combine(Images.gather(sqrtAlphasCumprod, t), noise, s, x0);
  }

  /**
   * x0 = sqrt(abar_t) x_t - sqrt(1 - abar_t) v: with x_t = a x0 + s eps and v = a eps - s x0, a^2 +
   * s^2 = 1 gives a x_t - s v = x0.
   *
   * @param xt noisy images, shape (N, C, H, W)
   * @param t step per image, length N
   * @param v v, shape (N, C, H, W)
   * @return x0, shape (N, C, H, W)
   */
  public Tensor predictStartFromV(Tensor xt, int[] t, Tensor v) {
    checkBatch("predictStartFromV", xt, t, "v", v);
    double[] s = Images.gather(sqrtOneMinusAlphasCumprod, t);
    for (int n = 0; n < t.length; n++) {
      s[n] = -s[n];
    }
    return Images.combine(Images.gather(sqrtAlphasCumprod, t), xt, s, v);
  }

  /**
   * The forward-process posterior q(x_{t-1} | x_t, x0) = N(coef1_t x0 + coef2_t x_t, beta~_t I),
   * coef1_t = sqrt(abar_{t-1}) beta_t / (1 - abar_t), coef2_t = sqrt(alpha_t) (1 - abar_{t-1}) / (1
   * - abar_t), beta~_t = (1 - abar_{t-1}) / (1 - abar_t) beta_t (Ho et al. eqs. 6-7; derived in
   * docs/generative.md).
   *
   * @param x0 clean images, shape (N, C, H, W)
   * @param xt noisy images, shape (N, C, H, W)
   * @param t step per image, length N
   * @return the posterior's mean (N, C, H, W), variance and clipped log variance (N, 1, 1, 1)
   */
  public Posterior qPosterior(Tensor x0, Tensor xt, int[] t) {
    checkBatch("qPosterior", x0, t, "xt", xt);
    Tensor mean =
        Images.combine(
            Images.gather(posteriorMeanCoef1, t), x0, Images.gather(posteriorMeanCoef2, t), xt);
    return new Posterior(
        mean,
        Images.perSample(Images.gather(posteriorVariance, t), x0),
        Images.perSample(Images.gather(posteriorLogVarianceClipped, t), x0));
  }

  // ---------------------------------------------------------------- training

  /**
   * The regression target of the objective for (x0, t, noise): eps, x0 or v.
   *
   * @param x0 clean images, shape (N, C, H, W)
   * @param t step per image, length N
   * @param noise eps, shape (N, C, H, W)
   * @return target, shape (N, C, H, W)
   */
  public Tensor target(Tensor x0, int[] t, Tensor noise) {
    switch (objective) {
      case EPSILON:
        checkBatch("target", x0, t, "noise", noise);
        return noise.copy();
      case X0:
        checkBatch("target", x0, t, "noise", noise);
        return x0.copy();
      case V:
        return predictV(x0, t, noise);
      default:
        throw new AssertionError(objective);
    }
  }

  /**
   * One training loss (lucidrains' {@code p_losses}): noises x0 to x_t, runs the denoiser, and
   * returns L = mean((prediction - target)^2) over all N C H W elements after running the
   * denoiser's backward with dL/dprediction = 2 (prediction - target) / (N C H W), so its parameter
   * gradients hold dL/dparam (added to what they held).
   *
   * @param denoiser the network
   * @param x0 clean images, shape (N, C, H, W)
   * @param t step per image, length N, each in [0, T)
   * @param noise eps, shape (N, C, H, W)
   * @param y labels for the denoiser (already condition-dropped), length N, or {@code null}
   * @return the loss with the prediction, target and dL/dprediction
   */
  public DenoiserLoss pLosses(Denoiser denoiser, Tensor x0, int[] t, Tensor noise, int[] y) {
    Objects.requireNonNull(denoiser, "pLosses: denoiser");
    Objects.requireNonNull(x0, "pLosses: x0");
    Images.requireLabels("pLosses", y, x0.shape(0));
    Tensor xt = qSample(x0, t, noise);
    Tensor prediction = denoiser.forward(xt, toTime(t), y);
    Images.requireLike("pLosses", "x0", x0, "denoiser output", prediction);
    return Mse.mse(prediction, target(x0, t, noise), denoiser);
  }

  /**
   * A training step's loss on a batch: t uniform in [0, T), eps ~ N(0, I), labels dropped to the
   * null label with probability {@code condDrop} (classifier-free guidance training), then {@link
   * #pLosses}.
   *
   * @param denoiser the network
   * @param x0 clean images, shape (N, C, H, W)
   * @param y labels, length N, or {@code null} for an unconditional model
   * @param condDrop label drop probability in [0, 1]
   * @param rng draws t (N values), then eps, then the drops
   * @return the loss
   */
  public DenoiserLoss trainingLoss(
      Denoiser denoiser, Tensor x0, int[] y, double condDrop, Rng rng) {
    Images.require("trainingLoss", "x0", x0);
    int n = x0.shape(0);
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = rng.nextInt(0, numTimesteps);
    }
    Tensor noise = rng.randn(x0.dtype(), x0.shape());
    int[] yd = ClassifierFreeGuidance.dropLabels(y, condDrop, denoiser.numClasses(), rng);
    return pLosses(denoiser, x0, t, noise, yd);
  }

  // ---------------------------------------------------------------- sampling

  /**
   * The denoiser's (guided) prediction at step t converted to both eps and x0 (lucidrains' {@code
   * model_predictions}). With {@code clip}, x0 is clipped to [-1, 1] and eps re-derived from the
   * clipped x0, so that the two stay consistent with x_t.
   *
   * @param denoiser the network
   * @param xt current images, shape (N, C, H, W)
   * @param t the step, in [0, T), shared by the batch
   * @param c labels and guidance
   * @param clip whether to clip x0
   * @return eps and x0, each shape (N, C, H, W)
   */
  public Predictions modelPredictions(
      Denoiser denoiser, Tensor xt, int t, Conditioning c, boolean clip) {
    Images.require("modelPredictions", "xt", xt);
    int n = xt.shape(0);
    int[] ts = new int[n];
    Arrays.fill(ts, checkStep("modelPredictions", t));
    Tensor out = ClassifierFreeGuidance.predict(xt, toTime(ts), denoiser, c);
    Images.requireLike("modelPredictions", "xt", xt, "denoiser output", out);
    Tensor eps;
    Tensor x0;
    switch (objective) {
      case EPSILON:
        eps = out;
        x0 = predictStartFromNoise(xt, ts, eps);
        break;
      case X0:
        x0 = out;
        eps = predictNoiseFromStart(xt, ts, x0);
        break;
      case V:
        x0 = predictStartFromV(xt, ts, out);
        eps = predictNoiseFromStart(xt, ts, x0);
        break;
      default:
        throw new AssertionError(objective);
    }
    if (clip) {
      x0 = x0.clip(-1, 1);
      eps = predictNoiseFromStart(xt, ts, x0);
    }
    return new Predictions(eps, x0);
  }

  /**
   * The model's eps and x0 estimates at one step.
   *
   * @param eps predicted noise, shape (N, C, H, W)
   * @param x0 predicted clean images, shape (N, C, H, W)
   */
  public record Predictions(Tensor eps, Tensor x0) {}

  /**
   * One ancestral step x_t -> x_{t-1} (Ho et al. algorithm 2, with the x0 parameterization of the
   * mean): x_{t-1} = mu~_t(x0_hat, x_t) + sqrt(beta~_t) z, where x0_hat is the (clipped) model
   * estimate; no noise is added at t = 0, which returns the posterior mean at x_0.
   *
   * @param denoiser the network
   * @param xt current images, shape (N, C, H, W)
   * @param t the step, in [0, T)
   * @param options conditioning and clipping (progress and trajectory are the loop's)
   * @param noise z ~ N(0, I), shape (N, C, H, W); read only when t > 0
   * @return x_{t-1}, shape (N, C, H, W)
   */
  public Tensor pSample(Denoiser denoiser, Tensor xt, int t, SampleOptions options, Tensor noise) {
    checkStep("pSample", t);
    Images.requireLike("pSample", "xt", xt, "noise", noise);
    Predictions p =
        modelPredictions(denoiser, xt, t, options.conditioning(), options.clipDenoised());
    int[] ts = new int[xt.shape(0)];
    Arrays.fill(ts, t);
    Posterior q = qPosterior(p.x0(), xt, ts);
    if (t == 0) {
      return q.mean();
    }
    // sigma = exp(log(beta~) / 2), as in the reference code
    return Images.combine(1, q.mean(), Math.exp(0.5 * posteriorLogVarianceClipped[t]), noise);
  }

  /**
   * One ancestral step drawing its noise from {@code rng} (nothing is drawn at t = 0).
   *
   * @param xt current images, shape (N, C, H, W)
   * @return x_{t-1}, shape (N, C, H, W)
   */
  public Tensor pSample(Denoiser denoiser, Tensor xt, int t, SampleOptions options, Rng rng) {
    Images.require("pSample", "xt", xt);
    checkStep("pSample", t);
    Tensor noise = t > 0 ? rng.randn(xt.dtype(), xt.shape()) : Tensor.zerosLike(xt);
    return pSample(denoiser, xt, t, options, noise);
  }

  /**
   * Ancestral sampling (lucidrains' {@code p_sample_loop}): x_{T-1} ~ N(0, I), then {@link
   * #pSample} for t = T-1 down to 0; T network evaluations (2N-batched with guidance).
   *
   * @param denoiser the network
   * @param shape sample shape (N, C, H, W)
   * @param dtype float32 or float64
   * @param options conditioning, clipping, progress (T steps) and trajectory
   * @param rng draws the starting noise, then each step's noise
   * @return samples, shape (N, C, H, W)
   */
  public Tensor pSampleLoop(
      Denoiser denoiser, int[] shape, DType dtype, SampleOptions options, Rng rng) {
    Images.requireShape("pSampleLoop", shape, dtype);
    Tensor x = rng.randn(dtype, shape);
    Trajectory traj = options.trajectory();
    if (traj != null) {
      traj.offer(0, numTimesteps, numTimesteps - 1, x);
    }
    for (int t = numTimesteps - 1, done = 1; t >= 0; t--, done++) {
      x = pSample(denoiser, x, t, options, rng);
      options.progress().onStep(done, numTimesteps);
      if (traj != null) {
        traj.offer(done, numTimesteps, t - 1, x);
      }
    }
    return x;
  }

  /**
   * The DDIM time grid for {@code steps} steps, from T-1 down to -1 (fully denoised): tau_k =
   * floor(k T / steps) - 1 for k = steps..0, the "linspace(-1, T-1, steps+1)" grid of the
   * lucidrains code, computed in integers so that no rounding decides a step.
   *
   * @param steps 1..T
   * @return steps + 1 indices, decreasing, first T-1, last -1
   */
  public int[] ddimTimesteps(int steps) {
    if (steps < 1 || steps > numTimesteps) {
      throw new IllegalArgumentException(
          "ddim: steps must be in [1, T=" + numTimesteps + "], got " + steps);
    }
    int[] taus = new int[steps + 1];
    for (int k = steps; k >= 0; k--) {
      taus[steps - k] = (int) ((long) k * numTimesteps / steps) - 1;
    }
    return taus;
  }

  /**
   * One DDIM step x_t -> x_{t'} for t' &lt; t (Song et al. 2021, eq. 12): with abar' = abar_{t'}
   * (abar' = 1 for t' = -1),
   *
   * <pre>
   *   sigma   = eta sqrt((1 - abar') / (1 - abar_t)) sqrt(1 - abar_t / abar')
   *   x_{t'}  = sqrt(abar') x0_hat + sqrt(1 - abar' - sigma^2) eps_hat + sigma z.
   * </pre>
   *
   * eta = 0 is the deterministic DDIM; eta = 1 with consecutive steps is DDPM's sampler with the
   * posterior variance. At t' = -1 the result is x0_hat.
   *
   * @param denoiser the network
   * @param xt current images, shape (N, C, H, W)
   * @param t current step, in [0, T)
   * @param tNext next step, in [-1, t)
   * @param eta in [0, 1]
   * @param options conditioning and clipping
   * @param noise z, shape (N, C, H, W); read only when sigma > 0
   * @return x_{t'}, shape (N, C, H, W)
   */
  public Tensor ddimStep(
      Denoiser denoiser,
      Tensor xt,
      int t,
      int tNext,
      double eta,
      SampleOptions options,
      Tensor noise) {
    checkEta(eta);
    checkStep("ddimStep", t);
    Images.require("ddimStep", "xt", xt);
    if (tNext < -1 || tNext >= t) {
      throw new IllegalArgumentException(
          "ddimStep: next step must be in [-1, t=" + t + "), got " + tNext);
    }
    Images.requireLike("ddimStep", "xt", xt, "noise", noise);
    Predictions p =
        modelPredictions(denoiser, xt, t, options.conditioning(), options.clipDenoised());
    double a = alphasCumprod[t];
    double aNext = tNext < 0 ? 1 : alphasCumprod[tNext];
    double sigma = eta * Math.sqrt((1 - aNext) / (1 - a) * (1 - a / aNext));
    // 1 - abar' - sigma^2 >= (1 - abar')(1 - eta^2) >= 0 for eta <= 1; max() absorbs rounding
    double c = Math.sqrt(Math.max(0, 1 - aNext - sigma * sigma));
    Tensor out = Images.combine(Math.sqrt(aNext), p.x0(), c, p.eps());
    return sigma > 0 ? Images.combine(1, out, sigma, noise) : out;
  }

  /**
   * DDIM sampling with {@code steps} network evaluations (2N-batched with guidance) on the grid of
   * {@link #ddimTimesteps}.
   *
   * @param denoiser the network
   * @param shape sample shape (N, C, H, W)
   * @param dtype float32 or float64
   * @param steps 1..T
   * @param eta in [0, 1]
   * @param options conditioning, clipping, progress and trajectory
   * @param rng draws the starting noise, then each stochastic step's noise
   * @return samples, shape (N, C, H, W)
   */
  public Tensor ddimSample(
      Denoiser denoiser,
      int[] shape,
      DType dtype,
      int steps,
      double eta,
      SampleOptions options,
      Rng rng) {
    Images.requireShape("ddimSample", shape, dtype);
    checkEta(eta);
    int[] taus = ddimTimesteps(steps);
    Tensor x = rng.randn(dtype, shape);
    Trajectory traj = options.trajectory();
    if (traj != null) {
      traj.offer(0, steps, taus[0], x);
    }
    for (int k = 0; k < steps; k++) {
      boolean stochastic = eta > 0 && taus[k + 1] >= 0;
      Tensor z = stochastic ? rng.randn(dtype, shape) : Tensor.zeros(dtype, shape);
      x = ddimStep(denoiser, x, taus[k], taus[k + 1], eta, options, z);
      options.progress().onStep(k + 1, steps);
      if (traj != null) {
        traj.offer(k + 1, steps, taus[k + 1], x);
      }
    }
    return x;
  }

  // ---------------------------------------------------------------- checks

  private int checkStep(String op, int t) {
    if (t < 0 || t >= numTimesteps) {
      throw new IllegalArgumentException(
          op + ": timestep " + t + " is outside [0, T=" + numTimesteps + ")");
    }
    return t;
  }

  private static void checkEta(double eta) {
    if (!(eta >= 0 && eta <= 1)) {
      throw new IllegalArgumentException("ddim: eta must be in [0, 1], got " + eta);
    }
  }

  private void checkBatch(String op, Tensor x, int[] t, String otherName, Tensor other) {
    Images.require(op, "x", x);
    Images.requireLike(op, "x", x, otherName, other);
    if (t == null || t.length != x.shape(0)) {
      throw new IllegalArgumentException(
          op
              + ": expected "
              + x.shape(0)
              + " timesteps (one per image of "
              + x.shapeString()
              + "), got "
              + (t == null ? "null" : t.length));
    }
    for (int i = 0; i < t.length; i++) {
      if (t[i] < 0 || t[i] >= numTimesteps) {
        throw new IllegalArgumentException(
            op + ": timestep " + t[i] + " at " + i + " is outside [0, T=" + numTimesteps + ")");
      }
    }
  }

  /** Step indices as the denoiser's time input (the U-Net embeds the index itself). */
  private static double[] toTime(int[] t) {
    double[] d = new double[t.length];
    for (int i = 0; i < t.length; i++) {
      d[i] = t[i];
    }
    return d;
  }
}
