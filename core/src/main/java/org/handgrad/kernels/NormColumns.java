package org.handgrad.kernels;

import java.util.Arrays;

/**
 * Normalization kernels over the columns of a row-major (N, D) matrix: BatchNorm's layout, where
 * every statistic and coefficient belongs to a column j. The loops run over rows and, inside, over
 * a column range: contiguous streams with per-column coefficient arrays, no reduction inside a row,
 * so lanes run along the columns.
 *
 * <p>The kernels run on the Vector API ({@link NormColumnsVector}) when it is available, with the
 * scalar loops here as twins (the package-wide switch {@link Kernels#forceScalar(boolean)}); both
 * give identical results.
 *
 * <p>Every kernel works on columns [j0, j1) and writes only that range of its outputs, so a
 * parallel-for over column ranges can call it without races and with results independent of the
 * split. Sums accumulate in double for both dtypes; float32 maps run in float32 with the
 * coefficients rounded once per call.
 */
public final class NormColumns {
  private NormColumns() {}

  /**
   * Shifted column sums {@code s1[j] = sum_i(x[i,j] - shift[j])}, {@code s2[j] = sum_i(x[i,j] -
   * shift[j])^2}; see {@link NormPlanes#sSums} for why the shift. Overwrites s1, s2 on [j0, j1).
   */
  public static void sSums(
      double[] s1, double[] s2, float[] x, int xOff, int n, int d, double[] shift, int j0, int j1) {
    if (NormPlanes.vectorized()) {
      Arrays.fill(s1, j0, j1, 0);
      Arrays.fill(s2, j0, j1, 0);
      NormColumnsVector.sSums(s1, s2, x, xOff, n, d, shift, j0, j1);
    } else {
      sSumsScalar(s1, s2, x, xOff, n, d, shift, j0, j1);
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
    if (NormPlanes.vectorized()) {
      Arrays.fill(s1, j0, j1, 0);
      Arrays.fill(s2, j0, j1, 0);
      NormColumnsVector.dSums(s1, s2, x, xOff, n, d, shift, j0, j1);
    } else {
      dSumsScalar(s1, s2, x, xOff, n, d, shift, j0, j1);
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
    if (NormPlanes.vectorized()) {
      NormColumnsVector.sAffine(
          out,
          outOff,
          x,
          xOff,
          n,
          d,
          narrow(mu, j0, j1),
          narrow(scale, j0, j1),
          narrow(bias, j0, j1),
          j0,
          j1);
    } else {
      sAffineScalar(out, outOff, x, xOff, n, d, mu, scale, bias, j0, j1);
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
    if (NormPlanes.vectorized()) {
      NormColumnsVector.dAffine(out, outOff, x, xOff, n, d, mu, scale, bias, j0, j1);
    } else {
      dAffineScalar(out, outOff, x, xOff, n, d, mu, scale, bias, j0, j1);
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
    if (NormPlanes.vectorized()) {
      Arrays.fill(sdy, j0, j1, 0);
      Arrays.fill(sdyx, j0, j1, 0);
      NormColumnsVector.sGradSums(sdy, sdyx, dy, dyOff, x, xOff, n, d, mu, j0, j1);
    } else {
      sGradSumsScalar(sdy, sdyx, dy, dyOff, x, xOff, n, d, mu, j0, j1);
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
    if (NormPlanes.vectorized()) {
      Arrays.fill(sdy, j0, j1, 0);
      Arrays.fill(sdyx, j0, j1, 0);
      NormColumnsVector.dGradSums(sdy, sdyx, dy, dyOff, x, xOff, n, d, mu, j0, j1);
    } else {
      dGradSumsScalar(sdy, sdyx, dy, dyOff, x, xOff, n, d, mu, j0, j1);
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
    if (NormPlanes.vectorized()) {
      NormColumnsVector.sLinear(
          dx,
          dxOff,
          dy,
          dyOff,
          x,
          xOff,
          n,
          d,
          narrow(a, j0, j1),
          narrow(mu, j0, j1),
          narrow(b, j0, j1),
          narrow(c, j0, j1),
          j0,
          j1);
    } else {
      sLinearScalar(dx, dxOff, dy, dyOff, x, xOff, n, d, a, mu, b, c, j0, j1);
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
    if (NormPlanes.vectorized()) {
      NormColumnsVector.dLinear(dx, dxOff, dy, dyOff, x, xOff, n, d, a, mu, b, c, j0, j1);
    } else {
      dLinearScalar(dx, dxOff, dy, dyOff, x, xOff, n, d, a, mu, b, c, j0, j1);
    }
  }

  /** Scalar twin of {@link #sSums}. */
  public static void sSumsScalar(
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

  /** Scalar twin of {@link #dSums}. */
  public static void dSumsScalar(
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

  /** Scalar twin of {@link #sAffine}. */
  public static void sAffineScalar(
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
    float[] m = narrow(mu, j0, j1);
    float[] s = narrow(scale, j0, j1);
    float[] b = narrow(bias, j0, j1);
    for (int i = 0; i < n; i++) {
      int o = outOff + i * d;
      int xo = xOff + i * d;
      for (int j = j0; j < j1; j++) {
        out[o + j] = (x[xo + j] - m[j]) * s[j] + b[j];
      }
    }
  }

  /** Scalar twin of {@link #dAffine}. */
  public static void dAffineScalar(
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

  /** Scalar twin of {@link #sGradSums}. */
  public static void sGradSumsScalar(
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

  /** Scalar twin of {@link #dGradSums}. */
  public static void dGradSumsScalar(
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

  /** Scalar twin of {@link #sLinear}. */
  public static void sLinearScalar(
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
    float[] af = narrow(a, j0, j1);
    float[] m = narrow(mu, j0, j1);
    float[] bf = narrow(b, j0, j1);
    float[] cf = narrow(c, j0, j1);
    for (int i = 0; i < n; i++) {
      int o = dxOff + i * d;
      int go = dyOff + i * d;
      int xo = xOff + i * d;
      for (int j = j0; j < j1; j++) {
        dx[o + j] = af[j] * dy[go + j] + bf[j] * (x[xo + j] - m[j]) + cf[j];
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

  /**
   * Float copies of per-column coefficients on [j0, j1) (indexed like the input), so that float32
   * maps run in float arithmetic, which the JIT vectorizes 8 lanes wide; computing in double would
   * convert every element both ways. One small allocation per call, none in the loops.
   */
  private static float[] narrow(double[] v, int j0, int j1) {
    float[] f = new float[j1];
    for (int j = j0; j < j1; j++) {
      f[j] = (float) v[j];
    }
    return f;
  }
}
