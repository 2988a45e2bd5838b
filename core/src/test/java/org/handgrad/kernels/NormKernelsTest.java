package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The normalization kernels against straightforward loops, on awkward sizes (the unrolled
 * reductions have tails) and on partial ranges (a kernel must touch only its range, which is what
 * lets a parallel-for split it). Float32 twins are checked against the float64 ones.
 */
class NormKernelsTest {
  private static final int[] SIZES = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31};
  private static final double NAN = Double.NaN;

  private static double[] rand(SplittableRandom rng, int n, double shift) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = rng.nextGaussian() + shift;
    }
    return a;
  }

  private static float[] f32(double[] a) {
    float[] f = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      f[i] = (float) a[i];
    }
    return f;
  }

  private static double[] widen(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  private static double[] nans(int n) {
    double[] a = new double[n];
    Arrays.fill(a, NAN);
    return a;
  }

  /** Inside [lo, hi): close to expected; outside: untouched (still NaN). */
  private static void assertRange(double[] expected, double[] actual, int lo, int hi, double tol) {
    for (int i = 0; i < actual.length; i++) {
      if (i >= lo && i < hi) {
        assertEquals(expected[i], actual[i], tol * (1 + Math.abs(expected[i])), "index " + i);
      } else {
        assertEquals(NAN, actual[i], "index " + i + " outside [" + lo + ", " + hi + ")");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void planeKernelsMatchSimpleLoops(boolean scalar) {
    Kernels.forceScalar(scalar);
    try {
      assertEquals(!scalar, NormPlanes.vectorized(), "the Kernels switch drives NormPlanes");
      checkPlaneKernels();
    } finally {
      Kernels.forceScalar(false);
    }
  }

  @Test
  void vectorReductionsMatchTheirScalarTwins() {
    assertTrue(NormPlanes.vectorized(), "tests run with jdk.incubator.vector");
    SplittableRandom rng = new SplittableRandom(4);
    int planes = 3;
    for (int hw : SIZES) {
      for (int off : new int[] {0, 1, 5}) {
        double[] x = rand(rng, off + planes * hw, 1e3);
        double[] dy = rand(rng, off + planes * hw, 0.5);
        double[] shift = rand(rng, planes, 1e3);
        double[] mu = rand(rng, planes, 1e3);
        double[][] v = new double[4][planes];
        double[][] s = new double[4][planes];
        NormPlanes.dSums(v[0], v[1], x, off, hw, shift, 0, planes);
        NormPlanes.dSumsScalar(s[0], s[1], x, off, hw, shift, 0, planes);
        NormPlanes.dGradSums(v[2], v[3], dy, off, x, off, hw, mu, 0, planes);
        NormPlanes.dGradSumsScalar(s[2], s[3], dy, off, x, off, hw, mu, 0, planes);
        assertClose(s, v, "float64 hw=" + hw + " off=" + off);
        float[] xs = f32(x);
        float[] dys = f32(dy);
        NormPlanes.sSums(v[0], v[1], xs, off, hw, shift, 0, planes);
        NormPlanes.sSumsScalar(s[0], s[1], xs, off, hw, shift, 0, planes);
        NormPlanes.sGradSums(v[2], v[3], dys, off, xs, off, hw, mu, 0, planes);
        NormPlanes.sGradSumsScalar(s[2], s[3], dys, off, xs, off, hw, mu, 0, planes);
        assertClose(s, v, "float32 hw=" + hw + " off=" + off);
      }
    }
  }

  @Test
  void vectorPlaneMapsEqualTheirScalarTwins() {
    assertTrue(NormPlanes.vectorized(), "tests run with jdk.incubator.vector");
    SplittableRandom rng = new SplittableRandom(6);
    int planes = 3;
    for (int hw : new int[] {1, 7, 15, 16, 17, 33, 49, 196}) {
      for (int off : new int[] {0, 3}) {
        float[] x = f32(rand(rng, off + planes * hw, 5.0));
        float[] dy = f32(rand(rng, off + planes * hw, 0));
        double[][] coef = new double[4][];
        for (int k = 0; k < 4; k++) {
          coef[k] = rand(rng, planes, 1.0);
        }
        float[] v = new float[off + planes * hw];
        float[] s = new float[off + planes * hw];
        String what = "hw=" + hw + " off=" + off;
        NormPlanes.sAffine(v, off, x, off, hw, coef[0], coef[1], coef[2], 1, planes);
        NormPlanes.sAffineScalar(s, off, x, off, hw, coef[0], coef[1], coef[2], 1, planes);
        assertArrayEquals(s, v, "sAffine " + what);
        NormPlanes.sLinear(v, off, dy, off, x, off, hw, coef[0], coef[1], coef[2], coef[3], 0, 2);
        NormPlanes.sLinearScalar(
            s, off, dy, off, x, off, hw, coef[0], coef[1], coef[2], coef[3], 0, 2);
        assertArrayEquals(s, v, "sLinear " + what);
      }
    }
  }

  /** Same sums in another order (lanes, fma): equal to ~1e-14 of the summed magnitudes. */
  private static void assertClose(double[][] scalar, double[][] vector, String what) {
    for (int k = 0; k < scalar.length; k++) {
      for (int p = 0; p < scalar[k].length; p++) {
        assertEquals(scalar[k][p], vector[k][p], 1e-12 * (1 + Math.abs(scalar[k][p])), what);
      }
    }
  }

  private static void checkPlaneKernels() {
    SplittableRandom rng = new SplittableRandom(1);
    int planes = 5;
    int p0 = 1;
    int p1 = 4;
    for (int hw : SIZES) {
      int off = 3; // storage offset
      double[] x = rand(rng, off + planes * hw, 2.0);
      double[] dy = rand(rng, off + planes * hw, 0.0);
      double[] shift = rand(rng, planes, 2.0);
      double[] mu = rand(rng, planes, 2.0);
      double[] a = rand(rng, planes, 0);
      double[] b = rand(rng, planes, 0);
      double[] c = rand(rng, planes, 0);
      double[] e1 = new double[planes];
      double[] e2 = new double[planes];
      double[] eg = new double[planes];
      double[] egx = new double[planes];
      double[] eAffine = nans(planes * hw);
      double[] eLinear = nans(planes * hw);
      for (int p = p0; p < p1; p++) {
        for (int i = 0; i < hw; i++) {
          double v = x[off + p * hw + i];
          double g = dy[off + p * hw + i];
          e1[p] += v - shift[p];
          e2[p] += (v - shift[p]) * (v - shift[p]);
          eg[p] += g;
          egx[p] += g * (v - mu[p]);
          eAffine[p * hw + i] = (v - mu[p]) * a[p] + b[p];
          eLinear[p * hw + i] = a[p] * g + b[p] * (v - mu[p]) + c[p];
        }
      }
      double[] s1 = nans(planes);
      double[] s2 = nans(planes);
      NormPlanes.dSums(s1, s2, x, off, hw, shift, p0, p1);
      assertRange(e1, s1, p0, p1, 1e-13);
      assertRange(e2, s2, p0, p1, 1e-13);
      double[] out = nans(planes * hw);
      NormPlanes.dAffine(out, 0, x, off, hw, mu, a, b, p0, p1);
      assertRange(eAffine, out, p0 * hw, p1 * hw, 1e-15);
      double[] sdy = nans(planes);
      double[] sdyx = nans(planes);
      NormPlanes.dGradSums(sdy, sdyx, dy, off, x, off, hw, mu, p0, p1);
      assertRange(eg, sdy, p0, p1, 1e-13);
      assertRange(egx, sdyx, p0, p1, 1e-13);
      double[] dx = nans(planes * hw);
      NormPlanes.dLinear(dx, 0, dy, off, x, off, hw, a, mu, b, c, p0, p1);
      assertRange(eLinear, dx, p0 * hw, p1 * hw, 1e-15);

      // Float32 twins on the rounded data: sums accumulate in double, so only the inputs' and
      // outputs' float32 rounding shows.
      float[] xs = f32(x);
      float[] dys = f32(dy);
      double[] xr = widen(xs);
      double[] dyr = widen(dys);
      NormPlanes.dSums(e1, e2, xr, off, hw, shift, p0, p1);
      NormPlanes.sSums(s1, s2, xs, off, hw, shift, p0, p1);
      assertRange(e1, s1, p0, p1, 1e-13);
      assertRange(e2, s2, p0, p1, 1e-13);
      NormPlanes.dGradSums(eg, egx, dyr, off, xr, off, hw, mu, p0, p1);
      NormPlanes.sGradSums(sdy, sdyx, dys, off, xs, off, hw, mu, p0, p1);
      assertRange(eg, sdy, p0, p1, 1e-13);
      assertRange(egx, sdyx, p0, p1, 1e-13);
      float[] outs = new float[planes * hw];
      Arrays.fill(outs, Float.NaN);
      NormPlanes.sAffine(outs, 0, xs, off, hw, mu, a, b, p0, p1);
      assertRange(eAffine, widen(outs), p0 * hw, p1 * hw, 1e-5);
      Arrays.fill(outs, Float.NaN);
      NormPlanes.sLinear(outs, 0, dys, off, xs, off, hw, a, mu, b, c, p0, p1);
      assertRange(eLinear, widen(outs), p0 * hw, p1 * hw, 1e-5);
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void columnKernelsMatchSimpleLoops(boolean scalar) {
    Kernels.forceScalar(scalar);
    try {
      checkColumnKernels();
    } finally {
      Kernels.forceScalar(false);
    }
  }

  /** Same operations in the same order per column: vector and scalar agree exactly. */
  @Test
  void vectorColumnKernelsEqualTheirScalarTwins() {
    SplittableRandom rng = new SplittableRandom(5);
    int n = 3;
    for (int d : SIZES) {
      int j0 = d > 2 ? 1 : 0;
      double[] x = rand(rng, 2 + n * d, 5.0);
      double[] dy = rand(rng, 2 + n * d, 0);
      double[][] coef = new double[4][];
      for (int k = 0; k < 4; k++) {
        coef[k] = rand(rng, d, 1.0);
      }
      float[] xs = f32(x);
      float[] dys = f32(dy);
      double[][] v = new double[2][d];
      double[][] s = new double[2][d];
      NormColumns.dSums(v[0], v[1], x, 2, n, d, coef[0], j0, d);
      NormColumns.dSumsScalar(s[0], s[1], x, 2, n, d, coef[0], j0, d);
      assertEqualArrays(s, v, "dSums d=" + d);
      NormColumns.sSums(v[0], v[1], xs, 2, n, d, coef[0], j0, d);
      NormColumns.sSumsScalar(s[0], s[1], xs, 2, n, d, coef[0], j0, d);
      assertEqualArrays(s, v, "sSums d=" + d);
      NormColumns.dGradSums(v[0], v[1], dy, 2, x, 2, n, d, coef[0], j0, d);
      NormColumns.dGradSumsScalar(s[0], s[1], dy, 2, x, 2, n, d, coef[0], j0, d);
      assertEqualArrays(s, v, "dGradSums d=" + d);
      NormColumns.sGradSums(v[0], v[1], dys, 2, xs, 2, n, d, coef[0], j0, d);
      NormColumns.sGradSumsScalar(s[0], s[1], dys, 2, xs, 2, n, d, coef[0], j0, d);
      assertEqualArrays(s, v, "sGradSums d=" + d);
      double[][] dv = new double[2][n * d];
      double[][] ds = new double[2][n * d];
      NormColumns.dAffine(dv[0], 0, x, 2, n, d, coef[0], coef[1], coef[2], j0, d);
      NormColumns.dAffineScalar(ds[0], 0, x, 2, n, d, coef[0], coef[1], coef[2], j0, d);
      NormColumns.dLinear(dv[1], 0, dy, 2, x, 2, n, d, coef[0], coef[1], coef[2], coef[3], j0, d);
      NormColumns.dLinearScalar(
          ds[1], 0, dy, 2, x, 2, n, d, coef[0], coef[1], coef[2], coef[3], j0, d);
      assertEqualArrays(ds, dv, "dAffine/dLinear d=" + d);
      float[] fv = new float[n * d];
      float[] fs = new float[n * d];
      NormColumns.sAffine(fv, 0, xs, 2, n, d, coef[0], coef[1], coef[2], j0, d);
      NormColumns.sAffineScalar(fs, 0, xs, 2, n, d, coef[0], coef[1], coef[2], j0, d);
      assertEqualArrays(new double[][] {widen(fs)}, new double[][] {widen(fv)}, "sAffine");
      NormColumns.sLinear(fv, 0, dys, 2, xs, 2, n, d, coef[0], coef[1], coef[2], coef[3], j0, d);
      NormColumns.sLinearScalar(
          fs, 0, dys, 2, xs, 2, n, d, coef[0], coef[1], coef[2], coef[3], j0, d);
      assertEqualArrays(new double[][] {widen(fs)}, new double[][] {widen(fv)}, "sLinear");
    }
  }

  private static void assertEqualArrays(double[][] expected, double[][] actual, String what) {
    for (int k = 0; k < expected.length; k++) {
      assertArrayEquals(expected[k], actual[k], 0.0, what);
    }
  }

  private static void checkColumnKernels() {
    SplittableRandom rng = new SplittableRandom(2);
    int n = 6;
    int j0 = 1;
    for (int d : SIZES) {
      int j1 = Math.max(j0, d - 1);
      double[] x = rand(rng, n * d, 3.0);
      double[] dy = rand(rng, n * d, 0);
      double[] shift = rand(rng, d, 3.0);
      double[] mu = rand(rng, d, 3.0);
      double[] a = rand(rng, d, 0);
      double[] b = rand(rng, d, 0);
      double[] c = rand(rng, d, 0);
      double[] e1 = new double[d];
      double[] e2 = new double[d];
      double[] eg = new double[d];
      double[] egx = new double[d];
      double[] eAffine = nans(n * d);
      double[] eLinear = nans(n * d);
      for (int i = 0; i < n; i++) {
        for (int j = j0; j < j1; j++) {
          double v = x[i * d + j];
          double g = dy[i * d + j];
          e1[j] += v - shift[j];
          e2[j] += (v - shift[j]) * (v - shift[j]);
          eg[j] += g;
          egx[j] += g * (v - mu[j]);
          eAffine[i * d + j] = (v - mu[j]) * a[j] + b[j];
          eLinear[i * d + j] = a[j] * g + b[j] * (v - mu[j]) + c[j];
        }
      }
      double[] s1 = nans(d);
      double[] s2 = nans(d);
      NormColumns.dSums(s1, s2, x, 0, n, d, shift, j0, j1);
      assertRange(e1, s1, j0, j1, 1e-13);
      assertRange(e2, s2, j0, j1, 1e-13);
      double[] sdy = nans(d);
      double[] sdyx = nans(d);
      NormColumns.dGradSums(sdy, sdyx, dy, 0, x, 0, n, d, mu, j0, j1);
      assertRange(eg, sdy, j0, j1, 1e-13);
      assertRange(egx, sdyx, j0, j1, 1e-13);
      double[] out = nans(n * d);
      NormColumns.dAffine(out, 0, x, 0, n, d, mu, a, b, j0, j1);
      double[] dx = nans(n * d);
      NormColumns.dLinear(dx, 0, dy, 0, x, 0, n, d, a, mu, b, c, j0, j1);
      float[] outs = new float[n * d];
      Arrays.fill(outs, Float.NaN);
      NormColumns.sAffine(outs, 0, f32(x), 0, n, d, mu, a, b, j0, j1);
      float[] dxs = new float[n * d];
      Arrays.fill(dxs, Float.NaN);
      NormColumns.sLinear(dxs, 0, f32(dy), 0, f32(x), 0, n, d, a, mu, b, c, j0, j1);
      for (int i = 0; i < n; i++) {
        int lo = i * d + j0;
        int hi = i * d + j1;
        assertRange(
            Arrays.copyOfRange(eAffine, i * d, (i + 1) * d),
            Arrays.copyOfRange(out, i * d, (i + 1) * d),
            j0,
            j1,
            1e-15);
        assertRange(
            Arrays.copyOfRange(eLinear, i * d, (i + 1) * d),
            Arrays.copyOfRange(dx, i * d, (i + 1) * d),
            j0,
            j1,
            1e-15);
        assertRange(
            Arrays.copyOfRange(eAffine, i * d, (i + 1) * d),
            widen(Arrays.copyOfRange(outs, i * d, (i + 1) * d)),
            j0,
            j1,
            1e-5);
        assertRange(
            Arrays.copyOfRange(eLinear, i * d, (i + 1) * d),
            widen(Arrays.copyOfRange(dxs, i * d, (i + 1) * d)),
            j0,
            j1,
            1e-5);
        assertEquals(hi - lo, j1 - j0);
      }
      // Float32 sums accumulate in double: equal to the float64 kernel on the rounded data.
      double[] xr = widen(f32(x));
      double[] dyr = widen(f32(dy));
      NormColumns.dSums(e1, e2, xr, 0, n, d, shift, j0, j1);
      NormColumns.sSums(s1, s2, f32(x), 0, n, d, shift, j0, j1);
      assertRange(e1, s1, j0, j1, 0);
      assertRange(e2, s2, j0, j1, 0);
      NormColumns.dGradSums(eg, egx, dyr, 0, xr, 0, n, d, mu, j0, j1);
      NormColumns.sGradSums(sdy, sdyx, f32(dy), 0, f32(x), 0, n, d, mu, j0, j1);
      assertRange(eg, sdy, j0, j1, 0);
      assertRange(egx, sdyx, j0, j1, 0);
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void rowKernelsMatchSimpleLoops(boolean scalar) {
    Kernels.forceScalar(scalar);
    try {
      checkRowKernels();
    } finally {
      Kernels.forceScalar(false);
    }
  }

  /** Maps and column sums: identical to the scalar twins; row sums: equal to rounding. */
  @Test
  void vectorRowKernelsMatchTheirScalarTwins() {
    SplittableRandom rng = new SplittableRandom(6);
    int rows = 3;
    for (int d : SIZES) {
      double[] x = rand(rng, 1 + rows * d, 4.0);
      double[] dy = rand(rng, 1 + rows * d, 0);
      double[] gamma = rand(rng, 2 + d, 1.0);
      double[] beta = rand(rng, 2 + d, 0);
      double[][] row = new double[4][];
      for (int k = 0; k < 4; k++) {
        row[k] = rand(rng, rows, 4.0);
      }
      float[] xs = f32(x);
      float[] dys = f32(dy);
      float[] gs = f32(gamma);
      float[] bs = f32(beta);
      double[][] v = new double[2][rows];
      double[][] s = new double[2][rows];
      NormRows.dGradSums(v[0], v[1], dy, 1, x, 1, d, row[0], gamma, 2, 0, rows);
      NormRows.dGradSumsScalar(s[0], s[1], dy, 1, x, 1, d, row[0], gamma, 2, 0, rows);
      assertClose(s, v, "dGradSums d=" + d);
      NormRows.sGradSums(v[0], v[1], dys, 1, xs, 1, d, row[0], gs, 2, 0, rows);
      NormRows.sGradSumsScalar(s[0], s[1], dys, 1, xs, 1, d, row[0], gs, 2, 0, rows);
      assertClose(s, v, "sGradSums d=" + d);
      double[][] pv = new double[2][d];
      double[][] ps = new double[2][d];
      NormRows.dParamGrads(pv[0], pv[1], dy, 1, x, 1, rows, d, row[0], row[1], 0, d);
      NormRows.dParamGradsScalar(ps[0], ps[1], dy, 1, x, 1, rows, d, row[0], row[1], 0, d);
      assertEqualArrays(ps, pv, "dParamGrads d=" + d);
      NormRows.sParamGrads(pv[0], pv[1], dys, 1, xs, 1, rows, d, row[0], row[1], 0, d);
      NormRows.sParamGradsScalar(ps[0], ps[1], dys, 1, xs, 1, rows, d, row[0], row[1], 0, d);
      assertEqualArrays(ps, pv, "sParamGrads d=" + d);
      double[][] dv = new double[2][rows * d];
      double[][] ds = new double[2][rows * d];
      NormRows.dAffine(dv[0], 0, x, 1, d, row[0], row[1], gamma, 2, beta, 2, 0, rows);
      NormRows.dAffineScalar(ds[0], 0, x, 1, d, row[0], row[1], gamma, 2, beta, 2, 0, rows);
      NormRows.dLinear(dv[1], 0, dy, 1, x, 1, d, gamma, 2, row[1], row[0], row[2], row[3], 0, rows);
      NormRows.dLinearScalar(
          ds[1], 0, dy, 1, x, 1, d, gamma, 2, row[1], row[0], row[2], row[3], 0, rows);
      assertEqualArrays(ds, dv, "dAffine/dLinear d=" + d);
      float[] fv = new float[rows * d];
      float[] fs = new float[rows * d];
      NormRows.sAffine(fv, 0, xs, 1, d, row[0], row[1], gs, 2, bs, 2, 0, rows);
      NormRows.sAffineScalar(fs, 0, xs, 1, d, row[0], row[1], gs, 2, bs, 2, 0, rows);
      assertEqualArrays(new double[][] {widen(fs)}, new double[][] {widen(fv)}, "sAffine");
      NormRows.sLinear(fv, 0, dys, 1, xs, 1, d, gs, 2, row[1], row[0], row[2], row[3], 0, rows);
      NormRows.sLinearScalar(
          fs, 0, dys, 1, xs, 1, d, gs, 2, row[1], row[0], row[2], row[3], 0, rows);
      assertEqualArrays(new double[][] {widen(fs)}, new double[][] {widen(fv)}, "sLinear");
    }
  }

  private static void checkRowKernels() {
    SplittableRandom rng = new SplittableRandom(3);
    int rows = 5;
    int r0 = 1;
    int r1 = 4;
    for (int d : SIZES) {
      double[] x = rand(rng, rows * d, -1.0);
      double[] dy = rand(rng, rows * d, 0);
      int gOff = 2;
      double[] gamma = rand(rng, gOff + d, 1.0);
      double[] beta = rand(rng, gOff + d, 0);
      double[] mu = rand(rng, rows, -1.0);
      double[] is = rand(rng, rows, 2.0);
      double[] a = rand(rng, rows, 0);
      double[] b = rand(rng, rows, 0);
      double[] c = rand(rng, rows, 0);
      double[] eg = new double[rows];
      double[] egx = new double[rows];
      double[] eDgamma = new double[d];
      double[] eDbeta = new double[d];
      double[] eAffine = nans(rows * d);
      double[] eLinear = nans(rows * d);
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < d; j++) {
          double v = x[r * d + j];
          double g = dy[r * d + j];
          double gm = gamma[gOff + j];
          eDgamma[j] += g * (v - mu[r]) * is[r];
          eDbeta[j] += g;
          if (r >= r0 && r < r1) {
            eg[r] += gm * g;
            egx[r] += gm * g * (v - mu[r]);
            eAffine[r * d + j] = (v - mu[r]) * is[r] * gm + beta[gOff + j];
            eLinear[r * d + j] = a[r] * gm * g + b[r] * (v - mu[r]) + c[r];
          }
        }
      }
      double[] sg = nans(rows);
      double[] sgx = nans(rows);
      NormRows.dGradSums(sg, sgx, dy, 0, x, 0, d, mu, gamma, gOff, r0, r1);
      assertRange(eg, sg, r0, r1, 1e-13);
      assertRange(egx, sgx, r0, r1, 1e-13);
      double[] out = nans(rows * d);
      NormRows.dAffine(out, 0, x, 0, d, mu, is, gamma, gOff, beta, gOff, r0, r1);
      assertRange(eAffine, out, r0 * d, r1 * d, 1e-14);
      double[] dx = nans(rows * d);
      NormRows.dLinear(dx, 0, dy, 0, x, 0, d, gamma, gOff, a, mu, b, c, r0, r1);
      assertRange(eLinear, dx, r0 * d, r1 * d, 1e-14);
      int j1 = Math.max(1, d - 1);
      double[] dgamma = nans(d);
      double[] dbeta = nans(d);
      NormRows.dParamGrads(dgamma, dbeta, dy, 0, x, 0, rows, d, mu, is, 0, j1);
      assertRange(eDgamma, dgamma, 0, j1, 1e-13);
      assertRange(eDbeta, dbeta, 0, j1, 1e-13);

      // Float32 twins.
      float[] xs = f32(x);
      float[] dys = f32(dy);
      float[] gs = f32(gamma);
      float[] bs = f32(beta);
      // Sums accumulate in double: exactly the float64 kernel on the rounded data.
      NormRows.dGradSums(eg, egx, widen(dys), 0, widen(xs), 0, d, mu, widen(gs), gOff, r0, r1);
      NormRows.sGradSums(sg, sgx, dys, 0, xs, 0, d, mu, gs, gOff, r0, r1);
      assertRange(eg, sg, r0, r1, 0);
      assertRange(egx, sgx, r0, r1, 0);
      float[] outs = new float[rows * d];
      Arrays.fill(outs, Float.NaN);
      NormRows.sAffine(outs, 0, xs, 0, d, mu, is, gs, gOff, bs, gOff, r0, r1);
      assertRange(eAffine, widen(outs), r0 * d, r1 * d, 1e-5);
      Arrays.fill(outs, Float.NaN);
      NormRows.sLinear(outs, 0, dys, 0, xs, 0, d, gs, gOff, a, mu, b, c, r0, r1);
      assertRange(eLinear, widen(outs), r0 * d, r1 * d, 1e-5);
      NormRows.dParamGrads(eDgamma, eDbeta, widen(dys), 0, widen(xs), 0, rows, d, mu, is, 0, j1);
      NormRows.sParamGrads(dgamma, dbeta, dys, 0, xs, 0, rows, d, mu, is, 0, j1);
      assertRange(eDgamma, dgamma, 0, j1, 0);
      assertRange(eDbeta, dbeta, 0, j1, 0);
    }
  }
}
