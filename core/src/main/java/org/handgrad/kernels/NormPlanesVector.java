package org.handgrad.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the {@link NormPlanes} reductions and float32 maps; the scalar loops there
 * are their twins (reference and fallback). The JIT does not vectorize floating-point reductions
 * (it may not reassociate adds). It does vectorize the elementwise maps, but explicit loops ran the
 * float32 ones 1.4-1.8x faster on an AVX-512 Xeon (short planes most), so those are here too,
 * bit-identical to their twins (the same float operations, no fused multiply-add).
 *
 * <p>Float32 data is widened to double lanes as it is loaded ({@link Widen}), so the sums still
 * accumulate in double, at ~4x the scalar speed. The summation order depends on the lane count, so
 * results can differ in the last bits between machines with different vector widths (never between
 * runs or thread counts).
 */
final class NormPlanesVector {
  private NormPlanesVector() {}

  private static final VectorSpecies<Double> D = Species.D;
  private static final int L = D.length();
  private static final VectorSpecies<Float> F = Species.F;
  private static final int LF = F.length();

  /** True when the preferred shape has at least two double lanes. */
  static boolean usable() {
    return L >= 2;
  }

  static void sSums(
      double[] s1, double[] s2, float[] x, int xOff, int hw, double[] shift, int p0, int p1) {
    for (int p = p0; p < p1; p++) {
      int o = xOff + p * hw;
      double k = shift[p];
      DoubleVector kv = DoubleVector.broadcast(D, k);
      DoubleVector a0 = DoubleVector.zero(D);
      DoubleVector a1 = a0;
      DoubleVector q0 = a0;
      DoubleVector q1 = a0;
      int i = 0;
      for (; i <= hw - 2 * L; i += 2 * L) {
        DoubleVector t0 = Widen.floats(x, o + i).sub(kv);
        DoubleVector t1 = Widen.floats(x, o + i + L).sub(kv);
        a0 = a0.add(t0);
        a1 = a1.add(t1);
        q0 = t0.fma(t0, q0);
        q1 = t1.fma(t1, q1);
      }
      double a = a0.add(a1).reduceLanes(VectorOperators.ADD);
      double q = q0.add(q1).reduceLanes(VectorOperators.ADD);
      for (; i < hw; i++) {
        double t = x[o + i] - k;
        a += t;
        q += t * t;
      }
      s1[p] = a;
      s2[p] = q;
    }
  }

  static void dSums(
      double[] s1, double[] s2, double[] x, int xOff, int hw, double[] shift, int p0, int p1) {
    for (int p = p0; p < p1; p++) {
      int o = xOff + p * hw;
      double k = shift[p];
      DoubleVector kv = DoubleVector.broadcast(D, k);
      DoubleVector a0 = DoubleVector.zero(D);
      DoubleVector a1 = a0;
      DoubleVector q0 = a0;
      DoubleVector q1 = a0;
      int i = 0;
      for (; i <= hw - 2 * L; i += 2 * L) {
        DoubleVector t0 = DoubleVector.fromArray(D, x, o + i).sub(kv);
        DoubleVector t1 = DoubleVector.fromArray(D, x, o + i + L).sub(kv);
        a0 = a0.add(t0);
        a1 = a1.add(t1);
        q0 = t0.fma(t0, q0);
        q1 = t1.fma(t1, q1);
      }
      double a = a0.add(a1).reduceLanes(VectorOperators.ADD);
      double q = q0.add(q1).reduceLanes(VectorOperators.ADD);
      for (; i < hw; i++) {
        double t = x[o + i] - k;
        a += t;
        q += t * t;
      }
      s1[p] = a;
      s2[p] = q;
    }
  }

  static void sGradSums(
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
      DoubleVector mv = DoubleVector.broadcast(D, m);
      DoubleVector a0 = DoubleVector.zero(D);
      DoubleVector a1 = a0;
      DoubleVector b0 = a0;
      DoubleVector b1 = a0;
      int i = 0;
      for (; i <= hw - 2 * L; i += 2 * L) {
        DoubleVector g0 = Widen.floats(dy, o + i);
        DoubleVector g1 = Widen.floats(dy, o + i + L);
        a0 = a0.add(g0);
        a1 = a1.add(g1);
        b0 = g0.fma(Widen.floats(x, xo + i).sub(mv), b0);
        b1 = g1.fma(Widen.floats(x, xo + i + L).sub(mv), b1);
      }
      double a = a0.add(a1).reduceLanes(VectorOperators.ADD);
      double b = b0.add(b1).reduceLanes(VectorOperators.ADD);
      for (; i < hw; i++) {
        double g = dy[o + i];
        a += g;
        b += g * (x[xo + i] - m);
      }
      sdy[p] = a;
      sdyx[p] = b;
    }
  }

  static void dGradSums(
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
      DoubleVector mv = DoubleVector.broadcast(D, m);
      DoubleVector a0 = DoubleVector.zero(D);
      DoubleVector a1 = a0;
      DoubleVector b0 = a0;
      DoubleVector b1 = a0;
      int i = 0;
      for (; i <= hw - 2 * L; i += 2 * L) {
        DoubleVector g0 = DoubleVector.fromArray(D, dy, o + i);
        DoubleVector g1 = DoubleVector.fromArray(D, dy, o + i + L);
        a0 = a0.add(g0);
        a1 = a1.add(g1);
        b0 = g0.fma(DoubleVector.fromArray(D, x, xo + i).sub(mv), b0);
        b1 = g1.fma(DoubleVector.fromArray(D, x, xo + i + L).sub(mv), b1);
      }
      double a = a0.add(a1).reduceLanes(VectorOperators.ADD);
      double b = b0.add(b1).reduceLanes(VectorOperators.ADD);
      for (; i < hw; i++) {
        double g = dy[o + i];
        a += g;
        b += g * (x[xo + i] - m);
      }
      sdy[p] = a;
      sdyx[p] = b;
    }
  }

  /** See {@link NormPlanes#sAffine}. */
  static void sAffine(
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
      int i = 0;
      for (; i <= hw - LF; i += LF) {
        FloatVector.fromArray(F, x, xo + i).sub(m).mul(s).add(b).intoArray(out, o + i);
      }
      for (; i < hw; i++) {
        out[o + i] = (x[xo + i] - m) * s + b;
      }
    }
  }

  /** See {@link NormPlanes#sLinear}. */
  static void sLinear(
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
      int i = 0;
      for (; i <= hw - LF; i += LF) {
        FloatVector t = FloatVector.fromArray(F, x, xo + i).sub(m).mul(bp);
        FloatVector.fromArray(F, dy, go + i).mul(ap).add(t).add(cp).intoArray(dx, o + i);
      }
      for (; i < hw; i++) {
        dx[o + i] = ap * dy[go + i] + bp * (x[xo + i] - m) + cp;
      }
    }
  }
}
