package org.handgrad.kernels;

/**
 * Normalization kernels over contiguous planes: plane p is the span {@code x[off + p*hw, off +
 * (p+1)*hw)}, e.g. one (n, c) image channel of an NCHW tensor (hw = H*W), or one row of an (N, D)
 * matrix (hw = D). Each plane has its own scalar coefficients, so the inner loops are plain streams
 * over contiguous memory (which of them run on the Vector API: below).
 *
 * <p>Spatial BatchNorm and GroupNorm both use these: they differ only in how planes are grouped
 * into statistics (planes n*C + c over n for a channel, planes of one (n, group) for GroupNorm),
 * which the caller does on the small per-plane arrays. Working plane by plane reads NCHW storage in
 * place, with no transposed copy.
 *
 * <p>Every kernel works on planes [p0, p1) and writes only per-plane outputs of that range, so a
 * parallel-for over plane ranges can call it without races, and per-plane partial sums make the
 * result independent of how planes are split. Reductions accumulate in double for both dtypes; they
 * run on the Vector API ({@link NormPlanesVector}) when {@link Kernels#useVector()} allows it, with
 * the scalar loops here as twins (forced by {@link Kernels#forceScalar(boolean)}). Float32 maps run
 * in float32 (coefficients rounded once per plane), like PyTorch's CPU kernels, also on the Vector
 * API; the float64 maps are left to the JIT's own vectorization.
 */
public final class NormPlanes {
  private NormPlanes() {}

  /** The vector twins' species fit (checked only where {@link Kernels} allows vector kernels). */
  private static final boolean VECTOR_USABLE =
      Kernels.vectorAvailable() && NormPlanesVector.usable();

  /**
   * True when the normalization kernels (NormPlanes, NormColumns, NormRows) run on the Vector API:
   * {@link Kernels#useVector()} and the species fit.
   */
  public static boolean vectorized() {
    return VECTOR_USABLE && Kernels.useVector();
  }

  /**
   * Shifted sums per plane: {@code s1[p] = sum(x - shift[p])}, {@code s2[p] = sum((x -
   * shift[p])^2)}. With a shift close to the mean (e.g. the first element of the set being
   * normalised), one pass gives the variance {@code (S2 - S1^2/M)/M} without the catastrophic
   * cancellation of the textbook {@code E[x^2] - E[x]^2} ("shifted data" algorithm, Chan, Golub and
   * LeVeque 1983).
   */
  public static void sSums(
      double[] s1, double[] s2, float[] x, int xOff, int hw, double[] shift, int p0, int p1) {
    if (vectorized()) {
      NormPlanesVector.sSums(s1, s2, x, xOff, hw, shift, p0, p1);
    } else {
      sSumsScalar(s1, s2, x, xOff, hw, shift, p0, p1);
    }
  }

  /** Float64 twin of {@link #sSums}. */
  public static void dSums(
      double[] s1, double[] s2, double[] x, int xOff, int hw, double[] shift, int p0, int p1) {
    if (vectorized()) {
      NormPlanesVector.dSums(s1, s2, x, xOff, hw, shift, p0, p1);
    } else {
      dSumsScalar(s1, s2, x, xOff, hw, shift, p0, p1);
    }
  }

  /**
   * The two reductions every normalization backward needs, per plane: {@code sdy[p] = sum(dy)} and
   * {@code sdyx[p] = sum(dy * (x - mu[p]))}.
   */
  public static void sGradSums(
      double[] sdy,
      double[] sdyx,
      float[] dy,
      int dyOff,
      float[] x,
      int xOff,
      int hw,
      double[] mu,
      int p0,
      int p1) {
    if (vectorized()) {
      NormPlanesVector.sGradSums(sdy, sdyx, dy, dyOff, x, xOff, hw, mu, p0, p1);
    } else {
      sGradSumsScalar(sdy, sdyx, dy, dyOff, x, xOff, hw, mu, p0, p1);
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
      int hw,
      double[] mu,
      int p0,
      int p1) {
    if (vectorized()) {
      NormPlanesVector.dGradSums(sdy, sdyx, dy, dyOff, x, xOff, hw, mu, p0, p1);
    } else {
      dGradSumsScalar(sdy, sdyx, dy, dyOff, x, xOff, hw, mu, p0, p1);
    }
  }

  /** Scalar twin of {@link #sSums}. */
  public static void sSumsScalar(
      double[] s1, double[] s2, float[] x, int xOff, int hw, double[] shift, int p0, int p1) {
    for (int p = p0; p < p1; p++) {
      int o = xOff + p * hw;
      double k = shift[p];
      // Four independent accumulator pairs: FP adds are not reassociated by the JIT, so a single
      // accumulator would be latency-bound (one add per ~4 cycles).
      double a0 = 0, a1 = 0, a2 = 0, a3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
      int i = 0;
      for (; i <= hw - 4; i += 4) {
        double t0 = x[o + i] - k, t1 = x[o + i + 1] - k;
        double t2 = x[o + i + 2] - k, t3 = x[o + i + 3] - k;
        a0 += t0;
        a1 += t1;
        a2 += t2;
        a3 += t3;
        q0 += t0 * t0;
        q1 += t1 * t1;
        q2 += t2 * t2;
        q3 += t3 * t3;
      }
      for (; i < hw; i++) {
        double t = x[o + i] - k;
        a0 += t;
        q0 += t * t;
      }
      s1[p] = (a0 + a1) + (a2 + a3);
      s2[p] = (q0 + q1) + (q2 + q3);
    }
  }

  /** Scalar twin of {@link #dSums}. */
  public static void dSumsScalar(
      double[] s1, double[] s2, double[] x, int xOff, int hw, double[] shift, int p0, int p1) {
    for (int p = p0; p < p1; p++) {
      int o = xOff + p * hw;
      double k = shift[p];
      double a0 = 0, a1 = 0, a2 = 0, a3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
      int i = 0;
      for (; i <= hw - 4; i += 4) {
        double t0 = x[o + i] - k, t1 = x[o + i + 1] - k;
        double t2 = x[o + i + 2] - k, t3 = x[o + i + 3] - k;
        a0 += t0;
        a1 += t1;
        a2 += t2;
        a3 += t3;
        q0 += t0 * t0;
        q1 += t1 * t1;
        q2 += t2 * t2;
        q3 += t3 * t3;
      }
      for (; i < hw; i++) {
        double t = x[o + i] - k;
        a0 += t;
        q0 += t * t;
      }
      s1[p] = (a0 + a1) + (a2 + a3);
      s2[p] = (q0 + q1) + (q2 + q3);
    }
  }

  /**
   * Per-plane affine map {@code out = (x - mu[p]) * scale[p] + bias[p]}, in float32 with the
   * coefficients rounded once per plane; on the Vector API when {@link #vectorized()}, else {@link
   * #sAffineScalar}, its twin (the same float operations, so the same bits).
   */
  public static void sAffine(
      float[] out,
      int outOff,
      float[] x,
      int xOff,
      int hw,
      double[] mu,
      double[] scale,
      double[] bias,
      int p0,
      int p1) {
    if (vectorized()) {
      NormPlanesVector.sAffine(out, outOff, x, xOff, hw, mu, scale, bias, p0, p1);
    } else {
      sAffineScalar(out, outOff, x, xOff, hw, mu, scale, bias, p0, p1);
    }
  }

  /**
   * Scalar twin of {@link #sAffine}. The JIT vectorizes this loop itself, yet the explicit vector
   * loop ran 1.8x faster on 7 x 7 planes and 1.4x on 28 x 28 (one thread, 1.6M floats, Intel Xeon
   * with AVX-512); for short planes a likely reason is that the JIT's unrolled 512-bit loop leaves
   * most of a plane to its scalar remainder (supposed, not read off the generated code).
   */
  public static void sAffineScalar(
      float[] out,
      int outOff,
      float[] x,
      int xOff,
      int hw,
      double[] mu,
      double[] scale,
      double[] bias,
      int p0,
      int p1) {
    for (int p = p0; p < p1; p++) {
      int o = outOff + p * hw;
      int xo = xOff + p * hw;
      float m = (float) mu[p];
      float s = (float) scale[p];
      float b = (float) bias[p];
      for (int i = 0; i < hw; i++) {
        out[o + i] = (x[xo + i] - m) * s + b;
      }
    }
  }

  /** Float64 twin of {@link #sAffine}. */
  public static void dAffine(
      double[] out,
      int outOff,
      double[] x,
      int xOff,
      int hw,
      double[] mu,
      double[] scale,
      double[] bias,
      int p0,
      int p1) {
    for (int p = p0; p < p1; p++) {
      int o = outOff + p * hw;
      int xo = xOff + p * hw;
      double m = mu[p];
      double s = scale[p];
      double b = bias[p];
      for (int i = 0; i < hw; i++) {
        out[o + i] = (x[xo + i] - m) * s + b;
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
      int hw,
      double[] mu,
      int p0,
      int p1) {
    for (int p = p0; p < p1; p++) {
      int o = dyOff + p * hw;
      int xo = xOff + p * hw;
      double m = mu[p];
      double a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      int i = 0;
      for (; i <= hw - 4; i += 4) {
        double g0 = dy[o + i], g1 = dy[o + i + 1], g2 = dy[o + i + 2], g3 = dy[o + i + 3];
        a0 += g0;
        a1 += g1;
        a2 += g2;
        a3 += g3;
        b0 += g0 * (x[xo + i] - m);
        b1 += g1 * (x[xo + i + 1] - m);
        b2 += g2 * (x[xo + i + 2] - m);
        b3 += g3 * (x[xo + i + 3] - m);
      }
      for (; i < hw; i++) {
        double g = dy[o + i];
        a0 += g;
        b0 += g * (x[xo + i] - m);
      }
      sdy[p] = (a0 + a1) + (a2 + a3);
      sdyx[p] = (b0 + b1) + (b2 + b3);
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
      int hw,
      double[] mu,
      int p0,
      int p1) {
    for (int p = p0; p < p1; p++) {
      int o = dyOff + p * hw;
      int xo = xOff + p * hw;
      double m = mu[p];
      double a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      int i = 0;
      for (; i <= hw - 4; i += 4) {
        double g0 = dy[o + i], g1 = dy[o + i + 1], g2 = dy[o + i + 2], g3 = dy[o + i + 3];
        a0 += g0;
        a1 += g1;
        a2 += g2;
        a3 += g3;
        b0 += g0 * (x[xo + i] - m);
        b1 += g1 * (x[xo + i + 1] - m);
        b2 += g2 * (x[xo + i + 2] - m);
        b3 += g3 * (x[xo + i + 3] - m);
      }
      for (; i < hw; i++) {
        double g = dy[o + i];
        a0 += g;
        b0 += g * (x[xo + i] - m);
      }
      sdy[p] = (a0 + a1) + (a2 + a3);
      sdyx[p] = (b0 + b1) + (b2 + b3);
    }
  }

  /**
   * Per-plane two-input linear map {@code dx = a[p]*dy + b[p]*(x - mu[p]) + c[p]}: every
   * normalization's input gradient has this form once its reductions are known. On the Vector API
   * when {@link #vectorized()}, else {@link #sLinearScalar}, its bit-identical twin.
   */
  public static void sLinear(
      float[] dx,
      int dxOff,
      float[] dy,
      int dyOff,
      float[] x,
      int xOff,
      int hw,
      double[] a,
      double[] mu,
      double[] b,
      double[] c,
      int p0,
      int p1) {
    if (vectorized()) {
      NormPlanesVector.sLinear(dx, dxOff, dy, dyOff, x, xOff, hw, a, mu, b, c, p0, p1);
    } else {
      sLinearScalar(dx, dxOff, dy, dyOff, x, xOff, hw, a, mu, b, c, p0, p1);
    }
  }

  /** Scalar twin of {@link #sLinear} (see {@link #sAffineScalar} for why both exist). */
  public static void sLinearScalar(
      float[] dx,
      int dxOff,
      float[] dy,
      int dyOff,
      float[] x,
      int xOff,
      int hw,
      double[] a,
      double[] mu,
      double[] b,
      double[] c,
      int p0,
      int p1) {
    for (int p = p0; p < p1; p++) {
      int o = dxOff + p * hw;
      int go = dyOff + p * hw;
      int xo = xOff + p * hw;
      float ap = (float) a[p];
      float m = (float) mu[p];
      float bp = (float) b[p];
      float cp = (float) c[p];
      for (int i = 0; i < hw; i++) {
        dx[o + i] = ap * dy[go + i] + bp * (x[xo + i] - m) + cp;
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
      int hw,
      double[] a,
      double[] mu,
      double[] b,
      double[] c,
      int p0,
      int p1) {
    for (int p = p0; p < p1; p++) {
      int o = dxOff + p * hw;
      int go = dyOff + p * hw;
      int xo = xOff + p * hw;
      double ap = a[p];
      double m = mu[p];
      double bp = b[p];
      double cp = c[p];
      for (int i = 0; i < hw; i++) {
        dx[o + i] = ap * dy[go + i] + bp * (x[xo + i] - m) + cp;
      }
    }
  }
}
