package org.handgrad.nn.functional;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The VAE's regularizer: the KL divergence from a diagonal Gaussian q(z|x) = N(mu,
 * diag(exp(logvar))) to the standard normal prior p(z) = N(0, I), in closed form (Kingma and
 * Welling 2014, appendix B), one value per example:
 *
 * <pre>
 *   KL_i = -1/2 sum_j (1 + logvar_ij - mu_ij^2 - exp(logvar_ij))      (nats, >= 0)
 *   dKL_i/dmu_ij     = mu_ij
 *   dKL_i/dlogvar_ij = (exp(logvar_ij) - 1) / 2
 * </pre>
 *
 * <p>A pair with a per-example output (N,) rather than a scalar loss, so the VAE can add it to the
 * per-example reconstruction term and report the ELBO per example; the backward scales row i by
 * dout_i.
 *
 * <p>Dimensions: N examples, d latent units. Computed in float64; outputs take the dtype of mu.
 */
public final class GaussianKl {
  private GaussianKl() {}

  /**
   * What {@link #gaussianKlBackward} reads.
   *
   * @param mu the means, shape (N, d), float64
   * @param var exp(logvar), shape (N, d), float64
   */
  public record Cache(double[] mu, double[] var, int n, int d, DType dtype) {}

  /**
   * Gradients of {@link #gaussianKlForward}.
   *
   * @param dmu shape (N, d)
   * @param dlogvar shape (N, d)
   */
  public record Grads(Tensor dmu, Tensor dlogvar) {}

  /**
   * KL(N(mu, exp(logvar)) || N(0, I)) per example.
   *
   * @param mu shape (N, d), float32 or float64
   * @param logvar shape (N, d), the dtype of mu
   * @return KL per example, shape (N,), the dtype of mu, and the cache
   * @throws IllegalArgumentException when the shapes or dtypes differ or a tensor is not 2-D
   */
  public static Forward<Cache> gaussianKlForward(Tensor mu, Tensor logvar) {
    Reparameterize.checkGaussian("gaussianKl", mu, logvar);
    int n = mu.shape(0);
    int d = mu.shape(1);
    double[] m = mu.toDoubleArray();
    double[] lv = logvar.toDoubleArray();
    double[] var = new double[n * d];
    double[] kl = new double[n];
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (int j = 0; j < d; j++) {
        int k = i * d + j;
        var[k] = Math.exp(lv[k]);
        s += 1 + lv[k] - m[k] * m[k] - var[k];
      }
      kl[i] = -0.5 * s;
    }
    return new Forward<>(
        Reparameterize.toDtype(Tensor.of(kl, n), mu.dtype()), new Cache(m, var, n, d, mu.dtype()));
  }

  /**
   * Backward of {@link #gaussianKlForward}.
   *
   * @param dout upstream gradient of each example's KL, shape (N,)
   * @param cache from the forward pass
   * @return dmu and dlogvar, each (N, d) in the dtype of mu
   * @throws IllegalArgumentException when dout is not (N,)
   */
  public static Grads gaussianKlBackward(Tensor dout, Cache cache) {
    int n = cache.n();
    int d = cache.d();
    if (dout == null || dout.ndim() != 1 || dout.shape(0) != n) {
      throw new IllegalArgumentException(
          "gaussianKlBackward: expected dout ("
              + n
              + ",), got "
              + (dout == null ? "null" : dout.shapeString()));
    }
    double[] g = dout.toDoubleArray();
    double[] dmu = new double[n * d];
    double[] dlogvar = new double[n * d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        int k = i * d + j;
        dmu[k] = g[i] * cache.mu()[k];
        dlogvar[k] = g[i] * 0.5 * (cache.var()[k] - 1);
      }
    }
    return new Grads(
        Reparameterize.toDtype(Tensor.of(dmu, n, d), cache.dtype()),
        Reparameterize.toDtype(Tensor.of(dlogvar, n, d), cache.dtype()));
  }
}
