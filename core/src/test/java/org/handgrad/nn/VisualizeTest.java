package org.handgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.handgrad.nn.Visualize.Layout;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class VisualizeTest {

  private static Tensor random(DType dtype, long seed, int... shape) {
    SplittableRandom r = new SplittableRandom(seed);
    Tensor t = Tensor.zeros(dtype, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, r.nextGaussian() * 3 + 1);
    }
    return t;
  }

  @Test
  void tilesRowByRowWithPaddingAndPerTileRescaling() {
    // 5 grey 2x3 images: G = ceil(sqrt(5)) = 3, Hg = 3*2 + 2*1 = 8, Wg = 3*3 + 2*1 = 11.
    Tensor xs = Tensor.zeros(DType.FLOAT64, 5, 2, 3, 1);
    for (int i = 0; i < 5; i++) {
      for (int k = 0; k < 6; k++) {
        xs.setFlat(i * 6 + k, (i + 1) * (k - 2.0)); // tile i spans [-2(i+1), 3(i+1)]
      }
    }
    Tensor grid = Visualize.visualizeGrid(xs, Layout.NHWC);
    assertArrayEquals(new int[] {8, 11, 1}, grid.shape());
    for (int i = 0; i < 5; i++) {
      int y0 = (i / 3) * 3;
      int x0 = (i % 3) * 4;
      for (int y = 0; y < 2; y++) {
        for (int x = 0; x < 3; x++) {
          int k = y * 3 + x;
          assertEquals(255.0 * k / 5, grid.get(y0 + y, x0 + x, 0), 1e-12, "tile " + i);
        }
      }
    }
    // Padding rows/columns and the four unused tiles stay 0.
    for (int x = 0; x < 11; x++) {
      assertEquals(0, grid.get(2, x, 0));
      assertEquals(0, grid.get(5, x, 0));
    }
    assertEquals(0, grid.get(3, 8, 0), "tile 5 is unused");
    assertEquals(0, grid.get(7, 10, 0));
  }

  @Test
  void nchwGridIsTheTransposeOfTheNhwcGrid() {
    Tensor nhwc = random(DType.FLOAT64, 1, 7, 4, 5, 3);
    Tensor nchw = Tensor.zeros(DType.FLOAT64, 7, 3, 4, 5);
    for (int n = 0; n < 7; n++) {
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < 4; y++) {
          for (int x = 0; x < 5; x++) {
            nchw.set(nhwc.get(n, y, x, c), n, c, y, x);
          }
        }
      }
    }
    Tensor a = Visualize.visualizeGrid(nhwc, Layout.NHWC, 1.0, 2);
    Tensor b = Visualize.visualizeGrid(nchw, Layout.NCHW, 1.0, 2);
    // G = 3: Hg = 3*4 + 2*2 = 16, Wg = 3*5 + 2*2 = 19.
    assertArrayEquals(new int[] {16, 19, 3}, a.shape());
    assertArrayEquals(new int[] {3, 16, 19}, b.shape());
    double max = 0;
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < 16; y++) {
        for (int x = 0; x < 19; x++) {
          assertEquals(a.get(y, x, c), b.get(c, y, x));
          max = Math.max(max, b.get(c, y, x));
        }
      }
    }
    assertEquals(1.0, max, 1e-15, "ubound is each tile's maximum");
  }

  @Test
  void constantTileIsZeroNotNaNAndDtypeIsKept() {
    Tensor xs = Tensor.full(DType.FLOAT32, 4.0, 1, 1, 2, 2);
    Tensor grid = Visualize.visualizeGrid(xs, Layout.NCHW);
    assertEquals(DType.FLOAT32, grid.dtype());
    assertArrayEquals(new int[] {1, 2, 2}, grid.shape(), "one tile, no padding");
    for (int i = 0; i < 4; i++) {
      assertEquals(0.0, grid.getFlat(i));
    }
  }

  @Test
  void badInputsAreRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Visualize.visualizeGrid(Tensor.zeros(3, 4, 4), Layout.NCHW));
    assertTrue(e.getMessage().contains("(N, C, H, W)") && e.getMessage().contains("(3, 4, 4)"));
    assertThrows(
        IllegalArgumentException.class,
        () -> Visualize.visualizeGrid(Tensor.zeros(DType.INT32, 1, 1, 2, 2), Layout.NCHW));
    assertThrows(
        IllegalArgumentException.class,
        () -> Visualize.visualizeGrid(Tensor.zeros(1, 1, 2, 2), Layout.NCHW, 255, -1));
  }

  @Test
  void affineWeightColumnsBecomeChwImages() {
    int c = 3;
    int h = 2;
    int w = 4;
    Tensor weights = random(DType.FLOAT32, 2, c * h * w, 5);
    Tensor images = Visualize.affineWeightImages(weights, c, h, w);
    assertArrayEquals(new int[] {5, 3, 2, 4}, images.shape());
    assertEquals(DType.FLOAT32, images.dtype());
    for (int j = 0; j < 5; j++) {
      for (int ch = 0; ch < c; ch++) {
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            assertEquals(weights.get((ch * h + y) * w + x, j), images.get(j, ch, y, x));
          }
        }
      }
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Visualize.affineWeightImages(weights, 3, 3, 3));
    assertTrue(e.getMessage().contains("(24, 5)"), e.getMessage());
  }
}
