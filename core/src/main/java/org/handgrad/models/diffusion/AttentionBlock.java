package org.handgrad.models.diffusion;

import java.util.random.RandomGenerator;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.modules.GroupNorm;
import org.handgrad.nn.modules.MultiHeadAttention;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Self-attention over the positions of a feature map, with GroupNorm first and a residual, as at
 * the U-Net's lowest resolution (the reference U-Net of {@code shared/bench/torch_generative.py}):
 *
 * <pre>
 *   t = transpose(reshape(n(x), (N, C, H*W)))    (N, S, C), S = H*W positions as tokens
 *   out = x + reshape(transpose(mha(t, t, t)))   (N, C, H, W)
 * </pre>
 *
 * <p>Children: {@code n} GroupNorm(G, C) and {@code mha}, a {@link MultiHeadAttention} with
 * children {@code query}, {@code key}, {@code value}, {@code proj}: PyTorch's {@code
 * nn.MultiheadAttention} packs the first three into {@code in_proj_weight} (3C, C) (rows [Wq; Wk;
 * Wv]) and calls the last {@code out_proj}; each of ours is that block transposed (in, out). No
 * dropout.
 */
public final class AttentionBlock extends TapeModule {
  private final GroupNorm n;
  private final MultiHeadAttention mha;

  /**
   * A block with PyTorch's default linear initialization.
   *
   * @param channels C, divisible by groups and by heads
   * @param groups G of the GroupNorm
   * @param heads attention heads
   * @param dtype float32 or float64
   * @param rng draws the query, key, value and proj weights
   */
  public AttentionBlock(int channels, int groups, int heads, DType dtype, RandomGenerator rng) {
    n = registerModule("n", new GroupNorm(groups, channels, dtype));
    mha = registerModule("mha", new MultiHeadAttention(channels, heads, 0.0, dtype, rng, 0));
  }

  /** The attention (its weights of the last pass are {@link MultiHeadAttention#lastAttention}). */
  public MultiHeadAttention mha() {
    return mha;
  }

  /**
   * Records the block.
   *
   * @param x feature map, shape (N, C, H, W)
   * @return shape (N, C, H, W)
   */
  @Override
  public Var forward(Tape tape, Var x) {
    int[] s = x.shape();
    Var t = swapLastTwo(tape, tape.reshape(tape.module(n, x), s[0], s[1], s[2] * s[3]));
    Var a = swapLastTwo(tape, mha.forward(tape, t));
    return tape.add(x, tape.reshape(a, s));
  }

  /** (N, A, B) to (N, B, A), a contiguous copy; the gradient is swapped back. */
  private static Var swapLastTwo(Tape tape, Var x) {
    return tape.record(
        "transpose",
        x.value().transpose(1, 2).contiguous(),
        dout -> new Tensor[] {dout.transpose(1, 2).contiguous()},
        x);
  }
}
