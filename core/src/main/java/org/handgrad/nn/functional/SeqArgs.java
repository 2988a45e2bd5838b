package org.handgrad.nn.functional;

import java.util.Arrays;
import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;

/**
 * Argument checks at the API boundary of the sequence layers. Every message names the op, the
 * argument, its expected shape in dimension letters and both shapes, e.g. {@code "lstmForward:
 * expected wx (D, 4H) = (4, 20), got (4, 16)"}. Each check returns the tensor made contiguous, so a
 * layer can read its storage directly.
 */
final class SeqArgs {
  private SeqArgs() {}

  /**
   * The leading input of a layer: a float32 or float64 tensor of the given rank with every
   * dimension at least 1.
   *
   * @param dims the expected shape in letters, e.g. "(N, T, D)"
   */
  static Tensor input(String op, String name, Tensor t, String dims, int rank) {
    Objects.requireNonNull(t, op + ": " + name + " is null");
    if (t.dtype() != DType.FLOAT32 && t.dtype() != DType.FLOAT64) {
      throw new IllegalArgumentException(
          op + ": " + name + " must be float32 or float64, got " + t.dtype().numpyName());
    }
    if (t.ndim() != rank) {
      throw new IllegalArgumentException(
          op + ": expected " + name + " " + dims + ", got " + t.shapeString());
    }
    for (int d : t.shape()) {
      if (d < 1) {
        throw new IllegalArgumentException(
            op
                + ": expected "
                + name
                + " "
                + dims
                + " with every size >= 1, got "
                + t.shapeString());
      }
    }
    return t.contiguous();
  }

  /**
   * A tensor whose shape is fixed by the leading input and whose dtype must match it.
   *
   * @param dims the expected shape in letters, e.g. "(D, 4H)"
   * @param like the tensor that fixes the dtype (the leading input)
   * @param likeName how to name {@code like} in the message, e.g. "x"
   */
  static Tensor matching(
      String op, String name, Tensor t, String dims, Tensor like, String likeName, int... shape) {
    Objects.requireNonNull(t, op + ": " + name + " is null");
    if (t.dtype() != like.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": "
              + name
              + " is "
              + t.dtype().numpyName()
              + " but "
              + likeName
              + " is "
              + like.dtype().numpyName()
              + " (mixed dtypes; convert one with to(DType))");
    }
    if (!Arrays.equals(t.shape(), shape)) {
      throw new IllegalArgumentException(
          op
              + ": expected "
              + name
              + " "
              + dims
              + " = "
              + Shapes.str(shape)
              + ", got "
              + t.shapeString());
    }
    return t.contiguous();
  }
}
