package org.handgrad.nn.functional;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The affine (fully connected) layer, CS231n's {@code affine_forward} / {@code affine_backward}.
 *
 * <p>Dimensions: N examples, each of D = d1 * ... * dk features (x is flattened to (N, D)), M
 * outputs. The weight is stored (D, M), i.e. (fan_in, fan_out) as in CS231n, so {@code out = x w +
 * b}; PyTorch's {@code nn.Linear} stores the transpose (M, D). Both products of the backward pass
 * use GEMM's transpose flags on the stored arrays, never a transposed copy.
 */
public final class Affine {
  private Affine() {}

  /**
   * Cache of {@link #affineForward}.
   *
   * @param x the input, shape (N, d1, ..., dk)
   * @param w weights, shape (D, M)
   * @param b biases, shape (M,)
   */
  public record Cache(Tensor x, Tensor w, Tensor b) {}

  /**
   * Gradients of {@link #affineBackward}.
   *
   * @param dx shape of x, (N, d1, ..., dk)
   * @param dw shape (D, M)
   * @param db shape (M,)
   */
  public record Grads(Tensor dx, Tensor dw, Tensor db) {}

  /**
   * {@code out = reshape(x, (N, D)) w + b}.
   *
   * @param x input, shape (N, d1, ..., dk) with k >= 1; float32 or float64
   * @param w weights, shape (D, M) with D = d1 * ... * dk; the dtype of x
   * @param b biases, shape (M,); the dtype of x
   * @return out, shape (N, M), the dtype of x
   * @throws IllegalArgumentException on mismatched shapes or dtypes
   */
  public static Forward<Cache> affineForward(Tensor x, Tensor w, Tensor b) {
    checkArgs(x, w, b);
    int n = x.shape(0);
    int d = w.shape(0);
    int m = w.shape(1);
    Tensor xc = x.contiguous();
    Tensor wc = w.contiguous();
    Tensor bc = b.contiguous();
    Tensor out = Tensor.zeros(x.dtype(), n, m);
    // Broadcast b into every row, then accumulate x w on top of it (GEMM with beta = 1).
    for (int i = 0; i < n; i++) {
      System.arraycopy(storage(bc), bc.offset(), storage(out), i * m, m);
    }
    TensorGemm.gemm(out, xc, false, wc, false, n, m, d, 1);
    return new Forward<>(out, new Cache(xc, wc, bc));
  }

  /**
   * Backward of {@link #affineForward}. From out = x w + b: dx = dout w^T, dw = x^T dout, and db =
   * the column sums of dout (b is added to every row, so its gradient sums over the rows).
   *
   * @param dout upstream gradient, shape (N, M), the dtype of x
   * @return dx shaped like x, dw (D, M), db (M,)
   * @throws IllegalArgumentException when dout does not match the forward output
   */
  public static Grads affineBackward(Tensor dout, Cache cache) {
    Tensor g = checkDout(dout, cache);
    Tensor x = cache.x();
    int n = x.shape(0), d = cache.w().shape(0), m = cache.w().shape(1);
    Tensor dw = Tensor.zeros(x.dtype(), d, m);
    TensorGemm.gemm(dw, x, true, g, false, d, m, n, 0); // dw (D, M) = x^T . dout, x stored (N, D)
    Tensor db = Tensor.of(columnSums(g, n, m), m).to(x.dtype());
    return new Grads(inputGrad(g, cache), dw, db);
  }

  /**
   * The dx part of {@link #affineBackward} alone, {@code dx = dout w^T}: for a frozen layer, whose
   * weight needs no gradient, this skips the {@code x^T dout} product.
   *
   * @param dout upstream gradient, shape (N, M), the dtype of x
   * @return dx shaped like x
   * @throws IllegalArgumentException when dout does not match the forward output
   */
  public static Tensor affineBackwardInput(Tensor dout, Cache cache) {
    return inputGrad(checkDout(dout, cache), cache);
  }

  /** dx (N, D) = dout (N, M) . w^T, w stored (D, M); g is the contiguous dout. */
  private static Tensor inputGrad(Tensor g, Cache cache) {
    Tensor x = cache.x();
    int n = x.shape(0), d = cache.w().shape(0), m = cache.w().shape(1);
    Tensor dx = Tensor.zeros(x.dtype(), x.shape());
    TensorGemm.gemm(dx, g, false, cache.w(), true, n, d, m, 0);
    return dx;
  }

  /** Checks dout against the forward output (N, M) and returns it contiguous. */
  private static Tensor checkDout(Tensor dout, Cache cache) {
    Tensor x = cache.x();
    int n = x.shape(0);
    int m = cache.w().shape(1);
    if (dout.ndim() != 2 || dout.shape(0) != n || dout.shape(1) != m) {
      throw new IllegalArgumentException(
          "affine_backward: expected dout (N, M) = ("
              + n
              + ", "
              + m
              + "), got "
              + dout.shapeString());
    }
    if (dout.dtype() != x.dtype()) {
      throw new IllegalArgumentException(
          "affine_backward: dtype mismatch: dout is "
              + dout.dtype().numpyName()
              + " but x is "
              + x.dtype().numpyName());
    }
    return dout.contiguous();
  }

  /** Column sums of a contiguous (n, m) float tensor, accumulated in double. */
  private static double[] columnSums(Tensor g, int n, int m) {
    double[] acc = new double[m];
    int off = g.offset();
    if (g.dtype() == DType.FLOAT32) {
      float[] s = g.floatStorage();
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < m; j++) {
          acc[j] += s[off + i * m + j];
        }
      }
    } else {
      double[] s = g.doubleStorage();
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < m; j++) {
          acc[j] += s[off + i * m + j];
        }
      }
    }
    return acc;
  }

  /** The float[] or double[] storage of a float tensor, for System.arraycopy. */
  private static Object storage(Tensor t) {
    return t.dtype() == DType.FLOAT32 ? t.floatStorage() : t.doubleStorage();
  }

  private static void checkArgs(Tensor x, Tensor w, Tensor b) {
    Elementwise.requireFloat("affine", "x", x);
    if (x.ndim() < 2) {
      throw new IllegalArgumentException(
          "affine: expected x (N, d1, ..., dk) with k >= 1, got " + x.shapeString());
    }
    int d = 1;
    for (int a = 1; a < x.ndim(); a++) {
      d *= x.shape(a);
    }
    if (w.ndim() != 2 || w.shape(0) != d) {
      throw new IllegalArgumentException(
          "affine: expected w (D, M) with D="
              + d
              + " (x "
              + x.shapeString()
              + " flattened to (N, D)), got "
              + w.shapeString());
    }
    int m = w.shape(1);
    if (b.ndim() != 1 || b.shape(0) != m) {
      throw new IllegalArgumentException(
          "affine: expected b (M,) with M="
              + m
              + " (w "
              + w.shapeString()
              + "), got "
              + b.shapeString());
    }
    if (w.dtype() != x.dtype() || b.dtype() != x.dtype()) {
      throw new IllegalArgumentException(
          "affine: dtype mismatch: x is "
              + x.dtype().numpyName()
              + ", w is "
              + w.dtype().numpyName()
              + ", b is "
              + b.dtype().numpyName()
              + " (convert with Tensor.to)");
    }
  }
}
