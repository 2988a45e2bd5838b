package org.handgrad.models.diffusion;

import java.util.List;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.Tensor;

/**
 * The exact minimizer of the training loss when every pixel of class c is independent N(mu_c, s^2):
 * a test oracle that checks the samplers without any training.
 *
 * <p>DDPM (eps target): x_t = a x0 + b eps with a = sqrt(abar_t), b = sqrt(1 - abar_t) is Gaussian
 * with mean a mu and variance a^2 s^2 + b^2, and Cov(eps, x_t) = b, so E[eps | x_t] = b (x_t - a
 * mu) / (a^2 s^2 + b^2).
 *
 * <p>Flow (velocity target, x_t = (1 - t) x0 + t eps, v = eps - x0): Var x_t = (1 - t)^2 s^2 + t^2,
 * Cov(v, x_t) = t - (1 - t) s^2, so E[v | x_t] = -mu + (t - (1 - t) s^2) (x_t - (1 - t) mu) / ((1 -
 * t)^2 s^2 + t^2).
 */
final class GaussianDataDenoiser implements Denoiser {
  private final double[] means;
  private final double s;
  private final double[] alphasCumprod;
  private final double timeScale;

  /** For DDPM: reads abar at the step index. Unconditional when means has one entry. */
  static GaussianDataDenoiser ddpm(double[] means, double s, GaussianDiffusion d) {
    return new GaussianDataDenoiser(means, s, d.alphasCumprod(), 0);
  }

  /** For rectified flow: reads t = time / timeScale. */
  static GaussianDataDenoiser flow(double[] means, double s, double timeScale) {
    return new GaussianDataDenoiser(means, s, null, timeScale);
  }

  private GaussianDataDenoiser(double[] means, double s, double[] alphasCumprod, double scale) {
    this.means = means.clone();
    this.s = s;
    this.alphasCumprod = alphasCumprod;
    this.timeScale = scale;
  }

  @Override
  public Tensor forward(Tensor x, double[] t, int[] y) {
    int n = x.shape(0);
    int per = x.size() / n;
    double[] xs = x.toDoubleArray();
    double[] out = new double[xs.length];
    for (int i = 0; i < n; i++) {
      if (y != null && y[i] == numClasses()) {
        throw new UnsupportedOperationException("the null-label prediction is a mixture");
      }
      double mu = means[y == null ? 0 : y[i]];
      for (int j = i * per; j < (i + 1) * per; j++) {
        double xt = xs[j];
        double pred;
        if (alphasCumprod != null) {
          double abar = alphasCumprod[(int) t[i]];
          double a = Math.sqrt(abar);
          double b = Math.sqrt(1 - abar);
          pred = b * (xt - a * mu) / (abar * s * s + b * b);
        } else {
          double tt = t[i] / timeScale;
          double u = 1 - tt;
          pred = -mu + (tt - u * s * s) * (xt - u * mu) / (u * u * s * s + tt * tt);
        }
        out[j] = pred;
      }
    }
    Tensor result = Tensor.of(out, x.shape());
    return x.dtype() == result.dtype() ? result : result.to(x.dtype());
  }

  @Override
  public Tensor backward(Tensor dout) {
    throw new UnsupportedOperationException("an analytical oracle has no backward");
  }

  @Override
  public List<Parameter> parameters() {
    return List.of();
  }

  @Override
  public int numClasses() {
    return means.length == 1 ? 0 : means.length;
  }
}
