package org.handgrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the {@link ActivationKernels} loops and the lane-wise twins of {@link
 * FloatMath}: every function below performs the float operations of its scalar namesake in the same
 * order (FMA for FMA), so results are bit-identical to the scalar twins; the loop tails call the
 * scalar functions themselves.
 *
 * <p>Loaded only after {@link Kernels#useVector()} returned true. The lane-wise helpers take and
 * return vectors, so they must be inlined (a vector crossing a non-inlined call is boxed); the
 * activation kernels call them only from small single-loop passes (see the comment above {@link
 * #BLOCK}).
 */
final class ElementwiseVector {
  private ElementwiseVector() {}

  static final VectorSpecies<Float> F = Species.F;
  static final int LF = F.length();

  // ---------------------------------------------------------------- lane-wise FloatMath

  /** Lane-wise {@link FloatMath#exp}. */
  static FloatVector exp(FloatVector x) {
    FloatVector t = x.fma(FloatMath.LOG2E, FloatMath.ROUND);
    FloatVector n = t.sub(FloatMath.ROUND);
    FloatVector r = n.fma(FloatVector.broadcast(F, -FloatMath.LN2_HI), x);
    r = n.fma(FloatVector.broadcast(F, -FloatMath.LN2_LO), r);
    FloatVector p = r.fma(FloatMath.E0, FloatMath.E1);
    p = p.fma(r, FloatVector.broadcast(F, FloatMath.E2));
    p = p.fma(r, FloatVector.broadcast(F, FloatMath.E3));
    p = p.fma(r, FloatVector.broadcast(F, FloatMath.E4));
    p = p.fma(r, FloatVector.broadcast(F, FloatMath.E5));
    FloatVector y = p.fma(r.mul(r), r).add(1f);
    IntVector ni = t.reinterpretAsInts().sub(FloatMath.ROUND_BITS);
    IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
    FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    FloatVector s2 = ni.sub(n1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    return y.mul(s1).mul(s2).blend(0f, x.lt(FloatMath.EXP_MIN));
  }

  /** Lane-wise {@link FloatMath#erfcx}. */
  static FloatVector erfcx(FloatVector z) {
    FloatVector t = FloatVector.broadcast(F, 1f).div(z.fma(FloatMath.P_T, 1f));
    FloatVector q = t.fma(FloatMath.Q11, FloatMath.Q10);
    q = q.fma(t, FloatVector.broadcast(F, FloatMath.Q9));
    q = q.fma(t, FloatVector.broadcast(F, FloatMath.Q8));
    q = q.fma(t, FloatVector.broadcast(F, FloatMath.Q7));
    q = q.fma(t, FloatVector.broadcast(F, FloatMath.Q6));
    q = q.fma(t, FloatVector.broadcast(F, FloatMath.Q5));
    q = q.fma(t, FloatVector.broadcast(F, FloatMath.Q4));
    q = q.fma(t, FloatVector.broadcast(F, FloatMath.Q3));
    q = q.fma(t, FloatVector.broadcast(F, FloatMath.Q2));
    q = q.fma(t, FloatVector.broadcast(F, FloatMath.Q1));
    q = q.fma(t, FloatVector.broadcast(F, FloatMath.Q0));
    return q.mul(t);
  }

  /** Lane-wise {@link FloatMath#erfc}. */
  static FloatVector erfc(FloatVector z) {
    FloatVector a = z.abs().min(FloatMath.CLAMP);
    FloatVector hi = a.mul(a);
    FloatVector lo = a.fma(a, hi.neg());
    FloatVector e = exp(hi.neg());
    e = lo.neg().fma(e, e);
    FloatVector r = e.mul(erfcx(a));
    return r.blend(FloatVector.broadcast(F, 2f).sub(r), z.lt(0f));
  }

  /** Lane-wise {@link FloatMath#halfSquareExp}. */
  static FloatVector halfSquareExp(FloatVector a) {
    FloatVector hi = a.mul(a);
    FloatVector lo = a.fma(a, hi.neg());
    FloatVector e = exp(hi.mul(-0.5f));
    return lo.mul(-0.5f).fma(e, e);
  }

  // ---------------------------------------------------------------- activations
  //
  // C2 inlines a whole loop body into one compilation unit with a budget (DesiredMethodLimit,
  // NodeCountInliningCutoff); every Vector API call inlines several library levels, so a body with
  // GELU's exp, erfcx and derivative overruns it, and the vector helpers left out of line box every
  // vector they pass (measured: 3 to 35 MB allocated per call, 5-40x slower, depending on
  // compilation order). So each activation runs as a few passes over blocks of BLOCK elements,
  // through small scratch arrays in L1: each pass is its own method taking arrays only, with at
  // most one exp or erfcx in its body. Whether or not C2 inlines a pass into its caller, no vector
  // crosses a call. The passes perform the scalar twins' operations in the same order (a float
  // stored and reloaded is unchanged), so results stay bit-identical.

  /** Elements per block of the multi-pass kernels: a multiple of every lane count, 4 KB. */
  static final int BLOCK = 1024;

  static void forward(
      ActivationKernels.Activation f, float[] y, int yOff, float[] x, int xOff, int n) {
    int nv = n - n % LF;
    if (f == ActivationKernels.Activation.RELU) {
      relu(y, yOff, x, xOff, nv);
    } else {
      float[] e = new float[Math.min(BLOCK, nv)];
      float[] s = new float[e.length];
      for (int b = 0; b < nv; b += BLOCK) {
        int len = Math.min(BLOCK, nv - b);
        int xo = xOff + b;
        int yo = yOff + b;
        switch (f) {
          case SIGMOID -> {
            negAbsExp(e, x, xo, len);
            sigmoidFromExp(y, yo, e, x, xo, len);
          }
          case TANH -> {
            tanhExp(e, x, xo, len);
            tanhFromExp(y, yo, e, x, xo, len);
          }
          case GELU -> {
            geluExp(e, x, xo, len);
            geluErfcx(s, x, xo, len);
            geluFromParts(y, yo, x, xo, e, s, len);
          }
          case GELU_TANH -> {
            geluTanhArg2(s, x, xo, len);
            negAbsExp(e, s, 0, len);
            sigmoidFromExp(s, 0, e, s, 0, len);
            mul(y, yo, x, xo, s, len);
          }
          case SILU -> {
            negAbsExp(e, x, xo, len);
            sigmoidFromExp(s, 0, e, x, xo, len);
            mul(y, yo, x, xo, s, len);
          }
          default -> throw new AssertionError(f);
        }
      }
    }
    ActivationKernels.forwardScalar(f, y, yOff + nv, x, xOff + nv, n - nv);
  }

  static void backward(
      ActivationKernels.Activation f,
      float[] dx,
      int dxOff,
      float[] dy,
      int dyOff,
      float[] c,
      int cOff,
      int n) {
    int nv = n - n % LF;
    switch (f) {
      case RELU -> reluBackward(dx, dxOff, dy, dyOff, c, cOff, nv);
      case SIGMOID -> sigmoidBackward(dx, dxOff, dy, dyOff, c, cOff, nv);
      case TANH -> tanhBackward(dx, dxOff, dy, dyOff, c, cOff, nv);
      default -> {
        float[] e = new float[Math.min(BLOCK, nv)];
        float[] s = new float[e.length];
        for (int b = 0; b < nv; b += BLOCK) {
          int len = Math.min(BLOCK, nv - b);
          int xo = cOff + b;
          int go = dyOff + b;
          int o = dxOff + b;
          switch (f) {
            case GELU -> {
              geluExp(e, c, xo, len);
              geluErfcx(s, c, xo, len);
              geluGradFromParts(dx, o, dy, go, c, xo, e, s, len);
            }
            case GELU_TANH -> {
              geluTanhArg2(s, c, xo, len);
              negAbsExp(e, s, 0, len);
              sigmoidFromExp(s, 0, e, s, 0, len);
              geluTanhGradFromSigmoid(dx, o, dy, go, c, xo, s, len);
            }
            case SILU -> {
              negAbsExp(e, c, xo, len);
              sigmoidFromExp(s, 0, e, c, xo, len);
              siluGradFromSigmoid(dx, o, dy, go, c, xo, s, len);
            }
            default -> throw new AssertionError(f);
          }
        }
      }
    }
    ActivationKernels.backwardScalar(f, dx, dxOff + nv, dy, dyOff + nv, c, cOff + nv, n - nv);
  }

  // ---------------------------------------------------------------- passes (len % LF == 0)

  private static FloatVector load(float[] a, int i) {
    return FloatVector.fromArray(F, a, i);
  }

  /** e = exp(-|x|) (sigmoid's exponential). */
  private static void negAbsExp(float[] e, float[] x, int xo, int len) {
    for (int i = 0; i < len; i += LF) {
      exp(load(x, xo + i).abs().neg()).intoArray(e, i);
    }
  }

  /** s = sigma(x) from e = exp(-|x|): 1 / (1 + e), times e where x &lt; 0. */
  private static void sigmoidFromExp(float[] s, int so, float[] e, float[] x, int xo, int len) {
    FloatVector one = FloatVector.broadcast(F, 1f);
    for (int i = 0; i < len; i += LF) {
      FloatVector ev = load(e, i);
      FloatVector r = one.div(ev.add(1f));
      r.blend(ev.mul(r), load(x, xo + i).lt(0f)).intoArray(s, so + i);
    }
  }

  /** e = exp(-2|x|) (tanh's exponential). */
  private static void tanhExp(float[] e, float[] x, int xo, int len) {
    for (int i = 0; i < len; i += LF) {
      exp(load(x, xo + i).abs().mul(-2f)).intoArray(e, i);
    }
  }

  /** y = tanh(x) from e = exp(-2|x|); see {@link FloatMath#tanh}. */
  private static void tanhFromExp(float[] y, int yo, float[] e, float[] x, int xo, int len) {
    FloatVector one = FloatVector.broadcast(F, 1f);
    for (int i = 0; i < len; i += LF) {
      FloatVector xv = load(x, xo + i);
      FloatVector a = xv.abs();
      FloatVector z = a.mul(a);
      FloatVector p = z.fma(FloatMath.T0, FloatMath.T1);
      p = p.fma(z, FloatVector.broadcast(F, FloatMath.T2));
      p = p.fma(z, FloatVector.broadcast(F, FloatMath.T3));
      p = p.fma(z, FloatVector.broadcast(F, FloatMath.T4));
      FloatVector small = a.mul(z).fma(p, a);
      FloatVector ev = load(e, i);
      FloatVector large = one.sub(ev.mul(2f).div(ev.add(1f)));
      FloatVector t = large.blend(small, a.lt(FloatMath.TANH_SMALL));
      // copySign(t, x): t >= 0 (or NaN, whose sign does not matter), so OR in the sign of x.
      t.reinterpretAsInts()
          .or(xv.reinterpretAsInts().and(0x80000000))
          .reinterpretAsFloats()
          .intoArray(y, yo + i);
    }
  }

  /** e = exp(-a^2 / 2) with a = min(|x|, 16), from the exact split of a^2. */
  private static void geluExp(float[] e, float[] x, int xo, int len) {
    for (int i = 0; i < len; i += LF) {
      halfSquareExp(load(x, xo + i).abs().min(FloatMath.CLAMP)).intoArray(e, i);
    }
  }

  /** q = erfcx(a / sqrt 2) with a = min(|x|, 16). */
  private static void geluErfcx(float[] q, float[] x, int xo, int len) {
    for (int i = 0; i < len; i += LF) {
      erfcx(load(x, xo + i).abs().min(FloatMath.CLAMP).mul(FloatMath.SQRT1_2)).intoArray(q, i);
    }
  }

  /** Phi(x) from e and q: c = Phi(-|x|) = (e / 2) q, Phi = x &lt; 0 ? c : 1 - c. */
  private static FloatVector normalCdf(FloatVector x, FloatVector e, FloatVector q) {
    FloatVector c = e.mul(0.5f).mul(q);
    return FloatVector.broadcast(F, 1f).sub(c).blend(c, x.lt(0f));
  }

  private static void geluFromParts(
      float[] y, int yo, float[] x, int xo, float[] e, float[] q, int len) {
    for (int i = 0; i < len; i += LF) {
      FloatVector xv = load(x, xo + i);
      xv.mul(normalCdf(xv, load(e, i), load(q, i))).intoArray(y, yo + i);
    }
  }

  /** dx = dy (Phi(x) + x phi(x)), phi = e / sqrt(2 pi). */
  private static void geluGradFromParts(
      float[] dx, int o, float[] dy, int go, float[] x, int xo, float[] e, float[] q, int len) {
    for (int i = 0; i < len; i += LF) {
      FloatVector xv = load(x, xo + i);
      FloatVector ev = load(e, i);
      FloatVector cdf = normalCdf(xv, ev, load(q, i));
      load(dy, go + i).mul(xv.fma(ev.mul(FloatMath.INV_SQRT_2PI), cdf)).intoArray(dx, o + i);
    }
  }

  /** u2 = 2 sqrt(2/pi) (x + 0.044715 x^3). */
  private static void geluTanhArg2(float[] u, float[] x, int xo, int len) {
    for (int i = 0; i < len; i += LF) {
      FloatVector xv = load(x, xo + i);
      xv.mul(ActivationKernels.GELU_TANH_COEFF)
          .mul(xv)
          .fma(xv, xv)
          .mul(2f * ActivationKernels.SQRT_2_OVER_PI)
          .intoArray(u, i);
    }
  }

  /** dx = dy (s + 2 x s (1 - s) du), du = sqrt(2/pi) (1 + 3 * 0.044715 x^2). */
  private static void geluTanhGradFromSigmoid(
      float[] dx, int o, float[] dy, int go, float[] x, int xo, float[] s, int len) {
    FloatVector one = FloatVector.broadcast(F, 1f);
    for (int i = 0; i < len; i += LF) {
      FloatVector xv = load(x, xo + i);
      FloatVector sv = load(s, i);
      FloatVector du =
          xv.mul(3f * ActivationKernels.GELU_TANH_COEFF)
              .fma(xv, one)
              .mul(ActivationKernels.SQRT_2_OVER_PI);
      FloatVector g = xv.mul(2f).mul(sv).mul(one.sub(sv)).fma(du, sv);
      load(dy, go + i).mul(g).intoArray(dx, o + i);
    }
  }

  /** dx = dy s (1 + x (1 - s)). */
  private static void siluGradFromSigmoid(
      float[] dx, int o, float[] dy, int go, float[] x, int xo, float[] s, int len) {
    FloatVector one = FloatVector.broadcast(F, 1f);
    for (int i = 0; i < len; i += LF) {
      FloatVector sv = load(s, i);
      load(dy, go + i).mul(sv).mul(load(x, xo + i).fma(one.sub(sv), one)).intoArray(dx, o + i);
    }
  }

  /** y = x s. */
  private static void mul(float[] y, int yo, float[] x, int xo, float[] s, int len) {
    for (int i = 0; i < len; i += LF) {
      load(x, xo + i).mul(load(s, i)).intoArray(y, yo + i);
    }
  }

  // ---------------------------------------------------------------- single-pass kernels (nv % LF
  // == 0)

  private static void relu(float[] y, int yOff, float[] x, int xOff, int nv) {
    for (int i = 0; i < nv; i += LF) {
      load(x, xOff + i).max(0f).intoArray(y, yOff + i);
    }
  }

  /** The ReLU gradient mask: x &gt; +0 or a NaN with a clear sign bit (see the scalar twin). */
  private static VectorMask<Float> positive(FloatVector x) {
    IntVector b = x.reinterpretAsInts();
    return b.neg().and(b.not()).lt(0).cast(F);
  }

  private static void reluBackward(
      float[] dx, int dxOff, float[] dy, int dyOff, float[] c, int cOff, int nv) {
    for (int i = 0; i < nv; i += LF) {
      FloatVector.zero(F)
          .blend(load(dy, dyOff + i), positive(load(c, cOff + i)))
          .intoArray(dx, dxOff + i);
    }
  }

  private static void sigmoidBackward(
      float[] dx, int dxOff, float[] dy, int dyOff, float[] c, int cOff, int nv) {
    FloatVector one = FloatVector.broadcast(F, 1f);
    for (int i = 0; i < nv; i += LF) {
      FloatVector s = load(c, cOff + i);
      load(dy, dyOff + i).mul(s).mul(one.sub(s)).intoArray(dx, dxOff + i);
    }
  }

  private static void tanhBackward(
      float[] dx, int dxOff, float[] dy, int dyOff, float[] c, int cOff, int nv) {
    FloatVector one = FloatVector.broadcast(F, 1f);
    for (int i = 0; i < nv; i += LF) {
      FloatVector t = load(c, cOff + i);
      load(dy, dyOff + i).mul(t.neg().fma(t, one)).intoArray(dx, dxOff + i);
    }
  }
}
