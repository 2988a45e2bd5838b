package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.kernels.RowOps;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Softmax along the last axis as a forward/backward pair, for attention weights: {@code out[..., j]
 * = exp(x[..., j]) / sum_k exp(x[..., k])}, each row of length D on its own; PyTorch's {@code
 * F.softmax(x, dim=-1)}.
 *
 * <p>Dimension letters: D the softmax (last) axis; an input (..., D) is R = x.size() / D rows, e.g.
 * attention scores (N, H, T, S) are N*H*T rows of length S. The row maximum is subtracted before
 * exp (so exp never overflows, the CS231n numerical trap), float32 in float32 on the vectorized
 * {@link RowOps#ssoftmax} kernel, float64 in double.
 *
 * <p>Masking: entries of -inf get exactly 0 weight. A row that is entirely -inf gets all zeros (and
 * a zero gradient) instead of PyTorch's NaN: a query with every key masked (a padding position)
 * then attends to nothing, where NaN would spread into every loss through the next matmul. Causal
 * masks always leave the diagonal, so they never produce such rows. A NaN or +inf entry makes its
 * row NaN, as in PyTorch.
 */
public final class Softmax {
  private Softmax() {}

  /**
   * What the backward pass reads.
   *
   * @param out the softmax output, the shape of x, contiguous
   */
  public record Cache(Tensor out) {
    /** Validates presence. */
    public Cache {
      Objects.requireNonNull(out, "out");
    }
  }

  /**
   * Forward pass: softmax along the last axis.
   *
   * @param x input, shape (..., D) with at least one axis, float32 or float64; -inf entries allowed
   *     (masked positions)
   * @return out, the shape and dtype of x, rows summing to 1 (or all 0 for an all -inf row); the
   *     cache keeps out
   * @throws IllegalArgumentException on a 0-d or non-floating x
   */
  public static Forward<Cache> softmaxForward(Tensor x) {
    String op = "softmax";
    Elementwise.requireFloat(op, "x", x);
    if (x.ndim() < 1) {
      throw new IllegalArgumentException(
          op + ": expected x (..., D) with at least one axis, got " + x.shapeString());
    }
    Tensor xc = x.contiguous();
    int d = x.shape(-1);
    int rows = d == 0 ? 0 : x.size() / d;
    Tensor out = Tensor.zeros(x.dtype(), x.shape());
    if (x.dtype() == DType.FLOAT32) {
      RowOps.ssoftmax(rows, d, out.floatStorage(), 0, d, xc.floatStorage(), xc.offset(), d);
    } else {
      RowOps.dsoftmax(rows, d, out.doubleStorage(), 0, d, xc.doubleStorage(), xc.offset(), d);
    }
    return new Forward<>(out, new Cache(out));
  }

  /**
   * Backward pass: per row, with y the forward output, {@code dx = y * (dout - sum(dout * y))} (the
   * Jacobian diag(y) - y y^T applied to dout; the sum runs over the row's D entries).
   *
   * @param dout upstream gradient, the shape and dtype of x
   * @param cache from {@link #softmaxForward}
   * @return dx, the shape of x
   * @throws IllegalArgumentException when dout's shape or dtype differs from the output's
   */
  public static Tensor softmaxBackward(Tensor dout, Cache cache) {
    String op = "softmax_backward";
    Tensor y = cache.out();
    if (!dout.sameShape(y)) {
      throw new IllegalArgumentException(
          op
              + ": expected dout of the output's shape "
              + y.shapeString()
              + ", got "
              + dout.shapeString());
    }
    if (dout.dtype() != y.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": dtype mismatch: dout is "
              + dout.dtype().numpyName()
              + " but out is "
              + y.dtype().numpyName());
    }
    Tensor g = dout.contiguous();
    int d = y.shape(-1);
    int rows = d == 0 ? 0 : y.size() / d;
    Tensor dx = Tensor.zeros(y.dtype(), y.shape());
    if (y.dtype() == DType.FLOAT32) {
      RowOps.ssoftmaxBackward(
          rows,
          d,
          dx.floatStorage(),
          0,
          d,
          g.floatStorage(),
          g.offset(),
          d,
          y.floatStorage(),
          y.offset(),
          d);
    } else {
      RowOps.dsoftmaxBackward(
          rows,
          d,
          dx.doubleStorage(),
          0,
          d,
          g.doubleStorage(),
          g.offset(),
          d,
          y.doubleStorage(),
          y.offset(),
          d);
    }
    return dx;
  }
}
