package org.handgrad.nn.modules;

import org.handgrad.nn.PairModule;
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.Tensor;

/**
 * ReLU, {@code max(0, x)}, over {@link Activations#reluForward}; relu'(0) = 0 as in PyTorch.
 *
 * <p>Any input shape; the output and dx have the shape and dtype of x. No parameters.
 */
public final class ReLU extends PairModule<Activations.ReluCache> {
  /** A ReLU module (stateless apart from the cache of its last forward). */
  public ReLU() {}

  /**
   * {@inheritDoc}
   *
   * @param x input, any shape, float32 or float64
   * @return out, the shape of x
   */
  @Override
  protected Forward<Activations.ReluCache> forwardPair(Tensor x) {
    return Activations.reluForward(x);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout the shape of x
   * @return dx, the shape of x
   */
  @Override
  protected Tensor backwardPair(Tensor dout, Activations.ReluCache cache) {
    return Activations.reluBackward(dout, cache);
  }
}
