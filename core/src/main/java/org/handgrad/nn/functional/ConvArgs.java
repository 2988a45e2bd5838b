package org.handgrad.nn.functional;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;

/**
 * Argument checks shared by the convolution, pooling and upsampling layers, with messages that name
 * the op and the shapes involved.
 */
final class ConvArgs {
  private ConvArgs() {}

  /** Requires a float tensor of the given rank; {@code letters} is e.g. "(N, C, H, W)". */
  static void requireRank(String op, String name, Tensor t, int rank, String letters) {
    if (t == null) {
      throw new IllegalArgumentException(op + ": " + name + " is null");
    }
    if (t.ndim() != rank) {
      throw new IllegalArgumentException(
          op + ": expected " + name + " " + letters + ", got " + t.shapeString());
    }
    if (!t.dtype().isFloating()) {
      throw new IllegalArgumentException(
          op + ": " + name + " must be float32 or float64, got " + t.dtype().numpyName());
    }
  }

  /** Requires {@code t} to have the dtype of {@code x} (no silent mixed precision). */
  static void requireSameDType(String op, String name, Tensor t, Tensor x) {
    if (t.dtype() != x.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": "
              + name
              + " is "
              + t.dtype().numpyName()
              + " but x is "
              + x.dtype().numpyName()
              + "; convert one of them with to(DType)");
    }
  }

  /** Requires the upstream gradient to have the forward output's shape and dtype. */
  static void requireDout(String op, Tensor dout, int[] outShape, DType dtype) {
    if (dout == null) {
      throw new IllegalArgumentException(op + ": dout is null");
    }
    if (!Shapes.same(dout.shape(), outShape)) {
      throw new IllegalArgumentException(
          op
              + ": expected dout with the forward output shape "
              + Shapes.str(outShape)
              + ", got "
              + dout.shapeString());
    }
    if (dout.dtype() != dtype) {
      throw new IllegalArgumentException(
          op + ": dout is " + dout.dtype().numpyName() + " but x is " + dtype.numpyName());
    }
  }

  /** Wraps float64 results as a tensor of the requested dtype (naive layers compute in double). */
  static Tensor fromDoubles(double[] data, DType dtype, int... shape) {
    Tensor t = Tensor.of(data, shape);
    return dtype == DType.FLOAT64 ? t : t.to(dtype);
  }
}
