package org.handgrad.models.resnet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.models.Classifier;
import org.handgrad.models.Nets;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
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
 * A residual network of {@link BasicBlock}s (He et al. 2016) with torchvision's module names, CLI
 * names "resnet18" and "resnet-small":
 *
 * <pre>
 *   h = relu(bn1(conv1(x)))        ImageNet stem: 7x7 stride 2 pad 3, then maxpool 3x3 stride 2 pad 1
 *                                  CIFAR stem:    3x3 stride 1 pad 1, no maxpool
 *   h = layer4(layer3(layer2(layer1(h))))   stage i: blocks[i] blocks of width widths[i];
 *                                           the first block of every stage but the first has stride 2
 *   scores = fc(avgpool(h))        global average pooling to (N, F, 1, 1), then (N, K)
 * </pre>
 *
 * <p>With the ImageNet stem, widths 64, 128, 256, 512 and two blocks per stage this is exactly
 * {@code torchvision.models.resnet18}: parameters and buffers carry its {@code state_dict} names
 * ({@code conv1.weight}, {@code bn1.running_mean}, {@code layer1.0.conv1.weight}, {@code
 * layer2.0.downsample.0.weight}, {@code fc.bias}, ...) and layouts, with one exception: {@code
 * fc.weight} is stored (in, out) like every handgrad {@link Linear} (torch: (out, in)); {@code
 * models.transfer.TorchStateDict} transposes it on import and export. The CIFAR stem gives the
 * small ResNets of He et al., section 4.2 (widths 16, 32, 64; 6n+2 layers for n blocks per stage:
 * ResNet-8 for n = 1, ResNet-20 for n = 3), with torchvision's projection shortcuts ({@code
 * downsample}) where the paper's option A pads with zeros.
 *
 * <p>Every convolution and pooling rounds its output size down as PyTorch does ({@link
 * ConvParam#torch}), so any input size works: 224x224 gives the 7x7 final map of the paper, 64x64 a
 * 2x2 one, 28x28 (CIFAR stem, three stages) a 7x7 one. Initialization as torchvision: conv weights
 * He normal (std sqrt(2 / fan_in); torchvision uses fan_out), BatchNorm gamma 1 and beta 0, the
 * classifier PyTorch's default. BatchNorm's running statistics follow handgrad's CS231n convention
 * (see {@link BatchNorm2d}); evaluation mode uses them, so imported torchvision statistics give
 * torchvision's outputs.
 *
 * <p>Dimension letters: N batch, C H W image, F channels, K classes.
 */
public final class ResNet extends TapeModule implements Model, Classifier {
  private static final String NAME = "resnet";

  /** The first layers before the residual stages. */
  public enum Stem {
    /** torchvision's: conv 7x7 stride 2 pad 3, BatchNorm, ReLU, max pool 3x3 stride 2 pad 1. */
    IMAGENET,
    /** He et al.'s CIFAR networks: conv 3x3 stride 1 pad 1, BatchNorm, ReLU. */
    CIFAR
  }

  /**
   * Configuration.
   *
   * @param inputDim (C, H, W)
   * @param stem the layers before the stages
   * @param widths channels of each stage, all >= 1
   * @param blocks blocks of each stage, all >= 1, as many as widths
   * @param numClasses K
   * @param dtype float32 or float64
   * @param seed seeds the weights
   */
  public record Config(
      int[] inputDim,
      Stem stem,
      int[] widths,
      int[] blocks,
      int numClasses,
      DType dtype,
      long seed) {
    /** Validates every field with a message naming it; copies the arrays. */
    public Config {
      inputDim = Objects.requireNonNull(inputDim, NAME + ": inputDim").clone();
      Objects.requireNonNull(stem, NAME + ": stem");
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
      Nets.requireAtLeast(NAME, "num_classes", numClasses, 2);
      Nets.requireFloat(NAME, dtype);
      int minSize = stem == Stem.IMAGENET ? 4 : 1; // the stem's pooling window must fit
      if (inputDim[1] < minSize || inputDim[2] < minSize) {
        throw new IllegalArgumentException(
            NAME + ": image " + inputDim[1] + "x" + inputDim[2] + " is too small for the stem");
      }
    }

    /** The image shape (a copy). */
    @Override
    public int[] inputDim() {
      return inputDim.clone();
    }

    /** Channels of each stage (a copy). */
    @Override
    public int[] widths() {
      return widths.clone();
    }

    /** Blocks of each stage (a copy). */
    @Override
    public int[] blocks() {
      return blocks.clone();
    }

    /** torchvision's {@code resnet18} for 3x224x224 images and 1000 classes, float32. */
    public static Config resnet18() {
      return new Config(
          new int[] {3, 224, 224},
          Stem.IMAGENET,
          new int[] {64, 128, 256, 512},
          new int[] {2, 2, 2, 2},
          1000,
          DType.FLOAT32,
          0);
    }

    /** ResNet-8 of He et al. (CIFAR stem, widths 16/32/64, one block per stage) for 1x28x28. */
    public static Config small() {
      return new Config(
          new int[] {1, 28, 28},
          Stem.CIFAR,
          new int[] {16, 32, 64},
          new int[] {1, 1, 1},
          10,
          DType.FLOAT32,
          0);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Config c
          && Arrays.equals(inputDim, c.inputDim)
          && stem == c.stem
          && Arrays.equals(widths, c.widths)
          && Arrays.equals(blocks, c.blocks)
          && numClasses == c.numClasses
          && dtype == c.dtype
          && seed == c.seed;
    }

    @Override
    public int hashCode() {
      return Objects.hash(
          Arrays.hashCode(inputDim),
          stem,
          Arrays.hashCode(widths),
          Arrays.hashCode(blocks),
          numClasses,
          dtype,
          seed);
    }

    @Override
    public String toString() {
      return "Config[inputDim="
          + Arrays.toString(inputDim)
          + ", stem="
          + stem
          + ", widths="
          + Arrays.toString(widths)
          + ", blocks="
          + Arrays.toString(blocks)
          + ", numClasses="
          + numClasses
          + ", dtype="
          + dtype.numpyName()
          + ", seed="
          + seed
          + "]";
    }
  }

  private final Config config;
  private final Conv2d conv1;
  private final BatchNorm2d bn1;
  private final ReLU relu = new ReLU();
  private final MaxPool2d maxpool;
  private final List<BasicBlock> blocks = new ArrayList<>();
  private final GlobalAvgPool2d avgpool = new GlobalAvgPool2d();
  private final Linear fc;

  /** A freshly initialized network (see the class comment). */
  public ResNet(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    DType dt = config.dtype();
    RandomGenerator rng = Init.rng(config.seed());
    WeightInit init = WeightInit.kaiming();
    int c = config.inputDim()[0];
    int[] widths = config.widths();
    boolean imagenet = config.stem() == Stem.IMAGENET;
    conv1 =
        registerModule(
            "conv1",
            imagenet
                ? new Conv2d(c, widths[0], 7, 7, ConvParam.torch(2, 3), false, dt, init, rng)
                : new Conv2d(c, widths[0], 3, 3, ConvParam.torch(1, 1), false, dt, init, rng));
    bn1 = registerModule("bn1", new BatchNorm2d(widths[0], dt));
    registerModule("relu", relu);
    maxpool = imagenet ? registerModule("maxpool", new MaxPool2d(PoolParam.torch(3, 2, 1))) : null;
    int in = widths[0];
    for (int s = 0; s < widths.length; s++) {
      Sequential layer = new Sequential();
      for (int b = 0; b < config.blocks()[s]; b++) {
        int stride = s > 0 && b == 0 ? 2 : 1;
        BasicBlock block = new BasicBlock(in, widths[s], stride, dt, init, rng);
        layer.add(block);
        blocks.add(block);
        in = widths[s];
      }
      registerModule("layer" + (s + 1), layer);
    }
    registerModule("avgpool", avgpool);
    fc = registerModule("fc", new Linear(in, config.numClasses(), dt, rng));
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
    Var h = tape.module(conv1, x);
    h = tape.module(bn1, h);
    h = tape.module(relu, h);
    if (maxpool != null) {
      h = tape.module(maxpool, h);
    }
    for (BasicBlock b : blocks) {
      h = b.forward(tape, h);
    }
    h = tape.module(avgpool, h); // (N, F, 1, 1); the Linear flattens it to (N, F)
    return tape.module(fc, h);
  }

  /**
   * Class scores in evaluation mode (BatchNorm with running statistics).
   *
   * @param x images, shape (N, C, H, W)
   * @return scores, shape (N, K)
   */
  @Override
  public Tensor loss(Tensor x) {
    eval();
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
