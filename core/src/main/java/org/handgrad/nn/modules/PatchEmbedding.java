package org.handgrad.nn.modules;

import java.util.random.RandomGenerator;
import org.handgrad.nn.PairModule;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Patch embedding of a Vision Transformer over {@link org.handgrad.nn.functional.PatchEmbedding}:
 * images (N, C, H, W) to tokens (N, L, D), L = (H / P)(W / P). Parameters {@code weight} (C P P, D)
 * and {@code bias} (D,). PyTorch's equivalent is {@code Conv2d(C, D, P, stride=P)} followed by
 * {@code flatten(2).transpose(1, 2)}; its weight (D, C, P, P) reshaped to (D, C P P) is the
 * transpose of ours.
 */
public final class PatchEmbedding
    extends PairModule<org.handgrad.nn.functional.PatchEmbedding.Cache> {
  private final int patch;
  private final Parameter weight;
  private final Parameter bias;

  /**
   * A patch embedding with PyTorch's default initialization (the conv's: uniform in +-1/sqrt(C P
   * P)).
   *
   * @param channels C
   * @param patch P
   * @param embedDim D
   * @param dtype float32 or float64
   * @param rng draws the weight, then the bias
   */
  public PatchEmbedding(int channels, int patch, int embedDim, DType dtype, RandomGenerator rng) {
    this(channels, patch, embedDim, dtype, WeightInit.pytorch(), rng);
  }

  /**
   * A patch embedding with an explicit initializer.
   *
   * @param init weight and bias initializer (fan in C P P)
   */
  public PatchEmbedding(
      int channels, int patch, int embedDim, DType dtype, WeightInit init, RandomGenerator rng) {
    ModuleArgs.positive("PatchEmbedding", "channels", channels);
    ModuleArgs.positive("PatchEmbedding", "patch", patch);
    ModuleArgs.positive("PatchEmbedding", "embedDim", embedDim);
    ModuleArgs.weighted("PatchEmbedding", dtype, init, rng);
    this.patch = patch;
    int[] shape = {channels * patch * patch, embedDim};
    weight = registerParameter("weight", init.weight(rng, dtype, shape));
    bias = registerParameter("bias", init.bias(rng, dtype, shape, embedDim));
  }

  /** The weight, shape (C P P, D). */
  public Parameter weight() {
    return weight;
  }

  /** The bias, shape (D,). */
  public Parameter bias() {
    return bias;
  }

  /** P. */
  public int patch() {
    return patch;
  }

  /**
   * {@inheritDoc}
   *
   * @param x images, shape (N, C, H, W), H and W divisible by P
   * @return tokens, shape (N, L, D)
   */
  @Override
  protected Forward<org.handgrad.nn.functional.PatchEmbedding.Cache> forwardPair(Tensor x) {
    return org.handgrad.nn.functional.PatchEmbedding.patchEmbeddingForward(
        x, weight.value(), bias.value(), patch);
  }

  @Override
  protected Tensor backwardPair(
      Tensor dout, org.handgrad.nn.functional.PatchEmbedding.Cache cache) {
    org.handgrad.nn.functional.PatchEmbedding.Grads g =
        org.handgrad.nn.functional.PatchEmbedding.patchEmbeddingBackward(dout, cache);
    weight.accumulateGrad(g.dw());
    bias.accumulateGrad(g.db());
    return g.dx();
  }

  @Override
  protected String extraRepr() {
    return "in=" + weight.shape()[0] + ", out=" + weight.shape()[1] + ", patch=" + patch;
  }
}
