package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class BatchesTest {
  /** 23 examples of shape (2,) with x[i] = (i, -i), labels i mod 3. */
  private static Split data() {
    Tensor x = Tensor.zeros(DType.FLOAT64, 23, 2);
    int[] y = new int[23];
    for (int i = 0; i < 23; i++) {
      x.set(i, i, 0);
      x.set(-i, i, 1);
      y[i] = i % 3;
    }
    return new Split(x, y, List.of("a", "b", "c"));
  }

  private static List<int[]> epochIndices(Batches b) {
    List<int[]> out = new ArrayList<>();
    for (Batches.Batch batch : b.epoch()) {
      out.add(batch.indices());
    }
    return out;
  }

  @Test
  void everyExampleOncePerEpochWithPartialLastBatch() {
    Batches b = new Batches(data(), 5, true, new SplittableRandom(1));
    assertEquals(5, b.batchesPerEpoch());
    List<Integer> sizes = new ArrayList<>();
    int[] seen = new int[23];
    for (Batches.Batch batch : b.epoch()) {
      sizes.add(batch.y().length);
      assertEquals(batch.indices().length, batch.x().shape(0));
      for (int k = 0; k < batch.indices().length; k++) {
        int i = batch.indices()[k];
        seen[i]++;
        assertEquals(i, batch.x().get(k, 0), 0.0); // rows match their indices
        assertEquals(i % 3, batch.y()[k]);
      }
    }
    assertEquals(List.of(5, 5, 5, 5, 3), sizes);
    int[] ones = new int[23];
    Arrays.fill(ones, 1);
    assertArrayEquals(ones, seen);
  }

  @Test
  void reshufflesEachEpochDeterministically() {
    Batches a = new Batches(data(), 4, true, new SplittableRandom(9));
    Batches b = new Batches(data(), 4, true, new SplittableRandom(9));
    List<int[]> a1 = epochIndices(a);
    List<int[]> a2 = epochIndices(a);
    List<int[]> b1 = epochIndices(b);
    List<int[]> b2 = epochIndices(b);
    assertArrayEquals(a1.toArray(), b1.toArray());
    assertArrayEquals(a2.toArray(), b2.toArray());
    assertFalse(Arrays.deepEquals(a1.toArray(), a2.toArray()));
  }

  @Test
  void unshuffledKeepsOrder() {
    Batches b = new Batches(data(), 10, false, null);
    List<int[]> e = epochIndices(b);
    assertArrayEquals(new int[] {20, 21, 22}, e.get(2));
    assertEquals(0, e.get(0)[0]);
  }

  @Test
  void sampleDrawsWithReplacementLikeTheSolver() {
    SplittableRandom r = new SplittableRandom(4);
    Batches.Batch s = Batches.sample(data(), 50, r);
    assertEquals(50, s.y().length);
    SplittableRandom again = new SplittableRandom(4);
    for (int k = 0; k < 50; k++) {
      assertEquals(again.nextInt(23), s.indices()[k]);
    }
  }
}
