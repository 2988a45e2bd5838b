package org.handgrad.nn.modules;

import java.util.Arrays;
import org.handgrad.nn.PairModule;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;

/**
 * Flattens every example to a vector, (N, d1, ..., dk) to (N, D) with D = d1 * ... * dk: PyTorch's
 * {@code nn.Flatten()} (start_dim 1), typically between the conv stack and the classifier. ({@link
 * Linear} flattens by itself, as CS231n's affine layer; Flatten makes the step explicit.)
 *
 * <p>The output is a view of a contiguous x and dx a view of a contiguous dout (no copy: reshaping
 * moves no data); neither is modified by the modules here.
 */
public final class Flatten extends PairModule<Flatten.Cache> {
  /**
   * What the backward pass reads.
   *
   * @param inputShape shape of x, (N, d1, ..., dk)
   */
  public record Cache(int[] inputShape) {}

  /** A Flatten module. */
  public Flatten() {}

  /**
   * {@inheritDoc}
   *
   * @param x input, shape (N, d1, ..., dk), k >= 0
   * @return out, shape (N, D)
   */
  @Override
  protected Forward<Cache> forwardPair(Tensor x) {
    if (x.ndim() < 1) {
      throw new IllegalArgumentException(
          "Flatten: expected x (N, d1, ..., dk), got a scalar " + x.shapeString());
    }
    int n = x.shape(0);
    int d = features(x.shape());
    return new Forward<>(x.reshape(n, d), new Cache(x.shape()));
  }

  /**
   * {@inheritDoc}
   *
   * @param dout shape (N, D)
   * @return dx, shape (N, d1, ..., dk)
   */
  @Override
  protected Tensor backwardPair(Tensor dout, Cache cache) {
    int[] s = cache.inputShape();
    int n = s[0];
    int d = features(s);
    if (dout.ndim() != 2 || dout.shape(0) != n || dout.shape(1) != d) {
      throw new IllegalArgumentException(
          "Flatten.backward: expected dout (N, D) = ("
              + n
              + ", "
              + d
              + ") for x "
              + Shapes.str(s)
              + ", got "
              + dout.shapeString());
    }
    return dout.reshape(s);
  }

  /** D = d1 * ... * dk (1 for k = 0), also when N = 0. */
  private static int features(int[] shape) {
    return Shapes.size(Arrays.copyOfRange(shape, 1, shape.length));
  }
}
