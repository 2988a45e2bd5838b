package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class AugmentTest {
  /** Distinct values: x[n, c, h, w] = 1000 n + 100 c + 10 h + w + 1 (never 0, so padding shows). */
  private static Tensor images(DType dtype, int n, int c, int h, int w) {
    Tensor x = Tensor.zeros(dtype, n, c, h, w);
    for (int i = 0; i < x.size(); i++) {
      int ww = i % w;
      int hh = i / w % h;
      int cc = i / (w * h) % c;
      int nn = i / (w * h * c);
      x.setFlat(i, 1000 * nn + 100 * cc + 10 * hh + ww + 1);
    }
    return x;
  }

  @Test
  void flipTwiceIsIdentity() {
    for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Tensor x = images(dt, 3, 2, 4, 5);
      Tensor back = Augment.hflip(Augment.hflip(x));
      assertEquals(dt, back.dtype());
      assertArrayEquals(x.toDoubleArray(), back.toDoubleArray());
    }
  }

  @Test
  void flipMirrorsColumns() {
    Tensor x = images(DType.FLOAT32, 2, 2, 3, 5);
    Tensor f = Augment.hflip(x);
    for (int n = 0; n < 2; n++) {
      for (int c = 0; c < 2; c++) {
        for (int h = 0; h < 3; h++) {
          for (int w = 0; w < 5; w++) {
            assertEquals(x.get(n, c, h, 4 - w), f.get(n, c, h, w), 0.0);
          }
        }
      }
    }
  }

  @Test
  void selectiveFlipLeavesOthersAlone() {
    Tensor x = images(DType.FLOAT64, 2, 1, 2, 3);
    Tensor f = Augment.hflip(x, new boolean[] {false, true});
    assertEquals(x.get(0, 0, 1, 0), f.get(0, 0, 1, 0), 0.0);
    assertEquals(x.get(1, 0, 1, 0), f.get(1, 0, 1, 2), 0.0);
  }

  @Test
  void cropWithPadZeroAndOffsetZeroIsIdentity() {
    Tensor x = images(DType.FLOAT32, 4, 3, 6, 6);
    Tensor c = Augment.crop(x, 0, new int[4], new int[4]);
    assertArrayEquals(x.toFloatArray(), c.toFloatArray());
    // Centre offset with padding is also the identity.
    int[] centre = {2, 2, 2, 2};
    assertArrayEquals(x.toFloatArray(), Augment.crop(x, 2, centre, centre).toFloatArray());
  }

  @Test
  void cropShiftsAndZeroPads() {
    Tensor x = images(DType.FLOAT64, 1, 1, 4, 4);
    // dy = 0, dx = 2 with pad 1: window starts one row above and one column right of x.
    Tensor c = Augment.crop(x, 1, new int[] {0}, new int[] {2});
    for (int h = 0; h < 4; h++) {
      for (int w = 0; w < 4; w++) {
        int sh = h - 1;
        int sw = w + 1;
        double want = (sh >= 0 && sh < 4 && sw < 4) ? x.get(0, 0, sh, sw) : 0.0;
        assertEquals(want, c.get(0, 0, h, w), 0.0, "(" + h + ", " + w + ")");
      }
    }
    assertEquals(0.0, c.get(0, 0, 0, 0), 0.0);
    assertEquals(0.0, c.get(0, 0, 2, 3), 0.0);
  }

  @Test
  void randomCropIsSeededAndKeepsShape() {
    Tensor x = images(DType.FLOAT32, 8, 3, 32, 32);
    Tensor a = Augment.randomCrop(x, 4, new SplittableRandom(11));
    Tensor b = Augment.randomCrop(x, 4, new SplittableRandom(11));
    Tensor c = Augment.randomCrop(x, 4, new SplittableRandom(12));
    assertArrayEquals(x.shape(), a.shape());
    assertArrayEquals(a.toFloatArray(), b.toFloatArray());
    assertFalse(Arrays.equals(a.toFloatArray(), c.toFloatArray()));
    // Same draws as documented: dy then dx per image.
    SplittableRandom r = new SplittableRandom(11);
    int[] dy = new int[8];
    int[] dx = new int[8];
    for (int i = 0; i < 8; i++) {
      dy[i] = r.nextInt(9);
      dx[i] = r.nextInt(9);
    }
    assertArrayEquals(Augment.crop(x, 4, dy, dx).toFloatArray(), a.toFloatArray());
  }

  @Test
  void randomFlipIsSeededAndFlipsAboutHalf() {
    Tensor x = images(DType.FLOAT32, 200, 1, 2, 3);
    Tensor a = Augment.randomHFlip(x, new SplittableRandom(5));
    Tensor b = Augment.randomHFlip(x, new SplittableRandom(5));
    assertArrayEquals(a.toFloatArray(), b.toFloatArray());
    int flipped = 0;
    for (int n = 0; n < 200; n++) {
      if (a.get(n, 0, 0, 0) != x.get(n, 0, 0, 0)) {
        flipped++;
      }
    }
    assertTrue(flipped > 70 && flipped < 130, "flipped " + flipped + " of 200");
  }

  @Test
  void badArguments() {
    Tensor x = images(DType.FLOAT32, 2, 1, 4, 4);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Augment.crop(x, 1, new int[] {0, 3}, new int[] {0, 0}));
    assertEquals("crop: offset (3, 0) of image 1 is outside [0, 2]", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Augment.hflip(Tensor.zeros(DType.FLOAT32, 2, 16)));
    assertEquals("hflip: expected images of shape (N, C, H, W), got (2, 16)", e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> Augment.randomCrop(x, -1, new SplittableRandom(1)));
  }
}
