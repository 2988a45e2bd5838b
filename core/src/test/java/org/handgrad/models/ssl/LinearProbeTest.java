package org.handgrad.models.ssl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class LinearProbeTest {
  /** K Gaussian blobs in D dimensions, centres 4 apart along the axes, unit noise on offset 100. */
  private static Tensor blobs(int n, int d, int k, int[] y, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Tensor x = Tensor.zeros(DType.FLOAT32, n, d);
    for (int i = 0; i < n; i++) {
      y[i] = r.nextInt(k);
      for (int j = 0; j < d; j++) {
        // A large common offset and scale: standardisation must handle it.
        x.set(100 + 50 * ((j == y[i] ? 4 : 0) + 0.5 * r.nextGaussian()), i, j);
      }
    }
    return x;
  }

  @Test
  void separableFeaturesAreLearnedAndTheLossFalls() {
    int[] ytr = new int[600];
    int[] yte = new int[200];
    Tensor tr = blobs(600, 5, 3, ytr, 1);
    Tensor te = blobs(200, 5, 3, yte, 2);
    LinearProbe.Result r =
        LinearProbe.fit(tr, ytr, te, yte, 3, new LinearProbe.Options(1e-2, 1e-4, 20, 64, 0));
    assertEquals(1.0, r.testAccuracy());
    assertEquals(1.0, r.trainAccuracy());
    double[] h = r.lossHistory();
    assertTrue(h[h.length - 1] < 0.1 * h[0], "loss " + h[0] + " -> " + h[h.length - 1]);
    assertArrayEquals(new int[] {5, 3}, r.w().shape());
  }

  @Test
  void uninformativeFeaturesStayNearChance() {
    SplittableRandom r = new SplittableRandom(3);
    int n = 2000;
    Tensor tr = Tensor.zeros(DType.FLOAT32, n, 4);
    Tensor te = Tensor.zeros(DType.FLOAT32, n, 4);
    int[] ytr = new int[n];
    int[] yte = new int[n];
    for (int i = 0; i < n; i++) {
      ytr[i] = r.nextInt(2);
      yte[i] = r.nextInt(2);
      for (int j = 0; j < 4; j++) {
        tr.set(r.nextGaussian(), i, j);
        te.set(r.nextGaussian(), i, j);
      }
    }
    LinearProbe.Result res =
        LinearProbe.fit(tr, ytr, te, yte, 2, new LinearProbe.Options(1e-2, 0, 5, 100, 0));
    assertEquals(0.5, res.testAccuracy(), 0.05); // 2.2 binomial standard deviations at n = 2000
  }

  @Test
  void sameSeedSameProbe() {
    int[] ytr = new int[100];
    int[] yte = new int[50];
    Tensor tr = blobs(100, 4, 2, ytr, 5);
    Tensor te = blobs(50, 4, 2, yte, 6);
    LinearProbe.Options o = new LinearProbe.Options(1e-3, 1e-3, 3, 16, 9);
    LinearProbe.Result a = LinearProbe.fit(tr, ytr, te, yte, 2, o);
    LinearProbe.Result b = LinearProbe.fit(tr, ytr, te, yte, 2, o);
    assertArrayEquals(a.w().toDoubleArray(), b.w().toDoubleArray());
    assertArrayEquals(a.lossHistory(), b.lossHistory());
  }

  @Test
  void badInputGetsAClearError() {
    Tensor x = Tensor.zeros(DType.FLOAT32, 3, 2);
    LinearProbe.Options o = LinearProbe.Options.defaults();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LinearProbe.fit(x, new int[] {0, 1, 2}, x, new int[] {0, 1, 0}, 2, o));
    assertEquals("LinearProbe: train label 2 is outside [0, 2)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new LinearProbe.Options(0, 0, 1, 1, 0));
    assertEquals("LinearProbe: learning rate must be positive, got 0.0", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                FeatureExtractor.extract(
                    images -> Tensor.zeros(DType.FLOAT32, 1, 2),
                    Tensor.zeros(DType.FLOAT32, 3, 1, 2, 2),
                    3));
    assertEquals(
        "extract: the extractor returned (1, 2) for 3 images; expected (N, D)", e.getMessage());
  }
}
