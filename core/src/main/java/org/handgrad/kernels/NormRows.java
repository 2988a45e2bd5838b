package org.handgrad.kernels;

import java.util.Arrays;

/**
 * Normalization kernels over the rows of a row-major (R, D) matrix with a per-column affine (gamma,
 * beta of length D): LayerNorm's layout, where statistics belong to a row and the learned scale and
 * shift to a column. Row statistics themselves come from {@link NormPlanes#sSums} with one plane
 * per row.
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
