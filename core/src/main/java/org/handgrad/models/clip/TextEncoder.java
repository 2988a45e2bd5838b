package org.handgrad.models.clip;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.models.transformer.TransformerEncoderLayer;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.Attention;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.PositionalEncoding;
import org.handgrad.nn.functional.TokenGather;
import org.handgrad.nn.functional.WordEmbedding;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.LayerNorm;
import org.handgrad.nn.modules.Linear;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * CLIP's text encoder (Radford et al. 2021, section 2.4), small:
 *
 * <pre>
 *   h = token_embedding[tokens] + pos_embed             (N, T, D)
 *   h = blocks[depth-1](... blocks[0](h))                pre-norm layers, causal mask
 *   f = norm(h)[n, end_n]                                (N, D): the feature at each &lt;END&gt;
 *   out = f W_proj                                       (N, E), no bias as in CLIP
 * </pre>
 *
 * The causal mask is CLIP's: position t attends to positions &lt;= t, so the feature at {@code
 * <END>} depends on the caption and not on the {@code <NULL>} padding after it (tested).
 * Parameters: {@code token_embedding} (V, D) and {@code pos_embed} (T, D), both normal(0.02) here,
 * {@code blocks.i.*} (see {@link TransformerEncoderLayer}), {@code norm}, {@code proj.weight} (D,
 * E).
 *
 * <p>Dimension letters: N batch, T tokens, V vocabulary, D width, E joint embedding.
 */
public final class TextEncoder extends TapeModule {
  private final ClipConfig config;
  private final Parameter tokenEmbedding;
  private final Parameter posEmbed;
  private final List<TransformerEncoderLayer> blocks = new ArrayList<>();
  private final LayerNorm norm;
  private final Linear proj;
  private final Tensor causal;

  /**
   * A freshly initialized encoder.
   *
   * @param config the model's shape
   * @param rng draws the weights
   */
  public TextEncoder(ClipConfig config, RandomGenerator rng) {
    this.config = Objects.requireNonNull(config, "config");
    DType dt = config.dtype();
    int d = config.textDim();
    WeightInit init = WeightInit.normal(0.02);
    tokenEmbedding =
        registerParameter("token_embedding", Init.normal(rng, dt, 0.02, config.vocabSize(), d));
    posEmbed =
        registerParameter("pos_embed", Init.normal(rng, dt, 0.02, config.contextLength(), d));
    Sequential list = new Sequential();
    for (int i = 0; i < config.textDepth(); i++) {
      TransformerEncoderLayer b =
          new TransformerEncoderLayer(
              d, config.textHeads(), 4 * d, 0.0, dt, init, rng, config.seed() * 37 + 2 * i);
      blocks.add(b);
      list.add(b);
    }
    registerModule("blocks", list);
    norm = registerModule("norm", new LayerNorm(d, dt));
    proj = registerModule("proj", new Linear(d, config.embedDim(), false, dt, init, rng));
    causal = Attention.causalMask(config.contextLength());
  }

  /**
   * The position of the first {@code <END>} of every caption.
   *
   * @param tokens int32, shape (N, T)
   * @return positions, length N
   * @throws IllegalArgumentException for a caption without {@code <END>}
   */
  public int[] endPositions(Tensor tokens) {
    int n = tokens.shape(0);
    int t = tokens.shape(1);
    int[] ends = new int[n];
    for (int i = 0; i < n; i++) {
      ends[i] = -1;
      for (int j = 0; j < t; j++) {
        if ((int) tokens.get(i, j) == config.endToken()) {
          ends[i] = j;
          break;
        }
      }
      if (ends[i] < 0) {
        throw new IllegalArgumentException(
            "clip text encoder: caption "
                + i
                + " has no <END> token (id "
                + config.endToken()
                + ") within T = "
                + t);
      }
    }
    return ends;
  }

  /**
   * Records the forward pass.
   *
   * @param tokens token ids, int32, shape (N, T) with T = the config's context length
   * @return text embeddings (not normalized), shape (N, E)
   */
  @Override
  public Var forward(Tape tape, Var tokens) {
    Tensor ids = tokens.value();
    if (ids.ndim() != 2 || ids.shape(1) != config.contextLength() || ids.dtype() != DType.INT32) {
      throw new IllegalArgumentException(
          "clip text encoder: expected int32 token ids (N, "
              + config.contextLength()
              + "), got "
              + ids.shapeString()
              + " "
              + ids.dtype().numpyName());
    }
    int[] ends = endPositions(ids);
    Forward<WordEmbedding.Cache> emb =
        WordEmbedding.wordEmbeddingForward(ids, tokenEmbedding.value());
    Var h =
        tape.record(
            "token_embedding",
            emb.out(),
            dout -> {
              tokenEmbedding.accumulateGrad(WordEmbedding.wordEmbeddingBackward(dout, emb.cache()));
              return new Tensor[] {null};
            },
            tokens);
    Forward<int[]> pos = PositionalEncoding.positionalEmbeddingForward(h.value(), posEmbed.value());
    h =
        tape.record(
            "pos_embed",
            pos.out(),
            dout -> {
              PositionalEncoding.Grads g =
                  PositionalEncoding.positionalEmbeddingBackward(dout, pos.cache());
              posEmbed.accumulateGrad(g.dpos());
              return new Tensor[] {g.dx()};
            },
            h);
    for (TransformerEncoderLayer b : blocks) {
      h = b.forward(tape, h, causal);
    }
    h = tape.module(norm, h);
    Forward<TokenGather.Cache> end = TokenGather.gatherTokensForward(h.value(), ends);
    h =
        tape.record(
            "gather_end",
            end.out(),
            dout -> new Tensor[] {TokenGather.gatherTokensBackward(dout, end.cache())},
            h);
    return tape.module(proj, h);
  }
}
