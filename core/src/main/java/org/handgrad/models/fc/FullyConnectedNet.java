package org.handgrad.models.fc;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.models.Classifier;
import org.handgrad.models.InputGradients;
import org.handgrad.models.Nets;
import org.handgrad.models.Regularized;
import org.handgrad.models.SeedStream;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Affine;
import org.handgrad.nn.functional.AffineNormRelu;
import org.handgrad.nn.functional.AffineRelu;
import org.handgrad.nn.functional.BatchNormParam;
import org.handgrad.nn.functional.Dropout;
import org.handgrad.nn.functional.Dropout.DropoutParam;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.LayerNorm;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.init.Init;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Fully connected net of any depth, CS231n assignment 2's {@code FullyConnectedNet}:
 *
 * <pre>
 *   {affine - [batchnorm | layernorm] - relu - [dropout]} x (L - 1) - affine - softmax
 * </pre>
 *
 * <p>Dimensions: N examples of D features (inputs (N, d1, ..., dk) are flattened), hidden widths
 * H1..H(L-1), C classes. Parameters, layer by layer: "W{i}" (H(i-1), H(i)) drawn as {@code
 * weightScale * randn}, "b{i}" zeros, and with normalization "gamma{i}" ones and "beta{i}" zeros
 * for the hidden layers. The loss adds {@code 0.5 * reg * sum_i sum(W{i}^2)} (gamma, beta and
 * biases are not regularized), as the assignment.
 *
 * <p>State outside the parameters, exposed by {@link #buffers()} so a checkpoint resumes exactly:
 * each BatchNorm layer's "bn{i}.running_mean", "bn{i}.running_var", "bn{i}.num_batches_tracked",
 * and "dropout.rng_state", the {@link SeedStream} that gives every training step's dropout layers
 * fresh seeds. Dropout's ratio is the KEEP probability, as in CS231n (PyTorch's p drops).
 */
public final class FullyConnectedNet implements Model, Classifier, Regularized, InputGradients {
  private static final String NAME = "fc";

  /**
   * Configuration.
   *
   * @param hiddenDims widths of the hidden layers, each >= 1 (may be empty: a softmax classifier)
   * @param inputDim D (CS231n: 3 * 32 * 32)
   * @param numClasses C (CS231n: 10)
   * @param dropoutKeepRatio keep probability in (0, 1]; 1 disables dropout
   * @param normalization none, batchnorm or layernorm
   * @param reg L2 strength, >= 0
   * @param weightScale std of the initial weights (CS231n: 1e-2)
   * @param dtype float32 or float64 (CS231n: float32)
   * @param seed seeds the initial weights and the dropout stream
   */
  public record Config(
      int[] hiddenDims,
      int inputDim,
      int numClasses,
      double dropoutKeepRatio,
      Normalization normalization,
      double reg,
      double weightScale,
      DType dtype,
      long seed) {
    /** Validates the fields; copies hiddenDims. */
    public Config {
      hiddenDims = Objects.requireNonNull(hiddenDims, NAME + ": hiddenDims").clone();
      for (int i = 0; i < hiddenDims.length; i++) {
        Nets.requireAtLeast(NAME, "hiddenDims[" + i + "]", hiddenDims[i], 1);
      }
      Nets.requireAtLeast(NAME, "inputDim", inputDim, 1);
      Nets.requireAtLeast(NAME, "numClasses", numClasses, 2);
      if (!(dropoutKeepRatio > 0 && dropoutKeepRatio <= 1)) {
        throw new IllegalArgumentException(
            NAME
                + ": dropoutKeepRatio must be in (0, 1] (the KEEP probability; 1 disables"
                + " dropout), got "
                + dropoutKeepRatio);
      }
      Objects.requireNonNull(normalization, NAME + ": normalization");
      Nets.requireAtLeast(NAME, "reg", reg, 0.0);
      Nets.requireAtLeast(NAME, "weightScale", weightScale, 0.0);
      Nets.requireFloat(NAME, dtype);
    }

    /** The same configuration with another L2 strength (validated as the constructor does). */
    public Config withReg(double newReg) {
      return new Config(
          hiddenDims,
          inputDim,
          numClasses,
          dropoutKeepRatio,
          normalization,
          newReg,
          weightScale,
          dtype,
          seed);
    }

    /** The hidden widths (a copy). */
    @Override
    public int[] hiddenDims() {
      return hiddenDims.clone();
    }

    /**
     * CS231n's defaults for the given hidden widths: D = 3072, C = 10, no dropout, no
     * normalization, reg 0, weight scale 1e-2, float32, seed 0.
     */
    public static Config of(int... hiddenDims) {
      return new Config(
          hiddenDims, 3 * 32 * 32, 10, 1.0, Normalization.NONE, 0.0, 1e-2, DType.FLOAT32, 0);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Config c
          && Arrays.equals(hiddenDims, c.hiddenDims)
          && inputDim == c.inputDim
          && numClasses == c.numClasses
          && Double.compare(dropoutKeepRatio, c.dropoutKeepRatio) == 0
          && normalization == c.normalization
          && Double.compare(reg, c.reg) == 0
          && Double.compare(weightScale, c.weightScale) == 0
          && dtype == c.dtype
          && seed == c.seed;
    }

    @Override
    public int hashCode() {
      return Objects.hash(
          Arrays.hashCode(hiddenDims),
          inputDim,
          numClasses,
          dropoutKeepRatio,
          normalization,
          reg,
          weightScale,
          dtype,
          seed);
    }

    @Override
    public String toString() {
      return "Config[hiddenDims="
          + Arrays.toString(hiddenDims)
          + ", inputDim="
          + inputDim
          + ", numClasses="
          + numClasses
          + ", dropoutKeepRatio="
          + dropoutKeepRatio
          + ", normalization="
          + normalization.cliName()
          + ", reg="
          + reg
          + ", weightScale="
          + weightScale
          + ", dtype="
          + dtype.numpyName()
          + ", seed="
          + seed
          + "]";
    }
  }

  /**
   * Caches of one hidden block: exactly one of {@code affineRelu} (no normalization) and {@code
   * affineNormRelu} is set; {@code dropout} is null without dropout.
   */
  private record Hidden(
      AffineRelu.Cache affineRelu, AffineNormRelu.Cache affineNormRelu, Dropout.Cache dropout) {}

  private Config config; // replaced by setReg, otherwise fixed
  private final int numLayers;
  private final Parameter[] w;
  private final Parameter[] b;
  private final Parameter[] gamma;
  private final Parameter[] beta;
  private final BatchNormParam[] bnParams;
  private final SeedStream dropoutSeeds;
  private final List<Parameter> params;

  /** A net with freshly initialized parameters and empty running statistics. */
  public FullyConnectedNet(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    int[] hidden = config.hiddenDims();
    numLayers = hidden.length + 1;
    int[] dims = new int[numLayers + 1];
    dims[0] = config.inputDim();
    System.arraycopy(hidden, 0, dims, 1, hidden.length);
    dims[numLayers] = config.numClasses();
    DType dt = config.dtype();
    RandomGenerator rng = Init.rng(config.seed());
    w = new Parameter[numLayers];
    b = new Parameter[numLayers];
    gamma = new Parameter[numLayers - 1];
    beta = new Parameter[numLayers - 1];
    bnParams = new BatchNormParam[numLayers - 1];
    List<Parameter> all = new ArrayList<>();
    boolean norm = config.normalization() != Normalization.NONE;
    for (int i = 0; i < numLayers; i++) {
      int l = i + 1; // CS231n numbers layers from 1
      w[i] = new Parameter("W" + l, Init.normal(rng, dt, config.weightScale(), dims[i], dims[l]));
      b[i] = new Parameter("b" + l, Init.zeros(dt, dims[l]));
      all.add(w[i]);
      all.add(b[i]);
      if (norm && i < numLayers - 1) {
        gamma[i] = new Parameter("gamma" + l, Tensor.ones(dt, dims[l]));
        beta[i] = new Parameter("beta" + l, Init.zeros(dt, dims[l]));
        all.add(gamma[i]);
        all.add(beta[i]);
      }
      if (config.normalization() == Normalization.BATCHNORM && i < numLayers - 1) {
        bnParams[i] = BatchNormParam.create(dt, dims[l]);
      }
    }
    params = Collections.unmodifiableList(all);
    // A stream apart from the weights' generator: the seed with a fixed XOR, so both differ.
    dropoutSeeds = new SeedStream(config.seed() ^ 0x5DEECE66DL);
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
    return params;
  }

  @Override
  public Map<String, Tensor> buffers() {
    Map<String, Tensor> m = new LinkedHashMap<>();
    for (int i = 0; i < bnParams.length; i++) {
      if (bnParams[i] != null) {
        String p = "bn" + (i + 1) + ".";
        m.put(p + "running_mean", bnParams[i].runningMean());
        m.put(p + "running_var", bnParams[i].runningVar());
        m.put(p + "num_batches_tracked", bnParams[i].numBatchesTracked());
      }
    }
    if (config.dropoutKeepRatio() < 1) {
      m.put("dropout.rng_state", dropoutSeeds.state());
    }
    return Collections.unmodifiableMap(m);
  }

  /**
   * Class scores in test mode: BatchNorm uses the running statistics, dropout is the identity.
   *
   * @param x inputs, shape (N, D) or (N, d1, ..., dk) with D features
   * @return scores, shape (N, C)
   * @throws IllegalStateException with batchnorm before any training step (no statistics yet)
   */
  @Override
  public Tensor loss(Tensor x) {
    check(x);
    Tensor h = x;
    for (int i = 0; i < numLayers - 1; i++) {
      h = hiddenForward(i, h, false).out();
    }
    return Affine.affineForward(h, w[numLayers - 1].value(), b[numLayers - 1].value()).out();
  }

  /**
   * Training-mode loss and gradients: batch statistics (running ones updated), dropout masks from
   * the next seeds of the stream.
   *
   * @param x inputs, shape (N, D) or (N, d1, ..., dk)
   * @param y labels, length N, in [0, C)
   */
  @Override
  public double loss(Tensor x, int[] y) {
    check(x);
    Nets.checkLabels(NAME, x, y, config.numClasses());
    Nets.zeroGrads(params);
    // forward
    Hidden[] caches = new Hidden[numLayers - 1];
    Tensor h = x;
    for (int i = 0; i < numLayers - 1; i++) {
      Forward<Hidden> f = hiddenForward(i, h, true);
      caches[i] = f.cache();
      h = f.out();
    }
    int last = numLayers - 1;
    Forward<Affine.Cache> scores = Affine.affineForward(h, w[last].value(), b[last].value());
    Losses.Loss data = Losses.softmaxLoss(scores.out(), y);
    double sq = 0;
    for (Parameter wi : w) {
      sq += Nets.sumOfSquares(wi.value());
    }
    double loss = data.loss() + 0.5 * config.reg() * sq;
    // backward, in reverse
    Affine.Grads g = Affine.affineBackward(data.dx(), scores.cache());
    w[last].accumulateGrad(g.dw());
    b[last].accumulateGrad(g.db());
    Tensor dh = g.dx();
    for (int i = numLayers - 2; i >= 0; i--) {
      dh = hiddenBackward(i, dh, caches[i]);
    }
    for (Parameter wi : w) {
      Nets.addWeightDecayGrad(wi, config.reg());
    }
    return loss;
  }

  @Override
  public int numClasses() {
    return config.numClasses();
  }

  /**
   * Scores in test mode (running statistics, no dropout) and the gradient of {@code sum(dscores *
   * scores)} with respect to x; parameter gradients are zeroed and then hold that surrogate's
   * gradient (see {@link InputGradients}).
   *
   * @param x inputs, shape (N, D) or (N, d1, ..., dk)
   * @param dscores upstream gradient, shape (N, C)
   * @return scores (N, C) and dx, the shape of x
   * @throws IllegalStateException with batchnorm before any training step (no statistics yet)
   */
  @Override
  public InputGradients.Result inputGradient(Tensor x, Tensor dscores) {
    check(x);
    InputGradients.checkDscores(NAME, x, dscores, config.numClasses());
    Nets.zeroGrads(params);
    Hidden[] caches = new Hidden[numLayers - 1];
    Tensor h = x;
    for (int i = 0; i < numLayers - 1; i++) {
      Forward<Hidden> f = hiddenForward(i, h, false);
      caches[i] = f.cache();
      h = f.out();
    }
    int last = numLayers - 1;
    Forward<Affine.Cache> scores = Affine.affineForward(h, w[last].value(), b[last].value());
    Affine.Grads g = Affine.affineBackward(dscores, scores.cache());
    w[last].accumulateGrad(g.dw());
    b[last].accumulateGrad(g.db());
    Tensor dh = g.dx();
    for (int i = numLayers - 2; i >= 0; i--) {
      dh = hiddenBackward(i, dh, caches[i]);
    }
    return new InputGradients.Result(scores.out(), dh, null, null);
  }

  @Override
  public int[] predict(Tensor x) {
    return Metrics.argmax(loss(x));
  }

  /** Hidden block i: affine - [batchnorm | layernorm] - relu - [dropout]. */
  private Forward<Hidden> hiddenForward(int i, Tensor x, boolean train) {
    AffineRelu.Cache affineRelu = null;
    AffineNormRelu.Cache affineNormRelu = null;
    Tensor out;
    if (config.normalization() == Normalization.NONE) {
      Forward<AffineRelu.Cache> f = AffineRelu.affineReluForward(x, w[i].value(), b[i].value());
      affineRelu = f.cache();
      out = f.out();
    } else {
      Forward<AffineNormRelu.Cache> f =
          AffineNormRelu.affineNormReluForward(
              x, w[i].value(), b[i].value(), gamma[i].value(), beta[i].value(), norm(i, train));
      affineNormRelu = f.cache();
      out = f.out();
    }
    Dropout.Cache dropout = null;
    // In test mode inverted dropout is the identity, so it is skipped rather than copied.
    if (train && config.dropoutKeepRatio() < 1) {
      DropoutParam p = DropoutParam.train(config.dropoutKeepRatio(), dropoutSeeds.next());
      Forward<Dropout.Cache> d = Dropout.dropoutForward(out, p);
      dropout = d.cache();
      out = d.out();
    }
    return new Forward<>(out, new Hidden(affineRelu, affineNormRelu, dropout));
  }

  /** Backward of hidden block i, in reverse: [dropout] - relu - [norm] - affine. */
  private Tensor hiddenBackward(int i, Tensor dout, Hidden c) {
    Tensor d = c.dropout() == null ? dout : Dropout.dropoutBackward(dout, c.dropout());
    if (c.affineRelu() != null) {
      Affine.Grads g = AffineRelu.affineReluBackward(d, c.affineRelu());
      w[i].accumulateGrad(g.dw());
      b[i].accumulateGrad(g.db());
      return g.dx();
    }
    AffineNormRelu.Grads g = AffineNormRelu.affineNormReluBackward(d, c.affineNormRelu());
    w[i].accumulateGrad(g.dw());
    b[i].accumulateGrad(g.db());
    gamma[i].accumulateGrad(g.dgamma());
    beta[i].accumulateGrad(g.dbeta());
    return g.dx();
  }

  /** The normalization of hidden layer i; batchnorm shares the layer's running buffers. */
  private AffineNormRelu.Norm norm(int i, boolean train) {
    if (config.normalization() == Normalization.LAYERNORM) {
      return new AffineNormRelu.Norm.Layer(LayerNorm.DEFAULT_EPS);
    }
    BatchNormParam.Mode mode = train ? BatchNormParam.Mode.TRAIN : BatchNormParam.Mode.TEST;
    return new AffineNormRelu.Norm.Batch(bnParams[i].withMode(mode));
  }

  private void check(Tensor x) {
    Nets.checkInput(NAME, x, new int[] {config.inputDim()}, true, config.dtype());
  }
}
