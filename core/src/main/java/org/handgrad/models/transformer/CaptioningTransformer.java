package org.handgrad.models.transformer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.models.rnn.CaptionCheckpoint;
import org.handgrad.models.rnn.CaptionDecoder;
import org.handgrad.models.rnn.Decoders;
import org.handgrad.models.rnn.Decoding;
import org.handgrad.models.rnn.SpecialTokens;
import org.handgrad.nn.Module;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.Attention;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.PositionalEncoding;
import org.handgrad.nn.functional.TemporalSoftmaxLoss;
import org.handgrad.nn.functional.WordEmbedding;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.Linear;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * CS231n's {@code CaptioningTransformer} (assignment 3): a transformer decoder over caption words
 * whose cross-attention reads the projected image features, written on a {@link Tape}.
 *
 * <pre>
 *   memory = visual_projection(features)             (N, R, W); (N, D) features give R = 1
 *   x      = positional_encoding(embedding[captions_in])          (N, T-1, W), dropout
 *   x      = transformer.layers[l](x, memory, causal mask)        l = 0 .. num_layers-1
 *   scores = output(x)                                (N, T-1, V)
 *   loss   = temporal softmax loss(scores, captions_out, captions_out != NULL)
 * </pre>
 *
 * <p>CS231n's contract: features (N, D) become ONE memory token ({@code
 * visual_projection(features).unsqueeze(1)}), so cross-attention's softmax runs over a single score
 * (its weight is always 1 and its query and key projections get exactly zero gradient). Region
 * features (N, R, D) are accepted too: each region becomes a memory token, and {@link
 * #crossAttention} shows where each word looks. The loss is CS231n's {@code temporal_softmax_loss}
 * from layers.py (summed over time, divided by N), as the RNN captioner's; CS231n's transformer
 * solver divides by N*T instead (see docs/conventions.md).
 *
 * <p>Parameters (CS231n's state_dict names; linear weights are stored (in, out), the transpose of
 * nn.Linear's): {@code visual_projection.{weight,bias}}, {@code embedding.weight} (V, W), {@code
 * transformer.layers.<l>.{self_attn,cross_attn}.{query,key,value,proj}.{weight,bias}}, {@code
 * transformer.layers.<l>.ffn.{linear1,linear2}.{weight,bias}} (CS231n: {@code ffn.fc1}, {@code
 * ffn.fc2}), {@code transformer.layers.<l>.{norm_self,norm_cross,norm_ffn}.{weight,bias}}, {@code
 * output.{weight,bias}}. Buffer {@code positional_encoding.pe} (L, W) and the dropout streams.
 *
 * <p>Initialization as CS231n's {@code _init_weights}: linear and embedding weights N(0, 0.02^2),
 * biases 0, LayerNorm weight 1 and bias 0; drawn from {@code Init.rng(seed)} in the order
 * visual_projection, embedding, layers (self_attn, cross_attn, ffn), output. (CS231n applies {@code
 * _init_weights} before it creates {@code output}, which therefore keeps PyTorch's default uniform
 * init there; here output is N(0, 0.02^2) too.) The embedding's {@code <NULL>} row is not special
 * (CS231n's {@code padding_idx} blocks its gradient; with teacher forcing and the causal mask it
 * only reaches masked targets, so its gradient is 0 here as well).
 *
 * <p>Decoding: a transformer step re-runs the whole prefix (no key/value cache), O(T^2) per
 * caption, which is cheap for captions of T &lt;= 20 words. The decoders' state is {memory (N, R,
 * W), prefix (N, L) int32, length (N, 1) int32}.
 *
 * <p>Dimensions: N batch, R regions, D features, T caption length (with {@code <START>}), W model
 * width (CS231n's wordvec_dim), V vocabulary, L the positional table's max length.
 */
public final class CaptioningTransformer extends Module implements CaptionDecoder {

  /**
   * Sizes and settings (CS231n's constructor arguments, with the two it hard-codes exposed).
   *
   * @param vocabSize V, including the special tokens
   * @param inputDim D, the feature dimension
   * @param wordvecDim W, the model width, divisible by numHeads and even
   * @param numHeads attention heads (CS231n's default 4)
   * @param numLayers decoder layers (CS231n's default 2)
   * @param maxLength L, the positional table's length: the longest input sequence (CS231n's default
   *     50)
   * @param dimFeedforward width of each feed-forward block (CS231n hard-codes 2048)
   * @param dropout DROP probability everywhere (CS231n hard-codes 0.1), in [0, 1)
   * @param dtype float32 or float64
   * @param seed seeds the weights and the dropout streams
   * @param tokens ids of {@code <NULL>}, {@code <START>}, {@code <END>}
   */
  public record Config(
      int vocabSize,
      int inputDim,
      int wordvecDim,
      int numHeads,
      int numLayers,
      int maxLength,
      int dimFeedforward,
      double dropout,
      DType dtype,
      long seed,
      SpecialTokens tokens) {
    /** Validates every field with a message naming it. */
    public Config {
      Objects.requireNonNull(dtype, "dtype");
      Objects.requireNonNull(tokens, "tokens");
      String op = "CaptioningTransformer";
      if (vocabSize <= 0
          || inputDim <= 0
          || wordvecDim <= 0
          || numHeads <= 0
          || numLayers <= 0
          || maxLength <= 0
          || dimFeedforward <= 0) {
        throw new IllegalArgumentException(
            op
                + ": sizes must be > 0, got V="
                + vocabSize
                + " D="
                + inputDim
                + " W="
                + wordvecDim
                + " heads="
                + numHeads
                + " layers="
                + numLayers
                + " max_length="
                + maxLength
                + " dim_feedforward="
                + dimFeedforward);
      }
      if (wordvecDim % numHeads != 0 || wordvecDim % 2 != 0) {
        throw new IllegalArgumentException(
            op
                + ": wordvec_dim W="
                + wordvecDim
                + " must be even (sin/cos pairs) and divisible by num_heads="
                + numHeads);
      }
      if (!(dropout >= 0 && dropout < 1)) {
        throw new IllegalArgumentException(
            op + ": dropout must be in [0, 1) (the DROP probability), got " + dropout);
      }
      if (!dtype.isFloating()) {
        throw new IllegalArgumentException(op + ": dtype must be float32 or float64");
      }
      if (Math.max(tokens.nullIdx(), Math.max(tokens.startIdx(), tokens.endIdx())) >= vocabSize) {
        throw new IllegalArgumentException(
            op + ": special token ids " + tokens + " must lie in [0, V=" + vocabSize + ")");
      }
    }

    /**
     * CS231n's defaults for what it hard-codes or defaults: 4 heads, 2 layers, max_length 50,
     * dim_feedforward 2048, dropout 0.1.
     */
    public static Config cs231n(
        int vocabSize, int inputDim, int wordvecDim, DType dtype, long seed, SpecialTokens tokens) {
      return new Config(vocabSize, inputDim, wordvecDim, 4, 2, 50, 2048, 0.1, dtype, seed, tokens);
    }

    /**
     * CS231n's {@code CaptioningTransformer(word_to_idx, input_dim, wordvec_dim, num_heads,
     * num_layers, max_length)}: V = the map's size, the special ids looked up by name ({@code
     * <NULL>}, {@code <START>}, {@code <END>}), dim_feedforward 2048 and dropout 0.1 as CS231n
     * hard-codes them.
     *
     * @param wordToIdx word to index, V distinct indices covering [0, V)
     * @param inputDim D of the image features
     * @param wordvecDim W, the model width (CS231n default 128)
     * @param numHeads attention heads (CS231n default 4)
     * @param numLayers decoder layers (CS231n default 2)
     * @param maxLength longest caption (CS231n default 50)
     * @param dtype float32 or float64
     * @param seed seeds the initialisation and dropout
     * @throws IllegalArgumentException on a missing special token, an index outside [0, V) or used
     *     twice, or invalid sizes
     */
    public static Config fromWordToIdx(
        Map<String, Integer> wordToIdx,
        int inputDim,
        int wordvecDim,
        int numHeads,
        int numLayers,
        int maxLength,
        DType dtype,
        long seed) {
      int v = SpecialTokens.vocabSizeOf(wordToIdx);
      return new Config(
          v,
          inputDim,
          wordvecDim,
          numHeads,
          numLayers,
          maxLength,
          2048,
          0.1,
          dtype,
          seed,
          SpecialTokens.fromWordToIdx(wordToIdx));
    }

    /** As a JSON-ready map (checkpoints), kind "transformer". */
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("kind", "transformer");
      m.put("vocab_size", vocabSize);
      m.put("input_dim", inputDim);
      m.put("wordvec_dim", wordvecDim);
      m.put("num_heads", numHeads);
      m.put("num_layers", numLayers);
      m.put("max_length", maxLength);
      m.put("dim_feedforward", dimFeedforward);
      m.put("dropout", dropout);
      m.put("dtype", dtype.numpyName());
      m.put("seed", seed);
      m.put("null_idx", tokens.nullIdx());
      m.put("start_idx", tokens.startIdx());
      m.put("end_idx", tokens.endIdx());
      return m;
    }

    /** Reads {@link #toMap()}'s output. */
    public static Config fromMap(Map<String, Object> m) {
      return new Config(
          CaptionCheckpoint.integer(m, "vocab_size"),
          CaptionCheckpoint.integer(m, "input_dim"),
          CaptionCheckpoint.integer(m, "wordvec_dim"),
          CaptionCheckpoint.integer(m, "num_heads"),
          CaptionCheckpoint.integer(m, "num_layers"),
          CaptionCheckpoint.integer(m, "max_length"),
          CaptionCheckpoint.integer(m, "dim_feedforward"),
          ((Number) m.get("dropout")).doubleValue(),
          CaptionCheckpoint.dtype((String) m.get("dtype")),
          ((Number) m.get("seed")).longValue(),
          new SpecialTokens(
              CaptionCheckpoint.integer(m, "null_idx"),
              CaptionCheckpoint.integer(m, "start_idx"),
              CaptionCheckpoint.integer(m, "end_idx")));
    }
  }

  /** Holds the embedding table under the name "weight" (recorded as a pair, never run alone). */
  private static final class Embedding extends Module {
    private final Parameter weight;

    Embedding(Tensor table) {
      weight = registerParameter("weight", table);
    }

    @Override
    public Tensor forward(Tensor x) {
      throw new UnsupportedOperationException("embedding: recorded by CaptioningTransformer");
    }

    @Override
    public Tensor backward(Tensor dout) {
      throw new UnsupportedOperationException("embedding: recorded by CaptioningTransformer");
    }
  }

  private final Config config;
  private final Linear visualProjection;
  private final Embedding embedding;
  private final org.handgrad.nn.modules.PositionalEncoding positionalEncoding;
  private final List<TransformerDecoderLayer> layers = new ArrayList<>();
  private final Linear output;

  /** A freshly initialized model (see the class comment). */
  public CaptioningTransformer(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    DType dt = config.dtype();
    int w = config.wordvecDim();
    RandomGenerator rng = Init.rng(config.seed());
    WeightInit init = WeightInit.normal(0.02);
    visualProjection =
        registerModule("visual_projection", new Linear(config.inputDim(), w, true, dt, init, rng));
    embedding =
        registerModule(
            "embedding", new Embedding(Init.normal(rng, dt, 0.02, config.vocabSize(), w)));
    positionalEncoding =
        registerModule(
            "positional_encoding",
            new org.handgrad.nn.modules.PositionalEncoding(
                w, config.dropout(), config.maxLength(), dt, config.seed() * 31 + 7));
    Sequential stack = new Sequential();
    for (int l = 0; l < config.numLayers(); l++) {
      TransformerDecoderLayer layer =
          new TransformerDecoderLayer(
              w,
              config.numHeads(),
              config.dimFeedforward(),
              config.dropout(),
              dt,
              init,
              rng,
              config.seed() * 31 + 8 * (l + 1));
      layers.add(layer);
      stack.add(layer);
    }
    registerModule("transformer", new Sequential().add("layers", stack));
    output = registerModule("output", new Linear(w, config.vocabSize(), true, dt, init, rng));
  }

  /** The configuration. */
  public Config config() {
    return config;
  }

  /** The decoder layers, first to last. */
  public List<TransformerDecoderLayer> layers() {
    return List.copyOf(layers);
  }

  @Override
  public int vocabSize() {
    return config.vocabSize();
  }

  @Override
  public int inputDim() {
    return config.inputDim();
  }

  @Override
  public DType dtype() {
    return config.dtype();
  }

  @Override
  public SpecialTokens tokens() {
    return config.tokens();
  }

  /** True: (N, R, D) region features give R memory tokens. */
  @Override
  public boolean acceptsRegions() {
    return true;
  }

  @Override
  public void setTraining(boolean training) {
    train(training);
  }

  @Override
  public Map<String, Object> describe() {
    return config.toMap();
  }

  /**
   * The model is a graph, not a chain: use {@link #loss} or {@link #forward(Tape, Var, Tensor)}.
   *
   * @throws UnsupportedOperationException always
   */
  @Override
  public Tensor forward(Tensor x) {
    throw new UnsupportedOperationException(
        "CaptioningTransformer: call loss(features, captions) or forward(tape, memory, captions)");
  }

  /**
   * Not used: the tape replays the backward pass.
   *
   * @throws UnsupportedOperationException always
   */
  @Override
  public Tensor backward(Tensor dout) {
    throw new UnsupportedOperationException("CaptioningTransformer: the tape runs the backward");
  }

  // ---------------------------------------------------------------- forward on a tape

  /**
   * Records the visual projection: CS231n's {@code visual_projection(features).unsqueeze(1)} for
   * (N, D) features, one token per region for (N, R, D).
   *
   * @param features (N, D) or (N, R, D)
   * @return the memory, shape (N, R, W) with R = 1 for (N, D)
   */
  public Var memory(Tape tape, Var features) {
    int n = features.shape(0);
    Var rows = tape.reshape(features, -1, config.inputDim()); // (N*R, D)
    Var projected = tape.module(visualProjection, rows); // (N*R, W)
    return tape.reshape(projected, n, -1, config.wordvecDim());
  }

  /**
   * Records the decoder on a memory: embedding and positional encoding (pairs recorded here), the
   * layers under a causal mask, the output layer.
   *
   * @param memory shape (N, R, W)
   * @param captionsIn int32 input words (N, S), S at most the table's length L
   * @return scores, shape (N, S, V)
   */
  public Var forward(Tape tape, Var memory, Tensor captionsIn) {
    int n = captionsIn.shape(0);
    int s = captionsIn.shape(1);
    int w = config.wordvecDim();
    Forward<WordEmbedding.Cache> emb =
        WordEmbedding.wordEmbeddingForward(captionsIn, embedding.weight.value());
    Var x =
        tape.record(
            "embedding",
            emb.out(),
            dout -> {
              embedding.weight.accumulateGrad(
                  WordEmbedding.wordEmbeddingBackward(dout, emb.cache()));
              return new Tensor[0];
            });
    Forward<PositionalEncoding.Cache> pos =
        PositionalEncoding.positionalEncodingForward(
            x.value(), positionalEncoding.table(), positionalDropout());
    x =
        tape.record(
            "positional_encoding",
            pos.out(),
            dout -> new Tensor[] {PositionalEncoding.positionalEncodingBackward(dout, pos.cache())},
            x);
    Tensor mask = Attention.causalMask(s);
    for (TransformerDecoderLayer layer : layers) {
      x = layer.forward(tape, x, memory, mask);
    }
    Var scores = tape.module(output, tape.reshape(x, -1, w));
    return tape.reshape(scores, n, s, config.vocabSize());
  }

  /** The positional encoding's dropout parameters for the next pass (its child's stream). */
  private org.handgrad.nn.functional.Dropout.DropoutParam positionalDropout() {
    return ((org.handgrad.nn.modules.Dropout) positionalEncoding.children().get("dropout"))
        .nextParam();
  }

  /**
   * Scores of teacher-forced input words, CS231n's {@code forward(features, captions)}, in the
   * current mode.
   *
   * @param features (N, D) or (N, R, D)
   * @param captionsIn int32 (N, S)
   * @return scores (N, S, V)
   */
  public Tensor scores(Tensor features, Tensor captionsIn) {
    checkFeatures("scores", features);
    checkWords("scores", features.shape(0), captionsIn, 1);
    Tape tape = new Tape();
    return forward(tape, memory(tape, tape.constant(features)), captionsIn).value();
  }

  /**
   * {@inheritDoc}
   *
   * @param captions int32 (N, T): {@code <START>}, words, {@code <END>}, {@code <NULL>} padding; T
   *     - 1 must not exceed max_length
   * @throws IllegalArgumentException on wrong shapes or dtypes, or captions longer than the
   *     positional table, naming the layer and both lengths
   */
  @Override
  public Loss loss(Tensor features, Tensor captions) {
    checkFeatures("loss", features);
    checkWords("loss", features.shape(0), captions, 2);
    int t = captions.shape(1);
    Tensor captionsIn = captions.slice(1, 0, t - 1).contiguous();
    Tensor captionsOut = captions.slice(1, 1, t).contiguous();
    Tensor mask = captionsOut.ne(config.tokens().nullIdx());
    zeroGrad();
    Tape tape = new Tape();
    Var f = tape.input(features);
    Var scores = forward(tape, memory(tape, f), captionsIn);
    TemporalSoftmaxLoss.Loss loss =
        TemporalSoftmaxLoss.temporalSoftmaxLoss(scores.value(), captionsOut, mask);
    tape.backward(scores, loss.dx());
    return new Loss(loss.loss(), tape.grad(f));
  }

  // ---------------------------------------------------------------- decoding

  /**
   * {@inheritDoc}
   *
   * @param features (N, D) or (N, R, D)
   * @return {memory (N, R, W), prefix (N, L) int32 (empty), length (N, 1) int32 (0)}
   */
  @Override
  public Tensor[] initialState(Tensor features) {
    checkFeatures("initialState", features);
    int n = features.shape(0);
    Tape tape = new Tape();
    Tensor memory = memory(tape, tape.constant(features)).value();
    return new Tensor[] {
      memory, Tensor.zeros(DType.INT32, n, config.maxLength()), Tensor.zeros(DType.INT32, n, 1)
    };
  }

  /**
   * One step: appends the previous words to the prefix and re-runs the decoder over the whole
   * prefix (the causal mask makes earlier positions independent of later ones, so this equals
   * CS231n's {@code sample} loop); the scores are those of the last position.
   *
   * @param tokens previous word of each row, length N
   * @param state {memory, prefix, length} from {@link #initialState} or the previous step
   * @return scores (N, V) and the new state
   * @throws IllegalArgumentException when the prefix would exceed the positional table
   */
  @Override
  public Step step(int[] tokens, Tensor[] state) {
    int n = tokens.length;
    int len = n == 0 ? 0 : state[2].toIntArray()[0];
    int lmax = config.maxLength();
    if (len + 1 > lmax) {
      throw new IllegalArgumentException(
          "CaptioningTransformer: decoding step "
              + (len + 1)
              + " exceeds the positional_encoding table's max_length L="
              + lmax
              + "; generate at most "
              + lmax
              + " words");
    }
    int[] prefix = state[1].toIntArray();
    for (int i = 0; i < n; i++) {
      prefix[i * lmax + len] = tokens[i];
    }
    Tensor next = Tensor.of(prefix, n, lmax);
    int[] lengths = new int[n];
    java.util.Arrays.fill(lengths, len + 1);
    Tensor scores;
    int v = config.vocabSize();
    if (n == 0) {
      scores = Tensor.zeros(config.dtype(), 0, v);
    } else {
      Tape tape = new Tape();
      Tensor all =
          forward(tape, tape.constant(state[0]), next.slice(1, 0, len + 1).contiguous()).value();
      scores = all.select(1, len).contiguous();
    }
    return new Step(scores, new Tensor[] {state[0], next, Tensor.of(lengths, n, 1)});
  }

  /**
   * CS231n's greedy {@code sample(features, max_length)}, each caption stopping at {@code <END>}.
   *
   * @param features (N, D) or (N, R, D)
   * @param maxLength words generated at most, in [1, L]
   * @return int32 captions (N, maxLength), see {@link Decoders}
   */
  public Tensor sample(Tensor features, int maxLength) {
    return sample(features, new Decoding.Greedy(), maxLength, null);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Runs in evaluation mode (no dropout), as CS231n's {@code sample} under {@code
   * torch.no_grad()} on a model in eval mode.
   */
  @Override
  public Tensor sample(
      Tensor features, Decoding decoding, int maxLength, org.handgrad.tensor.Rng rng) {
    if (maxLength > config.maxLength()) {
      throw new IllegalArgumentException(
          "CaptioningTransformer.sample: maxLength "
              + maxLength
              + " exceeds the positional_encoding table's max_length L="
              + config.maxLength());
    }
    boolean was = isTraining();
    eval();
    try {
      return Decoders.decode(this, features, tokens(), decoding, maxLength, rng);
    } finally {
      train(was);
    }
  }

  /**
   * Each generated word's cross-attention over the memory tokens, in the last layer, averaged over
   * heads: re-runs the decoder in evaluation mode on {@code <START>} followed by the words (the
   * causal mask makes each position's weights what they were when the word was generated).
   *
   * @param features (N, D) or (N, R, D)
   * @param words int32 generated words (N, L) as the decoders return them, L at most max_length
   * @return weights, shape (N, L, R): row j is the attention of the step that produced word j (rows
   *     after a caption's {@code <END>} are meaningless); each row sums to 1
   */
  public Tensor crossAttention(Tensor features, Tensor words) {
    checkFeatures("crossAttention", features);
    checkWords("crossAttention", features.shape(0), words, 1);
    int n = words.shape(0);
    int l = words.shape(1);
    int[] in = new int[n * l];
    int[] w = words.toIntArray();
    for (int i = 0; i < n; i++) {
      in[i * l] = config.tokens().startIdx();
      System.arraycopy(w, i * l, in, i * l + 1, l - 1);
    }
    boolean was = isTraining();
    eval();
    try {
      scores(features, Tensor.of(in, n, l));
    } finally {
      train(was);
    }
    // (N, H, L, R) -> mean over heads
    return layers.get(layers.size() - 1).crossAttn().lastAttention().mean(1);
  }

  // ---------------------------------------------------------------- argument checks

  private void checkFeatures(String op, Tensor features) {
    Objects.requireNonNull(features, "CaptioningTransformer." + op + ": features is null");
    int d = config.inputDim();
    boolean ok =
        (features.ndim() == 2 || features.ndim() == 3)
            && features.shape(features.ndim() - 1) == d
            && (features.ndim() == 2 || features.shape(1) >= 1);
    if (!ok) {
      throw new IllegalArgumentException(
          "CaptioningTransformer."
              + op
              + ": expected features (N, D) or region features (N, R, D) with D="
              + d
              + ", got "
              + features.shapeString());
    }
    if (features.dtype() != config.dtype()) {
      throw new IllegalArgumentException(
          "CaptioningTransformer."
              + op
              + ": features are "
              + features.dtype().numpyName()
              + " but the parameters are "
              + config.dtype().numpyName()
              + " (convert with Tensor.to)");
    }
  }

  /**
   * Checks int32 words (N, T) with T at least {@code minT}; the decoder reads T - (minT - 1)
   * positions, which must fit the positional table.
   */
  private void checkWords(String op, int n, Tensor words, int minT) {
    Objects.requireNonNull(words, "CaptioningTransformer." + op + ": captions is null");
    if (words.dtype() != DType.INT32
        || words.ndim() != 2
        || words.shape(0) != n
        || words.shape(1) < minT) {
      throw new IllegalArgumentException(
          "CaptioningTransformer."
              + op
              + ": expected int32 captions (N, T) with N="
              + n
              + " and T >= "
              + minT
              + ", got "
              + words.dtype().numpyName()
              + " "
              + words.shapeString());
    }
    int s = words.shape(1) - (minT - 1);
    if (s > config.maxLength()) {
      throw new IllegalArgumentException(
          "CaptioningTransformer."
              + op
              + ": "
              + s
              + " input words (captions of T = "
              + words.shape(1)
              + ") exceed the positional_encoding table's max_length L = "
              + config.maxLength()
              + "; build the model with a larger maxLength");
    }
  }
}
