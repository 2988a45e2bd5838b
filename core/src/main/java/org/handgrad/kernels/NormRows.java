package org.handgrad.kernels;

import java.util.Arrays;

/**
 * Normalization kernels over the rows of a row-major (R, D) matrix with a per-column affine (gamma,
 * beta of length D): LayerNorm's layout, where statistics belong to a row and the learned scale and
 * shift to a column. Row statistics themselves come from {@link NormPlanes#sSums} with one plane
 * per row.
 *
 * <p>The kernels run on the Vector API ({@link NormRowsVector}) when it is available, with the
 * scalar loops here as twins (the package-wide switch {@link Kernels#forceScalar(boolean)}).
 *
 * <p>Row kernels work on rows [r0, r1) and the parameter-gradient kernel on columns [j0, j1), so
 * each can be split by a parallel-for without races. Sums accumulate in double for both dtypes;
 * float32 maps run in float32 with the per-row scalars rounded once per row.
 */
public final class NormRows {
  private NormRows() {}

  /**
   * {@code out[r,j] = (x[r,j] - mu[r]) * invStd[r] * gamma[j] + beta[j]}.
   *
   * @param gamma scale, D values from gOff
   * @param beta shift, D values from bOff
   */
  public static void sAffine(
      float[] out,
      int outOff,
      float[] x,
      int xOff,
      int d,
      double[] mu,
      double[] invStd,
      float[] gamma,
      int gOff,
      float[] beta,
      int bOff,
      int r0,
      int r1) {
    if (NormPlanes.vectorized()) {
      NormRowsVector.sAffine(out, outOff, x, xOff, d, mu, invStd, gamma, gOff, beta, bOff, r0, r1);
    } else {
      sAffineScalar(out, outOff, x, xOff, d, mu, invStd, gamma, gOff, beta, bOff, r0, r1);
    }
  }

  /** Float64 twin of {@link #sAffine}. */
  public static void dAffine(
      double[] out,
      int outOff,
      double[] x,
      int xOff,
      int d,
      double[] mu,
      double[] invStd,
      double[] gamma,
      int gOff,
      double[] beta,
      int bOff,
      int r0,
      int r1) {
    if (NormPlanes.vectorized()) {
      NormRowsVector.dAffine(out, outOff, x, xOff, d, mu, invStd, gamma, gOff, beta, bOff, r0, r1);
    } else {
      dAffineScalar(out, outOff, x, xOff, d, mu, invStd, gamma, gOff, beta, bOff, r0, r1);
    }
  }

  /**
   * Row reductions of the backward pass, with {@code dxhat = gamma * dy}: {@code sg[r] = sum_j
   * gamma[j] dy[r,j]} and {@code sgx[r] = sum_j gamma[j] dy[r,j] (x[r,j] - mu[r])}.
   */
  public static void sGradSums(
      double[] sg,
      double[] sgx,
      float[] dy,
      int dyOff,
      float[] x,
      int xOff,
      int d,
      double[] mu,
      float[] gamma,
      int gOff,
      int r0,
      int r1) {
    if (NormPlanes.vectorized()) {
      NormRowsVector.sGradSums(sg, sgx, dy, dyOff, x, xOff, d, mu, gamma, gOff, r0, r1);
    } else {
      sGradSumsScalar(sg, sgx, dy, dyOff, x, xOff, d, mu, gamma, gOff, r0, r1);
    }
  }

  /** Float64 twin of {@link #sGradSums}. */
  public static void dGradSums(
      double[] sg,
      double[] sgx,
      double[] dy,
      int dyOff,
      double[] x,
      int xOff,
      int d,
      double[] mu,
      double[] gamma,
      int gOff,
      int r0,
      int r1) {
    if (NormPlanes.vectorized()) {
      NormRowsVector.dGradSums(sg, sgx, dy, dyOff, x, xOff, d, mu, gamma, gOff, r0, r1);
    } else {
      dGradSumsScalar(sg, sgx, dy, dyOff, x, xOff, d, mu, gamma, gOff, r0, r1);
    }
  }

  /**
   * Column reductions for the parameter gradients: {@code dgamma[j] = sum_r dy[r,j] * (x[r,j] -
   * mu[r]) * invStd[r]} (that is, dy times xhat) and {@code dbeta[j] = sum_r dy[r,j]}, over rows
   * [0, rows). Overwrites both on [j0, j1).
   */
  public static void sParamGrads(
      double[] dgamma,
      double[] dbeta,
      float[] dy,
      int dyOff,
      float[] x,
      int xOff,
      int rows,
      int d,
      double[] mu,
      double[] invStd,
      int j0,
      int j1) {
    if (NormPlanes.vectorized()) {
      Arrays.fill(dgamma, j0, j1, 0);
      Arrays.fill(dbeta, j0, j1, 0);
      NormRowsVector.sParamGrads(dgamma, dbeta, dy, dyOff, x, xOff, rows, d, mu, invStd, j0, j1);
    } else {
      sParamGradsScalar(dgamma, dbeta, dy, dyOff, x, xOff, rows, d, mu, invStd, j0, j1);
    }
  }

  /** Float64 twin of {@link #sParamGrads}. */
  public static void dParamGrads(
      double[] dgamma,
      double[] dbeta,
      double[] dy,
      int dyOff,
      double[] x,
      int xOff,
      int rows,
      int d,
      double[] mu,
      double[] invStd,
      int j0,
      int j1) {
    if (NormPlanes.vectorized()) {
      Arrays.fill(dgamma, j0, j1, 0);
      Arrays.fill(dbeta, j0, j1, 0);
      NormRowsVector.dParamGrads(dgamma, dbeta, dy, dyOff, x, xOff, rows, d, mu, invStd, j0, j1);
    } else {
      dParamGradsScalar(dgamma, dbeta, dy, dyOff, x, xOff, rows, d, mu, invStd, j0, j1);
    }
  }

  /** {@code dx[r,j] = a[r]*gamma[j]*dy[r,j] + b[r]*(x[r,j] - mu[r]) + c[r]}. */
  public static void sLinear(
      float[] dx,
      int dxOff,
      float[] dy,
      int dyOff,
      float[] x,
      int xOff,
      int d,
      float[] gamma,
      int gOff,
      double[] a,
      double[] mu,
      double[] b,
      double[] c,
      int r0,
      int r1) {
    if (NormPlanes.vectorized()) {
      NormRowsVector.sLinear(dx, dxOff, dy, dyOff, x, xOff, d, gamma, gOff, a, mu, b, c, r0, r1);
    } else {
      sLinearScalar(dx, dxOff, dy, dyOff, x, xOff, d, gamma, gOff, a, mu, b, c, r0, r1);
    }
  }

  /** Float64 twin of {@link #sLinear}. */
  public static void dLinear(
      double[] dx,
      int dxOff,
      double[] dy,
      int dyOff,
      double[] x,
      int xOff,
      int d,
      double[] gamma,
      int gOff,
      double[] a,
      double[] mu,
      double[] b,
      double[] c,
      int r0,
      int r1) {
    if (NormPlanes.vectorized()) {
      NormRowsVector.dLinear(dx, dxOff, dy, dyOff, x, xOff, d, gamma, gOff, a, mu, b, c, r0, r1);
    } else {
      dLinearScalar(dx, dxOff, dy, dyOff, x, xOff, d, gamma, gOff, a, mu, b, c, r0, r1);
    }
  }

  /** Scalar twin of {@link #sAffine}. */
  public static void sAffineScalar(
      float[] out,
      int outOff,
      float[] x,
      int xOff,
      int d,
      double[] mu,
      double[] invStd,
      float[] gamma,
      int gOff,
      float[] beta,
      int bOff,
      int r0,
      int r1) {
    for (int r = r0; r < r1; r++) {
      int o = outOff + r * d;
      int xo = xOff + r * d;
      float m = (float) mu[r];
      float s = (float) invStd[r];
      for (int j = 0; j < d; j++) {
        out[o + j] = (x[xo + j] - m) * s * gamma[gOff + j] + beta[bOff + j];
      }
    }
  }

  /** Scalar twin of {@link #dAffine}. */
  public static void dAffineScalar(
      double[] out,
      int outOff,
      double[] x,
      int xOff,
      int d,
      double[] mu,
      double[] invStd,
      double[] gamma,
      int gOff,
      double[] beta,
      int bOff,
      int r0,
      int r1) {
    for (int r = r0; r < r1; r++) {
      int o = outOff + r * d;
      int xo = xOff + r * d;
      double m = mu[r];
      double s = invStd[r];
      for (int j = 0; j < d; j++) {
        out[o + j] = (x[xo + j] - m) * s * gamma[gOff + j] + beta[bOff + j];
      }
    }
  }

  /** Scalar twin of {@link #sGradSums}. */
  public static void sGradSumsScalar(
      double[] sg,
      double[] sgx,
      float[] dy,
      int dyOff,
      float[] x,
      int xOff,
      int d,
      double[] mu,
      float[] gamma,
      int gOff,
      int r0,
      int r1) {
    for (int r = r0; r < r1; r++) {
      int o = dyOff + r * d;
      int xo = xOff + r * d;
      double m = mu[r];
      // Two accumulator pairs break the add latency chain; see NormPlanes.sSums.
      double a0 = 0, a1 = 0, b0 = 0, b1 = 0;
      int j = 0;
      for (; j <= d - 2; j += 2) {
        double g0 = (double) gamma[gOff + j] * dy[o + j];
        double g1 = (double) gamma[gOff + j + 1] * dy[o + j + 1];
        a0 += g0;
        a1 += g1;
        b0 += g0 * (x[xo + j] - m);
        b1 += g1 * (x[xo + j + 1] - m);
      }
      for (; j < d; j++) {
        double g = (double) gamma[gOff + j] * dy[o + j];
        a0 += g;
        b0 += g * (x[xo + j] - m);
      }
      sg[r] = a0 + a1;
      sgx[r] = b0 + b1;
    }
  }

  /** Scalar twin of {@link #dGradSums}. */
  public static void dGradSumsScalar(
      double[] sg,
      double[] sgx,
      double[] dy,
      int dyOff,
      double[] x,
      int xOff,
      int d,
      double[] mu,
      double[] gamma,
      int gOff,
      int r0,
      int r1) {
    for (int r = r0; r < r1; r++) {
      int o = dyOff + r * d;
      int xo = xOff + r * d;
      double m = mu[r];
      double a0 = 0, a1 = 0, b0 = 0, b1 = 0;
      int j = 0;
      for (; j <= d - 2; j += 2) {
        double g0 = gamma[gOff + j] * dy[o + j];
        double g1 = gamma[gOff + j + 1] * dy[o + j + 1];
        a0 += g0;
        a1 += g1;
        b0 += g0 * (x[xo + j] - m);
        b1 += g1 * (x[xo + j + 1] - m);
      }
      for (; j < d; j++) {
        double g = gamma[gOff + j] * dy[o + j];
        a0 += g;
        b0 += g * (x[xo + j] - m);
      }
      sg[r] = a0 + a1;
      sgx[r] = b0 + b1;
    }
  }

  /** Scalar twin of {@link #sParamGrads}. */
  public static void sParamGradsScalar(
      double[] dgamma,
      double[] dbeta,
      float[] dy,
      int dyOff,
      float[] x,
      int xOff,
      int rows,
      int d,
      double[] mu,
      double[] invStd,
      int j0,
      int j1) {
    Arrays.fill(dgamma, j0, j1, 0);
    Arrays.fill(dbeta, j0, j1, 0);
    for (int r = 0; r < rows; r++) {
      int o = dyOff + r * d;
      int xo = xOff + r * d;
      double m = mu[r];
      double s = invStd[r];
      for (int j = j0; j < j1; j++) {
        double g = dy[o + j];
        dgamma[j] += g * ((x[xo + j] - m) * s);
        dbeta[j] += g;
      }
    }
  }

  /** Scalar twin of {@link #dParamGrads}. */
  public static void dParamGradsScalar(
      double[] dgamma,
      double[] dbeta,
      double[] dy,
      int dyOff,
      double[] x,
      int xOff,
      int rows,
      int d,
      double[] mu,
      double[] invStd,
      int j0,
      int j1) {
    Arrays.fill(dgamma, j0, j1, 0);
    Arrays.fill(dbeta, j0, j1, 0);
    for (int r = 0; r < rows; r++) {
      int o = dyOff + r * d;
      int xo = xOff + r * d;
      double m = mu[r];
      double s = invStd[r];
      for (int j = j0; j < j1; j++) {
        double g = dy[o + j];
        dgamma[j] += g * ((x[xo + j] - m) * s);
        dbeta[j] += g;
      }
    }
  }

  /** Scalar twin of {@link #sLinear}. */
  public static void sLinearScalar(
      float[] dx,
      int dxOff,
      float[] dy,
      int dyOff,
      float[] x,
      int xOff,
      int d,
      float[] gamma,
      int gOff,
      double[] a,
      double[] mu,
      double[] b,
      double[] c,
      int r0,
      int r1) {
    for (int r = r0; r < r1; r++) {
      int o = dxOff + r * d;
      int go = dyOff + r * d;
      int xo = xOff + r * d;
      float ar = (float) a[r];
      float m = (float) mu[r];
      float br = (float) b[r];
      float cr = (float) c[r];
      for (int j = 0; j < d; j++) {
        dx[o + j] = ar * gamma[gOff + j] * dy[go + j] + br * (x[xo + j] - m) + cr;
      }
    }
  }

  /** Scalar twin of {@link #dLinear}. */
  public static void dLinearScalar(
      double[] dx,
      int dxOff,
      double[] dy,
      int dyOff,
      double[] x,
      int xOff,
      int d,
      double[] gamma,
      int gOff,
      double[] a,
      double[] mu,
      double[] b,
      double[] c,
      int r0,
      int r1) {
    for (int r = r0; r < r1; r++) {
      int o = dxOff + r * d;
      int go = dyOff + r * d;
      int xo = xOff + r * d;
      double ar = a[r];
      double m = mu[r];
      double br = b[r];
      double cr = c[r];
      for (int j = 0; j < d; j++) {
        dx[o + j] = ar * gamma[gOff + j] * dy[go + j] + br * (x[xo + j] - m) + cr;
      }
    }
  }
}
