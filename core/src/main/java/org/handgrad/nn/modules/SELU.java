package org.handgrad.nn.modules;

import org.handgrad.nn.PairModule;
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.Tensor;

/**
 * SELU (Klambauer et al. 2017), {@code scale * elu(x, alpha)} with the fixed constants, over {@link
 * Activations#seluForward}.
 *
 * <p>Any input shape; the output and dx have the shape and dtype of x. No parameters.
 */
public final class SELU extends PairModule<Activations.SeluCache> {
  /** A SELU module (stateless apart from the cache of its last forward). */
  public SELU() {}

  /**
   * {@inheritDoc}
   *
   * @param x input, any shape, float32 or float64
   * @return out, the shape of x
   */
  @Override
  protected Forward<Activations.SeluCache> forwardPair(Tensor x) {
    return Activations.seluForward(x);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout the shape of x
   * @return dx, the shape of x
   */
  @Override
  protected Tensor backwardPair(Tensor dout, Activations.SeluCache cache) {
    return Activations.seluBackward(dout, cache);
  }
}
