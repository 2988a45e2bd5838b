package org.handgrad.nn.modules;

import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.handgrad.nn.PairModule;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Conv;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * 2-D convolution over the fast (im2col + GEMM) pair {@link Conv#convForward}: PyTorch's {@code
 * nn.Conv2d} with zero padding, dilation 1 and groups 1.
 *
 * <p>Dimensions: x (N, C, H, W), weight (F, C, HH, WW) (PyTorch's layout), bias (F,), output (N, F,
 * H', W') with {@code H' = 1 + (H + 2*pad - HH) / stride}, {@code W' = 1 + (W + 2*pad - WW) /
 * stride}; the stride must divide {@code H + 2*pad - HH} and {@code W + 2*pad - WW} (as CS231n).
 */
public final class Conv2d extends PairModule<Conv.Cache> {
  private final ConvParam param;
  private final Parameter weight;
  private final Parameter bias;
  private final Tensor zeroBias;

  /**
   * A square-kernel convolution with a bias and PyTorch's default initialization.
   *
   * @param inChannels C
   * @param outChannels F
   * @param kernelSize HH = WW
   * @param param stride and padding
   * @param dtype float32 or float64
   * @param rng draws the initial weight, then the bias
   */
  public Conv2d(
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
   * A convolution with every choice explicit.
   *
   * @param inChannels C
   * @param outChannels F
   * @param kernelHeight HH
   * @param kernelWidth WW
   * @param param stride and padding
   * @param bias whether to learn a bias (drop it before a BatchNorm2d)
   * @param dtype float32 or float64
   * @param init weight and bias initializer
   * @param rng draws the initial weight, then the bias
   */
  public Conv2d(
      int inChannels,
      int outChannels,
      int kernelHeight,
      int kernelWidth,
      ConvParam param,
      boolean bias,
      DType dtype,
      WeightInit init,
      RandomGenerator rng) {
    ModuleArgs.positive("Conv2d", "inChannels", inChannels);
    ModuleArgs.positive("Conv2d", "outChannels", outChannels);
    ModuleArgs.positive("Conv2d", "kernelHeight", kernelHeight);
    ModuleArgs.positive("Conv2d", "kernelWidth", kernelWidth);
    ModuleArgs.weighted("Conv2d", dtype, init, rng);
    this.param = Objects.requireNonNull(param, "Conv2d: param");
    int[] shape = {outChannels, inChannels, kernelHeight, kernelWidth};
    this.weight = registerParameter("weight", init.weight(rng, dtype, shape));
    if (bias) {
      this.bias = registerParameter("bias", init.bias(rng, dtype, shape, outChannels));
      this.zeroBias = null;
    } else {
      this.bias = null;
      this.zeroBias = Tensor.zeros(dtype, outChannels);
    }
  }

  /** The filters, shape (F, C, HH, WW). */
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
   * @return out, shape (N, F, H', W')
   */
  @Override
  protected Forward<Conv.Cache> forwardPair(Tensor x) {
    return Conv.convForward(x, weight.value(), bias != null ? bias.value() : zeroBias, param);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout shape (N, F, H', W')
   * @return dx, shape (N, C, H, W)
   */
  @Override
  protected Tensor backwardPair(Tensor dout, Conv.Cache cache) {
    if (!weight.requiresGrad()) { // frozen filters: no weight-gradient GEMM
      Conv.Grads g = Conv.convBackwardInput(dout, cache);
      if (bias != null) {
        bias.accumulateGrad(g.db());
      }
      return g.dx();
    }
    Conv.Grads g = Conv.convBackward(dout, cache);
    weight.accumulateGrad(g.dw());
    if (bias != null) {
      bias.accumulateGrad(g.db());
    }
    return g.dx();
  }

  @Override
  protected String extraRepr() {
    int[] s = weight.shape();
    return s[1]
        + ", "
        + s[0]
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
