package org.handgrad.models.cnn;

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
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Affine;
import org.handgrad.nn.functional.AffineRelu;
import org.handgrad.nn.functional.Conv;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.ConvReluPool;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.functional.Pool;
import org.handgrad.nn.functional.PoolParam;
import org.handgrad.nn.init.Init;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Three-layer convolutional net, CS231n assignment 2's {@code ThreeLayerConvNet}:
 *
 * <pre>
 *   conv - relu - 2x2 max pool - affine - relu - affine - softmax
 * </pre>
 *
 * <p>Dimensions: N images of C channels, H x W pixels; F filters of size HH x HH with stride 1 and
 * pad (HH - 1) / 2, so the conv keeps H x W and the pool halves it; hidden width M; K classes.
 * Parameters: "W1" (F, C, HH, HH), "b1" (F,), "W2" (F * H/2 * W/2, M), "b2" (M,), "W3" (M, K), "b3"
 * (K,); weights are {@code weightScale * randn}, biases zero. The loss adds {@code 0.5 * reg *
 * (sum(W1^2) + sum(W2^2) + sum(W3^2))}, as the assignment.
 */
public final class ThreeLayerConvNet implements Model, Classifier, Regularized, InputGradients {
  private static final String NAME = "cnn";

  /**
   * Configuration.
   *
   * @param inputDim (C, H, W) of one image; H and W even (the 2x2 pool) (CS231n: (3, 32, 32))
   * @param numFilters F (CS231n: 32)
   * @param filterSize HH, odd so that the padding keeps the size (CS231n: 7)
   * @param hiddenDim M (CS231n: 100)
   * @param numClasses K (CS231n: 10)
   * @param weightScale std of the initial weights (CS231n: 1e-3)
   * @param reg L2 strength (CS231n: 0)
   * @param dtype float32 or float64 (CS231n: float32)
   * @param seed seeds the initial weights
   */
  public record Config(
      int[] inputDim,
      int numFilters,
      int filterSize,
      int hiddenDim,
      int numClasses,
      double weightScale,
      double reg,
      DType dtype,
      long seed) {
    /** Validates the fields; copies inputDim. */
    public Config {
      inputDim = CnnArgs.checkImageShape(NAME, inputDim, 1);
      Nets.requireAtLeast(NAME, "numFilters", numFilters, 1);
      if (filterSize < 1 || filterSize % 2 == 0) {
        throw new IllegalArgumentException(
            NAME
                + ": filterSize must be odd and >= 1 (pad (HH - 1) / 2 keeps H x W), got "
                + filterSize);
      }
      Nets.requireAtLeast(NAME, "hiddenDim", hiddenDim, 1);
      Nets.requireAtLeast(NAME, "numClasses", numClasses, 2);
      Nets.requireAtLeast(NAME, "weightScale", weightScale, 0.0);
      Nets.requireAtLeast(NAME, "reg", reg, 0.0);
      Nets.requireFloat(NAME, dtype);
    }

    /** The same configuration with another L2 strength (validated as the constructor does). */
    public Config withReg(double newReg) {
      return new Config(
          inputDim,
          numFilters,
          filterSize,
          hiddenDim,
          numClasses,
          weightScale,
          newReg,
          dtype,
          seed);
    }

    /** The image shape (C, H, W) (a copy). */
    @Override
    public int[] inputDim() {
      return inputDim.clone();
    }

    /** CS231n's defaults: (3, 32, 32), 32 filters 7x7, hidden 100, 10 classes, 1e-3, float32. */
    public static Config defaults() {
      return new Config(new int[] {3, 32, 32}, 32, 7, 100, 10, 1e-3, 0.0, DType.FLOAT32, 0);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Config c
          && java.util.Arrays.equals(inputDim, c.inputDim)
          && numFilters == c.numFilters
          && filterSize == c.filterSize
          && hiddenDim == c.hiddenDim
          && numClasses == c.numClasses
          && Double.compare(weightScale, c.weightScale) == 0
          && Double.compare(reg, c.reg) == 0
          && dtype == c.dtype
          && seed == c.seed;
    }

    @Override
    public int hashCode() {
      return Objects.hash(
          java.util.Arrays.hashCode(inputDim),
          numFilters,
          filterSize,
          hiddenDim,
          numClasses,
          weightScale,
          reg,
          dtype,
          seed);
    }

    @Override
    public String toString() {
      return "Config[inputDim="
          + java.util.Arrays.toString(inputDim)
          + ", numFilters="
          + numFilters
          + ", filterSize="
          + filterSize
          + ", hiddenDim="
          + hiddenDim
          + ", numClasses="
          + numClasses
          + ", weightScale="
          + weightScale
          + ", reg="
          + reg
          + ", dtype="
          + dtype.numpyName()
          + ", seed="
          + seed
          + "]";
    }
  }

  private Config config; // replaced by setReg, otherwise fixed
  private final ConvParam convParam;
  private final PoolParam poolParam = PoolParam.twoByTwo();
  private final Parameter w1;
  private final Parameter b1;
  private final Parameter w2;
  private final Parameter b2;
  private final Parameter w3;
  private final Parameter b3;

  /** A net with freshly initialized parameters. */
  public ThreeLayerConvNet(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    int[] in = config.inputDim();
    int c = in[0];
    int h = in[1];
    int wd = in[2];
    int f = config.numFilters();
    int k = config.filterSize();
    convParam = new ConvParam(1, (k - 1) / 2);
    RandomGenerator rng = Init.rng(config.seed());
    DType dt = config.dtype();
    double s = config.weightScale();
    w1 = new Parameter("W1", Init.normal(rng, dt, s, f, c, k, k));
    b1 = new Parameter("b1", Init.zeros(dt, f));
    int pooled = f * (h / 2) * (wd / 2);
    w2 = new Parameter("W2", Init.normal(rng, dt, s, pooled, config.hiddenDim()));
    b2 = new Parameter("b2", Init.zeros(dt, config.hiddenDim()));
    w3 = new Parameter("W3", Init.normal(rng, dt, s, config.hiddenDim(), config.numClasses()));
    b3 = new Parameter("b3", Init.zeros(dt, config.numClasses()));
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
    return List.of(w1, b1, w2, b2, w3, b3);
  }

  /**
   * Class scores.
   *
   * @param x images, shape (N, C, H, W)
   * @return scores, shape (N, K)
   */
  @Override
  public Tensor loss(Tensor x) {
    check(x);
    Tensor a1 =
        ConvReluPool.convReluPoolForward(x, w1.value(), b1.value(), convParam, poolParam).out();
    Tensor a2 = AffineRelu.affineReluForward(a1, w2.value(), b2.value()).out();
    return Affine.affineForward(a2, w3.value(), b3.value()).out();
  }

  /**
   * Softmax loss plus {@code 0.5 * reg * sum(W^2)}, with gradients into the parameters.
   *
   * @param x images, shape (N, C, H, W)
   * @param y labels, length N, in [0, K)
   */
  @Override
  public double loss(Tensor x, int[] y) {
    check(x);
    Nets.checkLabels(NAME, x, y, config.numClasses());
    Nets.zeroGrads(parameters());
    // forward: (N, C, H, W) -> (N, F, H/2, W/2) -> (N, M) -> (N, K)
    Forward<ConvReluPool.Cache> l1 =
        ConvReluPool.convReluPoolForward(x, w1.value(), b1.value(), convParam, poolParam);
    Forward<AffineRelu.Cache> l2 = AffineRelu.affineReluForward(l1.out(), w2.value(), b2.value());
    Forward<Affine.Cache> l3 = Affine.affineForward(l2.out(), w3.value(), b3.value());
    Losses.Loss data = Losses.softmaxLoss(l3.out(), y);
    double sq =
        Nets.sumOfSquares(w1.value())
            + Nets.sumOfSquares(w2.value())
            + Nets.sumOfSquares(w3.value());
    double loss = data.loss() + 0.5 * config.reg() * sq;
    // backward, in reverse
    Affine.Grads g3 = Affine.affineBackward(data.dx(), l3.cache());
    Affine.Grads g2 = AffineRelu.affineReluBackward(g3.dx(), l2.cache());
    var g1 = ConvReluPool.convReluPoolBackward(g2.dx(), l1.cache());
    w3.accumulateGrad(g3.dw());
    b3.accumulateGrad(g3.db());
    w2.accumulateGrad(g2.dw());
    b2.accumulateGrad(g2.db());
    w1.accumulateGrad(g1.dw());
    b1.accumulateGrad(g1.db());
    for (Parameter w : List.of(w1, w2, w3)) {
      Nets.addWeightDecayGrad(w, config.reg());
    }
    return loss;
  }

  /** The layers {@link #inputGradient(Tensor, Tensor, String)} can capture. */
  private static final List<String> LAYERS = List.of("conv1", "pool1");

  /**
   * {@inheritDoc} "conv1" is the rectified conv output before the pool, (N, F, H, W); "pool1" the
   * pooled one, (N, F, H/2, W/2).
   */
  @Override
  public List<String> captureLayers() {
    return LAYERS;
  }

  @Override
  public int numClasses() {
    return config.numClasses();
  }

  /**
   * Scores and the gradient of {@code sum(dscores * scores)} with respect to the images; parameter
   * gradients are zeroed and then hold that surrogate's gradient (see {@link InputGradients}).
   *
   * @param x images, shape (N, C, H, W)
   * @param dscores upstream gradient, shape (N, K)
   * @return scores (N, K) and dx (N, C, H, W)
   */
  @Override
  public InputGradients.Result inputGradient(Tensor x, Tensor dscores) {
    return inputGradient(x, dscores, null);
  }

  /**
   * As {@link #inputGradient(Tensor, Tensor)}, capturing "conv1" or "pool1" (or nothing for null).
   * The conv - relu - pool sandwich runs as its three pairs here so that the rectified conv output
   * before the pool is available; the arithmetic is the sandwich's.
   */
  @Override
  public InputGradients.Result inputGradient(Tensor x, Tensor dscores, String layer) {
    check(x);
    InputGradients.checkDscores(NAME, x, dscores, config.numClasses());
    if (layer != null && !LAYERS.contains(layer)) {
      throw new IllegalArgumentException(InputGradients.unknownLayer(NAME, layer, LAYERS));
    }
    Nets.zeroGrads(parameters());
    Forward<Conv.Cache> conv = Conv.convForward(x, w1.value(), b1.value(), convParam);
    Forward<Activations.ReluCache> relu = Activations.reluForward(conv.out());
    Forward<Pool.MaxCache> pool = Pool.maxPoolForward(relu.out(), poolParam);
    Forward<AffineRelu.Cache> l2 = AffineRelu.affineReluForward(pool.out(), w2.value(), b2.value());
    Forward<Affine.Cache> l3 = Affine.affineForward(l2.out(), w3.value(), b3.value());
    Affine.Grads g3 = Affine.affineBackward(dscores, l3.cache());
    Affine.Grads g2 = AffineRelu.affineReluBackward(g3.dx(), l2.cache());
    Tensor dpool = g2.dx();
    Tensor drelu = Pool.maxPoolBackward(dpool, pool.cache()).dx();
    Conv.Grads g1 = Conv.convBackward(Activations.reluBackward(drelu, relu.cache()), conv.cache());
    w3.accumulateGrad(g3.dw());
    b3.accumulateGrad(g3.db());
    w2.accumulateGrad(g2.dw());
    b2.accumulateGrad(g2.db());
    w1.accumulateGrad(g1.dw());
    b1.accumulateGrad(g1.db());
    Tensor a = null;
    Tensor da = null;
    if ("conv1".equals(layer)) {
      a = relu.out();
      da = drelu;
    } else if ("pool1".equals(layer)) {
      a = pool.out();
      da = dpool;
    }
    return new InputGradients.Result(l3.out(), g1.dx(), a, da);
  }

  @Override
  public int[] predict(Tensor x) {
    return Metrics.argmax(loss(x));
  }

  private void check(Tensor x) {
    Nets.checkInput(NAME, x, config.inputDim(), false, config.dtype());
  }
}
