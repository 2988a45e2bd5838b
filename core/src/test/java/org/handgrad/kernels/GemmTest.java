package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.handgrad.kernels.GemmRunner.Path;
import org.handgrad.kernels.GemmRunner.Precision;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Vector GEMM against its scalar twin and an independent double-precision oracle.
 *
 * <p>Two kinds of check. With small-integer operands every product and partial sum is exactly
 * representable, so all paths must agree bit for bit with the oracle: any indexing, packing,
 * transpose, offset or edge-tile slip shows as a wrong integer, with no tolerance to hide behind.
 * With Gaussian operands the error of each path is held to the worst-case rounding bound of a
 * length-k dot product, gamma(k+2) times |alpha| sum|a b| + |beta c| (see {@link GemmCase#gamma}).
 */
class GemmTest {
  /**
   * Sizes around the vector lanes (8 float and 4 double at 256 bits, 16 and 8 at 512), the tiles (5
   * x 16 and 5 x 8 at 256 bits, 8 x 32 and 8 x 16 at 512) and multiples of 6 (a 6-row tile), and
   * primes.
   */
  static final int[] AWKWARD = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 23, 31, 32, 33, 61, 127, 257
  };

  private final int savedThreads = Parallel.threads();

  @AfterEach
  void restore() {
    Parallel.setThreads(savedThreads);
    Kernels.forceScalar(false);
  }

  /** Every awkward size on one dimension at a time, the others at awkward-but-small values. */
  static Stream<GemmCase> awkwardCases() {
    List<GemmCase> cases = new ArrayList<>();
    List<Integer> mSizes = new ArrayList<>(box(AWKWARD));
    // around MC of this run's blocks (CpuProfile: 140 float and 40 double at 256 bits)
    mSizes.addAll(
        List.of(SgemmVector.MC - 1, SgemmVector.MC + 1, DgemmVector.MC - 1, DgemmVector.MC + 1));
    List<Integer> nSizes = new ArrayList<>(box(AWKWARD));
    nSizes.addAll(List.of(SgemmVector.NC + 1, DgemmVector.NC + 1)); // past NC
    List<Integer> kSizes = new ArrayList<>(box(AWKWARD));
    // around KC (256 float and 512 double at 256 bits), uneven K blocks, several K blocks
    kSizes.addAll(List.of(255, 256, 300, 511, 512, 513, 1031));
    kSizes.addAll(
        List.of(SgemmVector.KC - 1, SgemmVector.KC + 1, DgemmVector.KC - 1, DgemmVector.KC + 1));
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        for (int m : mSizes) {
          cases.add(new GemmCase(m, 13, 11, ta, tb, 3));
        }
        for (int n : nSizes) {
          cases.add(new GemmCase(7, n, 11, ta, tb, 3));
        }
        for (int k : kSizes) {
          cases.add(new GemmCase(13, 17, k, ta, tb, 3));
        }
        cases.add(new GemmCase(61, 127, 257, ta, tb, 0));
        cases.add(new GemmCase(127, 61, 13, ta, tb, 5));
      }
    }
    // Few rows with B stored (k, n): the 8-row kernel reads whole B slivers in place and packs
    // only a ragged last one (SgemmVector.DIRECT_B_ROWS); one and two K blocks, padded rows.
    for (int m : new int[] {1, 8, 25, SgemmVector.DIRECT_B_ROWS, SgemmVector.DIRECT_B_ROWS + 1}) {
      for (int n : new int[] {32, 95, 256}) { // 256: rows 1 KiB apart, packed after all
        for (int k : new int[] {27, SgemmVector.KC + 1}) {
          cases.add(new GemmCase(m, n, k, false, false, 2));
          cases.add(new GemmCase(m, n, k, true, false, 0));
        }
      }
    }
    // B stored (n, k) on the packed path (C too large for the dot kernel): packB transposes it in
    // pieces of TRANS_PB along k; depths below, at and around multiples of the piece, ragged n.
    int pb = SgemmVector.TRANS_PB;
    for (int k : new int[] {pb - 1, pb, pb + 1, 2 * pb + 7, SgemmVector.KC + 3}) {
      cases.add(new GemmCase(40, 70, k, false, true, 1));
      cases.add(new GemmCase(9, 33, k, true, true, 0));
    }
    // The dot-product kernel (NT, small C, deep k): m and n around its 3 x 3 register block, k
    // around the lanes and its k blocks (1024 float, 512 double), padded leading dimensions.
    int[] sides = {1, 2, 3, 4, 5, 7, 13, 32};
    int[] depths = {1, 3, 4, 5, 7, 8, 9, 17, 511, 513, 1023, 1025, 2053};
    for (int m : sides) {
      for (int n : sides) {
        cases.add(new GemmCase(m, n, m * n <= 17 ? 17 : 2053, false, true, (m + n) % 3));
      }
    }
    for (int k : depths) {
      cases.add(new GemmCase(4, 5, k, false, true, 1));
      cases.add(new GemmCase(7, 3, k, false, true, 0));
    }
    return cases.stream();
  }

  @Test
  void dotKernelTakesThinNtProductsOnly() {
    assertTrue(GemmBlocking.useDot(32, 147, 65536, false, true)); // conv dW shapes
    assertTrue(GemmBlocking.useDot(32, 49, 50176, false, true));
    assertTrue(GemmBlocking.useDot(25, 27, 25600, false, true));
    assertTrue(GemmBlocking.useDot(1, 1, 1, false, true));
    assertFalse(GemmBlocking.useDot(32, 147, 65536, true, true)); // rows not contiguous
    assertFalse(GemmBlocking.useDot(32, 147, 65536, false, false));
    assertFalse(GemmBlocking.useDot(32, 147, 4703, false, true)); // C larger than k
    assertFalse(GemmBlocking.useDot(64, 64, 8192, false, true)); // both sides past 32
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("awkwardCases")
  void integerOperandsGiveExactResultsOnEveryPath(GemmCase g) {
    assumeTrue(Kernels.vectorAvailable(), "Vector API unavailable");
    Parallel.setThreads(3);
    SplittableRandom rnd = new SplittableRandom(g.hashCode());
    double[] a = GemmCase.values(g.aLen(), true, rnd);
    double[] b = GemmCase.values(g.bLen(), true, rnd);
    double[] c = GemmCase.values(g.cLen(), true, rnd);
    double[][] alphaBeta = {{1, 0}, {2, -1}, {-1, 1}};
    for (double[] ab : alphaBeta) {
      double[] want = g.reference(a, b, c, ab[0], ab[1])[0];
      for (Precision prec : Precision.values()) {
        for (Path path : Path.values()) {
          if (!path.applies(g)) {
            continue;
          }
          double[] got = GemmRunner.run(g, prec, path, a, b, c, ab[0], ab[1]);
          for (int i = 0; i < g.m(); i++) {
            for (int j = 0; j < g.n(); j++) {
              double w = want[i * g.n() + j];
              double x = got[g.cIndex(i, j)];
              if (w != x) {
                throw new AssertionError(
                    String.format(
                        "%s %s %s alpha=%s beta=%s: C(%d,%d) = %s, want %s",
                        g, prec, path, ab[0], ab[1], i, j, x, w));
              }
            }
          }
        }
      }
    }
  }

  static Stream<GemmCase> gaussianCases() {
    List<GemmCase> cases = new ArrayList<>();
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        cases.add(new GemmCase(61, 127, 257, ta, tb, 2));
        cases.add(new GemmCase(150, 40, 700, ta, tb, 0));
        cases.add(new GemmCase(9, 300, 2000, ta, tb, 1));
        cases.add(new GemmCase(25, 27, 3001, ta, tb, 1)); // a conv weight gradient
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("gaussianCases")
  void gaussianOperandsStayWithinTheRoundingBound(GemmCase g) {
    assumeTrue(Kernels.vectorAvailable(), "Vector API unavailable");
    Parallel.setThreads(2);
    SplittableRandom rnd = new SplittableRandom(g.hashCode());
    // Round to float once, so both precisions and the oracle see the same values.
    double[] a = widen(GemmCase.toFloat(GemmCase.values(g.aLen(), false, rnd)));
    double[] b = widen(GemmCase.toFloat(GemmCase.values(g.bLen(), false, rnd)));
    double[] c = widen(GemmCase.toFloat(GemmCase.values(g.cLen(), false, rnd)));
    double alpha = 0.75;
    double beta = -1.5;
    double[][] ref = g.reference(a, b, c, alpha, beta);
    for (Precision prec : Precision.values()) {
      // The oracle accumulates in double: its own error, gamma(k+2) in double, adds to the bound.
      double bound =
          (prec == Precision.F32 ? GemmCase.gamma(g.k(), GemmCase.U32) : 0)
              + 2 * GemmCase.gamma(g.k(), GemmCase.U64);
      for (Path path : Path.values()) {
        if (!path.applies(g)) {
          continue;
        }
        double[] got = GemmRunner.run(g, prec, path, a, b, c, alpha, beta);
        for (int i = 0; i < g.m(); i++) {
          for (int j = 0; j < g.n(); j++) {
            double err = Math.abs(got[g.cIndex(i, j)] - ref[0][i * g.n() + j]);
            double allowed = bound * ref[1][i * g.n() + j];
            assertTrue(
                err <= allowed,
                () ->
                    String.format(
                        "%s %s %s: error %.3g > bound %.3g", g, prec, path, err, allowed));
          }
        }
      }
    }
  }

  @Test
  void betaZeroIgnoresNanInC() {
    GemmCase g = new GemmCase(37, 41, 29, false, true, 2);
    SplittableRandom rnd = new SplittableRandom(7);
    double[] a = GemmCase.values(g.aLen(), true, rnd);
    double[] b = GemmCase.values(g.bLen(), true, rnd);
    double[] c = new double[g.cLen()];
    Arrays.fill(c, Double.NaN);
    double[] want = g.reference(a, b, new double[g.cLen()], 1, 0)[0];
    for (Precision prec : Precision.values()) {
      for (Path path : Path.values()) {
        if (!path.applies(g)) {
          continue;
        }
        double[] got = GemmRunner.run(g, prec, path, a, b, c, 1, 0);
        assertMatrixEquals(g, want, got, prec + " " + path);
      }
    }
  }

  @Test
  void betaOneAccumulatesOntoC() {
    GemmCase g = new GemmCase(20, 33, 300, true, false, 1);
    SplittableRandom rnd = new SplittableRandom(8);
    double[] a = GemmCase.values(g.aLen(), true, rnd);
    double[] b = GemmCase.values(g.bLen(), true, rnd);
    double[] c = GemmCase.values(g.cLen(), true, rnd);
    double[] want = g.reference(a, b, c, 1, 1)[0];
    for (Precision prec : Precision.values()) {
      for (Path path : Path.values()) {
        if (!path.applies(g)) {
          continue;
        }
        assertMatrixEquals(
            g, want, GemmRunner.run(g, prec, path, a, b, c, 1, 1), prec + " " + path);
      }
    }
  }

  @Test
  void alphaZeroOrEmptyKOnlyScalesC() {
    for (int k : new int[] {0, 5}) {
      GemmCase g = new GemmCase(9, 10, k, false, false, 2);
      double[] a = new double[g.aLen()];
      double[] b = new double[g.bLen()];
      Arrays.fill(a, Double.NaN); // must not be read when alpha == 0
      Arrays.fill(b, Double.NaN);
      double[] c = GemmCase.values(g.cLen(), true, new SplittableRandom(9));
      for (double beta : new double[] {0, 1, -0.5}) {
        double alpha = k == 0 ? 1 : 0;
        double[] want = new double[g.m() * g.n()];
        for (int i = 0; i < g.m(); i++) {
          for (int j = 0; j < g.n(); j++) {
            want[i * g.n() + j] = beta == 0 ? 0 : beta * c[g.cIndex(i, j)];
          }
        }
        for (Precision prec : Precision.values()) {
          for (Path path : new Path[] {Path.SCALAR, Path.PUBLIC}) {
            double[] got = GemmRunner.run(g, prec, path, a, b, c, alpha, beta);
            assertMatrixEquals(g, want, got, "k=" + k + " beta=" + beta + " " + prec + path);
          }
        }
      }
    }
  }

  @Test
  void resultsDoNotDependOnTheThreadCount() {
    assumeTrue(Kernels.vectorAvailable(), "Vector API unavailable");
    // Wide C (split by columns), tall C (split by rows), and a deep k with several K blocks.
    GemmCase[] cases = {
      new GemmCase(70, 1000, 300, false, false, 0),
      new GemmCase(1000, 30, 200, true, true, 1),
      new GemmCase(100, 130, 1100, false, true, 0)
    };
    for (GemmCase g : cases) {
      SplittableRandom rnd = new SplittableRandom(11);
      double[] a = widen(GemmCase.toFloat(GemmCase.values(g.aLen(), false, rnd)));
      double[] b = widen(GemmCase.toFloat(GemmCase.values(g.bLen(), false, rnd)));
      double[] c = widen(GemmCase.toFloat(GemmCase.values(g.cLen(), false, rnd)));
      for (Precision prec : Precision.values()) {
        Parallel.setThreads(1);
        double[] one = GemmRunner.run(g, prec, Path.PUBLIC, a, b, c, 1, 0.5);
        for (int t : new int[] {2, 3, 4, 7}) {
          Parallel.setThreads(t);
          double[] many = GemmRunner.run(g, prec, Path.PUBLIC, a, b, c, 1, 0.5);
          assertArrayEquals(one, many, g + " " + prec + " with " + t + " threads");
        }
      }
    }
  }

  /**
   * Shapes that take the split-k path (small C, deep k): m or n of 1, primes, k prime or not a
   * multiple of the chunk count, every transpose, padded strides.
   */
  static Stream<GemmCase> splitKCases() {
    List<GemmCase> cases = new ArrayList<>();
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        cases.add(new GemmCase(7, 17, 20011, ta, tb, 3)); // 16 chunks of 1250 or 1251
        cases.add(new GemmCase(1, 131, 16411, ta, tb, 0));
        cases.add(new GemmCase(61, 9, 4099, ta, tb, 1)); // 4 chunks
        cases.add(new GemmCase(3, 5, 150001, ta, tb, 2));
      }
    }
    cases.add(new GemmCase(25, 27, 25601, false, true, 1)); // a conv dW, k chunks of 1024 + 1 odd
    cases.add(new GemmCase(32, 49, 6277, false, true, 0));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("splitKCases")
  void splitKIsExactAndIndependentOfTheThreadCount(GemmCase g) {
    assumeTrue(Kernels.vectorAvailable(), "Vector API unavailable");
    long work = (long) g.m() * g.n() * g.k();
    assertTrue(work >= Gemm.PARALLEL_WORK, g + " must be large enough to run in parallel");
    assertTrue(GemmBlocking.kSplits(g.m(), g.n(), g.k()) > 1, g + " must take the split-k path");
    // Integers: every partial sum is exact, so the result must equal the oracle's.
    SplittableRandom rnd = new SplittableRandom(g.hashCode());
    double[] a = GemmCase.values(g.aLen(), true, rnd);
    double[] b = GemmCase.values(g.bLen(), true, rnd);
    double[] c = GemmCase.values(g.cLen(), true, rnd);
    for (double[] ab : new double[][] {{1, 0}, {-2, 1}}) {
      double[] want = g.reference(a, b, c, ab[0], ab[1])[0];
      for (int t : new int[] {1, 2, 3}) {
        Parallel.setThreads(t);
        for (Precision prec : Precision.values()) {
          double[] got = GemmRunner.run(g, prec, Path.PUBLIC, a, b, c, ab[0], ab[1]);
          assertMatrixEquals(g, want, got, prec + " alpha=" + ab[0] + " with " + t + " threads");
        }
      }
    }
    // Gaussians: rounding shows, so equal results across thread counts mean the same operations
    // in the same order; and the error stays within the bound of any summation order.
    double[] ga = widen(GemmCase.toFloat(GemmCase.values(g.aLen(), false, rnd)));
    double[] gb = widen(GemmCase.toFloat(GemmCase.values(g.bLen(), false, rnd)));
    double[] gc = widen(GemmCase.toFloat(GemmCase.values(g.cLen(), false, rnd)));
    double[][] ref = g.reference(ga, gb, gc, 0.75, -1.5);
    for (Precision prec : Precision.values()) {
      Parallel.setThreads(1);
      double[] one = GemmRunner.run(g, prec, Path.PUBLIC, ga, gb, gc, 0.75, -1.5);
      for (int t : new int[] {2, 3}) {
        Parallel.setThreads(t);
        double[] many = GemmRunner.run(g, prec, Path.PUBLIC, ga, gb, gc, 0.75, -1.5);
        assertArrayEquals(one, many, g + " " + prec + " with " + t + " threads");
      }
      double bound =
          (prec == Precision.F32 ? GemmCase.gamma(g.k(), GemmCase.U32) : 0)
              + 2 * GemmCase.gamma(g.k(), GemmCase.U64);
      for (int i = 0; i < g.m(); i++) {
        for (int j = 0; j < g.n(); j++) {
          double err = Math.abs(one[g.cIndex(i, j)] - ref[0][i * g.n() + j]);
          double allowed = bound * ref[1][i * g.n() + j];
          assertTrue(
              err <= allowed,
              () -> String.format("%s %s: error %.3g > bound %.3g", g, prec, err, allowed));
        }
      }
    }
  }

  @Test
  void splitKWithBetaZeroIgnoresNanInC() {
    assumeTrue(Kernels.vectorAvailable(), "Vector API unavailable");
    GemmCase g = new GemmCase(7, 17, 20011, false, true, 2);
    assertTrue(GemmBlocking.kSplits(g.m(), g.n(), g.k()) > 1);
    SplittableRandom rnd = new SplittableRandom(12);
    double[] a = GemmCase.values(g.aLen(), true, rnd);
    double[] b = GemmCase.values(g.bLen(), true, rnd);
    double[] c = new double[g.cLen()];
    Arrays.fill(c, Double.NaN);
    double[] want = g.reference(a, b, new double[g.cLen()], 3, 0)[0];
    Parallel.setThreads(2);
    for (Precision prec : Precision.values()) {
      assertMatrixEquals(g, want, GemmRunner.run(g, prec, Path.PUBLIC, a, b, c, 3, 0), "" + prec);
    }
  }

  @Test
  void forceScalarSendsEveryCallToTheScalarTwin() {
    GemmCase g = new GemmCase(64, 80, 300, false, false, 0);
    SplittableRandom rnd = new SplittableRandom(12);
    double[] a = widen(GemmCase.toFloat(GemmCase.values(g.aLen(), false, rnd)));
    double[] b = widen(GemmCase.toFloat(GemmCase.values(g.bLen(), false, rnd)));
    double[] c = new double[g.cLen()];
    Kernels.forceScalar(true);
    assertTrue(Kernels.scalarForced());
    assertFalse(Kernels.useVector());
    for (Precision prec : Precision.values()) {
      double[] scalar = GemmRunner.run(g, prec, Path.SCALAR, a, b, c, 1, 0);
      double[] forced = GemmRunner.run(g, prec, Path.PUBLIC, a, b, c, 1, 0);
      assertArrayEquals(scalar, forced, prec.toString());
    }
  }

  @Test
  void argumentChecksNameTheProblem() {
    float[] a = new float[21];
    float[] b = new float[28];
    float[] c = new float[12];
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Gemm.sgemm(c, 0, 4, a, 0, 5, false, b, 0, 4, false, 3, 4, 7, 1f, 0f));
    assertEquals("sgemm: lda=5 < k=7 for A (m=3, k=7) not transposed", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Gemm.sgemm(c, 0, 4, a, 0, 7, false, b, 0, 3, true, 3, 4, 7, 1f, 0f));
    assertEquals("sgemm: ldb=3 < k=7 for B (n=4, k=7) transposed", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Gemm.sgemm(c, 1, 4, a, 0, 7, false, b, 0, 4, false, 3, 4, 7, 1f, 0f));
    assertTrue(e.getMessage().startsWith("sgemm: array for C (m=3, n=4) too short"), e::getMessage);
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Gemm.dgemm(
                    new double[12],
                    0,
                    4,
                    new double[20],
                    0,
                    7,
                    false,
                    new double[28],
                    0,
                    4,
                    false,
                    3,
                    4,
                    7,
                    1,
                    0));
    assertTrue(e.getMessage().startsWith("dgemm: array for A (m=3, k=7)"), e::getMessage);
    assertThrows(
        IllegalArgumentException.class,
        () -> Gemm.sgemm(c, 0, 4, a, 0, 7, false, b, 0, 4, false, -1, 4, 7, 1f, 0f));
    assertThrows(
        IllegalArgumentException.class,
        () -> Gemm.sgemm(c, -1, 4, a, 0, 7, false, b, 0, 4, false, 3, 4, 7, 1f, 0f));
    assertThrows(
        NullPointerException.class,
        () -> Gemm.sgemm(c, 0, 4, null, 0, 7, false, b, 0, 4, false, 3, 4, 7, 1f, 0f));
    // Empty products are fine with any (unused) arrays.
    Gemm.sgemm(
        new float[0], 0, 0, new float[0], 0, 0, false, new float[0], 0, 0, false, 0, 0, 0, 1f, 0f);
  }

  private static void assertMatrixEquals(GemmCase g, double[] want, double[] got, String what) {
    for (int i = 0; i < g.m(); i++) {
      for (int j = 0; j < g.n(); j++) {
        assertEquals(
            want[i * g.n() + j], got[g.cIndex(i, j)], g + " " + what + " at " + i + "," + j);
      }
    }
  }

  static double[] widen(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  private static List<Integer> box(int[] v) {
    return Arrays.stream(v).boxed().toList();
  }
}
