package org.handgrad.nn.modules;

import org.handgrad.nn.PairModule;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Pool;
import org.handgrad.nn.functional.PoolParam;
import org.handgrad.tensor.Tensor;

/**
 * Global average pooling, PyTorch's {@code nn.AdaptiveAvgPool2d((1, 1))} (the pooling before a
 * ResNet's classifier): x (N, C, H, W) gives (N, C, 1, 1), each channel's mean over its H x W
 * plane. It is the average-pooling pair {@link Pool#avgPoolForward} with one H x W window, set from
 * the input's shape at each call, so any image size works. No parameters.
 */
public final class GlobalAvgPool2d extends PairModule<Pool.Cache> {
  /** A global average pooling layer. */
  public GlobalAvgPool2d() {}

  /**
   * {@inheritDoc}
   *
   * @param x input, shape (N, C, H, W)
   * @return out, shape (N, C, 1, 1)
   */
  @Override
  protected Forward<Pool.Cache> forwardPair(Tensor x) {
    if (x.ndim() != 4) {
      throw new IllegalArgumentException(
          "GlobalAvgPool2d: expected x (N, C, H, W), got " + x.shapeString());
    }
    return Pool.avgPoolForward(x, new PoolParam(x.shape(2), x.shape(3), 1));
  }

  /**
   * {@inheritDoc}
   *
   * @param dout shape (N, C, 1, 1)
   * @return dx, shape (N, C, H, W)
   */
  @Override
  protected Tensor backwardPair(Tensor dout, Pool.Cache cache) {
    return Pool.avgPoolBackward(dout, cache).dx();
  }
}
