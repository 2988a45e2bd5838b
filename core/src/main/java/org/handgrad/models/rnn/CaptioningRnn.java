package org.handgrad.models.rnn;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Affine;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Lstm;
import org.handgrad.nn.functional.Rnn;
import org.handgrad.nn.functional.TemporalAffine;
import org.handgrad.nn.functional.TemporalSoftmaxLoss;
import org.handgrad.nn.functional.WordEmbedding;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * CS231n's {@code CaptioningRNN} (assignment 3): an RNN or LSTM language model whose initial hidden
 * state is a projection of image features.
 *
 * <pre>
 *   h0     = features W_proj + b_proj                       (N, H)
 *   x      = W_embed[captions_in]                           (N, T-1, W)
 *   h      = rnn/lstm(x, h0; Wx, Wh, b)                     (N, T-1, H)
 *   scores = h W_vocab + b_vocab                            (N, T-1, V)
 *   loss   = temporal softmax loss(scores, captions_out, captions_out != NULL)
 * </pre>
 *
 * <p>Teacher forcing: the input at step t is the ground-truth word t ({@code captions_in =
 * captions[:, :-1]}), and the target is word t+1 ({@code captions_out = captions[:, 1:]}); padding
 * targets are masked out, and the loss is divided by N (CS231n's convention).
 *
 * <p>Dimensions: N batch, T caption length (including {@code <START>}), D feature, W word vector, H
 * hidden, V vocabulary. Parameter names are CS231n's dictionary keys. Unlike CS231n, {@link #loss}
 * also returns dL/dfeatures, so an image encoder in front of the decoder can be trained end to end.
 */
public final class CaptioningRnn implements CaptionDecoder {

  /**
   * Sizes and settings (CS231n's constructor arguments; {@code word_to_idx} is reduced to its size
   * and the special ids).
   *
   * @param vocabSize V, number of words including the special tokens
   * @param inputDim D, dimension of the image features
   * @param wordvecDim W, dimension of the word vectors
   * @param hiddenDim H, hidden state size
   * @param cellType rnn or lstm
   * @param dtype float32 or float64, of every parameter
   * @param seed seeds the initialisation
   * @param tokens ids of {@code <NULL>}, {@code <START>}, {@code <END>}, each in [0, V)
   */
  public record Config(
      int vocabSize,
      int inputDim,
      int wordvecDim,
      int hiddenDim,
      CellType cellType,
      DType dtype,
      long seed,
      SpecialTokens tokens) {
    /** Validates sizes and ids. */
    public Config {
      Objects.requireNonNull(cellType, "cellType");
      Objects.requireNonNull(dtype, "dtype");
      Objects.requireNonNull(tokens, "tokens");
      if (vocabSize <= 0 || inputDim <= 0 || wordvecDim <= 0 || hiddenDim <= 0) {
        throw new IllegalArgumentException(
            "CaptioningRnn: sizes must be > 0, got V="
                + vocabSize
                + " D="
                + inputDim
                + " W="
                + wordvecDim
                + " H="
                + hiddenDim);
      }
      if (!dtype.isFloating()) {
        throw new IllegalArgumentException("CaptioningRnn: dtype must be float32 or float64");
      }
      if (tokens.maxId() >= vocabSize) {
        throw new IllegalArgumentException(
            "CaptioningRnn: special token ids " + tokens + " must lie in [0, V=" + vocabSize + ")");
      }
    }

    /**
     * CS231n's constructor arguments: {@code V = len(word_to_idx)} and the special ids looked up by
     * their names {@code <NULL>}, {@code <START>}, {@code <END>}.
     *
     * @param wordToIdx CS231n's {@code word_to_idx}: V distinct indices covering [0, V)
     * @param inputDim D (CS231n default 512)
     * @param wordvecDim W (CS231n default 128)
     * @param hiddenDim H (CS231n default 128)
     * @param cellType rnn or lstm
     * @param dtype float32 or float64 (CS231n default float32)
     * @param seed seeds the initialisation
     * @throws IllegalArgumentException on a missing special token, an index outside [0, V) or an
     *     index used twice
     */
    public static Config fromWordToIdx(
        Map<String, Integer> wordToIdx,
        int inputDim,
        int wordvecDim,
        int hiddenDim,
        CellType cellType,
        DType dtype,
        long seed) {
      int v = SpecialTokens.vocabSizeOf(wordToIdx);
      return new Config(
          v,
          inputDim,
          wordvecDim,
          hiddenDim,
          cellType,
          dtype,
          seed,
          SpecialTokens.fromWordToIdx(wordToIdx));
    }
  }

  private final Config config;
  private final Parameter wProj; // (D, H)
  private final Parameter bProj; // (H,)
  private final Parameter wEmbed; // (V, W)
  private final Parameter wx; // (W, gH) with g = 1 (rnn) or 4 (lstm)
  private final Parameter wh; // (H, gH)
  private final Parameter b; // (gH,)
  private final Parameter wVocab; // (H, V)
  private final Parameter bVocab; // (V,)
  private final List<Parameter> params;

  /**
   * A decoder with CS231n's initialisation: weights {@code randn / sqrt(fan_in)}, {@code W_embed =
   * randn / 100}, biases zero, drawn in this order from {@code Rng(config.seed())}.
   */
  public CaptioningRnn(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    int v = config.vocabSize();
    int d = config.inputDim();
    int w = config.wordvecDim();
    int h = config.hiddenDim();
    int gh = config.cellType().gates() * h;
    DType dt = config.dtype();
    Rng rng = new Rng(config.seed());
    wEmbed = new Parameter("W_embed", rng.normal(dt, 0, 1.0 / 100, v, w));
    wProj = new Parameter("W_proj", rng.normal(dt, 0, 1 / Math.sqrt(d), d, h));
    bProj = new Parameter("b_proj", Tensor.zeros(dt, h));
    wx = new Parameter("Wx", rng.normal(dt, 0, 1 / Math.sqrt(w), w, gh));
    wh = new Parameter("Wh", rng.normal(dt, 0, 1 / Math.sqrt(h), h, gh));
    b = new Parameter("b", Tensor.zeros(dt, gh));
    wVocab = new Parameter("W_vocab", rng.normal(dt, 0, 1 / Math.sqrt(h), h, v));
    bVocab = new Parameter("b_vocab", Tensor.zeros(dt, v));
    params = List.of(wProj, bProj, wEmbed, wx, wh, b, wVocab, bVocab);
  }

  /**
   * CS231n's {@code CaptioningRNN(word_to_idx, input_dim, wordvec_dim, hidden_dim, cell_type,
   * dtype)}, seed 0 (use {@link Config#fromWordToIdx} for another).
   *
   * @param wordToIdx word to index, V distinct indices covering [0, V), with {@code <NULL>}, {@code
   *     <START>} and {@code <END>}
   * @param inputDim D
   * @param wordvecDim W
   * @param hiddenDim H
   * @param cellType "rnn" or "lstm"
   * @param dtype float32 or float64
   * @throws IllegalArgumentException as {@link Config#fromWordToIdx}, or on an unknown cell type
   */
  public CaptioningRnn(
      Map<String, Integer> wordToIdx,
      int inputDim,
      int wordvecDim,
      int hiddenDim,
      String cellType,
      DType dtype) {
    this(
        Config.fromWordToIdx(
            wordToIdx, inputDim, wordvecDim, hiddenDim, CellType.parse(cellType), dtype, 0));
  }

  /**
   * {@link #CaptioningRnn(Map, int, int, int, String, DType)} with CS231n's default dtype, float32.
   */
  public CaptioningRnn(
      Map<String, Integer> wordToIdx,
      int inputDim,
      int wordvecDim,
      int hiddenDim,
      String cellType) {
    this(wordToIdx, inputDim, wordvecDim, hiddenDim, cellType, DType.FLOAT32);
  }

  /** The configuration. */
  public Config config() {
    return config;
  }

  /** The special token ids. */
  @Override
  public SpecialTokens tokens() {
    return config.tokens();
  }

  /** D. */
  @Override
  public int inputDim() {
    return config.inputDim();
  }

  @Override
  public DType dtype() {
    return config.dtype();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Kind "rnn" (CS231n's cell_type, hidden and word vector sizes, the special ids); a checkpoint
   * from before the transformer has the same map without the kind.
   */
  @Override
  public Map<String, Object> describe() {
    return CaptionCheckpoint.decoderMap(config);
  }

  /**
   * The parameters: W_proj (D, H), b_proj (H,), W_embed (V, W), Wx (W, gH), Wh (H, gH), b (gH,),
   * W_vocab (H, V), b_vocab (V,), with g = 4 for the LSTM and 1 for the RNN.
   */
  @Override
  public List<Parameter> parameters() {
    return params;
  }

  /**
   * Training loss with teacher forcing. Zeroes every parameter gradient, then writes dL/dparam into
   * it (CS231n's {@code loss(features, captions)} returning {@code loss, grads}).
   *
   * @param features image features, shape (N, D), the dtype of the parameters
   * @param captions int32 ground-truth captions, shape (N, T) with T &gt;= 2: {@code <START>}, the
   *     words, {@code <END>}, then {@code <NULL>} padding
   * @return the loss and dL/dfeatures (N, D)
   * @throws IllegalArgumentException on wrong shapes, dtypes or token ids
   */
  @Override
  public Loss loss(Tensor features, Tensor captions) {
    checkFeatures("loss", features);
    checkCaptions(features, captions);
    int t = captions.shape(1);
    Tensor captionsIn = captions.slice(1, 0, t - 1);
    Tensor captionsOut = captions.slice(1, 1, t).contiguous();
    Tensor mask = captionsOut.ne(config.tokens().nullIdx());
    params.forEach(Parameter::zeroGrad);

    // Forward: the layer pairs in order.
    Forward<Affine.Cache> h0 = Affine.affineForward(features, wProj.value(), bProj.value());
    Forward<WordEmbedding.Cache> x = WordEmbedding.wordEmbeddingForward(captionsIn, wEmbed.value());
    Forward<? extends Record> h = cellForward(x.out(), h0.out());
    Forward<TemporalAffine.Cache> scores =
        TemporalAffine.temporalAffineForward(h.out(), wVocab.value(), bVocab.value());
    TemporalSoftmaxLoss.Loss loss =
        TemporalSoftmaxLoss.temporalSoftmaxLoss(scores.out(), captionsOut, mask);

    // Backward: the same pairs in reverse.
    TemporalAffine.Grads dscores = TemporalAffine.temporalAffineBackward(loss.dx(), scores.cache());
    wVocab.accumulateGrad(dscores.dw());
    bVocab.accumulateGrad(dscores.db());
    CellGrads dh = cellBackward(dscores.dx(), h.cache());
    wx.accumulateGrad(dh.dwx());
    wh.accumulateGrad(dh.dwh());
    b.accumulateGrad(dh.db());
    wEmbed.accumulateGrad(WordEmbedding.wordEmbeddingBackward(dh.dx(), x.cache()));
    Affine.Grads dh0 = Affine.affineBackward(dh.dh0(), h0.cache());
    wProj.accumulateGrad(dh0.dw());
    bProj.accumulateGrad(dh0.db());
    return new Loss(loss.loss(), dh0.dx());
  }

  // ---------------------------------------------------------------- the recurrence, either cell

  /** Gradients of the sequence pair of either cell. */
  private record CellGrads(Tensor dx, Tensor dh0, Tensor dwx, Tensor dwh, Tensor db) {}

  private Forward<? extends Record> cellForward(Tensor x, Tensor h0) {
    return switch (config.cellType()) {
      case LSTM -> Lstm.lstmForward(x, h0, wx.value(), wh.value(), b.value());
      case RNN -> Rnn.rnnForward(x, h0, wx.value(), wh.value(), b.value());
    };
  }

  private static CellGrads cellBackward(Tensor dh, Record cache) {
    if (cache instanceof Lstm.Cache c) {
      Lstm.Grads g = Lstm.lstmBackward(dh, c);
      return new CellGrads(g.dx(), g.dh0(), g.dwx(), g.dwh(), g.db());
    }
    Rnn.Grads g = Rnn.rnnBackward(dh, (Rnn.Cache) cache);
    return new CellGrads(g.dx(), g.dh0(), g.dwx(), g.dwh(), g.db());
  }

  // ---------------------------------------------------------------- decoding (StepModel)

  @Override
  public int vocabSize() {
    return config.vocabSize();
  }

  /**
   * {@code h0 = features W_proj + b_proj}, and for the LSTM a zero cell state.
   *
   * @param features image features, shape (N, D)
   * @return {h0} for the RNN, {h0, c0} for the LSTM, each (N, H)
   */
  @Override
  public Tensor[] initialState(Tensor features) {
    checkFeatures("initialState", features);
    Tensor h0 = Affine.affineForward(features, wProj.value(), bProj.value()).out();
    if (config.cellType() == CellType.LSTM) {
      return new Tensor[] {h0, Tensor.zerosLike(h0)};
    }
    return new Tensor[] {h0};
  }

  /**
   * One decoding step through the step pairs: embed the previous words, advance the cell, score the
   * vocabulary (CS231n's loop body in {@code sample}).
   *
   * @param tokens previous word of each row, length N, each in [0, V)
   * @param state {h} or {h, c}, each (N, H)
   * @return scores (N, V) and the new state
   */
  @Override
  public Step step(int[] tokens, Tensor[] state) {
    int n = tokens.length;
    Tensor x =
        WordEmbedding.wordEmbeddingForward(Tensor.of(tokens, n, 1), wEmbed.value())
            .out()
            .reshape(n, config.wordvecDim());
    Tensor[] next;
    if (config.cellType() == CellType.LSTM) {
      Forward<Lstm.StepCache> s =
          Lstm.lstmStepForward(x, state[0], state[1], wx.value(), wh.value(), b.value());
      next = new Tensor[] {s.out(), s.cache().nextC()};
    } else {
      next =
          new Tensor[] {Rnn.rnnStepForward(x, state[0], wx.value(), wh.value(), b.value()).out()};
    }
    Tensor scores = Affine.affineForward(next[0], wVocab.value(), bVocab.value()).out();
    return new Step(scores, next);
  }

  /**
   * CS231n's greedy {@code sample(features, max_length)}, stopping each caption at {@code <END>}.
   *
   * @param features image features, shape (N, D)
   * @param maxLength number of words generated at most, &gt; 0
   * @return int32 captions (N, maxLength): words, then {@code <END>} if produced, then {@code
   *     <NULL>}
   */
  public Tensor sample(Tensor features, int maxLength) {
    return Decoders.decode(this, features, tokens(), new Decoding.Greedy(), maxLength, null);
  }

  /**
   * Beam search ranked by summed log-probability (see {@link Decoding.Beam}; width 1 is {@link
   * #sample(Tensor, int)}).
   *
   * @param features image features, shape (N, D)
   * @param beamWidth hypotheses kept per caption, &gt;= 1
   * @param maxLength number of words generated at most, &gt; 0
   * @return int32 captions (N, maxLength), as {@link #sample(Tensor, int)}
   */
  public Tensor beamSearch(Tensor features, int beamWidth, int maxLength) {
    return Decoders.decode(this, features, tokens(), new Decoding.Beam(beamWidth), maxLength, null);
  }

  /**
   * Decodes with any method: greedy, beam, or temperature / top-k / top-p sampling.
   *
   * @param features image features, shape (N, D)
   * @param decoding the method
   * @param maxLength number of words generated at most, &gt; 0
   * @param rng randomness of {@link Decoding.Sampling}; may be null otherwise
   * @return int32 captions (N, maxLength), as {@link #sample(Tensor, int)}
   */
  @Override
  public Tensor sample(Tensor features, Decoding decoding, int maxLength, Rng rng) {
    return Decoders.decode(this, features, tokens(), decoding, maxLength, rng);
  }

  // ---------------------------------------------------------------- argument checks

  private void checkFeatures(String op, Tensor features) {
    Objects.requireNonNull(features, "CaptioningRnn." + op + ": features is null");
    if (features.ndim() != 2 || features.shape(1) != config.inputDim()) {
      throw new IllegalArgumentException(
          "CaptioningRnn."
              + op
              + ": expected features (N, D) with D="
              + config.inputDim()
              + ", got "
              + features.shapeString());
    }
    if (features.dtype() != config.dtype()) {
      throw new IllegalArgumentException(
          "CaptioningRnn."
              + op
              + ": features are "
              + features.dtype().numpyName()
              + " but the parameters are "
              + config.dtype().numpyName()
              + " (convert with Tensor.to)");
    }
  }

  private void checkCaptions(Tensor features, Tensor captions) {
    Objects.requireNonNull(captions, "CaptioningRnn.loss: captions is null");
    if (captions.dtype() != DType.INT32
        || captions.ndim() != 2
        || captions.shape(0) != features.shape(0)
        || captions.shape(1) < 2) {
      throw new IllegalArgumentException(
          "CaptioningRnn.loss: expected int32 captions (N, T) with N="
              + features.shape(0)
              + " (features "
              + features.shapeString()
              + ") and T >= 2, got "
              + captions.dtype().numpyName()
              + " "
              + captions.shapeString());
    }
  }
}
