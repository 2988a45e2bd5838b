package org.handgrad.models.metrics;

/**
 * Eigen-decomposition of a real symmetric matrix, A = V diag(lambda) V^T, by the cyclic Jacobi
 * method in float64 (Golub and Van Loan, Matrix Computations, 4th ed., section 8.5). Each rotation
 * zeroes one off-diagonal pair A[p][q] = A[q][p]; a sweep visits every pair once; the off-diagonal
 * mass falls quadratically once it is small, so a handful of sweeps reach rounding level. Jacobi is
 * slower than the tridiagonal QR of LAPACK's {@code dsyevd} (about 5-10 sweeps of 4 n^3 flops
 * against 9 n^3 / 3) but short, and accurate in the small eigenvalues, which is what a covariance
 * square root needs. At the feature widths used here (n = 128) a decomposition takes milliseconds.
 *
 * <p>Dimensions: n, the order of the matrix.
 */
public final class SymmetricEigen {
  private SymmetricEigen() {}

  /** Sweeps before giving up; convergence takes fewer than 15 for any n met in practice. */
  static final int MAX_SWEEPS = 60;

  /**
   * The decomposition.
   *
   * @param values eigenvalues in ascending order (numpy's {@code eigh} order), length n
   * @param vectors eigenvectors as columns, n x n row-major ({@code vectors[i][k]} is component i
   *     of the k-th eigenvector), orthonormal
   */
  public record Result(double[] values, double[][] vectors) {}

  /**
   * Decomposes a symmetric matrix.
   *
   * @param a n x n, symmetric to within 1e-9 relative to its largest entry; not modified
   * @return eigenvalues ascending and orthonormal eigenvectors
   * @throws IllegalArgumentException for a null, empty, ragged, non-finite or asymmetric matrix
   * @throws ArithmeticException if 60 sweeps do not converge
   */
  public static Result decompose(double[][] a) {
    int n = check(a);
    double[][] m = new double[n][];
    for (int i = 0; i < n; i++) {
      m[i] = a[i].clone();
    }
    double[][] v = new double[n][n];
    for (int i = 0; i < n; i++) {
      v[i][i] = 1;
    }
    double scale = 0;
    for (double[] row : m) {
      for (double x : row) {
        scale += x * x;
      }
    }
    // Stop when the off-diagonal mass is at rounding level of the whole matrix.
    double tol = 1e-30 * scale;
    int sweep = 0;
    while (offDiagonal(m) > tol) {
      if (++sweep > MAX_SWEEPS) {
        throw new ArithmeticException(
            "SymmetricEigen: no convergence after " + MAX_SWEEPS + " Jacobi sweeps (n=" + n + ")");
      }
      for (int p = 0; p < n - 1; p++) {
        for (int q = p + 1; q < n; q++) {
          rotate(m, v, p, q);
        }
      }
    }
    return sorted(m, v);
  }

  /**
   * One Jacobi rotation in the (p, q) plane that zeroes m[p][q] (Golub and Van Loan, algorithm
   * 8.5.1, sym.schur2): with theta = (m_qq - m_pp) / (2 m_pq), t = sign(theta) / (|theta| + sqrt(1
   * + theta^2)) is the smaller root of t^2 + 2 theta t - 1 = 0, which keeps the rotation angle
   * below pi/4 and so makes the method converge; c = 1 / sqrt(1 + t^2), s = t c. Then m <- J^T m J
   * and v <- v J.
   */
  private static void rotate(double[][] m, double[][] v, int p, int q) {
    double apq = m[p][q];
    if (apq == 0) {
      return;
    }
    // Numerical Recipes' test (section 11.1): an entry too small to change either diagonal entry
    // it would be added to is rounding noise; zeroing it is exact to working precision and ends the
    // iteration even where the sum-of-squares tolerance sits below what rounding can reach.
    double g = 100 * Math.abs(apq);
    if (Math.abs(m[p][p]) + g == Math.abs(m[p][p]) && Math.abs(m[q][q]) + g == Math.abs(m[q][q])) {
      m[p][q] = 0;
      m[q][p] = 0;
      return;
    }
    double theta = (m[q][q] - m[p][p]) / (2 * apq);
    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
    if (theta == 0) {
      t = 1; // signum(0) = 0 would skip a needed 45-degree rotation
    }
    double c = 1 / Math.sqrt(1 + t * t);
    double s = t * c;
    int n = m.length;
    for (int k = 0; k < n; k++) {
      double mkp = m[k][p];
      double mkq = m[k][q];
      m[k][p] = c * mkp - s * mkq;
      m[k][q] = s * mkp + c * mkq;
    }
    for (int k = 0; k < n; k++) {
      double mpk = m[p][k];
      double mqk = m[q][k];
      m[p][k] = c * mpk - s * mqk;
      m[q][k] = s * mpk + c * mqk;
    }
    m[p][q] = 0; // exactly zero by construction; rounding leaves ~1e-17
    m[q][p] = 0;
    for (int k = 0; k < n; k++) {
      double vkp = v[k][p];
      double vkq = v[k][q];
      v[k][p] = c * vkp - s * vkq;
      v[k][q] = s * vkp + c * vkq;
    }
  }

  private static double offDiagonal(double[][] m) {
    double s = 0;
    for (int i = 0; i < m.length; i++) {
      for (int j = 0; j < m.length; j++) {
        if (i != j) {
          s += m[i][j] * m[i][j];
        }
      }
    }
    return s;
  }

  private static Result sorted(double[][] m, double[][] v) {
    int n = m.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (x, y) -> Double.compare(m[x][x], m[y][y]));
    double[] values = new double[n];
    double[][] vectors = new double[n][n];
    for (int k = 0; k < n; k++) {
      values[k] = m[order[k]][order[k]];
      for (int i = 0; i < n; i++) {
        vectors[i][k] = v[i][order[k]];
      }
    }
    return new Result(values, vectors);
  }

  private static int check(double[][] a) {
    if (a == null || a.length == 0) {
      throw new IllegalArgumentException("SymmetricEigen: expected an n x n matrix with n >= 1");
    }
    int n = a.length;
    double max = 0;
    for (int i = 0; i < n; i++) {
      if (a[i] == null || a[i].length != n) {
        throw new IllegalArgumentException(
            "SymmetricEigen: expected an n x n matrix, row "
                + i
                + " has "
                + (a[i] == null ? "no" : a[i].length)
                + " entries for n="
                + n);
      }
      for (double x : a[i]) {
        if (!Double.isFinite(x)) {
          throw new IllegalArgumentException("SymmetricEigen: matrix holds " + x + " in row " + i);
        }
        max = Math.max(max, Math.abs(x));
      }
    }
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        if (Math.abs(a[i][j] - a[j][i]) > 1e-9 * max) {
          throw new IllegalArgumentException(
              "SymmetricEigen: matrix is not symmetric: a["
                  + i
                  + "]["
                  + j
                  + "]="
                  + a[i][j]
                  + " but a["
                  + j
                  + "]["
                  + i
                  + "]="
                  + a[j][i]);
        }
      }
    }
    return n;
  }
}
