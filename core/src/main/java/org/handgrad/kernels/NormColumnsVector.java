package org.handgrad.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the {@link NormColumns} kernels; the scalar loops there are their twins.
 * The JIT of JDK 17 leaves those loops scalar (they address three arrays with different invariant
 * offsets: output, input and the per-column coefficients), so here the lanes run along a row's
 * columns explicitly. Each column still sees its rows in order with the same operations (no fma),
 * so the sums equal the scalar twins' bit for bit.
 */
final class NormColumnsVector {
  private NormColumnsVector() {}

  private static final VectorSpecies<Double> D = Species.D;
  private static final VectorSpecies<Float> F = Species.F;
  private static final int L = D.length();
  private static final int LF = F.length();

  static void sSums(
      double[] s1, double[] s2, float[] x, int xOff, int n, int d, double[] shift, int j0, int j1) {
    for (int i = 0; i < n; i++) {
      int o = xOff + i * d;
      int j = j0;
      for (; j <= j1 - L; j += L) {
        DoubleVector t = Widen.floats(x, o + j).sub(DoubleVector.fromArray(D, shift, j));
        DoubleVector.fromArray(D, s1, j).add(t).intoArray(s1, j);
        DoubleVector.fromArray(D, s2, j).add(t.mul(t)).intoArray(s2, j);
      }
      for (; j < j1; j++) {
        double t = x[o + j] - shift[j];
        s1[j] += t;
        s2[j] += t * t;
      }
    }
  }

  static void dSums(
      double[] s1,
      double[] s2,
      double[] x,
      int xOff,
      int n,
      int d,
      double[] shift,
      int j0,
      int j1) {
    for (int i = 0; i < n; i++) {
      int o = xOff + i * d;
      int j = j0;
      for (; j <= j1 - L; j += L) {
        DoubleVector t =
            DoubleVector.fromArray(D, x, o + j).sub(DoubleVector.fromArray(D, shift, j));
        DoubleVector.fromArray(D, s1, j).add(t).intoArray(s1, j);
        DoubleVector.fromArray(D, s2, j).add(t.mul(t)).intoArray(s2, j);
      }
      for (; j < j1; j++) {
        double t = x[o + j] - shift[j];
        s1[j] += t;
        s2[j] += t * t;
      }
    }
  }

  static void sGradSums(
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
    for (int i = 0; i < n; i++) {
      int o = dyOff + i * d;
      int xo = xOff + i * d;
      int j = j0;
      for (; j <= j1 - L; j += L) {
        DoubleVector g = Widen.floats(dy, o + j);
        DoubleVector t = Widen.floats(x, xo + j).sub(DoubleVector.fromArray(D, mu, j));
        DoubleVector.fromArray(D, sdy, j).add(g).intoArray(sdy, j);
        DoubleVector.fromArray(D, sdyx, j).add(g.mul(t)).intoArray(sdyx, j);
      }
      for (; j < j1; j++) {
        double g = dy[o + j];
        sdy[j] += g;
        sdyx[j] += g * (x[xo + j] - mu[j]);
      }
    }
  }

  static void dGradSums(
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
    for (int i = 0; i < n; i++) {
      int o = dyOff + i * d;
      int xo = xOff + i * d;
      int j = j0;
      for (; j <= j1 - L; j += L) {
        DoubleVector g = DoubleVector.fromArray(D, dy, o + j);
        DoubleVector t = DoubleVector.fromArray(D, x, xo + j).sub(DoubleVector.fromArray(D, mu, j));
        DoubleVector.fromArray(D, sdy, j).add(g).intoArray(sdy, j);
        DoubleVector.fromArray(D, sdyx, j).add(g.mul(t)).intoArray(sdyx, j);
      }
      for (; j < j1; j++) {
        double g = dy[o + j];
        sdy[j] += g;
        sdyx[j] += g * (x[xo + j] - mu[j]);
      }
    }
  }

  /** Float32 affine map with float coefficients m, s, b (see NormColumns.sAffine). */
  static void sAffine(
      float[] out,
      int outOff,
      float[] x,
      int xOff,
      int n,
      int d,
      float[] m,
      float[] s,
      float[] b,
      int j0,
      int j1) {
    for (int i = 0; i < n; i++) {
      int o = outOff + i * d;
      int xo = xOff + i * d;
      int j = j0;
      for (; j <= j1 - LF; j += LF) {
        FloatVector.fromArray(F, x, xo + j)
            .sub(FloatVector.fromArray(F, m, j))
            .mul(FloatVector.fromArray(F, s, j))
            .add(FloatVector.fromArray(F, b, j))
            .intoArray(out, o + j);
      }
      for (; j < j1; j++) {
        out[o + j] = (x[xo + j] - m[j]) * s[j] + b[j];
      }
    }
  }

  static void dAffine(
      double[] out,
      int outOff,
      double[] x,
      int xOff,
      int n,
      int d,
      double[] m,
      double[] s,
      double[] b,
      int j0,
      int j1) {
    for (int i = 0; i < n; i++) {
      int o = outOff + i * d;
      int xo = xOff + i * d;
      int j = j0;
      for (; j <= j1 - L; j += L) {
        DoubleVector.fromArray(D, x, xo + j)
            .sub(DoubleVector.fromArray(D, m, j))
            .mul(DoubleVector.fromArray(D, s, j))
            .add(DoubleVector.fromArray(D, b, j))
            .intoArray(out, o + j);
      }
      for (; j < j1; j++) {
        out[o + j] = (x[xo + j] - m[j]) * s[j] + b[j];
      }
    }
  }

  /** Float32 linear map with float coefficients (see NormColumns.sLinear). */
  static void sLinear(
      float[] dx,
      int dxOff,
      float[] dy,
      int dyOff,
      float[] x,
      int xOff,
      int n,
      int d,
      float[] a,
      float[] m,
      float[] b,
      float[] c,
      int j0,
      int j1) {
    for (int i = 0; i < n; i++) {
      int o = dxOff + i * d;
      int go = dyOff + i * d;
      int xo = xOff + i * d;
      int j = j0;
      for (; j <= j1 - LF; j += LF) {
        FloatVector t = FloatVector.fromArray(F, x, xo + j).sub(FloatVector.fromArray(F, m, j));
        FloatVector.fromArray(F, a, j)
            .mul(FloatVector.fromArray(F, dy, go + j))
            .add(FloatVector.fromArray(F, b, j).mul(t))
            .add(FloatVector.fromArray(F, c, j))
            .intoArray(dx, o + j);
      }
      for (; j < j1; j++) {
        dx[o + j] = a[j] * dy[go + j] + b[j] * (x[xo + j] - m[j]) + c[j];
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
      int n,
      int d,
      double[] a,
      double[] m,
      double[] b,
      double[] c,
      int j0,
      int j1) {
    for (int i = 0; i < n; i++) {
      int o = dxOff + i * d;
      int go = dyOff + i * d;
      int xo = xOff + i * d;
      int j = j0;
      for (; j <= j1 - L; j += L) {
        DoubleVector t = DoubleVector.fromArray(D, x, xo + j).sub(DoubleVector.fromArray(D, m, j));
        DoubleVector.fromArray(D, a, j)
            .mul(DoubleVector.fromArray(D, dy, go + j))
            .add(DoubleVector.fromArray(D, b, j).mul(t))
            .add(DoubleVector.fromArray(D, c, j))
            .intoArray(dx, o + j);
      }
      for (; j < j1; j++) {
        dx[o + j] = a[j] * dy[go + j] + b[j] * (x[xo + j] - m[j]) + c[j];
      }
    }
  }
}
