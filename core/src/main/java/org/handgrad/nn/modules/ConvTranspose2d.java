package org.handgrad.nn.modules;

import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.handgrad.nn.PairModule;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.ConvTranspose;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Transposed 2-D convolution (learnable upsampling, as in U-Net decoders) over {@link
 * ConvTranspose#convTransposeForward}: PyTorch's {@code nn.ConvTranspose2d} with output_padding 0,
 * dilation 1 and groups 1.
 *
 * <p>Dimensions: x (N, C, H, W), weight (C, F, HH, WW) (input channels FIRST, PyTorch's layout),
 * bias (F,), output (N, F, H', W') with {@code H' = (H - 1) * stride - 2*pad + HH} and {@code W' =
 * (W - 1) * stride - 2*pad + WW}. The default initialization uses fan_in = F * HH * WW, as PyTorch
 * computes it for this layer (see {@link WeightInit}).
 */
public final class ConvTranspose2d extends PairModule<ConvTranspose.Cache> {
  private final ConvParam param;
  private final Parameter weight;
  private final Parameter bias;
  private final Tensor zeroBias;

  /**
   * A square-kernel transposed convolution with a bias and PyTorch's default initialization.
   *
   * @param inChannels C
   * @param outChannels F
   * @param kernelSize HH = WW
   * @param param stride and padding
   * @param dtype float32 or float64
   * @param rng draws the initial weight, then the bias
   */
  public ConvTranspose2d(
      int inChannels,
      int outChannels,
      int kernelSize,
      ConvParam param,
      DType dtype,
      RandomGenerator rng) {
    this(
        inChannels,
        outChannels,
        kernelSize,
        kernelSize,
        param,
        true,
        dtype,
        WeightInit.pytorch(),
        rng);
  }

  /**
   * A transposed convolution with every choice explicit.
   *
   * @param inChannels C
   * @param outChannels F
   * @param kernelHeight HH
   * @param kernelWidth WW
   * @param param stride and padding
   * @param bias whether to learn a bias
   * @param dtype float32 or float64
   * @param init weight and bias initializer
   * @param rng draws the initial weight, then the bias
   */
  public ConvTranspose2d(
      int inChannels,
      int outChannels,
      int kernelHeight,
      int kernelWidth,
      ConvParam param,
      boolean bias,
      DType dtype,
      WeightInit init,
      RandomGenerator rng) {
    ModuleArgs.positive("ConvTranspose2d", "inChannels", inChannels);
    ModuleArgs.positive("ConvTranspose2d", "outChannels", outChannels);
    ModuleArgs.positive("ConvTranspose2d", "kernelHeight", kernelHeight);
    ModuleArgs.positive("ConvTranspose2d", "kernelWidth", kernelWidth);
    ModuleArgs.weighted("ConvTranspose2d", dtype, init, rng);
    this.param = Objects.requireNonNull(param, "ConvTranspose2d: param");
    int[] shape = {inChannels, outChannels, kernelHeight, kernelWidth};
    this.weight = registerParameter("weight", init.weight(rng, dtype, shape));
    if (bias) {
      this.bias = registerParameter("bias", init.bias(rng, dtype, shape, outChannels));
      this.zeroBias = null;
    } else {
      this.bias = null;
      this.zeroBias = Tensor.zeros(dtype, outChannels);
    }
  }

  /** The weights, shape (C, F, HH, WW). */
  public Parameter weight() {
    return weight;
  }

  /** The bias, shape (F,), when the layer has one. */
  public Optional<Parameter> bias() {
    return Optional.ofNullable(bias);
  }

  /** Stride and padding. */
  public ConvParam param() {
    return param;
  }

  /**
   * {@inheritDoc}
   *
   * @param x input, shape (N, C, H, W), the dtype of the module
   * @return out, shape (N, F, H', W'), H' = (H - 1) * stride - 2*pad + HH
   */
  @Override
  protected Forward<ConvTranspose.Cache> forwardPair(Tensor x) {
    return ConvTranspose.convTransposeForward(
        x, weight.value(), bias != null ? bias.value() : zeroBias, param);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout shape (N, F, H', W')
   * @return dx, shape (N, C, H, W)
   */
  @Override
  protected Tensor backwardPair(Tensor dout, ConvTranspose.Cache cache) {
    ConvTranspose.Grads g = ConvTranspose.convTransposeBackward(dout, cache);
    weight.accumulateGrad(g.dw());
    if (bias != null) {
      bias.accumulateGrad(g.db());
    }
    return g.dx();
  }

  @Override
  protected String extraRepr() {
    int[] s = weight.shape();
    return s[0]
        + ", "
        + s[1]
        + ", kernel=("
        + s[2]
        + ", "
        + s[3]
        + "), stride="
        + param.stride()
        + ", pad="
        + param.pad()
        + ", bias="
        + (bias != null)
        + ", "
        + weight.dtype().numpyName();
  }
}
