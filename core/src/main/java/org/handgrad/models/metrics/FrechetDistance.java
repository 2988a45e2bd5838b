package org.handgrad.models.metrics;

import org.handgrad.tensor.Tensor;

/**
 * The Frechet distance between two Gaussians fitted to two sets of features (Dowson and Landau
 * 1982; used on Inception features as "FID" by Heusel et al. 2017):
 *
 * <pre>
 *   d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2))
 * </pre>
 *
 * <p>Like FID, the number reported is d^2 (the squared 2-Wasserstein distance between the
 * Gaussians), not its square root. Which features are used decides what the number means: handgrad
 * uses the penultimate layer of one of its own classifiers, so its values compare only with values
 * computed in the same feature space (same classifier checkpoint), never with published FIDs.
 *
 * <p>The matrix square root. S1 S2 is not symmetric, but it is similar to the symmetric positive
 * semi-definite M = S1^(1/2) S2 S1^(1/2) (multiply on the left by S1^(-1/2) and on the right by
 * S1^(1/2)), so both have the same eigenvalues mu_k >= 0 and tr((S1 S2)^(1/2)) = sum sqrt(mu_k).
 * Two symmetric eigen-decompositions ({@link SymmetricEigen}) give it: one of S1 for S1^(1/2) = V
 * diag(sqrt(lambda)) V^T, one of M. Eigenvalues that rounding makes slightly negative are clamped
 * to 0. (The FID reference code calls scipy's general {@code sqrtm} on S1 S2 and drops the
 * imaginary part rounding creates; the symmetric route has no imaginary part to drop.)
 *
 * <p>Dimensions: N samples, D features.
 */
public final class FrechetDistance {
  private FrechetDistance() {}

  /**
   * A Gaussian fitted to features.
   *
   * @param mean length D
   * @param cov D x D, the unbiased sample covariance (divides by N - 1, as {@code numpy.cov})
   */
  public record Gaussian(double[] mean, double[][] cov) {
    /** Checks that the mean and covariance agree in D. */
    public Gaussian {
      if (mean == null || cov == null || cov.length != mean.length) {
        throw new IllegalArgumentException(
            "FrechetDistance.Gaussian: mean of length "
                + (mean == null ? "null" : mean.length)
                + " needs a covariance of as many rows, got "
                + (cov == null ? "null" : cov.length));
      }
    }

    /** D, the feature width. */
    public int dim() {
      return mean.length;
    }
  }

  /**
   * Fits mean and covariance to features, accumulating in float64.
   *
   * @param features shape (N, D), N >= 2, float32 or float64
   * @return the Gaussian
   * @throws IllegalArgumentException for another shape, fewer than 2 samples or a non-finite value
   */
  public static Gaussian fit(Tensor features) {
    if (features == null || features.ndim() != 2 || !features.dtype().isFloating()) {
      throw new IllegalArgumentException(
          "FrechetDistance.fit: expected float features of shape (N, D), got "
              + (features == null ? "null" : features.dtype() + " " + features.shapeString()));
    }
    int n = features.shape(0);
    int d = features.shape(1);
    if (n < 2) {
      throw new IllegalArgumentException(
          "FrechetDistance.fit: a covariance needs at least 2 samples, got " + n);
    }
    double[] x = features.contiguous().toDoubleArray();
    double[] mean = new double[d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        double v = x[i * d + j];
        if (!Double.isFinite(v)) {
          throw new IllegalArgumentException(
              "FrechetDistance.fit: feature " + j + " of sample " + i + " is " + v);
        }
        mean[j] += v;
      }
    }
    for (int j = 0; j < d; j++) {
      mean[j] /= n;
    }
    // Centre first, then sum products: the two-pass formula (the one-pass E[xx] - E[x]^2 cancels).
    double[][] cov = new double[d][d];
    double[] c = new double[d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        c[j] = x[i * d + j] - mean[j];
      }
      for (int j = 0; j < d; j++) {
        double cj = c[j];
        double[] row = cov[j];
        for (int k = j; k < d; k++) {
          row[k] += cj * c[k];
        }
      }
    }
    for (int j = 0; j < d; j++) {
      for (int k = j; k < d; k++) {
        cov[j][k] /= n - 1;
        cov[k][j] = cov[j][k];
      }
    }
    return new Gaussian(mean, cov);
  }

  /**
   * d^2 between the Gaussians fitted to two feature sets.
   *
   * @param a features, shape (N1, D)
   * @param b features, shape (N2, D)
   * @return d^2 &gt;= 0 (up to rounding)
   */
  public static double distance(Tensor a, Tensor b) {
    return distance(fit(a), fit(b));
  }

  /**
   * d^2 between two Gaussians.
   *
   * @throws IllegalArgumentException when their widths D differ
   */
  public static double distance(Gaussian g1, Gaussian g2) {
    if (g1.dim() != g2.dim()) {
      throw new IllegalArgumentException(
          "FrechetDistance: feature widths differ, " + g1.dim() + " vs " + g2.dim());
    }
    int d = g1.dim();
    double meanTerm = 0;
    double traces = 0;
    for (int j = 0; j < d; j++) {
      double diff = g1.mean()[j] - g2.mean()[j];
      meanTerm += diff * diff;
      traces += g1.cov()[j][j] + g2.cov()[j][j];
    }
    double[][] root1 = sqrtPsd(g1.cov());
    double[][] m = multiply(multiply(root1, g2.cov()), root1);
    symmetrize(m);
    double traceRoot = 0;
    for (double mu : SymmetricEigen.decompose(m).values()) {
      traceRoot += Math.sqrt(Math.max(mu, 0));
    }
    return meanTerm + traces - 2 * traceRoot;
  }

  /**
   * The symmetric square root V diag(sqrt(max(lambda, 0))) V^T of a symmetric positive
   * semi-definite matrix.
   *
   * @param s D x D symmetric
   * @return D x D symmetric, whose square is s up to rounding (and the clamping of negative
   *     eigenvalues)
   */
  public static double[][] sqrtPsd(double[][] s) {
    SymmetricEigen.Result e = SymmetricEigen.decompose(s);
    int d = s.length;
    double[] root = new double[d];
    for (int k = 0; k < d; k++) {
      root[k] = Math.sqrt(Math.max(e.values()[k], 0));
    }
    double[][] v = e.vectors();
    double[][] out = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = i; j < d; j++) {
        double sum = 0;
        for (int k = 0; k < d; k++) {
          sum += v[i][k] * root[k] * v[j][k];
        }
        out[i][j] = sum;
        out[j][i] = sum;
      }
    }
    return out;
  }

  private static double[][] multiply(double[][] a, double[][] b) {
    int n = a.length;
    double[][] out = new double[n][n];
    for (int i = 0; i < n; i++) {
      double[] oi = out[i];
      for (int k = 0; k < n; k++) {
        double aik = a[i][k];
        double[] bk = b[k];
        for (int j = 0; j < n; j++) {
          oi[j] += aik * bk[j];
        }
      }
    }
    return out;
  }

  /**
   * Averages m with its transpose: the product of symmetric factors is symmetric up to rounding.
   */
  private static void symmetrize(double[][] m) {
    for (int i = 0; i < m.length; i++) {
      for (int j = i + 1; j < m.length; j++) {
        double avg = 0.5 * (m[i][j] + m[j][i]);
        m[i][j] = avg;
        m[j][i] = avg;
      }
    }
  }
}
