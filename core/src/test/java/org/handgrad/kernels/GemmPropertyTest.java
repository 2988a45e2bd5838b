package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.handgrad.kernels.GemmRunner.Path;
import org.handgrad.kernels.GemmRunner.Precision;

/**
 * Random shapes, transposes, paddings and alpha/beta: with small-integer operands every path must
 * reproduce the double-precision oracle exactly (see {@link GemmTest} for why that is exact).
 */
class GemmPropertyTest {
  @Property(tries = 300)
  void everyPathMatchesTheOracleExactly(
      @ForAll @IntRange(min = 1, max = 70) int m,
      @ForAll @IntRange(min = 1, max = 70) int n,
      @ForAll @IntRange(min = 1, max = 1500) int k,
      @ForAll boolean transA,
      @ForAll boolean transB,
      @ForAll @IntRange(min = 0, max = 5) int pad,
      @ForAll @IntRange(min = -2, max = 2) int alpha,
      @ForAll @IntRange(min = -2, max = 2) int beta,
      @ForAll @IntRange(min = 1, max = 4) int threads,
      @ForAll long seed) {
    GemmCase g = new GemmCase(m, n, k, transA, transB, pad);
    SplittableRandom rnd = new SplittableRandom(seed);
    double[] a = GemmCase.values(g.aLen(), true, rnd);
    double[] b = GemmCase.values(g.bLen(), true, rnd);
    double[] c = GemmCase.values(g.cLen(), true, rnd);
    double[] ref = g.reference(a, b, c, alpha, beta)[0];
    double[] want = c.clone();
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        want[g.cIndex(i, j)] = ref[i * n + j];
      }
    }
    int saved = Parallel.threads();
    Parallel.setThreads(threads);
    try {
      for (Precision prec : Precision.values()) {
        for (Path path : Path.values()) {
          if (!path.applies(g)) {
            continue;
          }
          if (alpha == 0 && path != Path.SCALAR && path != Path.PUBLIC) {
            continue; // the vector kernels' precondition: Gemm handles alpha == 0 before them
          }
          double[] got = GemmRunner.run(g, prec, path, a, b, c, alpha, beta);
          for (int x = 0; x < want.length; x++) {
            // == rather than bits: the packed kernel applies alpha per K block, so an exact zero
            // may come out as 3 - 3 = +0.0 where the oracle's -1 * 0 gives -0.0.
            if (want[x] != got[x]) {
              fail(
                  g + " alpha=" + alpha + " beta=" + beta + " " + prec + " " + path + ": C[" + x
                      + "] = " + got[x] + ", want " + want[x]);
            }
          }
        }
      }
    } finally {
      Parallel.setThreads(saved);
    }
  }
}
