package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class PreprocessTest {
  private static final List<String> TWO = List.of("a", "b");

  /** n images (n, 2, 3, 4) with x[i, c, h, w] = offset + i + 10 c + h * w / 7. */
  private static Tensor images(DType dtype, int n, double offset) {
    Tensor x = Tensor.zeros(dtype, n, 2, 3, 4);
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < 2; c++) {
        for (int h = 0; h < 3; h++) {
          for (int w = 0; w < 4; w++) {
            x.set(offset + i + 10 * c + h * w / 7.0, i, c, h, w);
          }
        }
      }
    }
    return x;
  }

  private static Split split(Tensor x) {
    int[] y = new int[x.shape(0)];
    for (int i = 0; i < y.length; i++) {
      y[i] = i % 2;
    }
    return new Split(x, y, TWO);
  }

  @Test
  void meanImageIsTheAverageExample() {
    Tensor x = images(DType.FLOAT64, 5, 0);
    Tensor m = Preprocess.meanImage(x);
    assertArrayEquals(new int[] {2, 3, 4}, m.shape());
    assertEquals(DType.FLOAT64, m.dtype());
    // mean over i of (i + 10c + hw/7) = 2 + 10c + hw/7
    assertEquals(2 + 10 + 2 * 3 / 7.0, m.get(1, 2, 3), 1e-12);
    assertEquals(2.0, m.get(0, 0, 0), 1e-12);
  }

  @Test
  void meanFittedOnTrainOnlyDoesNotLeakValidation() {
    // Train and validation come from different distributions (validation is shifted by +100).
    Tensor train = images(DType.FLOAT32, 6, 0);
    Tensor val = images(DType.FLOAT32, 4, 100);
    Tensor mean = Preprocess.meanImage(train);
    Tensor trainC = Preprocess.subtractMean(train, mean);
    Tensor valC = Preprocess.subtractMean(val, mean);
    // Centred training data has mean ~0; centred validation keeps its own offset relative to
    // the training mean (100 + 1.5 - 2.5 = 99), which it would not if its mean had been used.
    Tensor trainMean = Preprocess.meanImage(trainC);
    Tensor valMean = Preprocess.meanImage(valC);
    for (int i = 0; i < trainMean.size(); i++) {
      assertEquals(0.0, trainMean.getFlat(i), 1e-5);
      assertEquals(99.0, valMean.getFlat(i), 1e-4);
    }
    // Inputs unchanged.
    assertEquals(100.0, val.get(0, 0, 0, 0), 0.0);
  }

  @Test
  void subtractMeanChecksShapes() {
    Tensor x = images(DType.FLOAT64, 2, 0);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Preprocess.subtractMean(x, Tensor.zeros(DType.FLOAT64, 2, 3)));
    assertEquals(
        "subtractMean: expected mean of shape (2, 3, 4) for x (2, 2, 3, 4), got (2, 3)",
        e.getMessage());
  }

  @Test
  void channelStatsAndNormalization() {
    Tensor train = images(DType.FLOAT64, 5, 0);
    Preprocess.ChannelStats s = Preprocess.fitChannelStats(train);
    // Direct two-channel computation for reference.
    for (int c = 0; c < 2; c++) {
      double sum = 0;
      double sq = 0;
      int n = 0;
      for (int i = 0; i < 5; i++) {
        for (int h = 0; h < 3; h++) {
          for (int w = 0; w < 4; w++) {
            double v = train.get(i, c, h, w);
            sum += v;
            sq += v * v;
            n++;
          }
        }
      }
      double mean = sum / n;
      assertEquals(mean, s.mean()[c], 1e-12);
      assertEquals(Math.sqrt(sq / n - mean * mean), s.std()[c], 1e-10);
    }
    Tensor z = Preprocess.normalize(train, s);
    Preprocess.ChannelStats after = Preprocess.fitChannelStats(z);
    for (int c = 0; c < 2; c++) {
      assertEquals(0.0, after.mean()[c], 1e-12);
      assertEquals(1.0, after.std()[c], 1e-12);
    }
    // Applied to other data with the training statistics, not its own.
    Tensor val = Preprocess.normalize(images(DType.FLOAT64, 2, 50), s);
    assertEquals((50 - s.mean()[0]) / s.std()[0], val.get(0, 0, 0, 0), 1e-12);
  }

  @Test
  void normalizeFloat32MatchesFloat64() {
    Tensor x64 = images(DType.FLOAT64, 3, 0);
    Tensor x32 = x64.to(DType.FLOAT32);
    Preprocess.ChannelStats s = Preprocess.fitChannelStats(x64);
    Tensor a = Preprocess.normalize(x32, s);
    Tensor b = Preprocess.normalize(x64, s);
    assertEquals(DType.FLOAT32, a.dtype());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(b.getFlat(i), a.getFlat(i), 1e-5);
    }
  }

  @Test
  void constantChannelCannotBeNormalized() {
    Tensor x = Tensor.zeros(DType.FLOAT32, 2, 1, 2, 2);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Preprocess.fitChannelStats(x));
    assertTrue(e.getMessage().contains("constant channel"), e.getMessage());
  }

  @Test
  void normalizeChecksChannels() {
    Preprocess.ChannelStats s = new Preprocess.ChannelStats(new double[] {0}, new double[] {1});
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Preprocess.normalize(images(DType.FLOAT32, 1, 0), s));
    assertEquals("normalize: stats have 1 channels but x (1, 2, 3, 4) has C=2", e.getMessage());
  }

  @Test
  void flattenAndBiasTrick() {
    Tensor x = images(DType.FLOAT32, 3, 0);
    Tensor flat = Preprocess.flatten(x);
    assertArrayEquals(new int[] {3, 24}, flat.shape());
    assertEquals(x.get(2, 1, 2, 3), flat.get(2, 12 + 2 * 4 + 3), 0.0);
    Tensor b = Preprocess.appendBias(flat);
    assertArrayEquals(new int[] {3, 25}, b.shape());
    for (int i = 0; i < 3; i++) {
      assertEquals(1.0, b.get(i, 24), 0.0);
      for (int j = 0; j < 24; j++) {
        assertEquals(flat.get(i, j), b.get(i, j), 0.0);
      }
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Preprocess.appendBias(x));
    assertEquals("appendBias: expected x of shape (N, D), got (3, 2, 3, 4)", e.getMessage());
  }

  @Test
  void scaleToRawPixelRange() {
    Tensor x = Tensor.of(new float[] {0f, 0.5f, 1f}, 3, 1);
    assertArrayEquals(new float[] {0f, 127.5f, 255f}, Preprocess.scale(x, 255).toFloatArray());
  }

  @Test
  void splitLastIsTheCs231nHoldout() {
    Split s = split(images(DType.FLOAT64, 10, 0));
    Preprocess.TrainVal tv = Preprocess.splitLast(s, 3);
    assertEquals(7, tv.train().size());
    assertEquals(3, tv.val().size());
    // Validation = the last 3 examples, in order (x[i,0,0,0] = i).
    assertEquals(7.0, tv.val().x().get(0, 0, 0, 0), 0.0);
    assertEquals(9.0, tv.val().x().get(2, 0, 0, 0), 0.0);
    assertEquals(6.0, tv.train().x().get(6, 0, 0, 0), 0.0);
    assertThrows(IllegalArgumentException.class, () -> Preprocess.splitLast(s, 11));
  }

  @Test
  void splitRandomIsSeededAndDisjoint() {
    Split s = split(images(DType.FLOAT64, 20, 0));
    Preprocess.TrainVal a = Preprocess.splitRandom(s, 5, new SplittableRandom(3));
    Preprocess.TrainVal b = Preprocess.splitRandom(s, 5, new SplittableRandom(3));
    Preprocess.TrainVal c = Preprocess.splitRandom(s, 5, new SplittableRandom(4));
    double[] va = ids(a.val());
    assertArrayEquals(va, ids(b.val()));
    assertNotEquals(Arrays.toString(va), Arrays.toString(ids(c.val())));
    double[] all = new double[20];
    System.arraycopy(ids(a.train()), 0, all, 0, 15);
    System.arraycopy(va, 0, all, 15, 5);
    Arrays.sort(all);
    for (int i = 0; i < 20; i++) {
      assertEquals(i, all[i], 0.0);
    }
  }

  @Test
  void permutationIsAPermutation() {
    int[] p = Preprocess.permutation(1000, new SplittableRandom(1));
    int[] sorted = p.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < 1000; i++) {
      assertEquals(i, sorted[i]);
    }
    assertTrue(Arrays.mismatch(p, sorted) >= 0, "a shuffle of 1000 is not the identity");
  }

  @Test
  void splitTakeAndRangeCopy() {
    Split s = split(images(DType.FLOAT32, 4, 0));
    Split t = s.take(new int[] {3, 0});
    assertArrayEquals(new int[] {1, 0}, t.y());
    assertEquals(3.0, t.x().get(0, 0, 0, 0), 0.0);
    assertThrows(IndexOutOfBoundsException.class, () -> s.take(new int[] {4}));
    assertThrows(IllegalArgumentException.class, () -> s.range(3, 2));
  }

  @Test
  void splitValidatesLabels() {
    Tensor x = images(DType.FLOAT32, 2, 0);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Split(x, new int[] {0, 2}, TWO));
    assertEquals("Split: label 2 at index 1 is outside 0..1", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Split(x, new int[] {0}, TWO));
  }

  private static double[] ids(Split s) {
    double[] out = new double[s.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = s.x().get(i, 0, 0, 0);
    }
    return out;
  }
}
