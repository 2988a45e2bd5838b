package org.handgrad.nn.modules;

import org.handgrad.nn.PairModule;
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.Tensor;

/**
 * Logistic sigmoid, {@code 1 / (1 + exp(-x))}, over {@link Activations#sigmoidForward}.
 *
 * <p>Any input shape; the output and dx have the shape and dtype of x. No parameters.
 */
public final class Sigmoid extends PairModule<Activations.SigmoidCache> {
  /** A Sigmoid module (stateless apart from the cache of its last forward). */
  public Sigmoid() {}

  /**
   * {@inheritDoc}
   *
   * @param x input, any shape, float32 or float64
   * @return out, the shape of x
   */
  @Override
  protected Forward<Activations.SigmoidCache> forwardPair(Tensor x) {
    return Activations.sigmoidForward(x);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout the shape of x
   * @return dx, the shape of x
   */
  @Override
  protected Tensor backwardPair(Tensor dout, Activations.SigmoidCache cache) {
    return Activations.sigmoidBackward(dout, cache);
  }
}
