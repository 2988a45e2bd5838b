package org.handgrad.nn.modules;

import org.handgrad.nn.PairModule;
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.Tensor;

/**
 * Hyperbolic tangent over {@link Activations#tanhForward}.
 *
 * <p>Any input shape; the output and dx have the shape and dtype of x. No parameters.
 */
public final class Tanh extends PairModule<Activations.TanhCache> {
  /** A Tanh module (stateless apart from the cache of its last forward). */
  public Tanh() {}

  /**
   * {@inheritDoc}
   *
   * @param x input, any shape, float32 or float64
   * @return out, the shape of x
   */
  @Override
  protected Forward<Activations.TanhCache> forwardPair(Tensor x) {
    return Activations.tanhForward(x);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout the shape of x
   * @return dx, the shape of x
   */
  @Override
  protected Tensor backwardPair(Tensor dout, Activations.TanhCache cache) {
    return Activations.tanhBackward(dout, cache);
  }
}
