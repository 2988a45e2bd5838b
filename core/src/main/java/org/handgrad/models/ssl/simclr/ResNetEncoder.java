package org.handgrad.models.ssl.simclr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import org.handgrad.models.resnet.BasicBlock;
import org.handgrad.models.ssl.FeatureExtractor;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.BatchNorm2d;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.GlobalAvgPool2d;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The SimCLR encoder f: a CIFAR-style ResNet (He et al. 2016, section 4.2; the stem SimCLR uses for
 * CIFAR-10: 3x3 stride 1 and no max pool) built from {@link BasicBlock}s on the tape, ending at the
 * global average pool, so the representation h has the width of the last stage:
 *
 * <pre>
 *   h = relu(bn1(conv1(x)))                     conv 3x3 stride 1 pad 1
 *   h = layer_s(...)                            stage s: blocks[s] blocks of width widths[s],
 *                                               stride 2 in the first block of every stage but the first
 *   h = avgpool(h).reshape(N, F)                the representation, F = widths[last]
 * </pre>
 *
 * <p>Names as {@code models.resnet.ResNet} without {@code fc}: {@code conv1.weight}, {@code
 * layer1.0.conv1.weight}, ... Dimension letters: N batch, C H W image, F features.
 */
public final class ResNetEncoder extends TapeModule implements FeatureExtractor {
  private final int channels;
  private final int features;
  private final Conv2d conv1;
  private final BatchNorm2d bn1;
  private final ReLU relu = new ReLU();
  private final List<BasicBlock> blocks = new ArrayList<>();
  private final GlobalAvgPool2d avgpool = new GlobalAvgPool2d();

  /**
   * A freshly initialised encoder (conv weights He normal, BatchNorm gamma 1, beta 0).
   *
   * @param channels C of the input images
   * @param widths channels of each stage
   * @param blocks blocks of each stage, as many as widths
   * @param dtype float32 or float64
   * @param rng draws the conv weights in module order
   */
  public ResNetEncoder(int channels, int[] widths, int[] blocks, DType dtype, RandomGenerator rng) {
    if (channels < 1 || widths.length == 0 || widths.length != blocks.length) {
      throw new IllegalArgumentException(
          "ResNetEncoder: need channels >= 1 and non-empty widths and blocks of equal length, got "
              + channels
              + ", "
              + Arrays.toString(widths)
              + ", "
              + Arrays.toString(blocks));
    }
    for (int i = 0; i < widths.length; i++) {
      if (widths[i] < 1 || blocks[i] < 1) {
        throw new IllegalArgumentException(
            "ResNetEncoder: widths and blocks must be >= 1, got "
                + Arrays.toString(widths)
                + ", "
                + Arrays.toString(blocks));
      }
    }
    this.channels = channels;
    WeightInit init = WeightInit.kaiming();
    conv1 =
        registerModule(
            "conv1",
            new Conv2d(channels, widths[0], 3, 3, ConvParam.torch(1, 1), false, dtype, init, rng));
    bn1 = registerModule("bn1", new BatchNorm2d(widths[0], dtype));
    registerModule("relu", relu);
    int in = widths[0];
    for (int s = 0; s < widths.length; s++) {
      Sequential layer = new Sequential();
      for (int b = 0; b < blocks[s]; b++) {
        BasicBlock block = new BasicBlock(in, widths[s], s > 0 && b == 0 ? 2 : 1, dtype, init, rng);
        layer.add(block);
        this.blocks.add(block);
        in = widths[s];
      }
      registerModule("layer" + (s + 1), layer);
    }
    registerModule("avgpool", avgpool);
    this.features = in;
  }

  /** F, the width of the representation. */
  public int featureDim() {
    return features;
  }

  /**
   * Records the encoder.
   *
   * @param x images, shape (N, C, H, W)
   * @return the representation h, shape (N, F)
   */
  @Override
  public Var forward(Tape tape, Var x) {
    if (x.shape().length != 4 || x.shape(1) != channels) {
      throw new IllegalArgumentException(
          "ResNetEncoder: expected images (N, "
              + channels
              + ", H, W), got "
              + Arrays.toString(x.shape()));
    }
    Var h = tape.module(relu, tape.module(bn1, tape.module(conv1, x)));
    for (BasicBlock b : blocks) {
      h = b.forward(tape, h);
    }
    h = tape.module(avgpool, h); // (N, F, 1, 1)
    return tape.reshape(h, x.shape(0), features);
  }

  /**
   * The representation in evaluation mode (BatchNorm running statistics), without recording a
   * backward pass to keep.
   *
   * @param images shape (N, C, H, W)
   * @return h, shape (N, F)
   */
  @Override
  public Tensor features(Tensor images) {
    boolean was = isTraining();
    eval();
    try {
      Tape tape = new Tape();
      return forward(tape, tape.constant(images)).value();
    } finally {
      train(was);
    }
  }
}
