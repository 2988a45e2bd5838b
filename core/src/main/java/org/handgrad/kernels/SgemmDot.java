package org.handgrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 GEMM by dot products for the NT case with a small C and a deep k: {@code C = alpha * A *
 * B^T + beta * C} with A stored (m, k) and B stored (n, k), both row-major, as in a conv weight
 * gradient ({@code dW (F, C*KH*KW) = dout (F, N*H'*W') * cols^T}). Every element of C is then the
 * dot product of a row of A and a row of B, both contiguous in memory, so the kernel streams them
 * straight from the caller's arrays. The packed kernel ({@link SgemmVector}) would first transpose
 * B into k-major panels, which for a C of a few thousand elements costs about as much as the
 * arithmetic.
 *
 * <p>Register block: 3 rows of A by 3 rows of B, nine vector accumulators. Per step of L lanes
 * along k: load the three B vectors, then for each of the three A rows one load and three FMAs. 4 x
 * 3 (twelve accumulators, 16 live vector registers, all of AVX2's) measured slower, 34-43 against
 * 44-51 GFLOP/s float32 on the conv shapes (one thread of a shared EPYC), presumably as C2 then
 * spills; 4 x 2 and a 2 x 2 unrolled twice along k were slower too. k is cut into blocks of {@link
 * #KB} elements and, per block, the B rows are taken three at a time against every group of three A
 * rows: the B rows of a register block stay in L1, all m A rows of the block in L2.
 *
 * <p>At the end of each block the accumulators are added lane by lane into a vector-wide partial
 * per element of C (m x n x L floats of scratch); only after the last block are the L lanes summed,
 * in lane order, then the k % L leftover products added one by one, and {@code C = alpha * s + beta
 * * C}. So lane l of element (i, j) sums the products at p = l (mod L), block by block in order:
 * the summation order depends on the shape alone. Keeping lane-wide partials instead of reducing
 * horizontally per block costs one load, add and store per accumulator per block, and does not
 * depend on how the JIT orders a {@code reduceLanes}.
 *
 * <p>Edges: rows left over from the groups of three run a 1 x 3 block, columns left over a 3 x 1
 * block, the corner 1 x 1. The scalar twin is {@link GemmScalar}'s NT loop.
 */
final class SgemmDot {
  private static final VectorSpecies<Float> S = Species.F;
  private static final int L = S.length();

  /** Rows of A per register block. */
  static final int MR = 3;

  /** Rows of B (columns of C) per register block. */
  static final int NR = 3;

  /**
   * k block, a multiple of L: 1024 floats (4 KiB a row: 12 KiB of B rows in L1, m x 4 KiB of A rows
   * in L2, 128 KiB for m = 32). 4096 was no faster and 256 about half as fast (the flush to the
   * partials and the loop set-up are paid per block). The system property handgrad.sgemm.dotkb
   * overrides it for tuning; it is read once, so the JIT sees a constant.
   */
  static final int KB = Math.max(1, Integer.getInteger("handgrad.sgemm.dotkb", 1024) / L) * L;

  /** Per-thread lane-wide partials (m x n x L), grown to the largest C the thread has seen. */
  private static final ThreadLocal<float[][]> SCRATCH =
      ThreadLocal.withInitial(() -> new float[][] {new float[0]});

  private SgemmDot() {}

  /**
   * {@code C = alpha * A * B^T + beta * C} on the calling thread; arguments as {@link Gemm#sgemm}
   * with transA false and transB true, already checked, m, n, k &gt; 0.
   */
  static void gemm(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      int m,
      int n,
      int k,
      float alpha,
      float beta) {
    int kv = k - k % L; // the vector part of k; the rest is added one product at a time
    float[][] holder = SCRATCH.get();
    if (holder[0].length < m * n * L) {
      holder[0] = new float[m * n * L];
    }
    float[] part = holder[0];
    for (int p0 = 0; p0 < kv; p0 += KB) {
      block(part, a, aOff, lda, b, bOff, ldb, m, n, p0, Math.min(kv, p0 + KB), p0 == 0);
    }
    for (int i = 0; i < m; i++) {
      int ai = aOff + i * lda;
      for (int j = 0; j < n; j++) {
        float s = 0f;
        if (kv > 0) {
          int x = (i * n + j) * L;
          s = part[x];
          for (int l = 1; l < L; l++) {
            s += part[x + l];
          }
        }
        int bj = bOff + j * ldb;
        for (int p = kv; p < k; p++) {
          s += a[ai + p] * b[bj + p];
        }
        int ci = cOff + i * ldc + j;
        c[ci] = beta == 0f ? alpha * s : alpha * s + beta * c[ci];
      }
    }
  }

  /** One k block [p0, p1) of every element of C into the partials; first overwrites them. */
  private static void block(
      float[] part,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      int m,
      int n,
      int p0,
      int p1,
      boolean first) {
    int m3 = m - m % MR;
    int n3 = n - n % NR;
    int rowStride = n * L; // partials of C(i, j) and C(i + 1, j) are n * L apart
    for (int j = 0; j < n3; j += NR) {
      int bj = bOff + j * ldb;
      for (int i = 0; i < m3; i += MR) {
        tile3x3(
            part, (i * n + j) * L, rowStride, a, aOff + i * lda, lda, b, bj, ldb, p0, p1, first);
      }
      for (int i = m3; i < m; i++) {
        tile1x3(part, (i * n + j) * L, a, aOff + i * lda, b, bj, ldb, p0, p1, first);
      }
    }
    for (int j = n3; j < n; j++) {
      int bj = bOff + j * ldb;
      for (int i = 0; i < m3; i += MR) {
        tile3x1(part, (i * n + j) * L, rowStride, a, aOff + i * lda, lda, b, bj, p0, p1, first);
      }
      for (int i = m3; i < m; i++) {
        tile1x1(part, (i * n + j) * L, a, aOff + i * lda, b, bj, p0, p1, first);
      }
    }
  }

  /** C(i..i+2, j..j+2): the main register block. */
  private static void tile3x3(
      float[] part,
      int x,
      int rs,
      float[] a,
      int a0,
      int lda,
      float[] b,
      int b0,
      int ldb,
      int p0,
      int p1,
      boolean first) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c02 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c12 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c22 = c00;
    int a1 = a0 + lda;
    int a2 = a1 + lda;
    int b1 = b0 + ldb;
    int b2 = b1 + ldb;
    for (int p = p0; p < p1; p += L) {
      FloatVector v0 = FloatVector.fromArray(S, b, b0 + p);
      FloatVector v1 = FloatVector.fromArray(S, b, b1 + p);
      FloatVector v2 = FloatVector.fromArray(S, b, b2 + p);
      FloatVector u = FloatVector.fromArray(S, a, a0 + p);
      c00 = u.fma(v0, c00);
      c01 = u.fma(v1, c01);
      c02 = u.fma(v2, c02);
      u = FloatVector.fromArray(S, a, a1 + p);
      c10 = u.fma(v0, c10);
      c11 = u.fma(v1, c11);
      c12 = u.fma(v2, c12);
      u = FloatVector.fromArray(S, a, a2 + p);
      c20 = u.fma(v0, c20);
      c21 = u.fma(v1, c21);
      c22 = u.fma(v2, c22);
    }
    flush(part, x, c00, first);
    flush(part, x + L, c01, first);
    flush(part, x + 2 * L, c02, first);
    flush(part, x + rs, c10, first);
    flush(part, x + rs + L, c11, first);
    flush(part, x + rs + 2 * L, c12, first);
    flush(part, x + 2 * rs, c20, first);
    flush(part, x + 2 * rs + L, c21, first);
    flush(part, x + 2 * rs + 2 * L, c22, first);
  }

  /** C(i, j..j+2): a row left over below the groups of three. */
  private static void tile1x3(
      float[] part,
      int x,
      float[] a,
      int a0,
      float[] b,
      int b0,
      int ldb,
      int p0,
      int p1,
      boolean first) {
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = c0;
    FloatVector c2 = c0;
    int b1 = b0 + ldb;
    int b2 = b1 + ldb;
    for (int p = p0; p < p1; p += L) {
      FloatVector u = FloatVector.fromArray(S, a, a0 + p);
      c0 = u.fma(FloatVector.fromArray(S, b, b0 + p), c0);
      c1 = u.fma(FloatVector.fromArray(S, b, b1 + p), c1);
      c2 = u.fma(FloatVector.fromArray(S, b, b2 + p), c2);
    }
    flush(part, x, c0, first);
    flush(part, x + L, c1, first);
    flush(part, x + 2 * L, c2, first);
  }

  /** C(i..i+2, j): a column left over right of the groups of three. */
  private static void tile3x1(
      float[] part,
      int x,
      int rs,
      float[] a,
      int a0,
      int lda,
      float[] b,
      int b0,
      int p0,
      int p1,
      boolean first) {
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = c0;
    FloatVector c2 = c0;
    int a1 = a0 + lda;
    int a2 = a1 + lda;
    for (int p = p0; p < p1; p += L) {
      FloatVector v = FloatVector.fromArray(S, b, b0 + p);
      c0 = FloatVector.fromArray(S, a, a0 + p).fma(v, c0);
      c1 = FloatVector.fromArray(S, a, a1 + p).fma(v, c1);
      c2 = FloatVector.fromArray(S, a, a2 + p).fma(v, c2);
    }
    flush(part, x, c0, first);
    flush(part, x + rs, c1, first);
    flush(part, x + 2 * rs, c2, first);
  }

  /** C(i, j): the corner left over in both directions. */
  private static void tile1x1(
      float[] part, int x, float[] a, int a0, float[] b, int b0, int p0, int p1, boolean first) {
    FloatVector c0 = FloatVector.zero(S);
    for (int p = p0; p < p1; p += L) {
      c0 = FloatVector.fromArray(S, a, a0 + p).fma(FloatVector.fromArray(S, b, b0 + p), c0);
    }
    flush(part, x, c0, first);
  }

  /** Stores one block's accumulator into the partials (first block) or adds it to them. */
  private static void flush(float[] part, int x, FloatVector acc, boolean first) {
    if (first) {
      acc.intoArray(part, x);
    } else {
      acc.add(FloatVector.fromArray(S, part, x)).intoArray(part, x);
    }
  }
}
