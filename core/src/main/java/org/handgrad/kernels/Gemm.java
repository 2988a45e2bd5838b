package org.handgrad.kernels;

/**
 * General matrix multiply on row-major arrays: {@code C = alpha * op(A) * op(B) + beta * C}, where
 * {@code op(X)} is X or its transpose. Outputs first, as every kernel in this package.
 *
 * <p>Shapes: op(A) is (m, k), op(B) is (k, n), C is (m, n). {@code lda}, {@code ldb}, {@code ldc}
 * are the row strides (leading dimensions) of the stored arrays: A stored (m, k) has lda >= k, A
 * stored transposed (k, m) has lda >= m.
 *
 * <p>This first version is the scalar reference; the fast packed kernel replaces the body while
 * keeping the signature.
 */
public final class Gemm {
  private Gemm() {}

  /** float32 GEMM; see the class comment for the argument layout. */
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
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float s = 0f;
        for (int p = 0; p < k; p++) {
          float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
          float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
          s += av * bv;
        }
        int ci = cOff + i * ldc + j;
        c[ci] = alpha * s + (beta == 0f ? 0f : beta * c[ci]);
      }
    }
  }

  /** float64 GEMM; see the class comment for the argument layout. */
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
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int p = 0; p < k; p++) {
          double av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
          double bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
          s += av * bv;
        }
        int ci = cOff + i * ldc + j;
        c[ci] = alpha * s + (beta == 0 ? 0 : beta * c[ci]);
      }
    }
  }
}
