package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Preprocessing and augmentation against PyTorch (scripts/fixtures/data.py). Error measure: max|a -
 * b| / max|b|, honest near zero; 1e-10 at float64, 1e-5 at float32.
 */
class DataFixtureTest {
  private static final Map<String, Tensor> F = Fixtures.load("data");

  private static void close(String what, Tensor expected, Tensor actual, double tol) {
    assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
    assertEquals(expected.dtype(), actual.dtype(), what + " dtype");
    double[] e = expected.toDoubleArray();
    double[] a = actual.toDoubleArray();
    double maxDiff = 0;
    double maxRef = 0;
    for (int i = 0; i < e.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(e[i] - a[i]));
      maxRef = Math.max(maxRef, Math.abs(e[i]));
    }
    double rel = maxDiff / maxRef;
    assertTrue(rel < tol, what + ": relative error " + rel + " >= " + tol);
  }

  @ParameterizedTest
  @ValueSource(strings = {"64", "32"})
  void matchesPyTorch(String bits) {
    double tol = bits.equals("64") ? 1e-10 : 1e-5;
    Tensor x = F.get("x" + bits);
    Tensor xVal = F.get("x_val" + bits);
    assertEquals(bits.equals("64") ? DType.FLOAT64 : DType.FLOAT32, x.dtype());

    Tensor mean = Preprocess.meanImage(x);
    close("mean_image", F.get("mean_image" + bits), mean, tol);
    close("train_centred", F.get("train_centred" + bits), Preprocess.subtractMean(x, mean), tol);
    close("val_centred", F.get("val_centred" + bits), Preprocess.subtractMean(xVal, mean), tol);

    Preprocess.ChannelStats s = Preprocess.fitChannelStats(x);
    close("ch_mean", F.get("ch_mean" + bits), Tensor.vector(s.mean()), 1e-12);
    close("ch_std", F.get("ch_std" + bits), Tensor.vector(s.std()), 1e-12);
    close("normalized", F.get("normalized" + bits), Preprocess.normalize(xVal, s), tol);

    Tensor bias = Preprocess.appendBias(Preprocess.flatten(x));
    close("bias", F.get("bias" + bits), bias, tol);
    close("flipped", F.get("flipped" + bits), Augment.hflip(x), tol);
    int[] dy = F.get("dy").toIntArray();
    int[] dx = F.get("dx").toIntArray();
    close("cropped", F.get("cropped" + bits), Augment.crop(x, 2, dy, dx), tol);
    // The split record accepts the fixture as images with any labels.
    assertEquals(x.shape(0), new Split(x, new int[x.shape(0)], List.of("a")).size());
  }
}
