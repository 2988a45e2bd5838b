package org.handgrad.models.transformer;

import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.Dropout;
import org.handgrad.nn.modules.LayerNorm;
import org.handgrad.nn.modules.MultiHeadAttention;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * CS231n's {@code TransformerDecoderLayer(input_dim, num_heads, dim_feedforward=2048,
 * dropout=0.1)}, post-norm as in the assignment and in PyTorch's {@code
 * nn.TransformerDecoderLayer(norm_first=False)}:
 *
 * <pre>
 *   x = norm_self(x + dropout_self(self_attn(x, x, x, tgt_mask)))     masked self-attention
 *   x = norm_cross(x + dropout_cross(cross_attn(x, memory, memory)))  attention to the image
 *   x = norm_ffn(x + dropout_ffn(ffn(x)))                             feed-forward
 * </pre>
 *
 * Children with CS231n's names: {@code self_attn}, {@code dropout_self}, {@code norm_self}, {@code
 * cross_attn}, {@code dropout_cross}, {@code norm_cross}, {@code ffn}, {@code dropout_ffn}, {@code
 * norm_ffn}. Shapes: tgt (N, T, E), memory (N, R, E) (CS231n's captioner has R = 1: the projected
 * image feature), tgt_mask (T, T).
 */
public final class TransformerDecoderLayer extends TapeModule {
  private final MultiHeadAttention selfAttn;
  private final Dropout dropoutSelf;
  private final LayerNorm normSelf;
  private final MultiHeadAttention crossAttn;
  private final Dropout dropoutCross;
  private final LayerNorm normCross;
  private final FeedForward ffn;
  private final Dropout dropoutFfn;
  private final LayerNorm normFfn;

  /**
   * A layer.
   *
   * @param inputDim E
   * @param numHeads H, dividing E
   * @param dimFeedforward F (CS231n's default 2048)
   * @param dropout DROP probability everywhere (CS231n's default 0.1)
   * @param dtype float32 or float64
   * @param init initializer of every linear layer
   * @param rng draws self_attn's, cross_attn's, then ffn's weights
   * @param seed seeds the dropout masks
   */
  public TransformerDecoderLayer(
      int inputDim,
      int numHeads,
      int dimFeedforward,
      double dropout,
      DType dtype,
      WeightInit init,
      RandomGenerator rng,
      long seed) {
    double keep = 1 - FeedForward.drop(dropout);
    selfAttn =
        registerModule(
            "self_attn",
            new MultiHeadAttention(inputDim, numHeads, dropout, dtype, init, rng, seed));
    dropoutSelf = registerModule("dropout_self", new Dropout(keep, seed + 1));
    normSelf = registerModule("norm_self", new LayerNorm(inputDim, dtype));
    crossAttn =
        registerModule(
            "cross_attn",
            new MultiHeadAttention(inputDim, numHeads, dropout, dtype, init, rng, seed + 2));
    dropoutCross = registerModule("dropout_cross", new Dropout(keep, seed + 3));
    normCross = registerModule("norm_cross", new LayerNorm(inputDim, dtype));
    ffn =
        registerModule(
            "ffn", new FeedForward(inputDim, dimFeedforward, dropout, dtype, init, rng, seed + 4));
    dropoutFfn = registerModule("dropout_ffn", new Dropout(keep, seed + 5));
    normFfn = registerModule("norm_ffn", new LayerNorm(inputDim, dtype));
  }

  /** The masked self-attention. */
  public MultiHeadAttention selfAttn() {
    return selfAttn;
  }

  /** The cross-attention to the memory (its weights are each word's attention over regions). */
  public MultiHeadAttention crossAttn() {
    return crossAttn;
  }

  /**
   * The layer without memory is not defined: use {@link #forward(Tape, Var, Var, Tensor)}.
   *
   * @throws UnsupportedOperationException always
   */
  @Override
  public Var forward(Tape tape, Var x) {
    throw new UnsupportedOperationException(
        "TransformerDecoderLayer needs the memory: call forward(tape, tgt, memory, tgtMask)");
  }

  /**
   * Records the layer.
   *
   * @param tgt the caption state, shape (N, T, E)
   * @param memory the image memory, shape (N, R, E)
   * @param tgtMask null or (T, T) (causal for captioning), 0 = not allowed
   * @return shape (N, T, E)
   */
  public Var forward(Tape tape, Var tgt, Var memory, Tensor tgtMask) {
    Objects.requireNonNull(memory, "TransformerDecoderLayer: memory");
    Var x = tgt;
    Var a = selfAttn.forward(tape, x, x, x, tgtMask);
    x = tape.module(normSelf, tape.add(x, tape.module(dropoutSelf, a)));
    a = crossAttn.forward(tape, x, memory, memory, null);
    x = tape.module(normCross, tape.add(x, tape.module(dropoutCross, a)));
    a = ffn.forward(tape, x);
    return tape.module(normFfn, tape.add(x, tape.module(dropoutFfn, a)));
  }
}
