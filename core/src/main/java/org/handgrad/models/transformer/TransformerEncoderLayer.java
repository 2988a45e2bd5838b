package org.handgrad.models.transformer;

import java.util.random.RandomGenerator;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.LayerNorm;
import org.handgrad.nn.modules.MultiHeadAttention;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * A pre-norm transformer encoder layer, the block of a Vision Transformer (Dosovitskiy et al. 2021)
 * and PyTorch's {@code nn.TransformerEncoderLayer(norm_first=True, activation='gelu')}:
 *
 * <pre>
 *   x = x + self_attn(norm1(x))        residual 1
 *   x = x + mlp(norm2(x))              residual 2, mlp = linear1 - GELU - dropout - linear2
 * </pre>
 *
 * Children {@code norm1}, {@code self_attn}, {@code norm2}, {@code mlp}. Both residual branches and
 * the attention's query = key = value meet on the tape, which adds their gradients. Input and
 * output (N, L, E).
 */
public final class TransformerEncoderLayer extends TapeModule {
  private final LayerNorm norm1;
  private final MultiHeadAttention selfAttn;
  private final LayerNorm norm2;
  private final FeedForward mlp;

  /**
   * A layer.
   *
   * @param embedDim E
   * @param numHeads H, dividing E
   * @param hiddenDim F, the feed-forward width (4E in ViT)
   * @param dropout DROP probability of the attention weights and of the feed-forward block
   * @param dtype float32 or float64
   * @param init initializer of every linear layer
   * @param rng draws the attention's, then the feed-forward block's weights
   * @param seed seeds the dropout masks
   */
  public TransformerEncoderLayer(
      int embedDim,
      int numHeads,
      int hiddenDim,
      double dropout,
      DType dtype,
      WeightInit init,
      RandomGenerator rng,
      long seed) {
    norm1 = registerModule("norm1", new LayerNorm(embedDim, dtype));
    selfAttn =
        registerModule(
            "self_attn",
            new MultiHeadAttention(embedDim, numHeads, dropout, dtype, init, rng, seed));
    norm2 = registerModule("norm2", new LayerNorm(embedDim, dtype));
    mlp =
        registerModule(
            "mlp", new FeedForward(embedDim, hiddenDim, dropout, dtype, init, rng, seed + 1));
  }

  /** The self-attention (its {@link MultiHeadAttention#lastAttention()} feeds attention maps). */
  public MultiHeadAttention selfAttn() {
    return selfAttn;
  }

  /**
   * {@inheritDoc}
   *
   * @param x tokens, shape (N, L, E)
   * @return tokens, shape (N, L, E)
   */
  @Override
  public Var forward(Tape tape, Var x) {
    return forward(tape, x, null);
  }

  /**
   * The layer with an attention mask, e.g. the causal mask of CLIP's text encoder.
   *
   * @param x tokens, shape (N, L, E)
   * @param mask CS231n's {@code attn_mask}, int32 (L, L), 0 = may not attend; or null for none
   * @return tokens, shape (N, L, E)
   */
  public Var forward(Tape tape, Var x, Tensor mask) {
    Var h = tape.module(norm1, x);
    x = tape.add(x, selfAttn.forward(tape, h, h, h, mask));
    h = tape.module(norm2, x);
    return tape.add(x, mlp.forward(tape, h));
  }
}
