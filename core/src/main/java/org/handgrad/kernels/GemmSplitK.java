package org.handgrad.kernels;

/**
 * Split-k GEMM for a small C and a deep k, such as a conv weight gradient ({@code dW (F, C*KH*KW) =
 * dout (F, N*H'*W') * cols^T}: m = 32, n = 147, k = 65536). Cutting C among threads there leaves
 * each thread a sliver of a few tiles that streams one whole operand, k deep, from L3 or memory;
 * cutting k instead gives every thread all of C and its own share of both operands, each read once.
 *
 * <p>k is cut into {@link GemmBlocking#kSplits} consecutive chunks, a number fixed by the shape
 * alone (never by the thread count). Chunk s computes the partial product {@code P_s = op(A)[:,
 * k_s:k_(s+1)] * op(B)[k_s:k_(s+1), :]} with a single-threaded kernel (the dot-product one for an
 * NT product whose C has at most k elements, see {@link GemmBlocking#useDot}, otherwise the packed
 * one) into its own slot of a scratch buffer; the chunks are shared out among {@link Parallel}'s
 * threads. The partials are then summed in chunk order, {@code ((P_0 + P_1) + P_2) + ...}, and
 * {@code C = alpha * sum + beta * C}. Every element is thus computed by the same operations in the
 * same order whichever thread ran which chunk, so the result is bit-identical for any thread count.
 */
final class GemmSplitK {
  /**
   * Per-thread buffers for the partial products (splits x m x n). The shapes that take this path
   * keep them small (at most {@link GemmBlocking#SPLIT_K_BUFFER} elements); they grow to the
   * largest call the thread has made.
   */
  private static final ThreadLocal<Partials> PARTIALS = ThreadLocal.withInitial(Partials::new);

  private static final class Partials {
    float[] f = new float[0];
    double[] d = new double[0];
  }

  private GemmSplitK() {}

  /** First k index of chunk s of splits: the chunks differ in depth by at most one. */
  static int kStart(int s, int k, int splits) {
    return (int) ((long) s * k / splits);
  }

  /**
   * float32 split-k; arguments as {@link Gemm#sgemm}, already checked, with m, n, k &gt; 0, alpha
   * != 0 and {@code splits >= 2} chunks of k; {@code dot} (only for an NT product) computes each
   * chunk with {@link SgemmDot} instead of the packed kernel.
   */
  static void sgemm(
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
      float beta,
      int splits,
      boolean dot) {
    int mn = m * n;
    Partials pt = PARTIALS.get();
    if (pt.f.length < splits * mn) {
      pt.f = new float[splits * mn];
    }
    float[] part = pt.f;
    Parallel.forChunks(
        splits,
        s -> {
          int k0 = kStart(s, k, splits);
          int k1 = kStart(s + 1, k, splits);
          // op(A)[:, k0:k1] starts k0 columns in (A stored (m, k)) or k0 rows down (stored (k, m));
          // op(B)[k0:k1, :] starts k0 rows down (B stored (k, n)) or k0 columns in (stored (n, k)).
          if (dot) {
            SgemmDot.gemm(
                part, s * mn, n, a, aOff + k0, lda, b, bOff + k0, ldb, m, n, k1 - k0, 1f, 0f);
            return;
          }
          SgemmVector.gemm(
              part,
              s * mn,
              n,
              a,
              aOff + (transA ? k0 * lda : k0),
              lda,
              transA,
              b,
              bOff + (transB ? k0 : k0 * ldb),
              ldb,
              transB,
              m,
              n,
              k1 - k0,
              1f,
              0f,
              false);
        });
    // Sum the partials into slot 0, chunk by chunk in order.
    for (int s = 1; s < splits; s++) {
      int base = s * mn;
      for (int x = 0; x < mn; x++) {
        part[x] += part[base + x];
      }
    }
    for (int i = 0; i < m; i++) {
      int row = cOff + i * ldc;
      int pr = i * n;
      if (beta == 0f) {
        for (int j = 0; j < n; j++) {
          c[row + j] = alpha * part[pr + j];
        }
      } else {
        for (int j = 0; j < n; j++) {
          c[row + j] = alpha * part[pr + j] + beta * c[row + j];
        }
      }
    }
  }

  /**
   * float64 split-k; arguments as {@link Gemm#dgemm}, already checked, with m, n, k &gt; 0, alpha
   * != 0 and {@code splits >= 2} chunks of k; {@code dot} (only for an NT product) computes each
   * chunk with {@link DgemmDot} instead of the packed kernel.
   */
  static void dgemm(
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
      double beta,
      int splits,
      boolean dot) {
    int mn = m * n;
    Partials pt = PARTIALS.get();
    if (pt.d.length < splits * mn) {
      pt.d = new double[splits * mn];
    }
    double[] part = pt.d;
    Parallel.forChunks(
        splits,
        s -> {
          int k0 = kStart(s, k, splits);
          int k1 = kStart(s + 1, k, splits);
          if (dot) {
            DgemmDot.gemm(
                part, s * mn, n, a, aOff + k0, lda, b, bOff + k0, ldb, m, n, k1 - k0, 1.0, 0.0);
            return;
          }
          DgemmVector.gemm(
              part,
              s * mn,
              n,
              a,
              aOff + (transA ? k0 * lda : k0),
              lda,
              transA,
              b,
              bOff + (transB ? k0 : k0 * ldb),
              ldb,
              transB,
              m,
              n,
              k1 - k0,
              1.0,
              0.0,
              false);
        });
    for (int s = 1; s < splits; s++) {
      int base = s * mn;
      for (int x = 0; x < mn; x++) {
        part[x] += part[base + x];
      }
    }
    for (int i = 0; i < m; i++) {
      int row = cOff + i * ldc;
      int pr = i * n;
      if (beta == 0) {
        for (int j = 0; j < n; j++) {
          c[row + j] = alpha * part[pr + j];
        }
      } else {
        for (int j = 0; j < n; j++) {
          c[row + j] = alpha * part[pr + j] + beta * c[row + j];
        }
      }
    }
  }
}
