package org.handgrad.nn.modules;

import java.util.Objects;
import org.handgrad.nn.PairModule;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Pool;
import org.handgrad.nn.functional.PoolParam;
import org.handgrad.tensor.Tensor;

/**
 * Average pooling over each channel, over the fast pair {@link Pool#avgPoolForward}: PyTorch's
 * {@code nn.AvgPool2d} without padding. x (N, C, H, W) gives (N, C, H', W') with {@code H' = 1 + (H
 * - PH) / stride}, {@code W' = 1 + (W - PW) / stride}; the windows must tile H and W exactly. Each
 * output is the mean of its PH * PW window. No parameters.
 */
public final class AvgPool2d extends PairModule<Pool.Cache> {
  private final PoolParam param;

  /** A square window of the given size with stride = size (PyTorch's default stride). */
  public AvgPool2d(int kernelSize) {
    this(new PoolParam(kernelSize, kernelSize, kernelSize));
  }

  /** Pooling with the given window and stride. */
  public AvgPool2d(PoolParam param) {
    this.param = Objects.requireNonNull(param, "AvgPool2d: param");
  }

  /** Window and stride. */
  public PoolParam param() {
    return param;
  }

  /**
   * {@inheritDoc}
   *
   * @param x input, shape (N, C, H, W)
   * @return out, shape (N, C, H', W')
   */
  @Override
  protected Forward<Pool.Cache> forwardPair(Tensor x) {
    return Pool.avgPoolForward(x, param);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout shape (N, C, H', W')
   * @return dx, shape (N, C, H, W)
   */
  @Override
  protected Tensor backwardPair(Tensor dout, Pool.Cache cache) {
    return Pool.avgPoolBackward(dout, cache).dx();
  }

  @Override
  protected String extraRepr() {
    return "kernel=("
        + param.poolHeight()
        + ", "
        + param.poolWidth()
        + "), stride="
        + param.stride();
  }
}
