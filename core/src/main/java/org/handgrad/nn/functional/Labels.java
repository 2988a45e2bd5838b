package org.handgrad.nn.functional;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Class labels, and the one rule for their type.
 *
 * <p><b>The rule.</b> One class label per example, CS231n's {@code y} of shape (N,), is an {@code
 * int[]} of length N everywhere: datasets ({@code Split.y()}, {@code Batch.y()}), losses, models
 * ({@code Model.loss(x, y)}), metrics and predictions ({@code Classifier.predict}). Anything with
 * more than one axis is an int32 {@link Tensor}: token ids such as captions (N, T) and their masks.
 * Every function that takes an {@code int[] y} also takes an int32 tensor of shape (N,), so labels
 * that arrive as a tensor ({@code scores.argmax(1)}, an .npy file) need no conversion by hand.
 */
public final class Labels {
  private Labels() {}

  /**
   * The labels of an int32 tensor of shape (N,) as an int array (a copy).
   *
   * @param op names the caller in the error message, e.g. "softmax_loss"
   * @param y int32, shape (N,)
   * @return N labels
   * @throws IllegalArgumentException when y is not int32 or not 1-D (a float tensor is refused
   *     rather than truncated)
   */
  public static int[] toArray(String op, Tensor y) {
    if (y == null) {
      throw new IllegalArgumentException(op + ": labels y are null");
    }
    if (y.dtype() != DType.INT32 || y.ndim() != 1) {
      throw new IllegalArgumentException(
          op
              + ": expected labels y as an int32 tensor of shape (N,), got "
              + y.dtype().numpyName()
              + " "
              + y.shapeString()
              + (y.dtype() == DType.INT32 ? "" : "; convert with y.to(DType.INT32)"));
    }
    return y.toIntArray();
  }

  /**
   * Labels as an int32 tensor of shape (N,), e.g. to save them to .npy.
   *
   * @param y N labels (copied)
   */
  public static Tensor toTensor(int[] y) {
    return Tensor.of(y.clone(), y.length);
  }
}
