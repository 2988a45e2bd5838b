package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.PoolParam;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.MaxPool2d;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flatten-mismatch lab's quick form (the error message, the derived D, the silent channels-last
 * flatten), the output-size formula against real layers, and the two reshaping modules' backward
 * passes.
 */
class FlattenMismatchLabTest {
  @TempDir Path tmp;

  @Test
  void wrongDFailsWithANamedMessageDerivedDTrainsChannelsLastIsSilent() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "flatten-mismatch", true);
    assertEquals(1568, num(o, "derived_d"));
    String forgot = (String) o.summary().numbers().get("forgot_pool_message");
    assertTrue(forgot.startsWith("Linear 'fc' (in=6272, out=10)"), forgot);
    assertTrue(forgot.contains("(64, 8, 14, 14)") && forgot.contains("(6272, 10)"), forgot);
    assertTrue(forgot.contains("in=1568"), forgot);
    assertTrue(num(o, "last_loss") < 0.75 * num(o, "first_loss"), "the fixed net learns");
    assertTrue(num(o, "ported_val_acc") < num(o, "channels_first_val_acc") - 0.2);
    assertTrue(
        Math.abs(num(o, "channels_last_trained_val_acc") - num(o, "channels_first_val_acc"))
            < 0.05);
  }

  @Test
  void outputSizeFormulaMatchesTheLayers() {
    int[][] convs = {{28, 3, 1, 1}, {7, 3, 0, 2}, {32, 5, 2, 1}, {13, 1, 0, 3}, {11, 3, 1, 2}};
    for (int[] c : convs) {
      int h = c[0];
      Conv2d conv = new Conv2d(2, 4, c[1], new ConvParam(c[3], c[2]), DType.FLOAT64, Init.rng(1));
      Tensor x = Tensor.zeros(DType.FLOAT64, 1, 2, h, h + c[3]);
      int[] out = conv.forward(x).shape();
      assertEquals(FlattenMismatchLab.outputSize(h, c[1], c[2], c[3]), out[2], "H " + h);
      assertEquals(FlattenMismatchLab.outputSize(h + c[3], c[1], c[2], c[3]), out[3], "W");
    }
    MaxPool2d pool = new MaxPool2d(new PoolParam(3, 3, 2));
    int[] out = pool.forward(Tensor.zeros(DType.FLOAT64, 1, 1, 9, 13)).shape();
    assertEquals(FlattenMismatchLab.outputSize(9, 3, 0, 2), out[2]);
    assertEquals(FlattenMismatchLab.outputSize(13, 3, 0, 2), out[3]);
    // A stride that does not tile the input is an error, as in the layers.
    assertThrows(IllegalArgumentException.class, () -> FlattenMismatchLab.outputSize(28, 3, 0, 2));
    assertThrows(IllegalArgumentException.class, () -> FlattenMismatchLab.outputSize(2, 5, 1, 1));
  }

  @Test
  void reshapingModulesPassGradientsBackThroughTheSamePermutation() {
    // For a permutation P, backward must be P^T: <P x, g> = <x, P^T g> for any x and g.
    int n = 2;
    int c = 3;
    int h = 2;
    int w = 4;
    Tensor x = Init.normal(Init.rng(5), DType.FLOAT64, 1.0, n, c, h, w);
    Tensor g = Init.normal(Init.rng(6), DType.FLOAT64, 1.0, n, c * h * w);
    FlattenMismatchLab.ChannelsLastFlatten flat = new FlattenMismatchLab.ChannelsLastFlatten();
    Tensor y = flat.forward(x);
    assertArrayEquals(new int[] {n, h * w * c}, y.shape());
    // Feature (h*W + w)*C + c of example 0 is x[0, c, h, w].
    assertEquals(x.get(0, 2, 1, 3), y.get(0, (1 * w + 3) * c + 2));
    Tensor dx = flat.backward(g);
    assertArrayEquals(x.shape(), dx.shape());
    assertEquals(dot(y, g), dot(x, dx), 1e-12);

    FlattenMismatchLab.Unflatten unflat = new FlattenMismatchLab.Unflatten(c, h, w);
    Tensor rows = x.reshape(n, -1);
    Tensor images = unflat.forward(rows);
    assertArrayEquals(x.toDoubleArray(), images.toDoubleArray());
    Tensor drows = unflat.backward(x);
    assertArrayEquals(new int[] {n, c * h * w}, drows.shape());
    assertFalse(FlattenMismatchLab.messageNames(null, "(1, 2)", "(3, 4)", 5));
  }

  private static double dot(Tensor a, Tensor b) {
    double[] u = a.toDoubleArray();
    double[] v = b.toDoubleArray();
    double s = 0;
    for (int i = 0; i < u.length; i++) {
      s += u[i] * v[i];
    }
    return s;
  }
}
