package org.handgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class MetricsTest {

  @Test
  void argmaxTakesTheFirstMaximumAndNaN() {
    Tensor scores =
        Tensor.of(
            new double[] {1, 3, 3, 0, /**/ -1, -2, -0.5, -3, /**/ 0, Double.NaN, 5, Double.NaN},
            3,
            4);
    assertArrayEquals(new int[] {1, 2, 1}, Metrics.argmax(scores));
    assertArrayEquals(
        new int[] {1, 2, 1}, Metrics.argmax(scores.to(DType.FLOAT32)), "float32 alike");
    assertThrows(IllegalArgumentException.class, () -> Metrics.argmax(Tensor.zeros(4)));
  }

  @Test
  void accuracyIsTheFractionCorrect() {
    assertEquals(0.75, Metrics.accuracy(new int[] {0, 1, 2, 2}, new int[] {0, 1, 2, 0}));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Metrics.accuracy(new int[] {0, 1}, new int[] {0}));
    assertTrue(e.getMessage().contains("2 labels, yPred 1"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Metrics.accuracy(new int[0], new int[0]));
  }

  @Test
  void confusionMatrixRowsAreTrueClassesColumnsPredictions() {
    int[] yTrue = {0, 0, 1, 1, 1, 2, 2, 2, 2};
    int[] yPred = {0, 1, 1, 1, 2, 2, 2, 0, 2};
    Tensor cm = Metrics.confusionMatrix(yTrue, yPred, 3);
    assertEquals(DType.INT32, cm.dtype());
    assertArrayEquals(new int[] {3, 3}, cm.shape());
    assertArrayEquals(new int[] {1, 1, 0, 0, 2, 1, 1, 0, 3}, cm.toIntArray());
    int trace = 0;
    for (int k = 0; k < 3; k++) {
      trace += (int) cm.get(k, k);
    }
    assertEquals(Metrics.accuracy(yTrue, yPred), trace / 9.0);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Metrics.confusionMatrix(new int[] {0, 3}, new int[] {0, 1}, 3));
    assertTrue(e.getMessage().contains("at 1 yTrue=3"), e.getMessage());
  }

  @Test
  void pearsonIsTheNormalisedCovariance() {
    assertEquals(1.0, Metrics.pearson(new double[] {1, 2, 3}, new double[] {2, 4, 6}), 1e-15);
    assertEquals(-1.0, Metrics.pearson(new double[] {1, 2, 3}, new double[] {3, 2, 1}), 1e-15);
    assertEquals(0.0, Metrics.pearson(new double[] {1, 0, -1, 0}, new double[] {0, 1, 0, -1}));
    // np.corrcoef([1, 2, 4, 7], [2, 1, 5, 4])[0, 1] = 0.6900655593423541
    assertEquals(
        0.6900655593423541,
        Metrics.pearson(new double[] {1, 2, 4, 7}, new double[] {2, 1, 5, 4}),
        1e-14);
    assertTrue(Double.isNaN(Metrics.pearson(new double[] {1, 1}, new double[] {1, 2})));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Metrics.pearson(new double[] {1, 2}, new double[] {1}));
    assertTrue(e.getMessage().contains("got 2 and 1"), e.getMessage());
  }
}
