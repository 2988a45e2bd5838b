package org.handgrad.nn.functional;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Sandwich layer conv - ReLU (CS231n's {@code conv_relu_forward}), on the fast conv pair.
 *
 * <p>The ReLU step is a tiny package-private stand-in, {@link #relu} / {@link #reluBackward}, kept
 * here until the activations family lands; it is then meant to be replaced by that family's ReLU
 * pair without changing this class's API.
 */
public final class ConvRelu {
  private ConvRelu() {}

  /**
   * What the backward pass reads.
   *
   * @param conv the conv cache
   * @param a the conv output before the ReLU, shape (N, F, H', W')
   */
  public record Cache(Conv.Cache conv, Tensor a) {}

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
    return new Forward<>(relu(conv.out()), new Cache(conv.cache(), conv.out()));
  }

  /**
   * Backward pass: the ReLU passes dout where the conv output was positive, then the conv backward.
   *
   * @param dout upstream gradient, shape (N, F, H', W')
   * @param cache from {@link #convReluForward}
   * @return dx (N, C, H, W), dw (F, C, HH, WW), db (F,)
   */
  public static Conv.Grads convReluBackward(Tensor dout, Cache cache) {
    return Conv.convBackward(reluBackward("conv_relu backward", dout, cache.a()), cache.conv());
  }

  /** A new tensor {@code max(0, a)}; a is contiguous (a fresh layer output). */
  static Tensor relu(Tensor a) {
    Tensor out = Tensor.zerosLike(a);
    int n = a.size(), o = a.offset();
    if (a.dtype() == DType.FLOAT32) {
      float[] as = a.floatStorage(), os = out.floatStorage();
      for (int i = 0; i < n; i++) {
        os[i] = Math.max(as[o + i], 0f);
      }
    } else {
      double[] as = a.doubleStorage(), os = out.doubleStorage();
      for (int i = 0; i < n; i++) {
        os[i] = Math.max(as[o + i], 0.0);
      }
    }
    return out;
  }

  /**
   * {@code da = dout * (a > 0)}: the ReLU's subgradient, 0 at a == 0 (PyTorch's choice).
   *
   * @param a the ReLU input (contiguous), the shape of dout
   */
  static Tensor reluBackward(String op, Tensor dout, Tensor a) {
    ConvArgs.requireDout(op, dout, a.shape(), a.dtype());
    Tensor g = dout.contiguous();
    Tensor da = Tensor.zerosLike(a);
    int n = a.size(), o = a.offset(), go = g.offset();
    if (a.dtype() == DType.FLOAT32) {
      float[] as = a.floatStorage(), gs = g.floatStorage(), ds = da.floatStorage();
      for (int i = 0; i < n; i++) {
        ds[i] = as[o + i] > 0f ? gs[go + i] : 0f;
      }
    } else {
      double[] as = a.doubleStorage(), gs = g.doubleStorage(), ds = da.doubleStorage();
      for (int i = 0; i < n; i++) {
        ds[i] = as[o + i] > 0.0 ? gs[go + i] : 0.0;
      }
    }
    return da;
  }
}
