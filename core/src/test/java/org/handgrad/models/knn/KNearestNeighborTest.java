package org.handgrad.models.knn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.models.Training;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class KNearestNeighborTest {
  private static double frobenius(Tensor a, Tensor b) {
    double s = 0;
    for (int i = 0; i < a.size(); i++) {
      double d = a.getFlat(i) - b.getFlat(i);
      s += d * d;
    }
    return Math.sqrt(s);
  }

  private static KNearestNeighbor trained(Tensor x, int[] y) {
    KNearestNeighbor knn = new KNearestNeighbor();
    knn.train(x, y);
    return knn;
  }

  @Test
  void threeDistanceVersionsAgree() {
    Tensor xTrain = Training.normal(1, DType.FLOAT64, 3.0, 23, 3, 2, 2); // D = 12, flattened
    Tensor xTest = Training.normal(2, DType.FLOAT64, 3.0, 9, 12);
    KNearestNeighbor knn = trained(xTrain, Training.labels(3, 23, 4));
    Tensor two = knn.computeDistancesTwoLoops(xTest);
    Tensor one = knn.computeDistancesOneLoop(xTest);
    Tensor none = knn.computeDistancesNoLoops(xTest);
    assertArrayEquals(new int[] {9, 23}, two.shape());
    assertEquals(DType.FLOAT64, none.dtype());
    assertTrue(frobenius(two, one) < 1e-8, "one loop: " + frobenius(two, one));
    assertTrue(frobenius(two, none) < 1e-8, "no loops: " + frobenius(two, none));
    // a pair by hand
    double s = 0;
    for (int k = 0; k < 12; k++) {
      double d = xTest.getFlat(4 * 12 + k) - xTrain.getFlat(7 * 12 + k);
      s += d * d;
    }
    assertEquals(Math.sqrt(s), two.get(4, 7), 1e-12);
  }

  @Test
  void float32InputsGiveTheSameDistancesInFloat64() {
    Tensor xTrain = Training.normal(4, DType.FLOAT32, 1.0, 10, 6);
    Tensor xTest = Training.normal(5, DType.FLOAT32, 1.0, 4, 6);
    KNearestNeighbor knn = trained(xTrain, Training.labels(6, 10, 3));
    Tensor two = knn.computeDistancesTwoLoops(xTest);
    assertTrue(frobenius(two, knn.computeDistancesNoLoops(xTest)) < 1e-8);
    KNearestNeighbor k64 = trained(xTrain.to(DType.FLOAT64), Training.labels(6, 10, 3));
    assertTrue(frobenius(two, k64.computeDistancesTwoLoops(xTest.to(DType.FLOAT64))) == 0);
  }

  @Test
  void noLoopDistanceOfAnIdenticalFarPointIsZeroNotNaN() {
    // Large coordinates make ||a||^2 - 2ab + ||b||^2 cancel catastrophically for a == b.
    double[] v = {1e4 + 0.1, 1e4 + 0.3, -1e4 + 0.7, 3e4 + 0.11};
    Tensor xTrain = Tensor.of(v, 1, 4);
    KNearestNeighbor knn = trained(xTrain, new int[] {0});
    Tensor d = knn.computeDistancesNoLoops(xTrain);
    assertFalse(Double.isNaN(d.get(0, 0)));
    assertTrue(d.get(0, 0) >= 0 && d.get(0, 0) < 1e-3, "d = " + d.get(0, 0));
  }

  @Test
  void tieBetweenLabelsGoesToTheSmallestLabel() {
    // Training points on a line at distances 1, 2, 3, 4 from the origin with labels 3, 1, 3, 1.
    Tensor xTrain = Tensor.of(new double[] {1, 2, 3, 4}, 4, 1);
    KNearestNeighbor knn = trained(xTrain, new int[] {3, 1, 3, 1});
    Tensor origin = Tensor.of(new double[] {0}, 1, 1);
    assertArrayEquals(new int[] {1}, knn.predict(origin, 4, 2)); // 2 votes each: smallest label
    assertArrayEquals(new int[] {3}, knn.predict(origin, 3, 1)); // 3 has two of three votes
    assertArrayEquals(new int[] {3}, knn.predict(origin, 1, 0));
    assertArrayEquals(new int[] {1}, knn.predict(origin, 2, 0)); // one each: 1 < 3
  }

  @Test
  void equalDistancesKeepTrainingOrder() {
    // Two training points at the same distance: with k = 1 the earlier one decides.
    Tensor xTrain = Tensor.of(new double[] {-1, 1}, 2, 1);
    Tensor origin = Tensor.of(new double[] {0}, 1, 1);
    assertArrayEquals(new int[] {7}, trained(xTrain, new int[] {7, 2}).predict(origin, 1, 0));
    assertArrayEquals(new int[] {2}, trained(xTrain, new int[] {2, 7}).predict(origin, 1, 0));
  }

  @Test
  void predictsWellSeparatedClusters() {
    int m = 30;
    double[] xs = new double[m * 2];
    int[] y = new int[m];
    var rng = Training.rng(7);
    for (int i = 0; i < m; i++) {
      y[i] = i % 3;
      xs[2 * i] = 10 * y[i] + rng.nextGaussian();
      xs[2 * i + 1] = -5 * y[i] + rng.nextGaussian();
    }
    KNearestNeighbor knn = new KNearestNeighbor(3);
    knn.train(Tensor.of(xs, m, 2), y);
    Tensor test = Tensor.of(new double[] {0, 0, 10, -5, 20, -10}, 3, 2);
    assertArrayEquals(new int[] {0, 1, 2}, knn.predict(test));
    for (int loops = 0; loops <= 2; loops++) {
      assertArrayEquals(new int[] {0, 1, 2}, knn.predict(test, 5, loops));
    }
  }

  @Test
  void foldBoundsFollowArraySplit() {
    assertArrayEquals(new int[] {0, 4, 7, 10}, CrossValidation.foldBounds(10, 3));
    assertArrayEquals(new int[] {0, 2, 4, 6, 8, 10}, CrossValidation.foldBounds(10, 5));
    assertArrayEquals(new int[] {0, 3, 5, 7}, CrossValidation.foldBounds(7, 3));
  }

  @Test
  void crossValidationBookkeeping() {
    // Two clusters far apart (even examples left, odd right): every fold is predicted perfectly
    // by every k, so each of the K x folds cells must be exactly 1.
    int m = 11;
    double[] xs = new double[m];
    int[] y = new int[m];
    for (int i = 0; i < m; i++) {
      xs[i] = i % 2 == 0 ? -10 - i : 10 + i;
      y[i] = i % 2;
    }
    int[] ks = {1, 3, 5};
    CrossValidation cv = KNearestNeighbor.crossValidate(Tensor.of(xs, m, 1), y, ks, 4);
    assertEquals(4, cv.folds());
    assertArrayEquals(new int[] {0, 3, 6, 9, 11}, cv.foldBounds());
    assertArrayEquals(ks, cv.ks());
    assertEquals(3, cv.accuracies().length);
    for (double[] row : cv.accuracies()) {
      assertEquals(4, row.length);
      for (double a : row) {
        assertEquals(1.0, a);
      }
    }
    assertEquals(1, cv.bestK()); // every k ties at 1.0: the smallest wins

    // Per-fold accuracies by hand: one training example per class, the validation point nearest
    // to the wrong one.
    double[] x2 = {0, 10, 1, 9};
    int[] y2 = {0, 1, 1, 0};
    CrossValidation cv2 = KNearestNeighbor.crossValidate(Tensor.of(x2, 4, 1), y2, new int[] {1}, 2);
    // fold 0 = {0, 10} validated against {1 (label 1), 9 (label 0)}: both wrong.
    // fold 1 = {1, 9} validated against {0 (label 0), 10 (label 1)}: both wrong.
    assertArrayEquals(new double[] {0.0, 0.0}, cv2.accuracies()[0]);
    assertEquals(0.0, cv2.meanAccuracy(0));
  }

  @Test
  void clearErrors() {
    KNearestNeighbor knn = new KNearestNeighbor();
    Tensor x = Tensor.zeros(DType.FLOAT64, 3, 4);
    IllegalStateException untrained =
        assertThrows(IllegalStateException.class, () -> knn.computeDistancesNoLoops(x));
    assertTrue(untrained.getMessage().contains("train"));
    knn.train(x, new int[] {0, 1, 2});
    IllegalArgumentException d =
        assertThrows(
            IllegalArgumentException.class,
            () -> knn.computeDistancesTwoLoops(Tensor.zeros(DType.FLOAT64, 2, 5)));
    assertTrue(d.getMessage().contains("D=4") && d.getMessage().contains("(2, 5)"), d.getMessage());
    IllegalArgumentException k =
        assertThrows(IllegalArgumentException.class, () -> knn.predict(x, 4, 0));
    assertTrue(k.getMessage().contains("[1, M=3]"), k.getMessage());
    assertThrows(IllegalArgumentException.class, () -> knn.predict(x, 1, 3));
    assertThrows(IllegalArgumentException.class, () -> knn.train(x, new int[] {0, 1}));
    assertThrows(IllegalArgumentException.class, () -> new KNearestNeighbor(0));
    assertThrows(
        IllegalArgumentException.class,
        () -> KNearestNeighbor.crossValidate(x, new int[] {0, 1, 2}, new int[] {1}, 4));
  }
}
