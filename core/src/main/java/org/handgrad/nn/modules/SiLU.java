package org.handgrad.nn.modules;

import org.handgrad.nn.PairModule;
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.Tensor;

/**
 * SiLU / Swish, {@code x * sigmoid(x)}, over {@link Activations#siluForward}.
 *
 * <p>Any input shape; the output and dx have the shape and dtype of x. No parameters.
 */
public final class SiLU extends PairModule<Activations.SiluCache> {
  /** A SiLU module (stateless apart from the cache of its last forward). */
  public SiLU() {}

  /**
   * {@inheritDoc}
   *
   * @param x input, any shape, float32 or float64
   * @return out, the shape of x
   */
  @Override
  protected Forward<Activations.SiluCache> forwardPair(Tensor x) {
    return Activations.siluForward(x);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout the shape of x
   * @return dx, the shape of x
   */
  @Override
  protected Tensor backwardPair(Tensor dout, Activations.SiluCache cache) {
    return Activations.siluBackward(dout, cache);
  }
}
