package org.handgrad.models.ssl.simclr;

import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.models.Nets;
import org.handgrad.models.ssl.FeatureExtractor;
import org.handgrad.nn.Module;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.BatchNormParam;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.NtXent;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.modules.BatchNorm1d;
import org.handgrad.nn.modules.BatchNorm2d;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * SimCLR (Chen et al. 2020): encoder f and projection head g, trained so that the projections z =
 * g(f(x)) of two views of one image are closer (in cosine similarity) than those of other images in
 * the batch:
 *
 * <pre>
 *   h = encoder(x)                                   {@link ResNetEncoder}, shape (2N, F)
 *   z = head(h) = fc2(relu(bn(fc1(h))))               shape (2N, P); fc1 F -&gt; hidden, fc2 hidden -&gt; P
 *   L = NT-Xent(z, temperature)                      {@link NtXent}, views of image k at rows k and k + N
 * </pre>
 *
 * The head is the paper's two-layer MLP with the BatchNorm that SimCLR's code puts after the hidden
 * layer; the representation used downstream is h, before the head (the paper's section 4.2: h is
 * better than z for linear evaluation). Parameter names: {@code encoder.conv1.weight}, ..., {@code
 * head.0.weight} (fc1), {@code head.1.weight} (bn), {@code head.3.weight} (fc2).
 *
 * <p>Dimension letters: N images, 2N views, C H W image, F representation, P projection.
 */
public final class SimClr extends TapeModule implements FeatureExtractor {
  private static final String NAME = "simclr";

  /**
   * Configuration.
   *
   * @param inputDim (C, H, W) of the views
   * @param widths encoder stage widths
   * @param blocks encoder blocks per stage
   * @param hiddenDim width of the head's hidden layer
   * @param projectionDim P
   * @param dtype float32 or float64
   * @param seed seeds the weights
   */
  public record Config(
      int[] inputDim,
      int[] widths,
      int[] blocks,
      int hiddenDim,
      int projectionDim,
      DType dtype,
      long seed) {
    /** Validates every field with a message naming it; copies the arrays. */
    public Config {
      inputDim = Objects.requireNonNull(inputDim, NAME + ": inputDim").clone();
      widths = Objects.requireNonNull(widths, NAME + ": widths").clone();
      blocks = Objects.requireNonNull(blocks, NAME + ": blocks").clone();
      if (inputDim.length != 3) {
        throw new IllegalArgumentException(
            NAME + ": input_shape must be (C, H, W), got " + Arrays.toString(inputDim));
      }
      for (int d : inputDim) {
        Nets.requireAtLeast(NAME, "input_shape", d, 1);
      }
      if (widths.length == 0 || widths.length != blocks.length) {
        throw new IllegalArgumentException(
            NAME
                + ": widths and blocks must be non-empty and of equal length, got widths "
                + Arrays.toString(widths)
                + ", blocks "
                + Arrays.toString(blocks));
      }
      for (int i = 0; i < widths.length; i++) {
        Nets.requireAtLeast(NAME, "widths", widths[i], 1);
        Nets.requireAtLeast(NAME, "blocks", blocks[i], 1);
      }
      Nets.requireAtLeast(NAME, "hidden_dim", hiddenDim, 1);
      Nets.requireAtLeast(NAME, "projection_dim", projectionDim, 1);
      Nets.requireFloat(NAME, dtype);
    }

    /**
     * The default for small images: ResNet-8 widths (16, 32, 64), one block per stage, head 64
     * -&gt; 64 -&gt; 64, float32.
     *
     * @param c channels
     * @param h height
     * @param w width
     */
    public static Config small(int c, int h, int w) {
      return new Config(
          new int[] {c, h, w},
          new int[] {16, 32, 64},
          new int[] {1, 1, 1},
          64,
          64,
          DType.FLOAT32,
          0);
    }

    /** The image shape (a copy). */
    @Override
    public int[] inputDim() {
      return inputDim.clone();
    }

    /** Stage widths (a copy). */
    @Override
    public int[] widths() {
      return widths.clone();
    }

    /** Blocks per stage (a copy). */
    @Override
    public int[] blocks() {
      return blocks.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Config c
          && Arrays.equals(inputDim, c.inputDim)
          && Arrays.equals(widths, c.widths)
          && Arrays.equals(blocks, c.blocks)
          && hiddenDim == c.hiddenDim
          && projectionDim == c.projectionDim
          && dtype == c.dtype
          && seed == c.seed;
    }

    @Override
    public int hashCode() {
      return Objects.hash(
          Arrays.hashCode(inputDim),
          Arrays.hashCode(widths),
          Arrays.hashCode(blocks),
          hiddenDim,
          projectionDim,
          dtype,
          seed);
    }

    @Override
    public String toString() {
      return "Config[inputDim="
          + Arrays.toString(inputDim)
          + ", widths="
          + Arrays.toString(widths)
          + ", blocks="
          + Arrays.toString(blocks)
          + ", hiddenDim="
          + hiddenDim
          + ", projectionDim="
          + projectionDim
          + ", dtype="
          + dtype.numpyName()
          + ", seed="
          + seed
          + "]";
    }
  }

  private final Config config;
  private final ResNetEncoder encoder;
  private final Sequential head;

  /** A freshly initialised model: the encoder's weights first, then the head's, from the seed. */
  public SimClr(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    DType dt = config.dtype();
    RandomGenerator rng = Init.rng(config.seed());
    encoder =
        registerModule(
            "encoder",
            new ResNetEncoder(config.inputDim()[0], config.widths(), config.blocks(), dt, rng));
    int f = encoder.featureDim();
    head =
        registerModule(
            "head",
            new Sequential(
                new Linear(f, config.hiddenDim(), dt, rng),
                new BatchNorm1d(config.hiddenDim(), dt),
                new ReLU(),
                new Linear(config.hiddenDim(), config.projectionDim(), dt, rng)));
  }

  /** The configuration. */
  public Config config() {
    return config;
  }

  /** The encoder f, whose output h is the representation. */
  public ResNetEncoder encoder() {
    return encoder;
  }

  /**
   * Records encoder and head.
   *
   * @param x views, shape (2N, C, H, W)
   * @return projections z, shape (2N, P)
   */
  @Override
  public Var forward(Tape tape, Var x) {
    return tape.module(head, encoder.forward(tape, x));
  }

  /**
   * One training step's forward and backward: training mode, gradients zeroed, then filled with
   * dL/dparam of the NT-Xent loss. The optimizer step is the caller's.
   *
   * @param views the two views of N images, shape (2N, C, H, W), rows k and k + N of image k
   * @param temperature tau, &gt; 0
   * @return the loss
   */
  public double trainStep(Tensor views, double temperature) {
    checkViews(views);
    train();
    zeroGrad();
    Tape tape = new Tape();
    Var z = forward(tape, tape.constant(views));
    Forward<NtXent.Cache> loss = NtXent.ntXentForward(z.value(), temperature);
    tape.backward(z, NtXent.ntXentBackward(1.0, loss.cache()));
    return loss.out().item();
  }

  /**
   * The loss without a backward pass, in training mode (batch statistics, as in {@link #trainStep};
   * running statistics are updated).
   *
   * @param views shape (2N, C, H, W)
   * @param temperature tau, &gt; 0
   * @return the loss
   */
  public double loss(Tensor views, double temperature) {
    checkViews(views);
    train();
    Tape tape = new Tape();
    return NtXent.ntXentForward(forward(tape, tape.constant(views)).value(), temperature)
        .out()
        .item();
  }

  /**
   * A freshly initialised model ready for evaluation mode: every BatchNorm without running
   * statistics gets PyTorch's initial ones (mean 0, variance 1), so the untrained encoder computes
   * what a fresh {@code torch.nn.Module} does after {@code .eval()}. Used for the random-encoder
   * baseline and the kNN monitor before the first step; a model that trains keeps handgrad's own
   * first-step rule instead.
   *
   * @param config the configuration (its seed gives the same weights as the model trained)
   * @return the untrained model with statistics
   */
  public static SimClr untrained(Config config) {
    SimClr m = new SimClr(config);
    initStatistics(m);
    return m;
  }

  private static void initStatistics(Module m) {
    BatchNormParam p = null;
    if (m instanceof BatchNorm1d b) {
      p = b.bnParam();
    } else if (m instanceof BatchNorm2d b) {
      p = b.bnParam();
    }
    if (p != null && !p.hasStatistics()) {
      Tensor mean = Tensor.zeros(p.runningMean().dtype(), p.features());
      p.loadStatistics(mean, Tensor.ones(p.runningVar().dtype(), p.features()));
    }
    for (Module c : m.children().values()) {
      initStatistics(c);
    }
  }

  /**
   * The representation h = f(x) in evaluation mode.
   *
   * @param images shape (N, C, H, W)
   * @return h, shape (N, F)
   */
  @Override
  public Tensor features(Tensor images) {
    return encoder.features(images);
  }

  private static void checkViews(Tensor views) {
    if (views.ndim() != 4 || views.shape(0) < 2 || views.shape(0) % 2 != 0) {
      throw new IllegalArgumentException(
          NAME
              + ": expected two views per image, (2N, C, H, W) with rows k and k + N from image k,"
              + " got "
              + views.shapeString());
    }
  }
}
