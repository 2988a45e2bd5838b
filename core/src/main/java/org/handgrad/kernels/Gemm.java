package org.handgrad.kernels;

import java.util.Arrays;
import java.util.Objects;

/**
 * General matrix multiply on row-major arrays: {@code C = alpha * op(A) * op(B) + beta * C}, where
 * {@code op(X)} is X or its transpose. Outputs first, as every kernel in this package.
 *
 * <p>Shapes: op(A) is (m, k), op(B) is (k, n), C is (m, n). {@code lda}, {@code ldb}, {@code ldc}
 * are the row strides (leading dimensions) of the stored arrays: A stored (m, k) has lda &gt;= k, A
 * stored transposed (k, m) has lda &gt;= m; likewise B stored (k, n) has ldb &gt;= n, stored
 * transposed (n, k) has ldb &gt;= k; C has ldc &gt;= n. Element (i, j) of C is {@code c[cOff + i *
 * ldc + j]}.
 *
 * <p>BLAS conventions: when {@code beta == 0} the old contents of C are not read (NaN or infinity
 * there does not leak into the result); when {@code alpha == 0} or {@code k == 0}, A and B are not
 * read and C is only scaled by beta. C must not overlap A or B.
 *
 * <p>Paths, chosen per call:
 *
 * <ul>
 *   <li>small problems ({@code m*n*k} below {@value #SMALL_WORK}) run the scalar twin {@link
 *       GemmScalar} directly: no packing, no threads;
 *   <li>larger ones run the packed, cache-blocked Vector API kernel ({@link SgemmVector}, {@link
 *       DgemmVector}), on all {@link Parallel} threads from {@value #PARALLEL_WORK} multiply-adds
 *       up, C cut among the threads;
 *   <li>a thin NT product (A not transposed, B transposed, C with at most k elements and at most 32
 *       rows or columns, as a conv weight gradient; see {@link GemmBlocking#useDot}) runs the
 *       dot-product kernel ({@link SgemmDot}, {@link DgemmDot}) instead, which reads the rows of A
 *       and B in place rather than packing them;
 *   <li>among the parallel ones, a small C with a deep k (C has at most k elements and k is at
 *       least 2048, as in a conv weight gradient) is cut along k instead ({@link GemmSplitK}): k
 *       into {@code min(16, k / 1024)} consecutive chunks (see {@link GemmBlocking#kSplits}), each
 *       chunk's partial product computed on one thread (by the dot-product kernel for a thin NT
 *       product, else by the packed one), then the partials summed in chunk order and {@code C =
 *       alpha * sum + beta * C}; a thin NT product that is parallel but not split (k below 2048)
 *       runs the packed kernel on all threads;
 *   <li>{@link Kernels#forceScalar(boolean)} (or a JVM without the Vector API) sends every call to
 *       the scalar twin.
 * </ul>
 *
 * Results do not depend on the thread count: the path and every chunking that changes how an
 * element is summed (the K blocks, the split-k chunks) are chosen from the shape alone, and only
 * the assignment of independent pieces to threads varies. They do depend on the path, so a split-k
 * or dot-product result may differ in the last bits from the same product on another path.
 */
public final class Gemm {
  /**
   * Below this many multiply-adds (m*n*k), packing costs more than it saves: on Zen 3 the scalar
   * twin wins at 4^3 (0.12 us), the packed kernel from 6^3 (0.23 vs 0.29 us) and by 6x at 16^3.
   */
  static final long SMALL_WORK = 5 * 5 * 5;

  /**
   * From this many multiply-adds (m*n*k) on, the work is spread over the thread pool. At 128^3 one
   * thread takes ~60 us, comfortably more than waking a parked pool thread (tens of us).
   */
  static final long PARALLEL_WORK = 128 * 128 * 128;

  private Gemm() {}

  /**
   * float32 GEMM: {@code C = alpha * op(A) * op(B) + beta * C}.
   *
   * @param c output, (m, n) with row stride ldc, starting at cOff
   * @param cOff index of C(0, 0) in c
   * @param ldc row stride of C, at least n
   * @param a left operand: (m, k) with row stride lda, or (k, m) if transA
   * @param aOff index of the first stored element of A in a
   * @param lda row stride of the stored A, at least k (at least m if transA)
   * @param transA whether A is stored transposed, i.e. op(A) = A^T
   * @param b right operand: (k, n) with row stride ldb, or (n, k) if transB
   * @param bOff index of the first stored element of B in b
   * @param ldb row stride of the stored B, at least n (at least k if transB)
   * @param transB whether B is stored transposed, i.e. op(B) = B^T
   * @param m rows of op(A) and C
   * @param n columns of op(B) and C
   * @param k columns of op(A), rows of op(B)
   * @param alpha scale of the product
   * @param beta scale of the old C; 0 means C is write-only
   */
  public static void sgemm(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      int lda,
      boolean transA,
      float[] b,
      int bOff,
      int ldb,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      float beta) {
    Objects.requireNonNull(c, "sgemm: c is null");
    Objects.requireNonNull(a, "sgemm: a is null");
    Objects.requireNonNull(b, "sgemm: b is null");
    check(
        "sgemm", c.length, cOff, ldc, a.length, aOff, lda, transA, b.length, bOff, ldb, transB, m,
        n, k);
    if (m == 0 || n == 0) {
      return;
    }
    if (alpha == 0f || k == 0) {
      scale(c, cOff, ldc, m, n, beta);
      return;
    }
    long work = (long) m * n * k;
    if (!Kernels.useVector() || work < SMALL_WORK) {
      GemmScalar.sgemm(
          c, cOff, ldc, a, aOff, lda, transA, b, bOff, ldb, transB, m, n, k, alpha, beta);
      return;
    }
    boolean parallel = work >= PARALLEL_WORK;
    boolean dot = GemmBlocking.useDot(m, n, k, transA, transB);
    int splits = parallel ? GemmBlocking.kSplits(m, n, k) : 1;
    if (splits > 1) {
      GemmSplitK.sgemm(
          c, cOff, ldc, a, aOff, lda, transA, b, bOff, ldb, transB, m, n, k, alpha, beta, splits,
          dot);
      return;
    }
    if (dot && !parallel) {
      SgemmDot.gemm(c, cOff, ldc, a, aOff, lda, b, bOff, ldb, m, n, k, alpha, beta);
      return;
    }
    SgemmVector.gemm(
        c, cOff, ldc, a, aOff, lda, transA, b, bOff, ldb, transB, m, n, k, alpha, beta, parallel);
  }

  /**
   * float64 GEMM: {@code C = alpha * op(A) * op(B) + beta * C}. Arguments as {@link #sgemm}.
   *
   * @param c output, (m, n) with row stride ldc, starting at cOff
   * @param cOff index of C(0, 0) in c
   * @param ldc row stride of C, at least n
   * @param a left operand: (m, k) with row stride lda, or (k, m) if transA
   * @param aOff index of the first stored element of A in a
   * @param lda row stride of the stored A, at least k (at least m if transA)
   * @param transA whether A is stored transposed, i.e. op(A) = A^T
   * @param b right operand: (k, n) with row stride ldb, or (n, k) if transB
   * @param bOff index of the first stored element of B in b
   * @param ldb row stride of the stored B, at least n (at least k if transB)
   * @param transB whether B is stored transposed, i.e. op(B) = B^T
   * @param m rows of op(A) and C
   * @param n columns of op(B) and C
   * @param k columns of op(A), rows of op(B)
   * @param alpha scale of the product
   * @param beta scale of the old C; 0 means C is write-only
   */
  public static void dgemm(
      double[] c,
      int cOff,
      int ldc,
      double[] a,
      int aOff,
      int lda,
      boolean transA,
      double[] b,
      int bOff,
      int ldb,
      boolean transB,
      int m,
      int n,
      int k,
      double alpha,
      double beta) {
    Objects.requireNonNull(c, "dgemm: c is null");
    Objects.requireNonNull(a, "dgemm: a is null");
    Objects.requireNonNull(b, "dgemm: b is null");
    check(
        "dgemm", c.length, cOff, ldc, a.length, aOff, lda, transA, b.length, bOff, ldb, transB, m,
        n, k);
    if (m == 0 || n == 0) {
      return;
    }
    if (alpha == 0 || k == 0) {
      scale(c, cOff, ldc, m, n, beta);
      return;
    }
    long work = (long) m * n * k;
    if (!Kernels.useVector() || work < SMALL_WORK) {
      GemmScalar.dgemm(
          c, cOff, ldc, a, aOff, lda, transA, b, bOff, ldb, transB, m, n, k, alpha, beta);
      return;
    }
    boolean parallel = work >= PARALLEL_WORK;
    boolean dot = GemmBlocking.useDot(m, n, k, transA, transB);
    int splits = parallel ? GemmBlocking.kSplits(m, n, k) : 1;
    if (splits > 1) {
      GemmSplitK.dgemm(
          c, cOff, ldc, a, aOff, lda, transA, b, bOff, ldb, transB, m, n, k, alpha, beta, splits,
          dot);
      return;
    }
    if (dot && !parallel) {
      DgemmDot.gemm(c, cOff, ldc, a, aOff, lda, b, bOff, ldb, m, n, k, alpha, beta);
      return;
    }
    DgemmVector.gemm(
        c, cOff, ldc, a, aOff, lda, transA, b, bOff, ldb, transB, m, n, k, alpha, beta, parallel);
  }

  /** C = beta * C over (m, n); beta == 0 writes zeros without reading C. */
  static void scale(float[] c, int cOff, int ldc, int m, int n, float beta) {
    if (beta == 1f) {
      return;
    }
    for (int i = 0; i < m; i++) {
      int row = cOff + i * ldc;
      if (beta == 0f) {
        Arrays.fill(c, row, row + n, 0f);
      } else {
        for (int j = row; j < row + n; j++) {
          c[j] *= beta;
        }
      }
    }
  }

  /** C = beta * C over (m, n); beta == 0 writes zeros without reading C. */
  static void scale(double[] c, int cOff, int ldc, int m, int n, double beta) {
    if (beta == 1) {
      return;
    }
    for (int i = 0; i < m; i++) {
      int row = cOff + i * ldc;
      if (beta == 0) {
        Arrays.fill(c, row, row + n, 0);
      } else {
        for (int j = row; j < row + n; j++) {
          c[j] *= beta;
        }
      }
    }
  }

  /** Checks sizes, strides and that every addressed element lies inside its array. O(1). */
  private static void check(
      String op,
      int cLen,
      int cOff,
      int ldc,
      int aLen,
      int aOff,
      int lda,
      boolean transA,
      int bLen,
      int bOff,
      int ldb,
      boolean transB,
      int m,
      int n,
      int k) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException(op + ": negative size m=" + m + ", n=" + n + ", k=" + k);
    }
    checkOperand(
        op,
        "A",
        "lda",
        aLen,
        aOff,
        lda,
        transA ? "k" : "m",
        transA ? k : m,
        transA ? "m" : "k",
        transA ? m : k,
        transA ? " transposed" : " not transposed");
    checkOperand(
        op,
        "B",
        "ldb",
        bLen,
        bOff,
        ldb,
        transB ? "n" : "k",
        transB ? n : k,
        transB ? "k" : "n",
        transB ? k : n,
        transB ? " transposed" : " not transposed");
    checkOperand(op, "C", "ldc", cLen, cOff, ldc, "m", m, "n", n, "");
  }

  /**
   * Checks one stored matrix of {@code rows x cols} with row stride {@code ld}; the letters name
   * the dimensions in messages, e.g. {@code sgemm: lda=5 < k=7 for A (m=3, k=7) not transposed}.
   */
  private static void checkOperand(
      String op,
      String name,
      String ldName,
      int len,
      int off,
      int ld,
      String rowsName,
      int rows,
      String colsName,
      int cols,
      String how) {
    String what = name + " (" + rowsName + "=" + rows + ", " + colsName + "=" + cols + ")" + how;
    if (ld < cols) {
      throw new IllegalArgumentException(
          op + ": " + ldName + "=" + ld + " < " + colsName + "=" + cols + " for " + what);
    }
    if (off < 0) {
      throw new IllegalArgumentException(op + ": negative offset " + off + " for " + what);
    }
    if (rows == 0 || cols == 0) {
      return;
    }
    long end = off + (long) (rows - 1) * ld + cols;
    if (end > len) {
      throw new IllegalArgumentException(
          op
              + ": array for "
              + what
              + " too short: length "
              + len
              + " < "
              + end
              + " needed at offset "
              + off
              + " with "
              + ldName
              + "="
              + ld);
    }
  }
}
