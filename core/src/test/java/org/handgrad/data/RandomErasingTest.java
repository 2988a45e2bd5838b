package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Random erasing: probability, area and shape of the rectangles, determinism, bad arguments. */
class RandomErasingTest {
  private static final int N = 4000;
  private static final int C = 2;
  private static final int H = 28;
  private static final int W = 28;

  private static Tensor ones(DType dtype) {
    Tensor x = Tensor.zeros(dtype, N, C, H, W);
    x.fill(1.0);
    return x;
  }

  /** The erased box of image n (row0, col0, rows, cols), or null; asserts it is a rectangle. */
  private static int[] box(Tensor out, int n) {
    int top = H;
    int left = W;
    int bottom = -1;
    int right = -1;
    int zeros = 0;
    for (int i = 0; i < H; i++) {
      for (int j = 0; j < W; j++) {
        if (out.get(n, 0, i, j) == 0) {
          zeros++;
          top = Math.min(top, i);
          bottom = Math.max(bottom, i);
          left = Math.min(left, j);
          right = Math.max(right, j);
        }
        assertEquals(out.get(n, 0, i, j), out.get(n, 1, i, j), "all channels erased alike");
      }
    }
    if (zeros == 0) {
      return null;
    }
    int rows = bottom - top + 1;
    int cols = right - left + 1;
    assertEquals(rows * cols, zeros, "image " + n + ": the erased pixels form a rectangle");
    return new int[] {top, left, rows, cols};
  }

  @Test
  void erasesWithProbabilityPOneRectangleOfTheRightAreaAndRatio() {
    Tensor x = ones(DType.FLOAT32);
    Tensor out = Augment.randomErasing(x, 0.5, new SplittableRandom(3));
    int erased = 0;
    double areaSum = 0;
    for (int n = 0; n < N; n++) {
      int[] b = box(out, n);
      if (b == null) {
        continue;
      }
      erased++;
      double area = b[2] * b[3] / (double) (H * W);
      areaSum += area;
      // h = round(sqrt(A r)), w = round(sqrt(A / r)) with A in [0.02, 0.33] HW: the rounding
      // moves each side by at most 1/2, so the area stays in a slightly wider band.
      assertTrue(b[2] < H && b[3] < W, "smaller than the image");
      assertTrue(area > 0.01 && area < 0.38, "area fraction " + area);
      double ratio = b[2] / (double) b[3];
      assertTrue(ratio > 0.3 / 1.6 && ratio < 3.3 * 1.6, "aspect ratio " + ratio);
    }
    // Binomial(4000, 1/2): standard deviation 32; 5 of them.
    assertEquals(N / 2.0, erased, 160, "erased images");
    // Rejections (h >= H or w >= W) only cut off the largest boxes; the mean fraction is near the
    // uniform's 0.175.
    double meanArea = areaSum / erased;
    assertTrue(meanArea > 0.14 && meanArea < 0.19, "mean erased fraction " + meanArea);
    assertEquals(1.0, x.get(0, 0, 0, 0), 0, "the input is not modified");
  }

  @Test
  void probabilityZeroAndOneAndTheValue() {
    Tensor x = ones(DType.FLOAT64);
    Tensor none = Augment.randomErasing(x, 0.0, new SplittableRandom(1));
    assertArrayEquals(x.doubleStorage(), none.doubleStorage(), 0);
    Tensor all = Augment.randomErasing(x, 1.0, 0.1, 0.1, 1.0, 1.0, -2.5, new SplittableRandom(1));
    for (int n = 0; n < 50; n++) {
      int count = 0;
      for (int i = 0; i < H; i++) {
        for (int j = 0; j < W; j++) {
          count += all.get(n, 1, i, j) == -2.5 ? 1 : 0;
        }
      }
      // area 78.4 pixels, ratio 1: a round(8.85) = 9 by 9 square
      assertEquals(81, count, "image " + n);
    }
  }

  @Test
  void sameSeedSameBoxesOtherSeedOtherBoxes() {
    Tensor x = ones(DType.FLOAT32);
    Tensor a = Augment.randomErasing(x, 0.5, new SplittableRandom(42));
    Tensor b = Augment.randomErasing(x, 0.5, new SplittableRandom(42));
    Tensor c = Augment.randomErasing(x, 0.5, new SplittableRandom(43));
    assertArrayEquals(a.floatStorage(), b.floatStorage());
    assertTrue(!java.util.Arrays.equals(a.floatStorage(), c.floatStorage()));
  }

  @Test
  void badArgumentsAreNamed() {
    Tensor x = ones(DType.FLOAT32);
    SplittableRandom rng = new SplittableRandom(0);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Augment.randomErasing(x, 1.5, rng));
    assertTrue(e.getMessage().contains("randomErasing: p must be in [0, 1], got 1.5"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Augment.randomErasing(x, 0.5, 0.4, 0.2, 0.3, 3.3, 0, rng));
    assertTrue(e.getMessage().contains("scale must satisfy 0 < min <= max <= 1, got (0.4, 0.2)"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Augment.randomErasing(x, 0.5, 0.02, 0.33, 0, 3.3, 0, rng));
    assertTrue(e.getMessage().contains("ratio must satisfy 0 < min <= max"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Augment.randomErasing(Tensor.zeros(DType.FLOAT32, 3, 28, 28), 0.5, rng));
    assertTrue(e.getMessage().contains("randomErasing: expected images of shape (N, C, H, W)"));
  }
}
