package org.handgrad.models.fc;

import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.models.Classifier;
import org.handgrad.models.InputGradients;
import org.handgrad.models.Nets;
import org.handgrad.models.Regularized;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Affine;
import org.handgrad.nn.functional.AffineRelu;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.init.Init;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Two-layer fully connected net, CS231n assignment 2's {@code TwoLayerNet}: affine - relu - affine
 * - softmax.
 *
 * <p>Dimensions: N examples of D features (inputs (N, d1, ..., dk) are flattened), H hidden units,
 * C classes. Parameters "W1" (D, H), "b1" (H,), "W2" (H, C), "b2" (C,); weights start as {@code
 * weightScale * randn}, biases at zero. The loss adds {@code 0.5 * reg * (sum(W1^2) + sum(W2^2))},
 * the assignment-2 convention (gradient {@code reg * W}).
 */
public final class TwoLayerNet implements Model, Classifier, Regularized, InputGradients {
  private static final String NAME = "two-layer";

  /**
   * Configuration (CS231n defaults via {@link #defaults()}).
   *
   * @param inputDim D, features per example (CS231n: 3 * 32 * 32)
   * @param hiddenDim H (CS231n: 100)
   * @param numClasses C (CS231n: 10)
   * @param weightScale std of the initial weights (CS231n: 1e-3)
   * @param reg L2 strength (CS231n: 0)
   * @param dtype float32 or float64
   * @param seed seeds the initial weights
   */
  public record Config(
      int inputDim,
      int hiddenDim,
      int numClasses,
      double weightScale,
      double reg,
      DType dtype,
      long seed) {
    /** Validates the fields. */
    public Config {
      Nets.requireAtLeast(NAME, "inputDim", inputDim, 1);
      Nets.requireAtLeast(NAME, "hiddenDim", hiddenDim, 1);
      Nets.requireAtLeast(NAME, "numClasses", numClasses, 2);
      Nets.requireAtLeast(NAME, "weightScale", weightScale, 0.0);
      Nets.requireAtLeast(NAME, "reg", reg, 0.0);
      Nets.requireFloat(NAME, dtype);
    }

    /** The same configuration with another L2 strength (validated as the constructor does). */
    public Config withReg(double newReg) {
      return new Config(inputDim, hiddenDim, numClasses, weightScale, newReg, dtype, seed);
    }

    /** CS231n's defaults: D = 3072, H = 100, C = 10, weight scale 1e-3, reg 0, float64. */
    public static Config defaults() {
      return new Config(3 * 32 * 32, 100, 10, Init.DEFAULT_WEIGHT_SCALE, 0.0, DType.FLOAT64, 0);
    }
  }

  private Config config; // replaced by setReg, otherwise fixed
  private final Parameter w1;
  private final Parameter b1;
  private final Parameter w2;
  private final Parameter b2;

  /** A net with freshly initialized parameters. */
  public TwoLayerNet(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    RandomGenerator rng = Init.rng(config.seed());
    DType dt = config.dtype();
    double s = config.weightScale();
    w1 = new Parameter("W1", Init.normal(rng, dt, s, config.inputDim(), config.hiddenDim()));
    b1 = new Parameter("b1", Init.zeros(dt, config.hiddenDim()));
    w2 = new Parameter("W2", Init.normal(rng, dt, s, config.hiddenDim(), config.numClasses()));
    b2 = new Parameter("b2", Init.zeros(dt, config.numClasses()));
  }

  /** The configuration. */
  public Config config() {
    return config;
  }

  /** CS231n's {@code model.reg}: the L2 strength the loss uses now. */
  @Override
  public double reg() {
    return config.reg();
  }

  /**
   * Sets the L2 strength for the following loss calls (CS231n's {@code model.reg = ...}); the
   * parameters are kept and {@link #config()} reports the new value.
   *
   * @throws IllegalArgumentException when reg is negative or not finite
   */
  @Override
  public void setReg(double reg) {
    config = config.withReg(reg);
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(w1, b1, w2, b2);
  }

  /**
   * Class scores.
   *
   * @param x inputs, shape (N, D) or (N, d1, ..., dk) with D features
   * @return scores, shape (N, C)
   */
  @Override
  public Tensor loss(Tensor x) {
    check(x);
    Tensor hidden = AffineRelu.affineReluForward(x, w1.value(), b1.value()).out();
    return Affine.affineForward(hidden, w2.value(), b2.value()).out();
  }

  /**
   * Softmax loss plus {@code 0.5 * reg * sum(W^2)}, with gradients into the parameters.
   *
   * @param x inputs, shape (N, D) or (N, d1, ..., dk)
   * @param y labels, length N, in [0, C)
   */
  @Override
  public double loss(Tensor x, int[] y) {
    check(x);
    Nets.checkLabels(NAME, x, y, config.numClasses());
    Nets.zeroGrads(parameters());
    // forward
    Forward<AffineRelu.Cache> hidden = AffineRelu.affineReluForward(x, w1.value(), b1.value());
    Forward<Affine.Cache> scores = Affine.affineForward(hidden.out(), w2.value(), b2.value());
    Losses.Loss data = Losses.softmaxLoss(scores.out(), y);
    double reg = config.reg();
    double loss =
        data.loss() + 0.5 * reg * (Nets.sumOfSquares(w1.value()) + Nets.sumOfSquares(w2.value()));
    // backward, in reverse
    Affine.Grads g2 = Affine.affineBackward(data.dx(), scores.cache());
    Affine.Grads g1 = AffineRelu.affineReluBackward(g2.dx(), hidden.cache());
    w2.accumulateGrad(g2.dw());
    b2.accumulateGrad(g2.db());
    w1.accumulateGrad(g1.dw());
    b1.accumulateGrad(g1.db());
    Nets.addWeightDecayGrad(w2, reg);
    Nets.addWeightDecayGrad(w1, reg);
    return loss;
  }

  @Override
  public int numClasses() {
    return config.numClasses();
  }

  /**
   * Scores and the gradient of {@code sum(dscores * scores)} with respect to x; parameter gradients
   * are zeroed and then hold that surrogate's gradient (see {@link InputGradients}).
   *
   * @param x inputs, shape (N, D) or (N, d1, ..., dk)
   * @param dscores upstream gradient, shape (N, C)
   * @return scores (N, C) and dx, the shape of x
   */
  @Override
  public InputGradients.Result inputGradient(Tensor x, Tensor dscores) {
    check(x);
    InputGradients.checkDscores(NAME, x, dscores, config.numClasses());
    Nets.zeroGrads(parameters());
    Forward<AffineRelu.Cache> hidden = AffineRelu.affineReluForward(x, w1.value(), b1.value());
    Forward<Affine.Cache> scores = Affine.affineForward(hidden.out(), w2.value(), b2.value());
    Affine.Grads g2 = Affine.affineBackward(dscores, scores.cache());
    Affine.Grads g1 = AffineRelu.affineReluBackward(g2.dx(), hidden.cache());
    w2.accumulateGrad(g2.dw());
    b2.accumulateGrad(g2.db());
    w1.accumulateGrad(g1.dw());
    b1.accumulateGrad(g1.db());
    return new InputGradients.Result(scores.out(), g1.dx(), null, null);
  }

  @Override
  public int[] predict(Tensor x) {
    return Metrics.argmax(loss(x));
  }

  private void check(Tensor x) {
    Nets.checkInput(NAME, x, new int[] {config.inputDim()}, true, config.dtype());
  }
}
