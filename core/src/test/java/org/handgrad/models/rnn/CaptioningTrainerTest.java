package org.handgrad.models.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The course's overfitting check, the image-blind baseline, and the trainer's CS231n behaviour
 * (epochs, lr decay, determinism, checkpoint and exact resumption).
 */
class CaptioningTrainerTest {

  private static CaptioningModel lstmOnFeatures(int v, int d, int w, int h, DType dtype) {
    return new CaptioningModel(
        new FeatureEncoder(d),
        new CaptioningRnn(
            new CaptioningRnn.Config(v, d, w, h, CellType.LSTM, dtype, 1, SpecialTokens.cs231n())));
  }

  /**
   * CS231n's "overfit small data" check (50 captions, Adam): the LSTM captioner memorises 50 random
   * captions of up to 8 words from 17 words, conditioned on random features. Measured: the final
   * minibatch loss is ~0.07 after 120 iterations (from 17.3; loss per caption, summed over words)
   * and greedy decoding then reproduces every caption.
   */
  @Test
  void lstmMemorisesFiftyCaptions() {
    int n = 50;
    int v = 20;
    Tensor features = new Rng(231).randn(DType.FLOAT32, n, 16);
    Tensor captions = CaptioningChecks.randomCaptions(7, n, 10, v);
    CaptioningModel model = lstmOnFeatures(v, 16, 32, 64, DType.FLOAT32);
    CaptioningTrainer t =
        new CaptioningTrainer(
            model,
            CaptionData.paired(features, captions),
            CaptioningTrainer.Options.defaults()
                .withUpdateRule("adam")
                .withLearningRate(1e-2)
                .withBatchSize(25)
                .withNumEpochs(60));
    t.train();
    List<Double> history = t.lossHistory();
    assertEquals(120, history.size());
    double last = history.get(history.size() - 1);
    assertTrue(history.get(0) > 15, "initial loss " + history.get(0));
    assertTrue(last < 0.1, "final loss " + last);

    Tensor generated = model.sample(features, new Decoding.Greedy(), 9, null);
    int[] g = generated.toIntArray();
    int[] c = captions.toIntArray();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 9; j++) {
        assertEquals(c[i * 10 + j + 1], g[i * 9 + j], "caption " + i + " word " + j);
      }
    }
  }

  /**
   * Captions that depend on the image: class k of 4 (one-hot features) has its own fixed caption.
   * The real captioner learns all four; the image-blind baseline, trained the same way, can only
   * output one caption for every image.
   */
  @Test
  void imageBlindBaselineCannotTellImagesApart() {
    int n = 40;
    int[] c = new int[n * 5];
    float[] f = new float[n * 4];
    for (int i = 0; i < n; i++) {
      int k = i % 4;
      f[i * 4 + k] = 1;
      int[] row = {1, 3 + k, 3 + (k + 1) % 4, 7, 2};
      System.arraycopy(row, 0, c, i * 5, 5);
    }
    Tensor features = Tensor.of(f, n, 4).to(DType.FLOAT64);
    Tensor captions = Tensor.of(c, n, 5);
    CaptioningTrainer.Options opts =
        CaptioningTrainer.Options.defaults()
            .withUpdateRule("adam")
            .withLearningRate(1e-2)
            .withBatchSize(20)
            .withNumEpochs(25);
    CaptioningModel seeing = lstmOnFeatures(8, 4, 8, 16, DType.FLOAT64);
    CaptioningModel blind =
        new CaptioningModel(
            new BlindEncoder(DType.FLOAT64),
            new CaptioningRnn(
                new CaptioningRnn.Config(
                    8, 1, 8, 16, CellType.LSTM, DType.FLOAT64, 1, SpecialTokens.cs231n())));
    new CaptioningTrainer(seeing, CaptionData.paired(features, captions), opts).train();
    CaptioningTrainer b =
        new CaptioningTrainer(blind, CaptionData.paired(features, captions), opts);
    b.train();

    int[] s = seeing.sample(features, new Decoding.Greedy(), 4, null).toIntArray();
    int[] z = blind.sample(features, new Decoding.Greedy(), 4, null).toIntArray();
    int seeingExact = 0;
    int blindExact = 0;
    for (int i = 0; i < n; i++) {
      boolean se = true;
      boolean be = true;
      for (int j = 0; j < 4; j++) {
        se &= s[i * 4 + j] == c[i * 5 + j + 1];
        be &= z[i * 4 + j] == c[i * 5 + j + 1];
        assertEquals(z[j], z[i * 4 + j], "the blind model's caption depends on the image");
      }
      seeingExact += se ? 1 : 0;
      blindExact += be ? 1 : 0;
    }
    assertEquals(n, seeingExact);
    assertTrue(blindExact <= n / 4, "blind exact matches: " + blindExact);
    // Its loss cannot go below the entropy of the first word's class (log 4 = 1.39).
    double blindLoss = b.lossHistory().get(b.lossHistory().size() - 1);
    assertTrue(blindLoss > 1.2, "blind loss " + blindLoss);
    assertEquals(0, blind.parameters().get(0).grad().abs().max().item(), "W_proj sees zeros");
  }

  private static CaptionData smallData(int m) {
    Tensor features = new Rng(3).randn(DType.FLOAT64, m, 6);
    return CaptionData.paired(features, CaptioningChecks.randomCaptions(4, m, 7, 9));
  }

  @Test
  void epochsIterationsAndLearningRateDecayFollowCs231n() {
    CaptionData data = smallData(23);
    CaptioningTrainer t =
        new CaptioningTrainer(
            lstmOnFeatures(9, 6, 4, 5, DType.FLOAT64),
            data,
            CaptioningTrainer.Options.defaults()
                .withUpdateRule("sgd_momentum")
                .withLearningRate(0.1)
                .withLrDecay(0.5)
                .withBatchSize(10)
                .withNumEpochs(3));
    assertEquals(2, t.iterationsPerEpoch()); // 23 / 10
    assertEquals(6, t.numIterations());
    List<String> events = new ArrayList<>();
    t.listener(
        new CaptioningTrainer.Listener() {
          @Override
          public void onIteration(int iteration, int numIterations, int epoch, double loss) {
            events.add(iteration + "/" + numIterations + "@" + epoch);
          }

          @Override
          public void onEpochEnd(int epoch, double learningRate) {
            events.add("end " + epoch + " lr " + learningRate);
          }
        });
    t.train();
    assertEquals(
        List.of(
            "1/6@0",
            "2/6@0",
            "end 0 lr 0.1",
            "3/6@1",
            "4/6@1",
            "end 1 lr 0.05",
            "5/6@2",
            "6/6@2",
            "end 2 lr 0.025"),
        events);
    assertEquals(6, t.lossHistory().size());
    // Fewer captions than a batch: one iteration per epoch over all of them.
    CaptioningTrainer tiny =
        new CaptioningTrainer(
            lstmOnFeatures(9, 6, 4, 5, DType.FLOAT64),
            smallData(3),
            CaptioningTrainer.Options.defaults().withNumEpochs(2));
    tiny.train();
    assertEquals(2, tiny.lossHistory().size());
  }

  private static CaptioningTrainer trainer(CaptionData data, double clip) {
    return new CaptioningTrainer(
        lstmOnFeatures(9, 6, 4, 5, DType.FLOAT64),
        data,
        CaptioningTrainer.Options.defaults()
            .withUpdateRule("adam")
            .withLearningRate(1e-2)
            .withLrDecay(0.9)
            .withBatchSize(8)
            .withNumEpochs(4)
            .withMaxGradNorm(clip)
            .withSeed(5));
  }

  @Test
  void sameSeedSameRunAndCheckpointResumesExactly(@TempDir Path dir) throws IOException {
    CaptionData data = smallData(20); // 2 iterations per epoch, 8 in all
    CaptioningTrainer full = trainer(data, 1.0);
    full.train();
    CaptioningTrainer again = trainer(data, 1.0);
    again.train();
    assertEquals(full.lossHistory(), again.lossHistory());

    CaptioningTrainer first = trainer(data, 1.0);
    first.train(3); // stop inside epoch 1
    List<String> vocab = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      vocab.add("w" + i);
    }
    first.save(dir, vocab);
    assertTrue(Files.exists(dir.resolve(CaptionCheckpoint.MODEL_FILE)));
    assertTrue(Files.exists(dir.resolve(CaptionCheckpoint.OPTIMIZER_FILE)));
    CaptionCheckpoint.Loaded loaded = CaptionCheckpoint.load(dir);
    assertEquals(vocab, loaded.vocab());
    CaptioningTrainer resumed = CaptioningTrainer.resume(loaded, data);
    assertEquals(3, resumed.iteration());
    resumed.train();
    assertEquals(full.lossHistory(), resumed.lossHistory());
    List<Parameter> a = full.model().parameters();
    List<Parameter> b = resumed.model().parameters();
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i).value().toDoubleArray(), b.get(i).value().toDoubleArray());
    }
    // A different seed gives a different minibatch order.
    CaptioningTrainer other =
        new CaptioningTrainer(
            lstmOnFeatures(9, 6, 4, 5, DType.FLOAT64), data, full.options().withSeed(6));
    other.train();
    assertTrue(!full.lossHistory().equals(other.lossHistory()));
  }

  @Test
  void gradientClippingChangesTheRun() {
    CaptionData data = smallData(20);
    CaptioningTrainer clipped = trainer(data, 0.05);
    clipped.train();
    CaptioningTrainer free = trainer(data, 0);
    free.train();
    assertEquals(clipped.lossHistory().get(0), free.lossHistory().get(0));
    assertTrue(!clipped.lossHistory().equals(free.lossHistory()));
  }

  @Test
  void checkpointOfAConvModelRestoresBuffersAndSamples(@TempDir Path dir) throws IOException {
    ConvEncoder enc =
        new ConvEncoder(new ConvEncoder.Config(3, 8, List.of(4), 5, DType.FLOAT32, 2));
    CaptioningModel model =
        new CaptioningModel(
            enc,
            new CaptioningRnn(
                new CaptioningRnn.Config(
                    9, 5, 4, 6, CellType.RNN, DType.FLOAT32, 3, SpecialTokens.cs231n())));
    Tensor images = new Rng(1).uniform(DType.FLOAT32, 0, 1, 12, 3, 8, 8);
    CaptionData data = CaptionData.paired(images, CaptioningChecks.randomCaptions(2, 12, 6, 9));
    new CaptioningTrainer(
            model, data, CaptioningTrainer.Options.defaults().withBatchSize(4).withNumEpochs(1))
        .train();
    List<String> vocab = List.of("<NULL>", "<START>", "<END>", "a", "b", "c", "d", "e", "f");
    CaptionCheckpoint.save(dir, model, vocab, null, null);
    CaptionCheckpoint.Loaded loaded = CaptionCheckpoint.load(dir);
    assertEquals(null, loaded.trainer());
    assertTrue(loaded.optimizerState().isEmpty());
    assertEquals(3.0, loaded.model().buffers().get("enc.bn1.num_batches_tracked").item());
    assertArrayEquals(
        model.buffers().get("enc.bn1.running_var").toFloatArray(),
        loaded.model().buffers().get("enc.bn1.running_var").toFloatArray());
    Decoding beam = new Decoding.Beam(3);
    assertArrayEquals(
        model.sample(images, beam, 5, null).toIntArray(),
        loaded.model().sample(images, beam, 5, null).toIntArray());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CaptionCheckpoint.save(dir, model, List.of("x"), null, null));
    assertTrue(e.getMessage().contains("vocabulary has 1 words but V = 9"), e.getMessage());
    assertThrows(IOException.class, () -> CaptionCheckpoint.load(dir.resolve("missing")));
  }

  @Test
  void optionsAreValidated() {
    CaptioningTrainer.Options d = CaptioningTrainer.Options.defaults();
    assertEquals("sgd", d.updateRule());
    assertEquals(100, d.batchSize());
    assertEquals(10, d.numEpochs());
    assertEquals(d, CaptioningTrainer.Options.fromMap(d.toMap()));
    assertThrows(IllegalArgumentException.class, () -> d.withUpdateRule("adagrad"));
    assertThrows(IllegalArgumentException.class, () -> d.withLrDecay(0));
    assertThrows(IllegalArgumentException.class, () -> d.withBatchSize(0));
    assertThrows(IllegalArgumentException.class, () -> d.withMaxGradNorm(-1));
    assertThrows(IllegalArgumentException.class, () -> d.withLearningRate(0));
  }

  @Test
  void divergenceIsReported() {
    CaptionData data = smallData(20);
    CaptioningTrainer t =
        new CaptioningTrainer(
            lstmOnFeatures(9, 6, 4, 5, DType.FLOAT64),
            data,
            CaptioningTrainer.Options.defaults().withBatchSize(10));
    t.model().parameters().get(0).value().setFlat(0, Double.NaN);
    ArithmeticException e = assertThrows(ArithmeticException.class, t::train);
    assertTrue(e.getMessage().contains("at iteration 0"), e.getMessage());
  }
}
