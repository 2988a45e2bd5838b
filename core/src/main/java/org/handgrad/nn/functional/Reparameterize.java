package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The reparameterization trick of the VAE (Kingma and Welling 2014, section 2.4): a sample of
 * q(z|x) = N(mu, diag(exp(logvar))) written as a differentiable function of the distribution's
 * parameters and of noise that does not depend on them,
 *
 * <pre>
 *   z = mu + exp(logvar / 2) * eps,        eps ~ N(0, I) drawn by the caller
 *   dL/dmu     = dz
 *   dL/dlogvar = dz * eps * exp(logvar / 2) / 2     (d exp(a/2)/da = exp(a/2) / 2)
 * </pre>
 *
 * <p>The network predicts the log-variance rather than the standard deviation so that any real
 * output is a valid distribution. eps is an input, not drawn here, so that a test can fix it and
 * the caller's seeded {@code Rng} decides every draw.
 *
 * <p>Dimensions: N examples, d latent units. Computed in float64; outputs take the dtype of mu.
 */
public final class Reparameterize {
  private Reparameterize() {}

  /**
   * What {@link #reparameterizeBackward} reads.
   *
   * @param std exp(logvar / 2), shape (N, d), float64
   * @param eps the noise, shape (N, d), float64
   * @param dtype dtype of the gradients
   */
  public record Cache(double[] std, double[] eps, int n, int d, DType dtype) {}

  /**
   * Gradients of {@link #reparameterizeForward}.
   *
   * @param dmu shape (N, d)
   * @param dlogvar shape (N, d)
   */
  public record Grads(Tensor dmu, Tensor dlogvar) {}

  /**
   * z = mu + exp(logvar / 2) * eps.
   *
   * @param mu mean of q(z|x), shape (N, d), float32 or float64
   * @param logvar log-variance of q(z|x), shape (N, d), the dtype of mu
   * @param eps standard normal noise, shape (N, d), any float dtype
   * @return z, shape (N, d), the dtype of mu, and the cache
   * @throws IllegalArgumentException when the shapes differ, a tensor is not 2-D or not floating,
   *     or mu and logvar have different dtypes
   */
  public static Forward<Cache> reparameterizeForward(Tensor mu, Tensor logvar, Tensor eps) {
    String op = "reparameterize";
    checkGaussian(op, mu, logvar);
    Objects.requireNonNull(eps, op + ": eps is null");
    Elementwise.requireFloat(op, "eps", eps);
    if (!eps.sameShape(mu)) {
      throw new IllegalArgumentException(
          op
              + ": expected eps of the shape of mu "
              + mu.shapeString()
              + ", got "
              + eps.shapeString());
    }
    int n = mu.shape(0);
    int d = mu.shape(1);
    double[] m = mu.toDoubleArray();
    double[] lv = logvar.toDoubleArray();
    double[] e = eps.toDoubleArray();
    double[] std = new double[n * d];
    double[] z = new double[n * d];
    for (int i = 0; i < n * d; i++) {
      std[i] = Math.exp(0.5 * lv[i]);
      z[i] = m[i] + std[i] * e[i];
    }
    return new Forward<>(
        toDtype(Tensor.of(z, n, d), mu.dtype()), new Cache(std, e, n, d, mu.dtype()));
  }

  /**
   * Backward of {@link #reparameterizeForward}.
   *
   * @param dz upstream gradient, shape (N, d)
   * @param cache from the forward pass
   * @return dmu and dlogvar, each (N, d) in the dtype of mu
   * @throws IllegalArgumentException when dz's shape is not (N, d)
   */
  public static Grads reparameterizeBackward(Tensor dz, Cache cache) {
    Objects.requireNonNull(dz, "reparameterizeBackward: dz is null");
    int n = cache.n();
    int d = cache.d();
    if (dz.ndim() != 2 || dz.shape(0) != n || dz.shape(1) != d) {
      throw new IllegalArgumentException(
          "reparameterizeBackward: expected dz (" + n + ", " + d + "), got " + dz.shapeString());
    }
    double[] g = dz.toDoubleArray();
    double[] dlogvar = new double[n * d];
    for (int i = 0; i < n * d; i++) {
      dlogvar[i] = 0.5 * g[i] * cache.eps()[i] * cache.std()[i];
    }
    return new Grads(
        toDtype(Tensor.of(g, n, d), cache.dtype()),
        toDtype(Tensor.of(dlogvar, n, d), cache.dtype()));
  }

  /** Checks mu and logvar: both 2-D, the same shape and the same floating dtype. */
  static void checkGaussian(String op, Tensor mu, Tensor logvar) {
    Objects.requireNonNull(mu, op + ": mu is null");
    Objects.requireNonNull(logvar, op + ": logvar is null");
    Elementwise.requireFloat(op, "mu", mu);
    Elementwise.requireFloat(op, "logvar", logvar);
    if (mu.ndim() != 2 || !mu.sameShape(logvar)) {
      throw new IllegalArgumentException(
          op
              + ": expected mu (N, d) and logvar of the same shape, got mu "
              + mu.shapeString()
              + " and logvar "
              + logvar.shapeString());
    }
    if (mu.dtype() != logvar.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": mu is "
              + mu.dtype().numpyName()
              + " but logvar is "
              + logvar.dtype().numpyName());
    }
  }

  static Tensor toDtype(Tensor t, DType dtype) {
    return t.dtype() == dtype ? t : t.to(dtype);
  }
}
