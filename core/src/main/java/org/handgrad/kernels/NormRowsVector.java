package org.handgrad.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the {@link NormRows} kernels; the scalar loops there are their twins. As
 * for the column kernels, JDK 17's JIT leaves those loops scalar (several arrays at different
 * invariant offsets). Maps and the column reductions of the parameter gradients use the same
 * operations in the same order as the twins (identical results); the row reductions sum in lanes
 * (equal to rounding).
 */
final class NormRowsVector {
  private NormRowsVector() {}

  private static final VectorSpecies<Double> D = Species.D;
  private static final VectorSpecies<Float> F = Species.F;
  private static final int L = D.length();
  private static final int LF = F.length();

  static void sAffine(
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
      int j = 0;
      for (; j <= d - LF; j += LF) {
        FloatVector.fromArray(F, x, xo + j)
            .sub(m)
            .mul(s)
            .mul(FloatVector.fromArray(F, gamma, gOff + j))
            .add(FloatVector.fromArray(F, beta, bOff + j))
            .intoArray(out, o + j);
      }
      for (; j < d; j++) {
        out[o + j] = (x[xo + j] - m) * s * gamma[gOff + j] + beta[bOff + j];
      }
    }
  }

  static void dAffine(
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
      int j = 0;
      for (; j <= d - L; j += L) {
        DoubleVector.fromArray(D, x, xo + j)
            .sub(m)
            .mul(s)
            .mul(DoubleVector.fromArray(D, gamma, gOff + j))
            .add(DoubleVector.fromArray(D, beta, bOff + j))
            .intoArray(out, o + j);
      }
      for (; j < d; j++) {
        out[o + j] = (x[xo + j] - m) * s * gamma[gOff + j] + beta[bOff + j];
      }
    }
  }

  static void sGradSums(
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
      DoubleVector a = DoubleVector.zero(D);
      DoubleVector b = a;
      int j = 0;
      for (; j <= d - L; j += L) {
        DoubleVector g = Widen.floats(gamma, gOff + j).mul(Widen.floats(dy, o + j));
        a = a.add(g);
        b = g.fma(Widen.floats(x, xo + j).sub(m), b);
      }
      double sa = a.reduceLanes(VectorOperators.ADD);
      double sb = b.reduceLanes(VectorOperators.ADD);
      for (; j < d; j++) {
        double g = (double) gamma[gOff + j] * dy[o + j];
        sa += g;
        sb += g * (x[xo + j] - m);
      }
      sg[r] = sa;
      sgx[r] = sb;
    }
  }

  static void dGradSums(
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
      DoubleVector a = DoubleVector.zero(D);
      DoubleVector b = a;
      int j = 0;
      for (; j <= d - L; j += L) {
        DoubleVector g =
            DoubleVector.fromArray(D, gamma, gOff + j).mul(DoubleVector.fromArray(D, dy, o + j));
        a = a.add(g);
        b = g.fma(DoubleVector.fromArray(D, x, xo + j).sub(m), b);
      }
      double sa = a.reduceLanes(VectorOperators.ADD);
      double sb = b.reduceLanes(VectorOperators.ADD);
      for (; j < d; j++) {
        double g = gamma[gOff + j] * dy[o + j];
        sa += g;
        sb += g * (x[xo + j] - m);
      }
      sg[r] = sa;
      sgx[r] = sb;
    }
  }

  /** Accumulates into dgamma, dbeta on [j0, j1); the caller zeroes them first. */
  static void sParamGrads(
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
    for (int r = 0; r < rows; r++) {
      int o = dyOff + r * d;
      int xo = xOff + r * d;
      double m = mu[r];
      double s = invStd[r];
      int j = j0;
      for (; j <= j1 - L; j += L) {
        DoubleVector g = Widen.floats(dy, o + j);
        DoubleVector xhat = Widen.floats(x, xo + j).sub(m).mul(s);
        DoubleVector.fromArray(D, dgamma, j).add(g.mul(xhat)).intoArray(dgamma, j);
        DoubleVector.fromArray(D, dbeta, j).add(g).intoArray(dbeta, j);
      }
      for (; j < j1; j++) {
        double g = dy[o + j];
        dgamma[j] += g * ((x[xo + j] - m) * s);
        dbeta[j] += g;
      }
    }
  }

  /** Accumulates into dgamma, dbeta on [j0, j1); the caller zeroes them first. */
  static void dParamGrads(
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
    for (int r = 0; r < rows; r++) {
      int o = dyOff + r * d;
      int xo = xOff + r * d;
      double m = mu[r];
      double s = invStd[r];
      int j = j0;
      for (; j <= j1 - L; j += L) {
        DoubleVector g = DoubleVector.fromArray(D, dy, o + j);
        DoubleVector xhat = DoubleVector.fromArray(D, x, xo + j).sub(m).mul(s);
        DoubleVector.fromArray(D, dgamma, j).add(g.mul(xhat)).intoArray(dgamma, j);
        DoubleVector.fromArray(D, dbeta, j).add(g).intoArray(dbeta, j);
      }
      for (; j < j1; j++) {
        double g = dy[o + j];
        dgamma[j] += g * ((x[xo + j] - m) * s);
        dbeta[j] += g;
      }
    }
  }

  static void sLinear(
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
      int j = 0;
      for (; j <= d - LF; j += LF) {
        FloatVector.fromArray(F, gamma, gOff + j)
            .mul(ar)
            .mul(FloatVector.fromArray(F, dy, go + j))
            .add(FloatVector.fromArray(F, x, xo + j).sub(m).mul(br))
            .add(cr)
            .intoArray(dx, o + j);
      }
      for (; j < d; j++) {
        dx[o + j] = ar * gamma[gOff + j] * dy[go + j] + br * (x[xo + j] - m) + cr;
      }
    }
  }

  static void dLinear(
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
      int j = 0;
      for (; j <= d - L; j += L) {
        DoubleVector.fromArray(D, gamma, gOff + j)
            .mul(ar)
            .mul(DoubleVector.fromArray(D, dy, go + j))
            .add(DoubleVector.fromArray(D, x, xo + j).sub(m).mul(br))
            .add(cr)
            .intoArray(dx, o + j);
      }
      for (; j < d; j++) {
        dx[o + j] = ar * gamma[gOff + j] * dy[go + j] + br * (x[xo + j] - m) + cr;
      }
    }
  }
}
