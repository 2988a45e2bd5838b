package org.handgrad.models.ssl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class KnnMonitorTest {
  @Test
  void weightedVotesGiveTheHandComputedAnswer() {
    // Bank on the unit circle. Query at angle 0. Neighbours: one of class 0 at cos 1, two of class
    // 1 at cos 0.8 and one far one of class 1 at cos -1.
    // k = 3, T = 0.1: class 0 gets e^10 = 22026, class 1 gets 2 e^8 = 5962 -> class 0.
    // k = 3, T = 1:   class 0 gets e^1 = 2.72, class 1 gets 2 e^0.8 = 4.45 -> class 1.
    Tensor bank = Tensor.of(new double[] {1, 0, 0.8, 0.6, 0.8, -0.6, -1, 0}, 4, 2);
    int[] labels = {0, 1, 1, 1};
    Tensor query = Tensor.of(new double[] {5, 0}, 1, 2); // the norm does not matter
    assertArrayEquals(new int[] {0}, KnnMonitor.predict(bank, labels, query, 2, 3, 0.1));
    assertArrayEquals(new int[] {1}, KnnMonitor.predict(bank, labels, query, 2, 3, 1.0));
    // k = 1: the nearest neighbour alone; k larger than the bank uses the whole bank.
    assertArrayEquals(new int[] {0}, KnnMonitor.predict(bank, labels, query, 2, 1, 1.0));
    // All four at T = 1: class 1 adds e^-1.
    assertArrayEquals(new int[] {1}, KnnMonitor.predict(bank, labels, query, 2, 200, 1.0));
  }

  @Test
  void separatedClustersAreClassifiedPerfectlyAtFloat32AndFloat64() {
    SplittableRandom r = new SplittableRandom(4);
    int k = 3;
    int m = 300;
    double[] centres = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    Tensor bank = Tensor.zeros(DType.FLOAT64, m, 3);
    int[] y = new int[m];
    for (int i = 0; i < m; i++) {
      y[i] = i % k;
      for (int j = 0; j < 3; j++) {
        bank.set(centres[y[i] * 3 + j] + 0.1 * r.nextGaussian(), i, j);
      }
    }
    Tensor query = bank.slice(0, 0, 60).add(0.01);
    int[] expected = Arrays.copyOf(y, 60);
    assertArrayEquals(expected, KnnMonitor.predict(bank, y, query, k, 200, 0.1));
    assertArrayEquals(
        expected,
        KnnMonitor.predict(bank.to(DType.FLOAT32), y, query.to(DType.FLOAT32), k, 200, 0.1));
  }

  @Test
  void kthLargestMatchesSorting() {
    SplittableRandom r = new SplittableRandom(8);
    for (int trial = 0; trial < 50; trial++) {
      int n = 1 + r.nextInt(40);
      double[] a = new double[n];
      for (int i = 0; i < n; i++) {
        a[i] = r.nextInt(6); // many ties
      }
      double[] sorted = a.clone();
      Arrays.sort(sorted);
      int k = 1 + r.nextInt(n);
      assertEquals(sorted[n - k], KnnMonitor.kthLargest(a.clone(), k));
    }
  }

  @Test
  void accuracyRunsThroughAnExtractor() {
    Tensor images = Tensor.zeros(DType.FLOAT32, 4, 1, 1, 2);
    images.set(1, 0, 0, 0, 0);
    images.set(1, 1, 0, 0, 1);
    images.set(2, 2, 0, 0, 0);
    images.set(2, 3, 0, 0, 1);
    int[] y = {0, 1, 0, 1};
    double acc = KnnMonitor.accuracy(FeatureExtractor.pixels(), images, y, images, y, 2, 1, 0.1, 3);
    assertEquals(1.0, acc);
  }

  @Test
  void badInputGetsAClearError() {
    Tensor bank = Tensor.zeros(DType.FLOAT64, 3, 2);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> KnnMonitor.predict(bank, new int[] {0, 1}, bank, 2, 1, 0.1));
    assertEquals("KnnMonitor: 3 train features but 2 labels", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> KnnMonitor.predict(bank, new int[] {0, 1, 0}, bank, 2, 0, 0.1));
    assertEquals("KnnMonitor: k must be >= 1, got 0", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> KnnMonitor.predict(bank, new int[] {0, 1, 0}, bank, 2, 5, 0.0));
    assertEquals("KnnMonitor: temperature must be positive and finite, got 0.0", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                KnnMonitor.predict(
                    bank, new int[] {0, 1, 0}, Tensor.zeros(DType.FLOAT64, 3, 4), 2, 5, 0.1));
    assertEquals(
        "KnnMonitor: expected train (N, D) and test (M, D) features, got (3, 2) and (3, 4)",
        e.getMessage());
  }
}
