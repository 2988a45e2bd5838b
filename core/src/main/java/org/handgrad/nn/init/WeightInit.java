package org.handgrad.nn.init;

import java.util.random.RandomGenerator;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * How a layer module ({@code Linear}, {@code Conv2d}, {@code ConvTranspose2d}) fills its weight and
 * bias, on top of {@link Init}. The weight is drawn first, then the bias, from the generator the
 * module is given, in row-major order.
 *
 * <p>Fans come from {@link Init#fans} on the weight shape: (D, M) for our affine layout, (F, C, HH,
 * WW) for conv. For a transposed conv, whose weight is (C, F, HH, WW), that gives fan_in = F * HH *
 * WW, which is also what PyTorch computes for {@code ConvTranspose2d} (it reads dimension 1).
 *
 * <p>The modules' default is {@link #pytorch()}; CS231n's nets use {@link #normal} with an explicit
 * {@code weight_scale}. See docs/conventions.md, section "modules".
 */
public sealed interface WeightInit {

  /**
   * A new weight tensor.
   *
   * @param shape the weight shape, (D, M) or (F, C, HH, WW) or (C, F, HH, WW)
   */
  Tensor weight(RandomGenerator rng, DType dtype, int... shape);

  /**
   * A new bias tensor of shape (size,).
   *
   * @param weightShape the shape of the layer's weight, for the fan
   */
  Tensor bias(RandomGenerator rng, DType dtype, int[] weightShape, int size);

  /**
   * PyTorch's default for {@code nn.Linear} and {@code nn.Conv2d}: weight {@code
   * kaiming_uniform_(a=sqrt 5)}, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (gain sqrt(2 / (1 + 5)) =
   * 1/sqrt 3, times sqrt 3 for a uniform), and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Scale-aware
   * for any width; the values differ from PyTorch's (another generator).
   */
  static WeightInit pytorch() {
    return new PyTorchDefault();
  }

  /**
   * CS231n's {@code weight_scale * np.random.randn(...)} weights and zero biases.
   *
   * @param weightScale standard deviation of the weights, finite and >= 0
   */
  static WeightInit normal(double weightScale) {
    return new Normal(weightScale);
  }

  /** Kaiming/He normal for ReLU nets (std = sqrt(2 / fan_in)), zero biases. */
  static WeightInit kaiming() {
    return new KaimingNormal(Init.gain(Init.Nonlinearity.RELU));
  }

  /** Xavier/Glorot uniform with gain 1 (a = sqrt(6 / (fan_in + fan_out))), zero biases. */
  static WeightInit xavier() {
    return new XavierUniform(1.0);
  }

  /** See {@link #pytorch()}. */
  record PyTorchDefault() implements WeightInit {
    @Override
    public Tensor weight(RandomGenerator rng, DType dtype, int... shape) {
      return Init.kaimingUniform(
          rng,
          dtype,
          Init.FanMode.FAN_IN,
          Init.gain(Init.Nonlinearity.LEAKY_RELU, Math.sqrt(5)),
          shape);
    }

    @Override
    public Tensor bias(RandomGenerator rng, DType dtype, int[] weightShape, int size) {
      return Init.uniform(rng, dtype, 1 / Math.sqrt(Init.fans(weightShape).fanIn()), size);
    }
  }

  /**
   * See {@link #normal(double)}.
   *
   * @param weightScale standard deviation of the weights
   */
  record Normal(double weightScale) implements WeightInit {
    /** Validates the scale. */
    public Normal {
      if (!(weightScale >= 0 && Double.isFinite(weightScale))) {
        throw new IllegalArgumentException(
            "WeightInit.normal: weightScale must be finite and >= 0, got " + weightScale);
      }
    }

    @Override
    public Tensor weight(RandomGenerator rng, DType dtype, int... shape) {
      return Init.normal(rng, dtype, weightScale, shape);
    }

    @Override
    public Tensor bias(RandomGenerator rng, DType dtype, int[] weightShape, int size) {
      return Init.zeros(dtype, size);
    }
  }

  /**
   * Kaiming normal with fan_in and the given gain, zero biases.
   *
   * @param gain e.g. {@code Init.gain(Nonlinearity.RELU)} = sqrt 2
   */
  record KaimingNormal(double gain) implements WeightInit {
    @Override
    public Tensor weight(RandomGenerator rng, DType dtype, int... shape) {
      return Init.kaimingNormal(rng, dtype, Init.FanMode.FAN_IN, gain, shape);
    }

    @Override
    public Tensor bias(RandomGenerator rng, DType dtype, int[] weightShape, int size) {
      return Init.zeros(dtype, size);
    }
  }

  /**
   * Xavier uniform with the given gain, zero biases.
   *
   * @param gain e.g. 1 for linear or sigmoid layers, 5/3 for tanh
   */
  record XavierUniform(double gain) implements WeightInit {
    @Override
    public Tensor weight(RandomGenerator rng, DType dtype, int... shape) {
      return Init.xavierUniform(rng, dtype, gain, shape);
    }

    @Override
    public Tensor bias(RandomGenerator rng, DType dtype, int[] weightShape, int size) {
      return Init.zeros(dtype, size);
    }
  }
}
