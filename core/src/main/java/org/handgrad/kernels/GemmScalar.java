package org.handgrad.kernels;

import java.util.Arrays;

/**
 * Plain-Java scalar twin of {@link Gemm}: the reference the vector kernel is tested against, and
 * the fallback when the Vector API is unavailable or {@link Kernels#forceScalar(boolean) forced
 * off}. Same arguments and contract as {@link Gemm#sgemm} / {@link Gemm#dgemm}; no argument checks
 * here (Gemm does them).
 *
 * <p>Every element is computed the textbook way, {@code s = sum_p a(i,p) * b(p,j)} accumulated in
 * order p = 0..k-1 with a separate multiply and add, then {@code c = alpha * s + beta * c}. Only
 * the loop order changes with the transposes, to walk memory contiguously where possible
 * (row-times-row dot products when B is transposed, row-axpy sweeps otherwise); it never changes
 * that per-element summation order, so the result does not depend on the layout. The NT loop
 * (row-times-row dot products) is also the twin of the dot-product kernels {@link SgemmDot} and
 * {@link DgemmDot}, which sum the same products lane-strided instead of in order.
 */
final class GemmScalar {
  private GemmScalar() {}

  /** float32 reference; see {@link Gemm#sgemm}. */
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
      float beta) {
    if (alpha == 0f || k == 0) {
      Gemm.scale(c, cOff, ldc, m, n, beta);
      return;
    }
    // Strides to step A along i and p, and B along p and j, whatever the storage order.
    int aI = transA ? 1 : lda;
    int aP = transA ? lda : 1;
    int bP = transB ? 1 : ldb;
    int bJ = transB ? ldb : 1;
    if (transB) {
      // B stored (n, k): each c(i,j) is a dot product of two contiguous-ish rows.
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          float s = 0f;
          int ai = aOff + i * aI;
          int bj = bOff + j * bJ;
          for (int p = 0; p < k; p++) {
            s += a[ai + p * aP] * b[bj + p * bP];
          }
          int ci = cOff + i * ldc + j;
          c[ci] = beta == 0f ? alpha * s : alpha * s + beta * c[ci];
        }
      }
      return;
    }
    // B stored (k, n): sweep whole rows of B into a row of sums, so B is read contiguously.
    float[] acc = new float[n];
    for (int i = 0; i < m; i++) {
      Arrays.fill(acc, 0f);
      int ai = aOff + i * aI;
      for (int p = 0; p < k; p++) {
        float av = a[ai + p * aP];
        int bp = bOff + p * bP;
        for (int j = 0; j < n; j++) {
          acc[j] += av * b[bp + j];
        }
      }
      int ci = cOff + i * ldc;
      for (int j = 0; j < n; j++) {
        c[ci + j] = beta == 0f ? alpha * acc[j] : alpha * acc[j] + beta * c[ci + j];
      }
    }
  }

  /** float64 reference; see {@link Gemm#dgemm}. */
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
      double beta) {
    if (alpha == 0 || k == 0) {
      Gemm.scale(c, cOff, ldc, m, n, beta);
      return;
    }
    int aI = transA ? 1 : lda;
    int aP = transA ? lda : 1;
    int bP = transB ? 1 : ldb;
    int bJ = transB ? ldb : 1;
    if (transB) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double s = 0;
          int ai = aOff + i * aI;
          int bj = bOff + j * bJ;
          for (int p = 0; p < k; p++) {
            s += a[ai + p * aP] * b[bj + p * bP];
          }
          int ci = cOff + i * ldc + j;
          c[ci] = beta == 0 ? alpha * s : alpha * s + beta * c[ci];
        }
      }
      return;
    }
    double[] acc = new double[n];
    for (int i = 0; i < m; i++) {
      Arrays.fill(acc, 0);
      int ai = aOff + i * aI;
      for (int p = 0; p < k; p++) {
        double av = a[ai + p * aP];
        int bp = bOff + p * bP;
        for (int j = 0; j < n; j++) {
          acc[j] += av * b[bp + j];
        }
      }
      int ci = cOff + i * ldc;
      for (int j = 0; j < n; j++) {
        c[ci + j] = beta == 0 ? alpha * acc[j] : alpha * acc[j] + beta * c[ci + j];
      }
    }
  }
}
