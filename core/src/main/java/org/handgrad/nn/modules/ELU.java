package org.handgrad.nn.modules;

import org.handgrad.nn.PairModule;
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.Tensor;

/**
 * ELU (Clevert et al. 2016), {@code x} for x > 0 and {@code alpha (exp(x) - 1)} otherwise, over
 * {@link Activations#eluForward}.
 *
 * <p>Any input shape; the output and dx have the shape and dtype of x. No parameters.
 */
public final class ELU extends PairModule<Activations.EluCache> {
  private final double alpha;

  /** ELU with alpha = 1. */
  public ELU() {
    this(Activations.DEFAULT_ELU_ALPHA);
  }

  /**
   * ELU with the given alpha.
   *
   * @param alpha negative saturation value, finite
   */
  public ELU(double alpha) {
    if (!Double.isFinite(alpha)) {
      throw new IllegalArgumentException("ELU: alpha must be finite, got " + alpha);
    }
    this.alpha = alpha;
  }

  /**
   * {@inheritDoc}
   *
   * @param x input, any shape, float32 or float64
   * @return out, the shape of x
   */
  @Override
  protected Forward<Activations.EluCache> forwardPair(Tensor x) {
    return Activations.eluForward(x, alpha);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout the shape of x
   * @return dx, the shape of x
   */
  @Override
  protected Tensor backwardPair(Tensor dout, Activations.EluCache cache) {
    return Activations.eluBackward(dout, cache);
  }

  @Override
  protected String extraRepr() {
    return "alpha=" + alpha;
  }
}
