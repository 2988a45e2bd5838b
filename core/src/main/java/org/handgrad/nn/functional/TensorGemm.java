package org.handgrad.nn.functional;

import org.handgrad.kernels.Gemm;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The one bridge from contiguous float tensors to {@link Gemm}'s float32/float64 kernels, so each
 * layer is written once for both dtypes. Offsets count elements from each tensor's first element
 * (the storage offset of a view is added here); leading dimensions are row strides in elements. The
 * layers check shapes and dtypes at their API boundary; all tensors of a call share a dtype.
 */
final class TensorGemm {
  private TensorGemm() {}

  /**
   * {@code C = op(A) op(B) + beta C}, with op(A) (m, k), op(B) (k, n) and C (m, n) row-major; a
   * transposed operand is stored (k, m) or (n, k). See {@link Gemm#sgemm}.
   */
  static void gemm(
      Tensor c,
      int cOff,
      int ldc,
      Tensor a,
      int aOff,
      int lda,
      boolean transA,
      Tensor b,
      int bOff,
      int ldb,
      boolean transB,
      int m,
      int n,
      int k,
      double beta) {
    int co = c.offset() + cOff;
    int ao = a.offset() + aOff;
    int bo = b.offset() + bOff;
    if (c.dtype() == DType.FLOAT32) {
      Gemm.sgemm(
          c.floatStorage(),
          co,
          ldc,
          a.floatStorage(),
          ao,
          lda,
          transA,
          b.floatStorage(),
          bo,
          ldb,
          transB,
          m,
          n,
          k,
          1f,
          (float) beta);
    } else {
      Gemm.dgemm(
          c.doubleStorage(),
          co,
          ldc,
          a.doubleStorage(),
          ao,
          lda,
          transA,
          b.doubleStorage(),
          bo,
          ldb,
          transB,
          m,
          n,
          k,
          1.0,
          beta);
    }
  }

  /**
   * {@code C = op(A) op(B) + beta C} on whole contiguous matrices, with the leading dimensions of
   * their row-major storage: C is (m, n), A is stored (m, k) or, transposed, (k, m), and B (k, n)
   * or (n, k).
   */
  static void gemm(
      Tensor c,
      Tensor a,
      boolean transA,
      Tensor b,
      boolean transB,
      int m,
      int n,
      int k,
      double beta) {
    gemm(c, 0, n, a, 0, transA ? m : k, transA, b, 0, transB ? k : n, transB, m, n, k, beta);
  }
}
