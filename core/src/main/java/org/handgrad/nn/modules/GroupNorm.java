package org.handgrad.nn.modules;

import org.handgrad.nn.PairModule;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Spatial group normalization (Wu and He 2018) of (N, C, H, W) inputs, over {@link
 * org.handgrad.nn.functional.GroupNorm}: PyTorch's {@code nn.GroupNorm(G, C)}. The C channels are
 * split into G groups of consecutive channels, each (sample, group) normalised on its own.
 * Parameters {@code weight} (gamma, ones) and {@code bias} (beta, zeros), shape (C,). Training and
 * evaluation behave the same.
 */
public final class GroupNorm extends PairModule<org.handgrad.nn.functional.GroupNorm.Cache> {
  private final int groups;
  private final Parameter weight;
  private final Parameter bias;
  private final double eps;

  /**
   * A layer with eps = 1e-5.
   *
   * @param groups G, must divide C
   * @param channels C
   * @param dtype float32 or float64
   */
  public GroupNorm(int groups, int channels, DType dtype) {
    this(groups, channels, dtype, org.handgrad.nn.functional.GroupNorm.DEFAULT_EPS);
  }

  /**
   * A layer with an explicit eps.
   *
   * @param groups G, must divide C
   * @param channels C
   * @param dtype float32 or float64
   * @param eps added to the variance under the square root, positive
   */
  public GroupNorm(int groups, int channels, DType dtype, double eps) {
    ModuleArgs.positive("GroupNorm", "groups", groups);
    ModuleArgs.positive("GroupNorm", "channels", channels);
    ModuleArgs.floating("GroupNorm", dtype);
    if (channels % groups != 0) {
      throw new IllegalArgumentException(
          "GroupNorm: groups G=" + groups + " must divide channels C=" + channels);
    }
    if (!(eps > 0) || Double.isInfinite(eps)) {
      throw new IllegalArgumentException("GroupNorm: eps must be positive, got " + eps);
    }
    this.groups = groups;
    this.eps = eps;
    this.weight = registerParameter("weight", Tensor.ones(dtype, channels));
    this.bias = registerParameter("bias", Tensor.zeros(dtype, channels));
  }

  /** The scale gamma, shape (C,). */
  public Parameter weight() {
    return weight;
  }

  /** The shift beta, shape (C,). */
  public Parameter bias() {
    return bias;
  }

  /**
   * {@inheritDoc}
   *
   * @param x input, shape (N, C, H, W)
   * @return out, shape (N, C, H, W)
   */
  @Override
  protected Forward<org.handgrad.nn.functional.GroupNorm.Cache> forwardPair(Tensor x) {
    return org.handgrad.nn.functional.GroupNorm.spatialGroupnormForward(
        x, weight.value(), bias.value(), groups, eps);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout shape (N, C, H, W)
   * @return dx, shape (N, C, H, W)
   */
  @Override
  protected Tensor backwardPair(Tensor dout, org.handgrad.nn.functional.GroupNorm.Cache cache) {
    org.handgrad.nn.functional.GroupNorm.Grads g =
        org.handgrad.nn.functional.GroupNorm.spatialGroupnormBackward(dout, cache);
    weight.accumulateGrad(g.dgamma());
    bias.accumulateGrad(g.dbeta());
    return g.dx();
  }

  @Override
  protected String extraRepr() {
    return groups + ", " + weight.size() + ", eps=" + eps + ", " + weight.dtype().numpyName();
  }
}
