package org.handgrad.models.clip;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import org.handgrad.models.ssl.simclr.ResNetEncoder;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.modules.Linear;
import org.handgrad.tensor.DType;

/**
 * CLIP's convolutional image encoder, in the spirit of the paper's ResNet variants: a CIFAR-style
 * ResNet ({@link ResNetEncoder}: 3x3 stem, one basic block per stage, stride 2 from the second
 * stage, global average pool) and a linear projection of its features to the joint space. CLIP's
 * ModifiedResNet pools with attention; this one averages, as SimCLR's encoder does.
 *
 * <pre>
 *   h = encoder(images)          (N, F)   F = the last stage's width
 *   img = proj(h)                (N, E)
 * </pre>
 *
 * <p>Parameters {@code encoder.*} and {@code proj.weight}, {@code proj.bias}; BatchNorm running
 * statistics are buffers. Dimension letters: N batch, C H W image, F features, E joint embedding.
 */
public final class ResNetImageEncoder extends TapeModule {
  private final ResNetEncoder encoder;
  private final Linear proj;

  /**
   * A freshly initialised encoder.
   *
   * @param channels C of the images
   * @param widths stage widths, at least one, each &gt;= 1
   * @param embedDim E
   * @param dtype float32 or float64
   * @param rng draws the weights, convolutions first
   */
  public ResNetImageEncoder(
      int channels, int[] widths, int embedDim, DType dtype, RandomGenerator rng) {
    int[] blocks = new int[widths.length];
    Arrays.fill(blocks, 1);
    encoder = registerModule("encoder", new ResNetEncoder(channels, widths, blocks, dtype, rng));
    proj = registerModule("proj", new Linear(encoder.featureDim(), embedDim, dtype, rng));
  }

  /**
   * Records the encoder and the projection.
   *
   * @param x images, shape (N, C, H, W)
   * @return image embeddings, shape (N, E), not normalized
   */
  @Override
  public Var forward(Tape tape, Var x) {
    return tape.module(proj, encoder.forward(tape, x));
  }
}
