package org.handgrad.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * float64 {@code C = alpha * A * B^T + beta * C} by dot products, for the shape the packed kernel
 * handles worst: small m and n, long k, both operands stored with k contiguous (A (m, k), B stored
 * (n, k)). That is the weight gradient of an im2col convolution, {@code dW (F, C*KH*KW) = dout (F,
 * N*H*W) * cols^T}, where k = N*H*W runs to tens of thousands while m*n is a few thousand.
 *
 * <p>There, packing dominates the packed path (every element of A and B is copied once for only m
 * or n multiply-adds), and packing B^T is a transpose. Here nothing is copied: the micro-kernel
 * reads 2 rows of A and 4 rows of B in place, 4 consecutive k at a time, and keeps 8 vector
 * accumulators of partial dot products, reduced to scalars at the end of each K block. K is cut
 * into blocks of KB so that the rows of a block stay in L2 while they are reused.
 *
 * <p>Edge tiles clamp their row indices to the last valid row (the duplicate results are dropped),
 * so there is one kernel and no edge variants. Each element's sum has a fixed order (4 lane sums in
 * p order, lanes added left to right, K blocks in order), the same whichever thread computes it.
 */
final class DgemmDot {
  // The widest fast species: 8 floats / 4 doubles on AVX2 (where the block sizes were tuned).
  private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  static final int MR = 2;
  static final int NR = 4;

  /** K block: (m + n) rows of KB doubles should fit in L2 (4 KiB per row). */
  static final int KB = 512;

  private static final ThreadLocal<double[]> TILE =
      ThreadLocal.withInitial(() -> new double[MR * NR]);
  private static final ThreadLocal<double[]> LANES =
      ThreadLocal.withInitial(() -> new double[MR * NR * L]);

  private DgemmDot() {}

  /**
   * Whether this path should take the call: A not transposed, B transposed, and k long compared
   * with m and n, so that packing would cost about as much as the product.
   */
  static boolean suits(boolean transA, boolean transB, int m, int n, int k) {
    return !transA && transB && k >= 1024 && m <= 64 && n <= 256;
  }

  /**
   * C = alpha * A * B^T + beta * C with A (m, k) row stride lda and B stored (n, k) row stride ldb;
   * arguments already checked, m, n, k &gt; 0, alpha != 0.
   *
   * @param parallel whether to spread the work over {@link Parallel}'s threads
   */
  static void gemm(
      double[] c,
      int cOff,
      int ldc,
      double[] a,
      int aOff,
      int lda,
      double[] b,
      int bOff,
      int ldb,
      int m,
      int n,
      int k,
      double alpha,
      double beta,
      boolean parallel) {
    int threads = parallel ? Parallel.threads() : 1;
    GemmBlocking.Split split = GemmBlocking.split(m, n, MR, NR, threads);
    Parallel.forChunks(
        split.chunks(),
        ch ->
            block(
                c,
                cOff,
                ldc,
                a,
                aOff,
                lda,
                b,
                bOff,
                ldb,
                split.rowBegin(ch, m),
                split.rowEnd(ch, m),
                split.colBegin(ch, n),
                split.colEnd(ch, n),
                k,
                alpha,
                beta));
  }

  private static void block(
      double[] c,
      int cOff,
      int ldc,
      double[] a,
      int aOff,
      int lda,
      double[] b,
      int bOff,
      int ldb,
      int i0,
      int i1,
      int j0,
      int j1,
      int k,
      double alpha,
      double beta) {
    double[] tile = TILE.get();
    double[] lanes = LANES.get();
    int kbMax = GemmBlocking.evenBlock(k, KB);
    for (int pc = 0; pc < k; pc += kbMax) {
      int kb = Math.min(kbMax, k - pc);
      double betaK = pc == 0 ? beta : 1.0;
      for (int i = i0; i < i1; i += MR) {
        int a0 = aOff + i * lda + pc;
        int a1 = aOff + Math.min(i + 1, i1 - 1) * lda + pc;
        for (int j = j0; j < j1; j += NR) {
          int b0 = bOff + j * ldb + pc;
          int b1 = bOff + Math.min(j + 1, j1 - 1) * ldb + pc;
          int b2 = bOff + Math.min(j + 2, j1 - 1) * ldb + pc;
          int b3 = bOff + Math.min(j + 3, j1 - 1) * ldb + pc;
          kernel(kb, a, a0, a1, b, b0, b1, b2, b3, lanes);
          reduce(kb, a, a0, a1, b, b0, b1, b2, b3, lanes, tile);
          int mr = Math.min(MR, i1 - i);
          int nr = Math.min(NR, j1 - j);
          for (int r = 0; r < mr; r++) {
            int row = cOff + (i + r) * ldc + j;
            for (int q = 0; q < nr; q++) {
              double t = tile[r * NR + q];
              c[row + q] = betaK == 0.0 ? alpha * t : alpha * t + betaK * c[row + q];
            }
          }
        }
      }
    }
  }

  /**
   * The 2 x 4 dot-product micro-kernel over the first {@code kb & -L} values of each row: lanes[(r
   * * NR + q) * L + l] = sum over p = l (mod L) of A(r, p) * B(q, p). Eight accumulators, six loads
   * per eight FMAs; larger tiles make C2 load more rows at once than AVX2 has registers, and it
   * spills accumulators (4 x 3 measured ~15% slower). Results leave through an array (see {@link
   * SgemmVector} on boxing).
   */
  private static void kernel(
      int kb,
      double[] a,
      int a0,
      int a1,
      double[] b,
      int b0,
      int b1,
      int b2,
      int b3,
      double[] lanes) {
    DoubleVector c00 = DoubleVector.zero(S);
    DoubleVector c01 = DoubleVector.zero(S);
    DoubleVector c02 = DoubleVector.zero(S);
    DoubleVector c03 = DoubleVector.zero(S);
    DoubleVector c10 = DoubleVector.zero(S);
    DoubleVector c11 = DoubleVector.zero(S);
    DoubleVector c12 = DoubleVector.zero(S);
    DoubleVector c13 = DoubleVector.zero(S);
    int kv = kb & -L;
    for (int p = 0; p < kv; p += L) {
      DoubleVector vb0 = DoubleVector.fromArray(S, b, b0 + p);
      DoubleVector vb1 = DoubleVector.fromArray(S, b, b1 + p);
      DoubleVector vb2 = DoubleVector.fromArray(S, b, b2 + p);
      DoubleVector vb3 = DoubleVector.fromArray(S, b, b3 + p);
      DoubleVector va = DoubleVector.fromArray(S, a, a0 + p);
      c00 = va.fma(vb0, c00);
      c01 = va.fma(vb1, c01);
      c02 = va.fma(vb2, c02);
      c03 = va.fma(vb3, c03);
      va = DoubleVector.fromArray(S, a, a1 + p);
      c10 = va.fma(vb0, c10);
      c11 = va.fma(vb1, c11);
      c12 = va.fma(vb2, c12);
      c13 = va.fma(vb3, c13);
    }
    c00.intoArray(lanes, 0);
    c01.intoArray(lanes, L);
    c02.intoArray(lanes, 2 * L);
    c03.intoArray(lanes, 3 * L);
    c10.intoArray(lanes, 4 * L);
    c11.intoArray(lanes, 5 * L);
    c12.intoArray(lanes, 6 * L);
    c13.intoArray(lanes, 7 * L);
  }

  /**
   * tile[r * NR + q] = the lane sums added left to right, plus the scalar tail p in [kb & -L, kb).
   * Done by hand rather than with reduceLanes, whose order may differ between the interpreter and
   * compiled code, which would make results depend on JIT timing.
   */
  private static void reduce(
      int kb,
      double[] a,
      int a0,
      int a1,
      double[] b,
      int b0,
      int b1,
      int b2,
      int b3,
      double[] lanes,
      double[] tile) {
    int kv = kb & -L;
    for (int r = 0; r < MR; r++) {
      int ar = r == 0 ? a0 : a1;
      for (int q = 0; q < NR; q++) {
        int bq = q == 0 ? b0 : q == 1 ? b1 : q == 2 ? b2 : b3;
        int base = (r * NR + q) * L;
        double s = 0.0;
        for (int l = 0; l < L; l++) {
          s += lanes[base + l];
        }
        for (int p = kv; p < kb; p++) {
          s += a[ar + p] * b[bq + p];
        }
        tile[r * NR + q] = s;
      }
    }
  }
}
