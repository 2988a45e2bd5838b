package org.handgrad.nn.modules;

import org.handgrad.nn.PairModule;
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.Tensor;

/**
 * Leaky ReLU, {@code x} for x > 0 and {@code negativeSlope * x} otherwise, over {@link
 * Activations#leakyReluForward}.
 *
 * <p>Any input shape; the output and dx have the shape and dtype of x. No parameters.
 */
public final class LeakyReLU extends PairModule<Activations.LeakyReluCache> {
  private final double negativeSlope;

  /** Leaky ReLU with PyTorch's default slope 0.01. */
  public LeakyReLU() {
    this(Activations.DEFAULT_NEGATIVE_SLOPE);
  }

  /**
   * Leaky ReLU with the given slope.
   *
   * @param negativeSlope slope for x &lt;= 0, finite
   */
  public LeakyReLU(double negativeSlope) {
    if (!Double.isFinite(negativeSlope)) {
      throw new IllegalArgumentException(
          "LeakyReLU: negativeSlope must be finite, got " + negativeSlope);
    }
    this.negativeSlope = negativeSlope;
  }

  /**
   * {@inheritDoc}
   *
   * @param x input, any shape, float32 or float64
   * @return out, the shape of x
   */
  @Override
  protected Forward<Activations.LeakyReluCache> forwardPair(Tensor x) {
    return Activations.leakyReluForward(x, negativeSlope);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout the shape of x
   * @return dx, the shape of x
   */
  @Override
  protected Tensor backwardPair(Tensor dout, Activations.LeakyReluCache cache) {
    return Activations.leakyReluBackward(dout, cache);
  }

  @Override
  protected String extraRepr() {
    return "negativeSlope=" + negativeSlope;
  }
}
