package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Loads the real Fashion-MNIST installed by Debian's dataset-fashion-mnist package. The expected
 * values were computed independently with Python's gzip and NumPy on the same files.
 */
class FashionMnistTest {
  private static final Path DIR = Path.of("/usr/share/datasets/fashion-mnist");

  @Test
  void loadsTheInstalledDataset() throws IOException {
    assumeTrue(
        Files.isDirectory(DIR),
        DIR + " is absent: install Debian's dataset-fashion-mnist to run this test");
    Dataset d = Mnist.loadFashion(DIR);
    assertEquals(60_000, d.train().size());
    assertEquals(10_000, d.test().size());
    assertArrayEquals(new int[] {60_000, 1, 28, 28}, d.train().x().shape());
    assertArrayEquals(new int[] {10_000, 1, 28, 28}, d.test().x().shape());
    int[] sixThousand = new int[10];
    java.util.Arrays.fill(sixThousand, 6000);
    assertArrayEquals(sixThousand, d.train().classCounts());
    int[] thousand = new int[10];
    java.util.Arrays.fill(thousand, 1000);
    assertArrayEquals(thousand, d.test().classCounts());
    assertEquals("Ankle boot", d.classNames().get(d.train().y()[0]));
    assertArrayEquals(
        new int[] {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, java.util.Arrays.copyOf(d.train().y(), 10));
    assertArrayEquals(
        new int[] {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, java.util.Arrays.copyOf(d.test().y(), 10));
    Tensor x = d.train().x();
    assertEquals(217 / 255f, (float) x.get(0, 0, 14, 14), 0f);
    assertEquals(76247, Math.round(255 * sum(x, 0)));
    assertEquals(16684, Math.round(255 * sum(x, 59_999)));
    assertEquals(33456, Math.round(255 * sum(d.test().x(), 0)));
    // Known statistics of the training images (mean 0.2860, std 0.3530), from exact byte / 255
    // in NumPy; ours read float32 pixels, each within 2^-25 (3e-8) of byte / 255.
    Preprocess.ChannelStats s = Preprocess.fitChannelStats(x);
    assertEquals(0.2860405969887955, s.mean()[0], 3e-8);
    assertEquals(0.35302424451492237, s.std()[0], 3e-8);
  }

  private static double sum(Tensor x, int image) {
    float[] a = x.floatStorage();
    double s = 0;
    for (int i = image * 784; i < (image + 1) * 784; i++) {
      s += a[i];
    }
    return s;
  }
}
