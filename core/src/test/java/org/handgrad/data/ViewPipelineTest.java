package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;

class ViewPipelineTest {
  private static Tensor images(int n, int c, int h, int w, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Tensor x = Tensor.zeros(DType.FLOAT64, n, c, h, w);
    for (int i = 0; i < x.size(); i++) {
      x.setFlat(i, r.nextDouble());
    }
    return x;
  }

  @Test
  void sameSeedSameViewsAndFloat32MatchesFloat64() {
    ViewPipeline p = ViewPipeline.simclr(12, 0.08).withBlur();
    Tensor x = images(6, 3, 16, 16, 1);
    Tensor a = p.twoViews(x, new SplittableRandom(7));
    Tensor b = p.twoViews(x, new SplittableRandom(7));
    Tensor c = p.twoViews(x, new SplittableRandom(8));
    assertArrayEquals(new int[] {12, 3, 12, 12}, a.shape());
    assertArrayEquals(a.toDoubleArray(), b.toDoubleArray(), "same seed");
    assertTrue(Golden.relDiff(a, c) > 1e-3, "another seed gives other views");
    Tensor a32 = p.twoViews(x.to(DType.FLOAT32), new SplittableRandom(7));
    assertEquals(DType.FLOAT32, a32.dtype());
    Golden.assertClose("float32", a32.to(DType.FLOAT64), a, 1e-6);
  }

  @Test
  void applyFollowsTheDocumentedSteps() {
    // One 3-channel image, fixed parameters: crop = whole image, flip, brightness then hue, gray.
    ViewPipeline p = ViewPipeline.simclr(5, 0.08);
    Tensor x = images(1, 3, 5, 5, 2);
    ViewPipeline.Params params =
        new ViewPipeline.Params(
            new ResizedCrop.Box(0, 0, 5, 5),
            true,
            new ViewPipeline.Jitter[] {ViewPipeline.Jitter.BRIGHTNESS, ViewPipeline.Jitter.HUE},
            new double[] {0.7, 1, 1, 0.2},
            false,
            0);
    Tensor expected =
        ColorJitter.adjustHue(
            ColorJitter.adjustBrightness(Augment.hflip(x), new double[] {0.7}), new double[] {0.2});
    Golden.assertClose("steps", p.apply(x, new ViewPipeline.Params[] {params}), expected, 1e-15);
  }

  @Test
  void drawsHaveTheConfiguredStatistics() {
    ViewPipeline p = ViewPipeline.simclr(8, 0.08).withBlur();
    int n = 20000;
    ViewPipeline.Params[] ps = p.sample(n, 28, 28, new SplittableRandom(11));
    int flips = 0;
    int jitters = 0;
    int grays = 0;
    int blurs = 0;
    Set<String> orders = new HashSet<>();
    int brightnessFirst = 0;
    for (ViewPipeline.Params q : ps) {
      flips += q.flip() ? 1 : 0;
      grays += q.gray() ? 1 : 0;
      if (q.sigma() > 0) {
        blurs++;
        assertTrue(q.sigma() >= 0.1 && q.sigma() <= 2.0);
      }
      if (q.order().length > 0) {
        jitters++;
        orders.add(Arrays.toString(q.order()));
        brightnessFirst += q.order()[0] == ViewPipeline.Jitter.BRIGHTNESS ? 1 : 0;
        assertTrue(q.factors()[0] >= 0.6 && q.factors()[0] <= 1.4);
        assertTrue(q.factors()[3] >= -0.1 && q.factors()[3] <= 0.1);
      }
      double area = (double) q.box().height() * q.box().width() / (28 * 28);
      assertTrue(area <= 1.0 && area >= 0.05, "area " + area);
    }
    // Binomial standard deviations are below 0.004 at n = 20000: 0.02 is five of them.
    assertEquals(0.5, flips / (double) n, 0.02);
    assertEquals(0.8, jitters / (double) n, 0.02);
    assertEquals(0.2, grays / (double) n, 0.02);
    assertEquals(0.5, blurs / (double) n, 0.02);
    assertEquals(24, orders.size(), "every order of the four adjustments occurs");
    assertEquals(0.25, brightnessFirst / (double) jitters, 0.02);
  }

  @Test
  void grayscaleImagesKeepOneChannelAndStayInRange() {
    ViewPipeline p = ViewPipeline.simclr(10, 0.2);
    Tensor v = p.twoViews(images(4, 1, 14, 14, 3), new SplittableRandom(5));
    assertArrayEquals(new int[] {8, 1, 10, 10}, v.shape());
    assertTrue(v.min().item() >= 0 && v.max().item() <= 1);
    assertFalse(Double.isNaN(v.sum().item()));
  }

  @Test
  void badConfigurationGetsAClearError() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ViewPipeline.simclr(8, 0.0));
    assertEquals("ViewPipeline: need 0 < minScale <= maxScale <= 1, got 0.0, 1.0", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ViewPipeline.simclr(8, 0.2)
                    .apply(images(2, 3, 8, 8, 1), new ViewPipeline.Params[1]));
    assertEquals("ViewPipeline.apply: expected 2 params for x (2, 3, 8, 8), got 1", e.getMessage());
  }
}
