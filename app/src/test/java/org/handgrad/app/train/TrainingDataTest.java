package org.handgrad.app.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.handgrad.data.Dataset;
import org.handgrad.data.Split;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class TrainingDataTest {
  private static Split split(int n) {
    float[] x = new float[n];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      x[i] = i;
      y[i] = i % 2;
    }
    return new Split(Tensor.of(x, n, 1, 1, 1), y, List.of("a", "b"));
  }

  @Test
  void defaultValidationIsTenPercentCappedAt5000() {
    assertEquals(5000, TrainingData.defaultNumVal(60_000));
    assertEquals(5000, TrainingData.defaultNumVal(50_000));
    assertEquals(200, TrainingData.defaultNumVal(2000));
    assertEquals(10, TrainingData.defaultNumVal(50));
    assertEquals(4, TrainingData.defaultNumVal(5));
  }

  @Test
  void theLastImagesOfTheTrainingSplitValidate() {
    Dataset d = new Dataset("t", split(10), split(6));
    TrainingData t = TrainingData.split(d, 5, 3, 4);
    assertArrayEquals(new float[] {0, 1, 2, 3, 4}, t.train().x().toFloatArray());
    assertArrayEquals(new float[] {7, 8, 9}, t.val().x().toFloatArray());
    assertArrayEquals(new float[] {0, 1, 2, 3}, t.test().x().toFloatArray());
    TrainingData all = TrainingData.split(d, null, 3, null);
    assertEquals(7, all.train().size());
    assertEquals(6, all.test().size());
  }

  @Test
  void sizesOutsideTheDataAreErrors() {
    Dataset d = new Dataset("t", split(10), split(6));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TrainingData.split(d, 8, 3, null));
    assertTrue(e.getMessage().contains("--num-train must be in [1, 7]"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TrainingData.split(d, null, 10, null));
    assertThrows(IllegalArgumentException.class, () -> TrainingData.split(d, null, 3, 7));
  }
}
