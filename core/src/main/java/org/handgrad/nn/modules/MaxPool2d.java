package org.handgrad.nn.modules;

import java.util.Objects;
import org.handgrad.nn.PairModule;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Pool;
import org.handgrad.nn.functional.PoolParam;
import org.handgrad.tensor.Tensor;

/**
 * Max pooling over each channel, over the fast pair {@link Pool#maxPoolForward}: PyTorch's {@code
 * nn.MaxPool2d} without padding. x (N, C, H, W) gives (N, C, H', W') with {@code H' = 1 + (H - PH)
 * / stride}, {@code W' = 1 + (W - PW) / stride}; the windows must tile H and W exactly. Ties send
 * the gradient to the first maximum in row-major window order, as PyTorch. No parameters.
 */
public final class MaxPool2d extends PairModule<Pool.MaxCache> {
  private final PoolParam param;

  /** A square window of the given size with stride = size (PyTorch's default stride). */
  public MaxPool2d(int kernelSize) {
    this(new PoolParam(kernelSize, kernelSize, kernelSize));
  }

  /** Pooling with the given window and stride. */
  public MaxPool2d(PoolParam param) {
    this.param = Objects.requireNonNull(param, "MaxPool2d: param");
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
  protected Forward<Pool.MaxCache> forwardPair(Tensor x) {
    return Pool.maxPoolForward(x, param);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout shape (N, C, H', W')
   * @return dx, shape (N, C, H, W)
   */
  @Override
  protected Tensor backwardPair(Tensor dout, Pool.MaxCache cache) {
    return Pool.maxPoolBackward(dout, cache).dx();
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
