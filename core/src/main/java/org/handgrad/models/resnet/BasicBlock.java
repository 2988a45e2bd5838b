package org.handgrad.models.resnet;

import java.util.random.RandomGenerator;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.BatchNorm2d;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.tensor.DType;

/**
 * The basic residual block of He et al. 2016 (two 3x3 convolutions), with torchvision's {@code
 * torchvision.models.resnet.BasicBlock} names and layout:
 *
 * <pre>
 *   out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))
 *   shortcut = identity, or downsample = [1x1 conv with the block's stride, BatchNorm2d]
 * </pre>
 *
 * Parameters: {@code conv1.weight} (F, C, 3, 3), {@code bn1.{weight,bias}} (F,), {@code
 * conv2.weight} (F, F, 3, 3), {@code bn2.{weight,bias}}, and with a projection {@code
 * downsample.0.weight} (F, C, 1, 1), {@code downsample.1.{weight,bias}}; buffers {@code
 * bn1/bn2/downsample.1 .running_mean, .running_var, .num_batches_tracked}. The convolutions have no
 * bias (a BatchNorm follows) and round their output size down as PyTorch ({@link ConvParam#torch}).
 *
 * <p>Dimensions: x (N, C, H, W), out (N, F, H', W') with {@code H' = 1 + (H - 1) / stride}.
 */
public final class BasicBlock extends TapeModule {
  private final Conv2d conv1;
  private final BatchNorm2d bn1;
  private final ReLU relu1 = new ReLU();
  private final Conv2d conv2;
  private final BatchNorm2d bn2;
  private final Sequential downsample;
  private final ReLU relu2 = new ReLU();

  /**
   * A block with a projection shortcut when the stride or the width changes (torchvision's rule).
   *
   * @param inChannels C
   * @param outChannels F
   * @param stride of conv1 and of the projection, 1 or 2
   * @param dtype float32 or float64
   * @param init conv weight initializer
   * @param rng draws the conv weights in order conv1, conv2, downsample
   */
  public BasicBlock(
      int inChannels,
      int outChannels,
      int stride,
      DType dtype,
      WeightInit init,
      RandomGenerator rng) {
    conv1 =
        registerModule(
            "conv1",
            new Conv2d(
                inChannels,
                outChannels,
                3,
                3,
                ConvParam.torch(stride, 1),
                false,
                dtype,
                init,
                rng));
    bn1 = registerModule("bn1", new BatchNorm2d(outChannels, dtype));
    // torchvision registers one "relu" and calls it twice; ReLU has no state_dict entries, so two
    // instances (a module keeps one cache) leave the names unchanged.
    registerModule("relu", relu1);
    conv2 =
        registerModule(
            "conv2",
            new Conv2d(
                outChannels, outChannels, 3, 3, ConvParam.torch(1, 1), false, dtype, init, rng));
    bn2 = registerModule("bn2", new BatchNorm2d(outChannels, dtype));
    registerModule("relu_out", relu2);
    if (stride != 1 || inChannels != outChannels) {
      downsample =
          registerModule(
              "downsample",
              new Sequential(
                  new Conv2d(
                      inChannels,
                      outChannels,
                      1,
                      1,
                      ConvParam.torch(stride, 0),
                      false,
                      dtype,
                      init,
                      rng),
                  new BatchNorm2d(outChannels, dtype)));
    } else {
      downsample = null;
    }
  }

  /** Whether the shortcut is a projection ({@code downsample}) rather than the identity. */
  public boolean hasDownsample() {
    return downsample != null;
  }

  /**
   * Records the block.
   *
   * @param x input, shape (N, C, H, W)
   * @return out, shape (N, F, H', W')
   */
  @Override
  public Var forward(Tape tape, Var x) {
    Var h = tape.module(conv1, x);
    h = tape.module(bn1, h);
    h = tape.module(relu1, h);
    h = tape.module(conv2, h);
    h = tape.module(bn2, h);
    Var skip = downsample == null ? x : tape.module(downsample, x);
    return tape.module(relu2, tape.add(h, skip)); // x is used twice: the tape sums both gradients
  }
}
