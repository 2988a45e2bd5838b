package org.handgrad.models.diffusion;

import java.util.Arrays;
import org.handgrad.nn.NoGrad;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * Classifier-free guidance (Ho and Salimans 2022): one network learns both the conditional and the
 * unconditional prediction by seeing the null label ({@code numClasses()}) in place of the true
 * class with probability p during training; at sampling the two predictions are extrapolated,
 *
 * <pre>
 *   guided = uncond + w (cond - uncond).
 * </pre>
 *
 * <p>This is the form of the lucidrains code CS231n uses ({@code cond_scale}): w = 1 is the plain
 * conditional model, w = 0 the unconditional one. Ho and Salimans write (1 + w') cond - w' uncond,
 * the same thing with w = 1 + w'. The formula is applied to the network's raw output, whatever it
 * predicts (eps, x0, v or a velocity): all are affine in the network output for a fixed x_t.
 */
public final class ClassifierFreeGuidance {
  private ClassifierFreeGuidance() {}

  /**
   * Training-time condition dropout: each label is replaced by the null label with probability p.
   *
   * @param y labels, length N, each in [0, numClasses); {@code null} gives {@code null}
   * @param p drop probability in [0, 1] (PyTorch-style: the probability of dropping, not keeping)
   * @param numClasses the null label
   * @param rng one draw per label, in order
   * @return a new array, length N
   */
  public static int[] dropLabels(int[] y, double p, int numClasses, Rng rng) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("dropLabels: p must be in [0, 1], got " + p);
    }
    if (y == null) {
      return null;
    }
    int[] out = y.clone();
    for (int n = 0; n < out.length; n++) {
      if (out[n] < 0 || out[n] >= numClasses) {
        throw new IllegalArgumentException(
            "dropLabels: label " + out[n] + " at " + n + " is outside [0, " + numClasses + ")");
      }
      if (rng.nextDouble() < p) {
        out[n] = numClasses;
      }
    }
    return out;
  }

  /**
   * uncond + w (cond - uncond), elementwise.
   *
   * @param cond conditional prediction, shape (N, C, H, W)
   * @param uncond unconditional prediction, shape (N, C, H, W)
   * @param w guidance weight
   * @return guided prediction, shape (N, C, H, W)
   */
  public static Tensor guide(Tensor cond, Tensor uncond, double w) {
    Images.require("guide", "cond", cond);
    Images.requireLike("guide", "cond", cond, "uncond", uncond);
    // uncond + w (cond - uncond) = w cond + (1 - w) uncond, one pass
    return Images.combine(w, cond, 1 - w, uncond);
  }

  /**
   * The denoiser's (guided) prediction. With labels and w not 0 or 1 the conditional and
   * unconditional passes run as one batch of 2N (x and t repeated, labels then null labels), which
   * keeps the network's matrix products large. Runs under {@link NoGrad}: a sampler never runs a
   * backward, so nothing is kept for one.
   *
   * @param denoiser the network
   * @param x noisy images, shape (N, C, H, W)
   * @param t times as the denoiser reads them, length N
   * @param c labels and w
   * @return prediction, shape (N, C, H, W)
   * @throws IllegalArgumentException for labels or w != 0 on an unconditional model, a label
   *     outside [0, numClasses()], or a label count other than N
   */
  public static Tensor predict(Tensor x, double[] t, Denoiser denoiser, Conditioning c) {
    return NoGrad.get(() -> predictWithoutGrad(x, t, denoiser, c));
  }

  private static Tensor predictWithoutGrad(
      Tensor x, double[] t, Denoiser denoiser, Conditioning c) {
    int n = x.shape(0);
    int[] y = c.labels();
    int classes = denoiser.numClasses();
    if (y == null) {
      return denoiser.forward(x, t, null);
    }
    if (classes == 0) {
      throw new IllegalArgumentException(
          "guidance: the denoiser is unconditional (numClasses() = 0); class labels and w="
              + c.guidance()
              + " need a class-conditional model");
    }
    Images.requireLabels("guidance", y, n);
    for (int i = 0; i < n; i++) {
      if (y[i] < 0 || y[i] > classes) {
        throw new IllegalArgumentException(
            "guidance: label " + y[i] + " at " + i + " is outside [0, " + classes + "]");
      }
    }
    double w = c.guidance();
    int[] nullLabels = new int[n];
    Arrays.fill(nullLabels, classes);
    if (w == 1) {
      return denoiser.forward(x, t, y);
    }
    if (w == 0) {
      return denoiser.forward(x, t, nullLabels);
    }
    double[] t2 = new double[2 * n];
    int[] y2 = new int[2 * n];
    System.arraycopy(t, 0, t2, 0, n);
    System.arraycopy(t, 0, t2, n, n);
    System.arraycopy(y, 0, y2, 0, n);
    System.arraycopy(nullLabels, 0, y2, n, n);
    Tensor both = denoiser.forward(Tensor.concatenate(0, x, x), t2, y2);
    Tensor cond = both.slice(0, 0, n).contiguous();
    Tensor uncond = both.slice(0, n, 2 * n).contiguous();
    return guide(cond, uncond, w);
  }
}
