package org.handgrad.nn.functional;

import org.handgrad.tensor.Tensor;

/**
 * Sandwich layer conv - ReLU - max pool (CS231n's {@code conv_relu_pool_forward}), the first block
 * of the three-layer convnet, on the fast conv and pool pairs and the shared ReLU pair of {@link
 * Activations}.
 */
public final class ConvReluPool {
  private ConvReluPool() {}

  /**
   * What the backward pass reads: the caches of the three layers it chains.
   *
   * @param conv the conv cache
   * @param relu the ReLU cache, whose input is the conv output (N, F, H', W')
   * @param pool the max-pool cache (its input is the ReLU output)
   */
  public record Cache(Conv.Cache conv, Activations.ReluCache relu, Pool.MaxCache pool) {}

  /**
   * {@code out = maxpool(max(0, conv(x, w, b)))}.
   *
   * @param x input, shape (N, C, H, W)
   * @param w filters, shape (F, C, HH, WW)
   * @param b biases, shape (F,)
   * @param convParam conv stride and padding
   * @param poolParam pooling window and stride
   * @return out of shape (N, F, H'', W'') (conv sizes as {@link Conv}, then pool sizes as {@link
   *     Pool}) and the cache
   */
  public static Forward<Cache> convReluPoolForward(
      Tensor x, Tensor w, Tensor b, ConvParam convParam, PoolParam poolParam) {
    Forward<Conv.Cache> conv = Conv.convForward(x, w, b, convParam);
    Forward<Activations.ReluCache> relu = Activations.reluForward(conv.out());
    Forward<Pool.MaxCache> pool = Pool.maxPoolForward(relu.out(), poolParam);
    return new Forward<>(pool.out(), new Cache(conv.cache(), relu.cache(), pool.cache()));
  }

  /**
   * Backward pass in reverse order: max pool, ReLU, conv.
   *
   * @param dout upstream gradient, shape (N, F, H'', W'')
   * @param cache from {@link #convReluPoolForward}
   * @return dx (N, C, H, W), dw (F, C, HH, WW), db (F,)
   */
  public static Conv.Grads convReluPoolBackward(Tensor dout, Cache cache) {
    Tensor ds = Pool.maxPoolBackward(dout, cache.pool()).dx();
    Tensor da = Activations.reluBackward(ds, cache.relu());
    return Conv.convBackward(da, cache.conv());
  }
}
