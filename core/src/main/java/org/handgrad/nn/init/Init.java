package org.handgrad.nn.init;

import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;

/**
 * Weight initializers: CS231n's {@code weight_scale * randn}, Xavier/Glorot and Kaiming/He, in
 * normal and uniform variants, with PyTorch's gains.
 *
 * <p>Fan convention. Our affine weight is stored (D, M) = (fan_in, fan_out), CS231n's layout, while
 * PyTorch's {@code nn.Linear.weight} is (out, in): for 2-D shapes {@link #fans} reads fan_in from
 * dimension 0. Weights with 3 or more dimensions follow the conv layout (F, C, HH, WW) shared with
 * PyTorch: fan_in = C * HH * WW, fan_out = F * HH * WW.
 *
 * <p>Randomness comes from an explicit {@link RandomGenerator} (the project's seeded Rng will
 * implement it); {@link #rng(long)} gives a seeded one. Values are drawn in row-major order,
 * computed in double and rounded once for float32.
 */
public final class Init {
  private Init() {}

  /** CS231n's {@code weight_scale} default for the two-layer net. */
  public static final double DEFAULT_WEIGHT_SCALE = 1e-3;

  /** Which fan Kaiming initialization normalizes by. */
  public enum FanMode {
    /** Preserves the variance of activations in the forward pass (PyTorch's default). */
    FAN_IN,
    /** Preserves the variance of gradients in the backward pass. */
    FAN_OUT
  }

  /** The nonlinearities of PyTorch's {@code calculate_gain} table. */
  public enum Nonlinearity {
    /** Identity (also conv without nonlinearity): gain 1. */
    LINEAR,
    /** Gain 1. */
    SIGMOID,
    /** Gain 5/3. */
    TANH,
    /** Gain sqrt(2) (He et al. 2015). */
    RELU,
    /** Gain sqrt(2 / (1 + negativeSlope^2)). */
    LEAKY_RELU,
    /** Gain 3/4 (PyTorch's choice for SELU nets initialized with Kaiming fan_in, linear). */
    SELU
  }

  /**
   * Fan-in and fan-out of a weight shape.
   *
   * @param fanIn inputs feeding each output unit
   * @param fanOut outputs fed by each input unit
   */
  public record Fans(int fanIn, int fanOut) {}

  /** A seeded generator ({@link SplittableRandom}) for the methods below. */
  public static RandomGenerator rng(long seed) {
    return new SplittableRandom(seed);
  }

  /**
   * Fans of a weight: (D, M) gives fan_in D, fan_out M (our affine layout, the transpose of
   * PyTorch's Linear); (F, C, k1, ..., kr) gives fan_in C k1...kr, fan_out F k1...kr.
   *
   * @throws IllegalArgumentException for shapes with fewer than 2 dimensions
   */
  public static Fans fans(int... shape) {
    if (shape.length < 2) {
      throw new IllegalArgumentException(
          "init: fans need a weight of shape (D, M) or (F, C, HH, WW), got " + Shapes.str(shape));
    }
    if (shape.length == 2) {
      return new Fans(shape[0], shape[1]);
    }
    long receptive = 1;
    for (int a = 2; a < shape.length; a++) {
      receptive *= shape[a];
    }
    return new Fans(Math.toIntExact(shape[1] * receptive), Math.toIntExact(shape[0] * receptive));
  }

  /** The recommended gain of a nonlinearity (leaky ReLU with PyTorch's default slope 0.01). */
  public static double gain(Nonlinearity nonlinearity) {
    return gain(nonlinearity, 0.01);
  }

  /**
   * PyTorch's {@code torch.nn.init.calculate_gain}: the factor that keeps activation variance
   * stable through the nonlinearity.
   *
   * @param negativeSlope used only for LEAKY_RELU
   */
  public static double gain(Nonlinearity nonlinearity, double negativeSlope) {
    return switch (nonlinearity) {
      case LINEAR, SIGMOID -> 1.0;
      case TANH -> 5.0 / 3.0;
      case RELU -> Math.sqrt(2.0);
      case LEAKY_RELU -> Math.sqrt(2.0 / (1 + negativeSlope * negativeSlope));
      case SELU -> 0.75;
    };
  }

  /** A zero tensor (biases, CS231n's {@code np.zeros(M)}). */
  public static Tensor zeros(DType dtype, int... shape) {
    return Tensor.zeros(checkFloat(dtype), shape);
  }

  /**
   * Normal samples with mean 0 and standard deviation std; CS231n's {@code weight_scale *
   * np.random.randn(D, M)} is {@code normal(rng, dtype, weightScale, D, M)}.
   *
   * @param std standard deviation, finite and >= 0
   */
  public static Tensor normal(RandomGenerator rng, DType dtype, double std, int... shape) {
    requireScale("normal", "std", std);
    Objects.requireNonNull(rng, "init: rng");
    Tensor t = Tensor.zeros(checkFloat(dtype), shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, std * rng.nextGaussian());
    }
    return t;
  }

  /**
   * Uniform samples on [-bound, bound).
   *
   * @param bound half-width, finite and >= 0
   */
  public static Tensor uniform(RandomGenerator rng, DType dtype, double bound, int... shape) {
    requireScale("uniform", "bound", bound);
    Objects.requireNonNull(rng, "init: rng");
    Tensor t = Tensor.zeros(checkFloat(dtype), shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, bound * (2 * rng.nextDouble() - 1));
    }
    return t;
  }

  /** The Xavier/Glorot standard deviation, gain * sqrt(2 / (fan_in + fan_out)). */
  public static double xavierStd(double gain, int... shape) {
    Fans f = fans(shape);
    return gain * Math.sqrt(2.0 / (f.fanIn() + f.fanOut()));
  }

  /**
   * Xavier/Glorot normal (Glorot and Bengio 2010): std = gain * sqrt(2 / (fan_in + fan_out));
   * PyTorch's {@code xavier_normal_}.
   */
  public static Tensor xavierNormal(RandomGenerator rng, DType dtype, double gain, int... shape) {
    return normal(rng, dtype, xavierStd(requireGain(gain), shape), shape);
  }

  /**
   * Xavier/Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)), i.e. sqrt(3)
   * times the normal's std (a uniform on [-a, a] has std a / sqrt 3); PyTorch's {@code
   * xavier_uniform_}.
   */
  public static Tensor xavierUniform(RandomGenerator rng, DType dtype, double gain, int... shape) {
    return uniform(rng, dtype, Math.sqrt(3.0) * xavierStd(requireGain(gain), shape), shape);
  }

  /** The Kaiming/He standard deviation, gain / sqrt(fan) with fan chosen by mode. */
  public static double kaimingStd(FanMode mode, double gain, int... shape) {
    Fans f = fans(shape);
    int fan = Objects.requireNonNull(mode, "init: mode") == FanMode.FAN_IN ? f.fanIn() : f.fanOut();
    if (fan == 0) {
      throw new IllegalArgumentException(
          "init: kaiming needs a nonzero " + mode + ", got shape " + Shapes.str(shape));
    }
    return gain / Math.sqrt(fan);
  }

  /**
   * Kaiming/He normal (He et al. 2015): std = gain / sqrt(fan); with {@code gain(RELU)} = sqrt 2
   * and FAN_IN this is std = sqrt(2 / fan_in). PyTorch's {@code kaiming_normal_}.
   */
  public static Tensor kaimingNormal(
      RandomGenerator rng, DType dtype, FanMode mode, double gain, int... shape) {
    return normal(rng, dtype, kaimingStd(mode, requireGain(gain), shape), shape);
  }

  /**
   * Kaiming/He uniform: U(-a, a) with a = gain * sqrt(3 / fan); PyTorch's {@code kaiming_uniform_}.
   */
  public static Tensor kaimingUniform(
      RandomGenerator rng, DType dtype, FanMode mode, double gain, int... shape) {
    return uniform(rng, dtype, Math.sqrt(3.0) * kaimingStd(mode, requireGain(gain), shape), shape);
  }

  private static DType checkFloat(DType dtype) {
    if (!Objects.requireNonNull(dtype, "init: dtype").isFloating()) {
      throw new IllegalArgumentException(
          "init: weights must be float32 or float64, got " + dtype.numpyName());
    }
    return dtype;
  }

  private static void requireScale(String op, String name, double v) {
    if (!(v >= 0 && Double.isFinite(v))) {
      throw new IllegalArgumentException(
          "init." + op + ": " + name + " must be finite and >= 0, got " + v);
    }
  }

  private static double requireGain(double gain) {
    if (!(gain > 0 && Double.isFinite(gain))) {
      throw new IllegalArgumentException("init: gain must be finite and > 0, got " + gain);
    }
    return gain;
  }
}
