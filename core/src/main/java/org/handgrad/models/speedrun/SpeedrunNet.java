package org.handgrad.models.speedrun;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.data.Augment;
import org.handgrad.models.Classifier;
import org.handgrad.models.Nets;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.nn.Module;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.functional.PoolParam;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.BatchNorm2d;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.GlobalAvgPool2d;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.MaxPool2d;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The network of the Fashion-MNIST speedrun (CLI name "speedrun"), chosen for accuracy per second
 * on two CPU cores: a VGG-style chain in the shape of the CIFAR-10 speed runs' "conv groups" (Page
 * 2018; Jordan 2024, airbench), every layer an existing hand-written pair:
 *
 * <pre>
 *   h = relu(bn(conv3x3(x)))                                 stem, widths[0] channels
 *   for each width w of widths:                              a group: the pool halves H and W
 *     h = relu(bn(conv3x3(maxpool2x2(conv3x3(h)))))          conv, pool, bn, relu
 *     h = relu(bn(conv3x3(h)))                               conv, bn, relu
 *   scores = linear(global average pool(h))                  (N, K)
 * </pre>
 *
 * Pooling right after the first convolution of a group (rather than at its end) runs the group's
 * second convolution, BatchNorm and ReLU on a quarter of the pixels. For 28x28 images and three
 * groups the maps are 28, 14, 7, 3 pixels wide. The convolutions have no bias (a BatchNorm
 * follows); weights He normal, BatchNorm gamma 1 and beta 0, the classifier PyTorch's default.
 *
 * <p><b>Test-time augmentation.</b> With {@code tta} set, the test-mode scores are the mean of the
 * scores of the images and of their mirror images; training never sees it.
 *
 * <p>Dimension letters: N batch, C H W image, K classes.
 */
public final class SpeedrunNet extends TapeModule implements Model, Classifier {
  private static final String NAME = "speedrun";

  /**
   * Configuration.
   *
   * @param inputDim (C, H, W)
   * @param widths the stem's channels are widths[0]; one group per width, each &gt;= 1
   * @param numClasses K, &gt;= 2
   * @param tta average the test-mode scores over the image and its left-right mirror
   * @param dtype float32 or float64
   * @param seed seeds the weights
   */
  public record Config(
      int[] inputDim, int[] widths, int numClasses, boolean tta, DType dtype, long seed) {
    /** Validates every field with a message naming it; copies the arrays. */
    public Config {
      inputDim = Objects.requireNonNull(inputDim, NAME + ": inputDim").clone();
      widths = Objects.requireNonNull(widths, NAME + ": widths").clone();
      if (inputDim.length != 3) {
        throw new IllegalArgumentException(
            NAME + ": input_shape must be (C, H, W), got " + Arrays.toString(inputDim));
      }
      if (widths.length == 0) {
        throw new IllegalArgumentException(NAME + ": widths must not be empty");
      }
      for (int w : widths) {
        Nets.requireAtLeast(NAME, "widths", w, 1);
      }
      Nets.requireAtLeast(NAME, "num_classes", numClasses, 2);
      Nets.requireFloat(NAME, dtype);
      int size = Math.min(inputDim[1], inputDim[2]);
      if (size >> widths.length < 1) {
        throw new IllegalArgumentException(
            NAME
                + ": image "
                + inputDim[1]
                + "x"
                + inputDim[2]
                + " is too small for "
                + widths.length
                + " groups (each halves it)");
      }
    }

    /** The image shape (a copy). */
    @Override
    public int[] inputDim() {
      return inputDim.clone();
    }

    /** The widths (a copy). */
    @Override
    public int[] widths() {
      return widths.clone();
    }

    /** The recipe's network: 1x28x28, widths 24, 48, 96, 10 classes, TTA off, float32. */
    public static Config fashionMnist() {
      return new Config(new int[] {1, 28, 28}, new int[] {24, 48, 96}, 10, false, DType.FLOAT32, 0);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Config c
          && Arrays.equals(inputDim, c.inputDim)
          && Arrays.equals(widths, c.widths)
          && numClasses == c.numClasses
          && tta == c.tta
          && dtype == c.dtype
          && seed == c.seed;
    }

    @Override
    public int hashCode() {
      return Objects.hash(
          Arrays.hashCode(inputDim), Arrays.hashCode(widths), numClasses, tta, dtype, seed);
    }

    @Override
    public String toString() {
      return "Config[inputDim="
          + Arrays.toString(inputDim)
          + ", widths="
          + Arrays.toString(widths)
          + ", numClasses="
          + numClasses
          + ", tta="
          + tta
          + ", dtype="
          + dtype.numpyName()
          + ", seed="
          + seed
          + "]";
    }
  }

  private final Config config;
  private final List<Module> layers = new ArrayList<>();

  /** A freshly initialized network (see the class comment). */
  public SpeedrunNet(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    DType dt = config.dtype();
    RandomGenerator rng = Init.rng(config.seed());
    WeightInit init = WeightInit.kaiming();
    int[] widths = config.widths();
    int in = config.inputDim()[0];
    // Parameter names by path: stem.0.weight, stem.1.weight (BatchNorm gamma), group1.0.weight,
    // ..., fc.weight; the tape records a Sequential layer by layer.
    add(
        "stem",
        new Sequential(
            conv(in, widths[0], dt, init, rng), new BatchNorm2d(widths[0], dt), new ReLU()));
    in = widths[0];
    for (int g = 0; g < widths.length; g++) {
      add(
          "group" + (g + 1),
          new Sequential(
              conv(in, widths[g], dt, init, rng),
              new MaxPool2d(PoolParam.torch(2, 2, 0)),
              new BatchNorm2d(widths[g], dt),
              new ReLU(),
              conv(widths[g], widths[g], dt, init, rng),
              new BatchNorm2d(widths[g], dt),
              new ReLU()));
      in = widths[g];
    }
    add("avgpool", new GlobalAvgPool2d());
    add("fc", new Linear(in, config.numClasses(), dt, rng));
  }

  private static Conv2d conv(int in, int out, DType dt, WeightInit init, RandomGenerator rng) {
    return new Conv2d(in, out, 3, 3, ConvParam.torch(1, 1), false, dt, init, rng);
  }

  private void add(String name, Module m) {
    layers.add(registerModule(name, m));
  }

  /** The configuration. */
  public Config config() {
    return config;
  }

  /**
   * Records the forward pass.
   *
   * @param x images, shape (N, C, H, W)
   * @return class scores, shape (N, K)
   */
  @Override
  public Var forward(Tape tape, Var x) {
    int[] in = config.inputDim();
    if (x.shape().length != 4 || x.shape(1) != in[0]) {
      throw new IllegalArgumentException(
          NAME + ": expected images (N, " + in[0] + ", H, W), got " + Arrays.toString(x.shape()));
    }
    Var h = x;
    for (Module m : layers) {
      h = tape.module(m, h); // a chain: the tape replays it in reverse
    }
    return h;
  }

  /**
   * Class scores in evaluation mode (BatchNorm with running statistics); with {@code tta}, the mean
   * of the scores of x and of its mirror image.
   *
   * @param x images, shape (N, C, H, W)
   * @return scores, shape (N, K)
   */
  @Override
  public Tensor loss(Tensor x) {
    eval();
    Tensor s = scores(x);
    if (!config.tta()) {
      return s;
    }
    return s.add(scores(Augment.hflip(x))).mul(0.5);
  }

  private Tensor scores(Tensor x) {
    Tape tape = new Tape();
    return forward(tape, tape.constant(x)).value();
  }

  /**
   * Training step: zeroes the gradients, runs forward in training mode, the softmax loss and the
   * tape's backward.
   *
   * @param x images, shape (N, C, H, W)
   * @param y labels in [0, K)
   * @return the mean cross-entropy
   */
  @Override
  public double loss(Tensor x, int[] y) {
    train();
    zeroGrad();
    Tape tape = new Tape();
    Var scores = forward(tape, tape.constant(x));
    Losses.Loss l = Losses.softmaxLoss(scores.value(), y);
    tape.backward(scores, l.dx());
    return l.loss();
  }

  @Override
  public int[] predict(Tensor x) {
    return Metrics.argmax(loss(x));
  }
}
