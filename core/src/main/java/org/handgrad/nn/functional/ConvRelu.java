package org.handgrad.nn.functional;

import org.handgrad.tensor.Tensor;

/**
 * Sandwich layer conv - ReLU (CS231n's {@code conv_relu_forward}), on the fast conv pair and the
 * shared ReLU pair of {@link Activations}.
 */
public final class ConvRelu {
  private ConvRelu() {}

  /**
   * What the backward pass reads: the caches of the two layers it chains.
   *
   * @param conv the conv cache
   * @param relu the ReLU cache, whose input is the conv output (N, F, H', W')
   */
  public record Cache(Conv.Cache conv, Activations.ReluCache relu) {}

  /**
   * {@code out = max(0, conv(x, w, b))}.
   *
   * @param x input, shape (N, C, H, W)
   * @param w filters, shape (F, C, HH, WW)
   * @param b biases, shape (F,)
   * @param param stride and padding
   * @return out of shape (N, F, H', W') (sizes as {@link Conv}) and the cache
   */
  public static Forward<Cache> convReluForward(Tensor x, Tensor w, Tensor b, ConvParam param) {
    Forward<Conv.Cache> conv = Conv.convForward(x, w, b, param);
    Forward<Activations.ReluCache> relu = Activations.reluForward(conv.out());
    return new Forward<>(relu.out(), new Cache(conv.cache(), relu.cache()));
  }

  /**
   * Backward pass: the ReLU passes dout where the conv output was positive (0 at 0, PyTorch's
   * subgradient), then the conv backward.
   *
   * @param dout upstream gradient, shape (N, F, H', W')
   * @param cache from {@link #convReluForward}
   * @return dx (N, C, H, W), dw (F, C, HH, WW), db (F,)
   */
  public static Conv.Grads convReluBackward(Tensor dout, Cache cache) {
    Tensor a = cache.relu().x();
    ConvArgs.requireDout("conv_relu backward", dout, a.shape(), a.dtype());
    return Conv.convBackward(Activations.reluBackward(dout, cache.relu()), cache.conv());
  }
}
