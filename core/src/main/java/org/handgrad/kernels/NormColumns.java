package org.handgrad.kernels;

import java.util.Arrays;

/**
 * Normalization kernels over the columns of a row-major (N, D) matrix: BatchNorm's layout, where
 * every statistic and coefficient belongs to a column j. The loops run over rows and, inside, over
 * a column range: contiguous streams with per-column coefficient arrays, which the JIT vectorizes
 * (no reductions inside a row).
 *
 * <p>Every kernel works on columns [j0, j1) and writes only that range of its outputs, so a
 * parallel-for over column ranges can call it without races and with results independent of the
 * split. Sums accumulate in double for both dtypes; float32 maps compute in double and round once.
 */
public final class NormColumns {
  private NormColumns() {}

  /**
   * Shifted column sums {@code s1[j] = sum_i(x[i,j] - shift[j])}, {@code s2[j] = sum_i(x[i,j] -
   * shift[j])^2}; see {@link NormPlanes#sSums} for why the shift. Overwrites s1, s2 on [j0, j1).
   */
  public static void sSums(
      double[] s1, double[] s2, float[] x, int xOff, int n, int d, double[] shift, int j0, int j1) {
    Arrays.fill(s1, j0, j1, 0);
    Arrays.fill(s2, j0, j1, 0);
    for (int i = 0; i < n; i++) {
      int o = xOff + i * d;
      for (int j = j0; j < j1; j++) {
        double t = x[o + j] - shift[j];
        s1[j] += t;
        s2[j] += t * t;
      }
    }
  }

  /** Float64 twin of {@link #sSums}. */
  public static void dSums(
      double[] s1,
      double[] s2,
      double[] x,
      int xOff,
      int n,
      int d,
      double[] shift,
      int j0,
      int j1) {
    Arrays.fill(s1, j0, j1, 0);
    Arrays.fill(s2, j0, j1, 0);
    for (int i = 0; i < n; i++) {
      int o = xOff + i * d;
      for (int j = j0; j < j1; j++) {
        double t = x[o + j] - shift[j];
        s1[j] += t;
        s2[j] += t * t;
      }
    }
  }

  /** Per-column affine map {@code out[i,j] = (x[i,j] - mu[j]) * scale[j] + bias[j]}. */
  public static void sAffine(
      float[] out,
      int outOff,
      float[] x,
      int xOff,
      int n,
      int d,
      double[] mu,
      double[] scale,
      double[] bias,
      int j0,
      int j1) {
    for (int i = 0; i < n; i++) {
      int o = outOff + i * d;
      int xo = xOff + i * d;
      for (int j = j0; j < j1; j++) {
        out[o + j] = (float) ((x[xo + j] - mu[j]) * scale[j] + bias[j]);
      }
    }
  }

  /** Float64 twin of {@link #sAffine}. */
  public static void dAffine(
      double[] out,
      int outOff,
      double[] x,
      int xOff,
      int n,
      int d,
      double[] mu,
      double[] scale,
      double[] bias,
      int j0,
      int j1) {
    for (int i = 0; i < n; i++) {
      int o = outOff + i * d;
      int xo = xOff + i * d;
      for (int j = j0; j < j1; j++) {
        out[o + j] = (x[xo + j] - mu[j]) * scale[j] + bias[j];
      }
    }
  }

  /**
   * Column reductions of a backward pass: {@code sdy[j] = sum_i dy[i,j]}, {@code sdyx[j] = sum_i
   * dy[i,j] * (x[i,j] - mu[j])}. Overwrites sdy, sdyx on [j0, j1).
   */
  public static void sGradSums(
      double[] sdy,
      double[] sdyx,
      float[] dy,
      int dyOff,
      float[] x,
      int xOff,
      int n,
      int d,
      double[] mu,
      int j0,
      int j1) {
    Arrays.fill(sdy, j0, j1, 0);
    Arrays.fill(sdyx, j0, j1, 0);
    for (int i = 0; i < n; i++) {
      int o = dyOff + i * d;
      int xo = xOff + i * d;
      for (int j = j0; j < j1; j++) {
        double g = dy[o + j];
        sdy[j] += g;
        sdyx[j] += g * (x[xo + j] - mu[j]);
      }
    }
  }

  /** Float64 twin of {@link #sGradSums}. */
  public static void dGradSums(
      double[] sdy,
      double[] sdyx,
      double[] dy,
      int dyOff,
      double[] x,
      int xOff,
      int n,
      int d,
      double[] mu,
      int j0,
      int j1) {
    Arrays.fill(sdy, j0, j1, 0);
    Arrays.fill(sdyx, j0, j1, 0);
    for (int i = 0; i < n; i++) {
      int o = dyOff + i * d;
      int xo = xOff + i * d;
      for (int j = j0; j < j1; j++) {
        double g = dy[o + j];
        sdy[j] += g;
        sdyx[j] += g * (x[xo + j] - mu[j]);
      }
    }
  }

  /** Per-column linear map {@code dx[i,j] = a[j]*dy[i,j] + b[j]*(x[i,j] - mu[j]) + c[j]}. */
  public static void sLinear(
      float[] dx,
      int dxOff,
      float[] dy,
      int dyOff,
      float[] x,
      int xOff,
      int n,
      int d,
      double[] a,
      double[] mu,
      double[] b,
      double[] c,
      int j0,
      int j1) {
    for (int i = 0; i < n; i++) {
      int o = dxOff + i * d;
      int go = dyOff + i * d;
      int xo = xOff + i * d;
      for (int j = j0; j < j1; j++) {
        dx[o + j] = (float) (a[j] * dy[go + j] + b[j] * (x[xo + j] - mu[j]) + c[j]);
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
      int n,
      int d,
      double[] a,
      double[] mu,
      double[] b,
      double[] c,
      int j0,
      int j1) {
    for (int i = 0; i < n; i++) {
      int o = dxOff + i * d;
      int go = dyOff + i * d;
      int xo = xOff + i * d;
      for (int j = j0; j < j1; j++) {
        dx[o + j] = a[j] * dy[go + j] + b[j] * (x[xo + j] - mu[j]) + c[j];
      }
    }
  }
}
