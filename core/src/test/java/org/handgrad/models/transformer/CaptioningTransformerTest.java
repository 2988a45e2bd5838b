package org.handgrad.models.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.handgrad.io.Json;
import org.handgrad.models.rnn.CaptionCheckpoint;
import org.handgrad.models.rnn.CaptionData;
import org.handgrad.models.rnn.CaptioningChecks;
import org.handgrad.models.rnn.CaptioningModel;
import org.handgrad.models.rnn.CaptioningRnn;
import org.handgrad.models.rnn.CaptioningTrainer;
import org.handgrad.models.rnn.CellType;
import org.handgrad.models.rnn.ConvEncoder;
import org.handgrad.models.rnn.Decoding;
import org.handgrad.models.rnn.FeatureEncoder;
import org.handgrad.models.rnn.SpecialTokens;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CaptioningTransformer in the captioning stack: training, decoding, checkpoints, errors. */
class CaptioningTransformerTest {

  private static CaptioningTransformer tiny(DType dtype, double dropout, int maxLength) {
    return new CaptioningTransformer(
        new CaptioningTransformer.Config(
            9, 5, 8, 2, 2, maxLength, 16, dropout, dtype, 3, SpecialTokens.cs231n()));
  }

  /**
   * CS231n's overfitting check (Transformer_Captioning notebook: 50 training captions, batch 25,
   * 100 epochs = 200 iterations, Adam): the loss must fall below 0.05. Here on random 512-d
   * features (CS231n's COCO features are 512-d) and random captions (V = 20, T = 12) with W = 128,
   * 2 heads, 2 layers, feed-forward 512, lr 3e-3 and NO dropout. Our loss sums over time and
   * divides by N; CS231n's transformer solver also divides by T. With CS231n's dropout 0.1 the
   * training-mode loss stays at 0.8-2.5 after 200 iterations (measured for W 64-256, lr
   * 1e-3..5e-3): the dropout noise alone costs more than 0.05 summed over a caption. Without
   * dropout: 0.08 after 100 iterations, 0.007 after 200 (lr 1e-3 reaches 3.0).
   */
  @Test
  void overfitsFiftyCaptionsWithinTwoHundredIterations() {
    int n = 50;
    Tensor features = CaptioningChecks.normal(41, 1.0, n, 512).to(DType.FLOAT32);
    Tensor captions = CaptioningChecks.randomCaptions(42, n, 12, 20);
    int[] image = new int[n];
    for (int i = 0; i < n; i++) {
      image[i] = i;
    }
    CaptionData data = new CaptionData(features, captions, image);
    CaptioningTransformer decoder =
        new CaptioningTransformer(
            new CaptioningTransformer.Config(
                20, 512, 128, 2, 2, 20, 512, 0.0, DType.FLOAT32, 0, SpecialTokens.cs231n()));
    CaptioningModel model = new CaptioningModel(new FeatureEncoder(512), decoder);
    CaptioningTrainer t =
        new CaptioningTrainer(
            model,
            data,
            CaptioningTrainer.Options.defaults()
                .withUpdateRule("adam")
                .withLearningRate(3e-3)
                .withBatchSize(25)
                .withNumEpochs(100));
    t.train();
    List<Double> h = t.lossHistory();
    assertEquals(200, h.size());
    assertTrue(h.get(0) > 10, "starts near (words + 1) log V: " + h.get(0));
    assertTrue(h.get(h.size() - 1) < 0.05, "final loss " + h.get(h.size() - 1));
  }

  @Test
  void greedyIsCs231nSampleLoopAndBeamOfWidthOneIsGreedy() {
    CaptioningTransformer m = tiny(DType.FLOAT64, 0.1, 10);
    for (Parameter p : m.parameters()) {
      Tensor v = CaptioningChecks.normal(p.name().hashCode(), 0.5, p.shape());
      p.assign(v);
    }
    Tensor features = CaptioningChecks.normal(8, 1.0, 4, 3, 5); // 3 regions
    Tensor greedy = m.sample(features, 7);
    // CS231n's sample: re-run the whole prefix, take the argmax of the last position.
    int[] prefix = new int[4 * 8];
    for (int i = 0; i < 4; i++) {
      prefix[i * 8] = 1;
    }
    m.eval();
    int[] out = greedy.toIntArray();
    for (int t = 0; t < 7; t++) {
      Tensor in = Tensor.of(prefix, 4, 8).slice(1, 0, t + 1).contiguous();
      Tensor s = m.scores(features, in);
      for (int i = 0; i < 4; i++) {
        if (ended(out, i, t)) {
          continue;
        }
        int best = 0;
        for (int w = 1; w < 9; w++) {
          if (s.get(i, t, w) > s.get(i, t, best)) {
            best = w;
          }
        }
        assertEquals(best, out[i * 7 + t], "row " + i + " step " + t);
        prefix[i * 8 + t + 1] = best;
      }
    }
    assertArrayEquals(
        out, m.sample(features, new Decoding.Beam(1), 7, null).toIntArray(), "beam width 1");
    Tensor beam = m.sample(features, new Decoding.Beam(3), 7, null);
    assertArrayEquals(new int[] {4, 7}, beam.shape());
    Tensor topk = m.sample(features, new Decoding.Sampling(0.8, 3, 1), 7, new Rng(1));
    Tensor topp = m.sample(features, new Decoding.Sampling(1.0, 0, 0.9), 7, new Rng(1));
    assertArrayEquals(
        topk.toIntArray(),
        m.sample(features, new Decoding.Sampling(0.8, 3, 1), 7, new Rng(1)).toIntArray(),
        "seeded sampling repeats");
    assertArrayEquals(new int[] {4, 7}, topp.shape());
    assertFalse(m.isTraining()); // sample leaves the mode as it found it (eval, above)
  }

  private static boolean ended(int[] out, int row, int t) {
    for (int j = 0; j < t; j++) {
      if (out[row * 7 + j] == 2) {
        return true;
      }
    }
    return false;
  }

  @Test
  void crossAttentionGivesOneDistributionOverRegionsPerWord() {
    CaptioningTransformer m = tiny(DType.FLOAT64, 0.0, 10);
    Tensor features = CaptioningChecks.normal(9, 1.0, 2, 4, 5);
    Tensor words = m.sample(features, 6);
    Tensor a = m.crossAttention(features, words);
    assertArrayEquals(new int[] {2, 6, 4}, a.shape());
    Tensor sums = a.sum(2);
    for (int i = 0; i < sums.size(); i++) {
      assertEquals(1.0, sums.getFlat(i), 1e-12);
    }
  }

  @Test
  void captionsLongerThanThePositionalTableNameTheLayerAndBothLengths() {
    CaptioningTransformer m = tiny(DType.FLOAT64, 0.0, 6);
    Tensor f = CaptioningChecks.normal(1, 1.0, 2, 5);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> m.loss(f, CaptioningChecks.randomCaptions(2, 2, 8, 9)));
    assertEquals(
        "CaptioningTransformer.loss: 7 input words (captions of T = 8) exceed the"
            + " positional_encoding table's max_length L = 6; build the model with a larger"
            + " maxLength",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> m.sample(f, 7));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                m.loss(
                    CaptioningChecks.normal(1, 1.0, 2, 4),
                    CaptioningChecks.randomCaptions(2, 2, 5, 9)));
    assertEquals(
        "CaptioningTransformer.loss: expected features (N, D) or region features (N, R, D) with"
            + " D=5, got (2, 4)",
        e.getMessage());
    // Region features need a decoder that attends over them.
    ConvEncoder regions =
        new ConvEncoder(new ConvEncoder.Config(3, 8, List.of(4), 6, DType.FLOAT64, 0, true));
    CaptioningRnn lstm =
        new CaptioningRnn(
            new CaptioningRnn.Config(
                9, 6, 4, 5, CellType.LSTM, DType.FLOAT64, 0, SpecialTokens.cs231n()));
    e = assertThrows(IllegalArgumentException.class, () -> new CaptioningModel(regions, lstm));
    assertTrue(e.getMessage().contains("16 region features per image"), e.getMessage());
  }

  @Test
  void regionEncoderTrainsEndToEndAndTheCheckpointRoundTrips(@TempDir Path dir) throws IOException {
    ConvEncoder enc =
        new ConvEncoder(new ConvEncoder.Config(3, 8, List.of(4), 5, DType.FLOAT64, 0, true));
    assertEquals(16, enc.regions());
    CaptioningModel model = new CaptioningModel(enc, tiny(DType.FLOAT64, 0.1, 10));
    Tensor images = CaptioningChecks.normal(3, 1.0, 2, 3, 8, 8);
    Tensor captions = CaptioningChecks.randomCaptions(4, 2, 6, 9);
    double loss = model.loss(images, captions);
    assertTrue(Double.isFinite(loss));
    Parameter pos =
        model.parameters().stream()
            .filter(p -> p.name().equals("enc.region_pos"))
            .findFirst()
            .orElseThrow();
    assertTrue(pos.grad().abs().max().item() > 0, "the encoder gets a gradient");
    List<String> vocab = List.of("<NULL>", "<START>", "<END>", "a", "b", "c", "d", "e", "f");
    CaptionCheckpoint.save(dir, model, vocab, null, null);
    CaptionCheckpoint.Loaded back = CaptionCheckpoint.load(dir);
    assertTrue(back.model().decoder() instanceof CaptioningTransformer);
    assertEquals(16, back.model().encoder().regions());
    for (int i = 0; i < model.parameters().size(); i++) {
      Parameter a = model.parameters().get(i);
      Parameter b = back.model().parameters().get(i);
      assertEquals(a.name(), b.name());
      assertArrayEquals(a.value().toDoubleArray(), b.value().toDoubleArray(), 0.0);
    }
    assertArrayEquals(
        model.sample(images, new Decoding.Greedy(), 5, null).toIntArray(),
        back.model().sample(images, new Decoding.Greedy(), 5, null).toIntArray());
    assertEquals(model.evalLoss(images, captions), back.model().evalLoss(images, captions), 0.0);
  }

  @Test
  @SuppressWarnings("unchecked")
  void anLstmCheckpointWithoutADecoderKindStillLoads(@TempDir Path dir) throws IOException {
    CaptioningRnn lstm =
        new CaptioningRnn(
            new CaptioningRnn.Config(
                9, 5, 4, 6, CellType.LSTM, DType.FLOAT64, 0, SpecialTokens.cs231n()));
    CaptioningModel model = new CaptioningModel(new FeatureEncoder(5), lstm);
    List<String> vocab = List.of("<NULL>", "<START>", "<END>", "a", "b", "c", "d", "e", "f");
    CaptionCheckpoint.save(dir, model, vocab, null, null);
    Path config = dir.resolve(CaptionCheckpoint.CONFIG_FILE);
    Map<String, Object> json =
        (Map<String, Object>) Json.parse(Files.readString(config, StandardCharsets.UTF_8));
    assertEquals("rnn", ((Map<String, Object>) json.get("decoder")).remove("kind"));
    Files.writeString(config, Json.writePretty(json), StandardCharsets.UTF_8);
    CaptionCheckpoint.Loaded back = CaptionCheckpoint.load(dir);
    assertTrue(back.model().decoder() instanceof CaptioningRnn);
    Tensor f = CaptioningChecks.normal(5, 1.0, 3, 5);
    assertArrayEquals(
        model.sample(f, new Decoding.Greedy(), 6, null).toIntArray(),
        back.model().sample(f, new Decoding.Greedy(), 6, null).toIntArray());
  }

  /** CS231n's constructor from word_to_idx: V, the special ids and CS231n's hard-coded sizes. */
  @Test
  void configFromWordToIdx() {
    Map<String, Integer> wordToIdx =
        Map.of("<NULL>", 0, "<START>", 1, "<END>", 2, "<UNK>", 3, "cat", 4, "dog", 5);
    CaptioningTransformer.Config c =
        CaptioningTransformer.Config.fromWordToIdx(wordToIdx, 7, 8, 4, 2, 50, DType.FLOAT64, 3);
    assertEquals(
        CaptioningTransformer.Config.cs231n(6, 7, 8, DType.FLOAT64, 3, new SpecialTokens(0, 1, 2)),
        c);
    assertEquals(6, new CaptioningTransformer(c).vocabSize());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CaptioningTransformer.Config.fromWordToIdx(
                    Map.of("<NULL>", 0, "<START>", 1, "<END>", 1),
                    7,
                    8,
                    4,
                    2,
                    50,
                    DType.FLOAT64,
                    3));
    assertTrue(e.getMessage().contains("is used twice"), e.getMessage());
  }
}
