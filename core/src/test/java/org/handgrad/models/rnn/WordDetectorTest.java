package org.handgrad.models.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The encoder's word-detector pretraining: targets, learning, scores. */
class WordDetectorTest {

  @Test
  void bagOfWordsMarksTheWordsOfEveryCaptionOfAnImage() {
    // Image 0 has two captions, image 1 one, image 2 none.
    Tensor captions = Tensor.of(new int[] {1, 4, 5, 2, 0, 1, 6, 4, 2, 0, 1, 3, 2, 0, 0}, 3, 5);
    CaptionData data =
        new CaptionData(Tensor.zeros(DType.FLOAT32, 3, 2), captions, new int[] {0, 0, 1});
    Tensor bag = WordDetector.bagOfWords(data, 7, SpecialTokens.cs231n(), DType.FLOAT64);
    assertArrayEquals(
        new double[] {0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
        bag.toDoubleArray());
    assertThrows(
        IllegalArgumentException.class,
        () -> WordDetector.bagOfWords(data, 5, SpecialTokens.cs231n(), DType.FLOAT64));
  }

  @Test
  void pretrainingLearnsToDetectWordsFromPixels() {
    // Three kinds of 4x4 images (which quadrant is lit, plus noise); kind k is captioned
    // "<START> w(3+k) w6 <END>", so word 6 is always present and 3..5 name the kind.
    int n = 60;
    Rng rng = new Rng(8);
    Tensor images = rng.uniform(DType.FLOAT32, 0, 0.2, n, 1, 4, 4);
    int[] c = new int[n * 4];
    for (int i = 0; i < n; i++) {
      int k = i % 3;
      for (int y = 0; y < 2; y++) {
        for (int x = 0; x < 2; x++) {
          images.set(1.0, i, 0, y + 2 * (k / 2), x + 2 * (k % 2));
        }
      }
      System.arraycopy(new int[] {1, 3 + k, 6, 2}, 0, c, i * 4, 4);
    }
    CaptionData data = CaptionData.paired(images, Tensor.of(c, n, 4));
    Tensor targets = WordDetector.bagOfWords(data, 7, SpecialTokens.cs231n(), DType.FLOAT32);
    ConvEncoder enc =
        new ConvEncoder(new ConvEncoder.Config(1, 4, List.of(4), 8, DType.FLOAT32, 1));
    WordDetector det = new WordDetector(enc, 7, DType.FLOAT32, 2);
    List<Double> epochLosses = new java.util.ArrayList<>();
    List<Double> history =
        det.train(
            images,
            targets,
            CaptioningTrainer.Options.defaults()
                .withUpdateRule("adam")
                .withLearningRate(1e-2)
                .withBatchSize(20)
                .withNumEpochs(30),
            (epoch, loss) -> epochLosses.add(loss));
    assertEquals(90, history.size());
    assertEquals(30, epochLosses.size());
    assertTrue(history.get(89) < 0.1 * history.get(0), history.get(0) + " -> " + history.get(89));
    WordDetector.Scores s = WordDetector.Scores.of(det.probabilities(images), targets, 0.5);
    assertEquals(1.0, s.f1(), 1e-12, s.toString());
    assertEquals(List.of("enc.conv1.w"), List.of(det.parameters().get(0).name()));
    assertEquals("det.b", det.parameters().get(det.parameters().size() - 1).name());
  }

  @Test
  void scoresAreMicroAveraged() {
    Tensor p = Tensor.of(new double[] {0.9, 0.2, 0.7, 0.6}, 2, 2);
    Tensor y = Tensor.of(new double[] {1, 1, 0, 1}, 2, 2);
    WordDetector.Scores s = WordDetector.Scores.of(p, y, 0.5);
    assertEquals(2 / 3.0, s.precision(), 1e-15);
    assertEquals(2 / 3.0, s.recall(), 1e-15);
    assertEquals(2 / 3.0, s.f1(), 1e-15);
  }
}
