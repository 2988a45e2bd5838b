package org.handgrad.nn.modules;

import org.handgrad.nn.PairModule;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Layer normalization over the last dimension, over {@link org.handgrad.nn.functional.LayerNorm}:
 * PyTorch's {@code nn.LayerNorm(D)}. Inputs (N, D) or (..., D), e.g. a transformer's (N, T, D).
 * Parameters {@code weight} (gamma, ones) and {@code bias} (beta, zeros), shape (D,). Training and
 * evaluation behave the same.
 */
public final class LayerNorm extends PairModule<org.handgrad.nn.functional.LayerNorm.Cache> {
  private final Parameter weight;
  private final Parameter bias;
  private final double eps;

  /**
   * A layer with eps = 1e-5 (CS231n and PyTorch).
   *
   * @param normalizedShape D, the size of the last dimension
   * @param dtype float32 or float64
   */
  public LayerNorm(int normalizedShape, DType dtype) {
    this(normalizedShape, dtype, org.handgrad.nn.functional.LayerNorm.DEFAULT_EPS);
  }

  /**
   * A layer with an explicit eps.
   *
   * @param normalizedShape D, the size of the last dimension
   * @param dtype float32 or float64
   * @param eps added to the variance under the square root, positive
   */
  public LayerNorm(int normalizedShape, DType dtype, double eps) {
    ModuleArgs.positive("LayerNorm", "normalizedShape", normalizedShape);
    ModuleArgs.floating("LayerNorm", dtype);
    if (!(eps > 0) || Double.isInfinite(eps)) {
      throw new IllegalArgumentException("LayerNorm: eps must be positive, got " + eps);
    }
    this.eps = eps;
    this.weight = registerParameter("weight", Tensor.ones(dtype, normalizedShape));
    this.bias = registerParameter("bias", Tensor.zeros(dtype, normalizedShape));
  }

  /** The scale gamma, shape (D,). */
  public Parameter weight() {
    return weight;
  }

  /** The shift beta, shape (D,). */
  public Parameter bias() {
    return bias;
  }

  /**
   * {@inheritDoc}
   *
   * @param x input, shape (N, D) or (..., D)
   * @return out, the shape of x
   */
  @Override
  protected Forward<org.handgrad.nn.functional.LayerNorm.Cache> forwardPair(Tensor x) {
    return org.handgrad.nn.functional.LayerNorm.layernormForward(
        x, weight.value(), bias.value(), eps);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout the shape of x
   * @return dx, the shape of x
   */
  @Override
  protected Tensor backwardPair(Tensor dout, org.handgrad.nn.functional.LayerNorm.Cache cache) {
    org.handgrad.nn.functional.LayerNorm.Grads g =
        org.handgrad.nn.functional.LayerNorm.layernormBackward(dout, cache);
    weight.accumulateGrad(g.dgamma());
    bias.accumulateGrad(g.dbeta());
    return g.dx();
  }

  @Override
  protected String extraRepr() {
    return weight.size() + ", eps=" + eps + ", " + weight.dtype().numpyName();
  }
}
