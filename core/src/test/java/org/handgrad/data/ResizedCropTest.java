package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Random resized crops against PyTorch's bilinear resize (scripts/fixtures/resized_crop.py). */
class ResizedCropTest {
  private static final Map<String, Tensor> F = Fixtures.load("resized_crop");

  private static ResizedCrop.Box[] fixtureBoxes() {
    int[] b = F.get("boxes").toIntArray();
    ResizedCrop.Box[] boxes = new ResizedCrop.Box[b.length / 4];
    for (int i = 0; i < boxes.length; i++) {
      boxes[i] = new ResizedCrop.Box(b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]);
    }
    return boxes;
  }

  @ParameterizedTest
  @ValueSource(strings = {"64", "32"})
  void cropMatchesPyTorchInterpolate(String bits) {
    Tensor x = F.get("x" + bits);
    Tensor expected = F.get("out" + bits);
    Tensor out = ResizedCrop.crop(x, fixtureBoxes(), expected.shape(2), expected.shape(3));
    assertArrayEquals(expected.shape(), out.shape());
    assertEquals(x.dtype(), out.dtype());
    double[] e = expected.toDoubleArray();
    double[] a = out.toDoubleArray();
    double tol = bits.equals("64") ? 1e-12 : 1e-6;
    for (int i = 0; i < e.length; i++) {
      assertEquals(e[i], a[i], tol, "element " + i);
    }
  }

  @Test
  void wholeImageAtItsOwnSizeIsTheIdentity() {
    Tensor x = F.get("x64");
    ResizedCrop.Box[] whole = new ResizedCrop.Box[x.shape(0)];
    java.util.Arrays.fill(whole, new ResizedCrop.Box(0, 0, x.shape(2), x.shape(3)));
    assertArrayEquals(
        x.toDoubleArray(), ResizedCrop.crop(x, whole, x.shape(2), x.shape(3)).toDoubleArray());
  }

  @Test
  void sampledBoxesFollowTheScaleAndRatioRanges() {
    SplittableRandom rng = new SplittableRandom(7);
    double minArea = 1;
    double maxArea = 0;
    for (int i = 0; i < 2000; i++) {
      ResizedCrop.Box b = ResizedCrop.sample(28, 28, 0.2, 1.0, 3.0 / 4, 4.0 / 3, rng);
      assertTrue(b.top() >= 0 && b.left() >= 0, b.toString());
      assertTrue(b.top() + b.height() <= 28 && b.left() + b.width() <= 28, b.toString());
      double ratio = (double) b.width() / b.height();
      // Rounding each side to whole pixels moves the ratio a little outside [3/4, 4/3].
      assertTrue(ratio > 0.6 && ratio < 1.7, "ratio " + ratio + " of " + b);
      double area = b.width() * b.height() / (28.0 * 28.0);
      minArea = Math.min(minArea, area);
      maxArea = Math.max(maxArea, area);
    }
    assertTrue(minArea < 0.25 && minArea > 0.15, "smallest area fraction " + minArea);
    assertTrue(maxArea > 0.9, "largest area fraction " + maxArea);
  }

  @Test
  void impossibleRatioFallsBackToTheCentredClampedBox() {
    // A 4:1 box of at least the whole area cannot fit in a square: torchvision's fallback keeps the
    // full width and narrows the height to width / 2 (the nearest allowed ratio), centred.
    ResizedCrop.Box b = ResizedCrop.sample(20, 20, 1.0, 1.0, 2.0, 4.0, new SplittableRandom(1));
    assertEquals(new ResizedCrop.Box(5, 0, 10, 20), b);
  }

  @Test
  void sameSeedSameCrops() {
    Tensor x = F.get("x32");
    Tensor a = ResizedCrop.random(x, 5, 5, 0.08, 1, 0.75, 4.0 / 3, new SplittableRandom(3));
    Tensor b = ResizedCrop.random(x, 5, 5, 0.08, 1, 0.75, 4.0 / 3, new SplittableRandom(3));
    Tensor c = ResizedCrop.random(x, 5, 5, 0.08, 1, 0.75, 4.0 / 3, new SplittableRandom(4));
    assertEquals(DType.FLOAT32, a.dtype());
    assertArrayEquals(a.toDoubleArray(), b.toDoubleArray());
    assertTrue(!java.util.Arrays.equals(a.toDoubleArray(), c.toDoubleArray()));
  }

  @Test
  void badInputIsRefusedWithTheReason() {
    Tensor x = F.get("x64");
    SplittableRandom rng = new SplittableRandom(0);
    IllegalArgumentException scale =
        assertThrows(
            IllegalArgumentException.class, () -> ResizedCrop.sample(8, 8, 0, 1, 1, 1, rng));
    assertTrue(scale.getMessage().contains("scale"), scale.getMessage());
    IllegalArgumentException ratio =
        assertThrows(
            IllegalArgumentException.class, () -> ResizedCrop.sample(8, 8, 0.5, 1, 2, 1, rng));
    assertTrue(ratio.getMessage().contains("ratio"), ratio.getMessage());
    ResizedCrop.Box[] outside = fixtureBoxes();
    outside[1] = new ResizedCrop.Box(1, 0, 9, 11);
    IllegalArgumentException box =
        assertThrows(IllegalArgumentException.class, () -> ResizedCrop.crop(x, outside, 4, 4));
    assertTrue(box.getMessage().contains("image 1"), box.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> ResizedCrop.crop(x, new ResizedCrop.Box[1], 4, 4));
  }
}
