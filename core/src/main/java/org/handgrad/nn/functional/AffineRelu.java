package org.handgrad.nn.functional;

import org.handgrad.tensor.Tensor;

/**
 * The affine-ReLU "sandwich" layer of CS231n's {@code layer_utils.py}: an affine transform followed
 * by ReLU, the building block of fully connected nets. Dimensions as in {@link Affine}: x (N, d1,
 * ..., dk) flattened to (N, D), w (D, M), b (M,).
 */
public final class AffineRelu {
  private AffineRelu() {}

  /**
   * Cache of {@link #affineReluForward}: the caches of the two layers it chains.
   *
   * @param affine cache of the affine layer
   * @param relu cache of the ReLU, whose input is the affine output (N, M)
   */
  public record Cache(Affine.Cache affine, Activations.ReluCache relu) {}

  /**
   * {@code out = relu(reshape(x, (N, D)) w + b)}.
   *
   * @param x input, shape (N, d1, ..., dk), float32 or float64
   * @param w weights, shape (D, M), the dtype of x
   * @param b biases, shape (M,), the dtype of x
   * @return out, shape (N, M)
   */
  public static Forward<Cache> affineReluForward(Tensor x, Tensor w, Tensor b) {
    Forward<Affine.Cache> fc = Affine.affineForward(x, w, b);
    Forward<Activations.ReluCache> relu = Activations.reluForward(fc.out());
    return new Forward<>(relu.out(), new Cache(fc.cache(), relu.cache()));
  }

  /**
   * Backward of {@link #affineReluForward}: the two backward passes in reverse order.
   *
   * @param dout upstream gradient, shape (N, M)
   * @return dx shaped like x, dw (D, M), db (M,)
   */
  public static Affine.Grads affineReluBackward(Tensor dout, Cache cache) {
    Tensor da = Activations.reluBackward(dout, cache.relu());
    return Affine.affineBackward(da, cache.affine());
  }
}
