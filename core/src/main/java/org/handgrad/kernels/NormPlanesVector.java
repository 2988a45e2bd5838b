package org.handgrad.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the {@link NormPlanes} reductions; the scalar loops there are their twins
 * (reference and fallback). Only reductions are here: the JIT does not vectorize floating-point
 * reductions (it may not reassociate adds), while it does vectorize the elementwise maps.
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
}
