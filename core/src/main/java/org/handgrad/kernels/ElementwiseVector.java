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
 * <p>Loaded only after {@link Kernels#useVector()} returned true. The helpers take and return
 * vectors; they are small so that C2 inlines them (a vector crossing a non-inlined call is boxed).
 */
final class ElementwiseVector {
  private ElementwiseVector() {}

  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
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

  /** Lane-wise {@link FloatMath#tanh}. */
  static FloatVector tanh(FloatVector x) {
    FloatVector a = x.abs();
    FloatVector z = a.mul(a);
    FloatVector p = z.fma(FloatMath.T0, FloatMath.T1);
    p = p.fma(z, FloatVector.broadcast(F, FloatMath.T2));
    p = p.fma(z, FloatVector.broadcast(F, FloatMath.T3));
    p = p.fma(z, FloatVector.broadcast(F, FloatMath.T4));
    FloatVector small = a.mul(z).fma(p, a);
    FloatVector e = exp(a.mul(-2f));
    FloatVector large = FloatVector.broadcast(F, 1f).sub(e.mul(2f).div(e.add(1f)));
    FloatVector y = large.blend(small, a.lt(FloatMath.TANH_SMALL));
    // copySign(y, x): y >= 0 (or NaN, whose sign does not matter), so OR in the sign of x.
    return y.reinterpretAsInts().or(x.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats();
  }

  /** Lane-wise {@link FloatMath#sigmoid}. */
  static FloatVector sigmoid(FloatVector x) {
    FloatVector e = exp(x.abs().neg());
    FloatVector s = FloatVector.broadcast(F, 1f).div(e.add(1f));
    return s.blend(e.mul(s), x.lt(0f));
  }

  // ---------------------------------------------------------------- activations

  private static FloatVector gelu(FloatVector x) {
    FloatVector a = x.abs().min(FloatMath.CLAMP);
    FloatVector c = halfSquareExp(a).mul(0.5f).mul(erfcx(a.mul(FloatMath.SQRT1_2)));
    return x.mul(FloatVector.broadcast(F, 1f).sub(c).blend(c, x.lt(0f)));
  }

  private static FloatVector geluGrad(FloatVector x) {
    FloatVector a = x.abs().min(FloatMath.CLAMP);
    FloatVector e = halfSquareExp(a);
    FloatVector c = e.mul(0.5f).mul(erfcx(a.mul(FloatMath.SQRT1_2)));
    FloatVector cdf = FloatVector.broadcast(F, 1f).sub(c).blend(c, x.lt(0f));
    return x.fma(e.mul(FloatMath.INV_SQRT_2PI), cdf);
  }

  private static FloatVector geluTanhArg2(FloatVector x) {
    return x.mul(ActivationKernels.GELU_TANH_COEFF)
        .mul(x)
        .fma(x, x)
        .mul(2f * ActivationKernels.SQRT_2_OVER_PI);
  }

  private static FloatVector geluTanhGrad(FloatVector x) {
    FloatVector s = sigmoid(geluTanhArg2(x));
    FloatVector du =
        x.mul(3f * ActivationKernels.GELU_TANH_COEFF)
            .fma(x, FloatVector.broadcast(F, 1f))
            .mul(ActivationKernels.SQRT_2_OVER_PI);
    return x.mul(2f).mul(s).mul(FloatVector.broadcast(F, 1f).sub(s)).fma(du, s);
  }

  /** The ReLU gradient mask: x &gt; +0 or a NaN with a clear sign bit (see the scalar twin). */
  private static VectorMask<Float> positive(FloatVector x) {
    IntVector b = x.reinterpretAsInts();
    return b.neg().and(b.not()).lt(0).cast(F);
  }

  static void forward(
      ActivationKernels.Activation f, float[] y, int yOff, float[] x, int xOff, int n) {
    switch (f) {
      case RELU -> relu(y, yOff, x, xOff, n);
      case SIGMOID -> sigmoid(y, yOff, x, xOff, n);
      case TANH -> tanh(y, yOff, x, xOff, n);
      case GELU -> gelu(y, yOff, x, xOff, n);
      case GELU_TANH -> geluTanh(y, yOff, x, xOff, n);
      case SILU -> silu(y, yOff, x, xOff, n);
    }
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
    switch (f) {
      case RELU -> reluBackward(dx, dxOff, dy, dyOff, c, cOff, n);
      case SIGMOID -> sigmoidBackward(dx, dxOff, dy, dyOff, c, cOff, n);
      case TANH -> tanhBackward(dx, dxOff, dy, dyOff, c, cOff, n);
      case GELU -> geluBackward(dx, dxOff, dy, dyOff, c, cOff, n);
      case GELU_TANH -> geluTanhBackward(dx, dxOff, dy, dyOff, c, cOff, n);
      case SILU -> siluBackward(dx, dxOff, dy, dyOff, c, cOff, n);
    }
  }

  // One loop per function, so each compiles monomorphic. Tails use the scalar twins.

  private static void relu(float[] y, int yOff, float[] x, int xOff, int n) {
    int i = 0;
    for (; i <= n - LF; i += LF) {
      FloatVector.fromArray(F, x, xOff + i).max(0f).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = ActivationKernels.relu(x[xOff + i]);
    }
  }

  private static void sigmoid(float[] y, int yOff, float[] x, int xOff, int n) {
    int i = 0;
    for (; i <= n - LF; i += LF) {
      sigmoid(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = FloatMath.sigmoid(x[xOff + i]);
    }
  }

  private static void tanh(float[] y, int yOff, float[] x, int xOff, int n) {
    int i = 0;
    for (; i <= n - LF; i += LF) {
      tanh(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = FloatMath.tanh(x[xOff + i]);
    }
  }

  private static void gelu(float[] y, int yOff, float[] x, int xOff, int n) {
    int i = 0;
    for (; i <= n - LF; i += LF) {
      gelu(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = ActivationKernels.gelu(x[xOff + i]);
    }
  }

  private static void geluTanh(float[] y, int yOff, float[] x, int xOff, int n) {
    int i = 0;
    for (; i <= n - LF; i += LF) {
      FloatVector v = FloatVector.fromArray(F, x, xOff + i);
      v.mul(sigmoid(geluTanhArg2(v))).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = ActivationKernels.geluTanh(x[xOff + i]);
    }
  }

  private static void silu(float[] y, int yOff, float[] x, int xOff, int n) {
    int i = 0;
    for (; i <= n - LF; i += LF) {
      FloatVector v = FloatVector.fromArray(F, x, xOff + i);
      v.mul(sigmoid(v)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v * FloatMath.sigmoid(v);
    }
  }

  private static void reluBackward(
      float[] dx, int dxOff, float[] dy, int dyOff, float[] c, int cOff, int n) {
    int i = 0;
    for (; i <= n - LF; i += LF) {
      FloatVector g = FloatVector.fromArray(F, dy, dyOff + i);
      FloatVector.zero(F)
          .blend(g, positive(FloatVector.fromArray(F, c, cOff + i)))
          .intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      dx[dxOff + i] = ActivationKernels.reluGrad(dy[dyOff + i], c[cOff + i]);
    }
  }

  private static void sigmoidBackward(
      float[] dx, int dxOff, float[] dy, int dyOff, float[] c, int cOff, int n) {
    int i = 0;
    for (; i <= n - LF; i += LF) {
      FloatVector s = FloatVector.fromArray(F, c, cOff + i);
      FloatVector.fromArray(F, dy, dyOff + i)
          .mul(s)
          .mul(FloatVector.broadcast(F, 1f).sub(s))
          .intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      float s = c[cOff + i];
      dx[dxOff + i] = dy[dyOff + i] * s * (1f - s);
    }
  }

  private static void tanhBackward(
      float[] dx, int dxOff, float[] dy, int dyOff, float[] c, int cOff, int n) {
    int i = 0;
    for (; i <= n - LF; i += LF) {
      FloatVector t = FloatVector.fromArray(F, c, cOff + i);
      FloatVector.fromArray(F, dy, dyOff + i)
          .mul(t.neg().fma(t, FloatVector.broadcast(F, 1f)))
          .intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      float t = c[cOff + i];
      dx[dxOff + i] = dy[dyOff + i] * Math.fma(-t, t, 1f);
    }
  }

  private static void geluBackward(
      float[] dx, int dxOff, float[] dy, int dyOff, float[] c, int cOff, int n) {
    int i = 0;
    for (; i <= n - LF; i += LF) {
      FloatVector.fromArray(F, dy, dyOff + i)
          .mul(geluGrad(FloatVector.fromArray(F, c, cOff + i)))
          .intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      dx[dxOff + i] = dy[dyOff + i] * ActivationKernels.geluGrad(c[cOff + i]);
    }
  }

  private static void geluTanhBackward(
      float[] dx, int dxOff, float[] dy, int dyOff, float[] c, int cOff, int n) {
    int i = 0;
    for (; i <= n - LF; i += LF) {
      FloatVector.fromArray(F, dy, dyOff + i)
          .mul(geluTanhGrad(FloatVector.fromArray(F, c, cOff + i)))
          .intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      dx[dxOff + i] = dy[dyOff + i] * ActivationKernels.geluTanhGrad(c[cOff + i]);
    }
  }

  private static void siluBackward(
      float[] dx, int dxOff, float[] dy, int dyOff, float[] c, int cOff, int n) {
    int i = 0;
    for (; i <= n - LF; i += LF) {
      FloatVector v = FloatVector.fromArray(F, c, cOff + i);
      FloatVector s = sigmoid(v);
      FloatVector.fromArray(F, dy, dyOff + i)
          .mul(s)
          .mul(v.fma(FloatVector.broadcast(F, 1f).sub(s), FloatVector.broadcast(F, 1f)))
          .intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      float v = c[cOff + i];
      float s = FloatMath.sigmoid(v);
      dx[dxOff + i] = dy[dyOff + i] * s * Math.fma(v, 1f - s, 1f);
    }
  }
}
