package org.handgrad.nn.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class WeightInitTest {
  private static double maxAbs(Tensor t) {
    double m = 0;
    for (int i = 0; i < t.size(); i++) {
      m = Math.max(m, Math.abs(t.getFlat(i)));
    }
    return m;
  }

  private static double std(Tensor t) {
    double s = 0;
    for (int i = 0; i < t.size(); i++) {
      s += t.getFlat(i) * t.getFlat(i);
    }
    return Math.sqrt(s / t.size());
  }

  @Test
  void pytorchDefaultIsUniformWithinOneOverSqrtFanIn() {
    int[] shape = {64, 10, 3, 3}; // conv: fan_in = 10 * 9 = 90
    Tensor w = WeightInit.pytorch().weight(Init.rng(1), DType.FLOAT64, shape);
    Tensor b = WeightInit.pytorch().bias(Init.rng(2), DType.FLOAT64, shape, 64);
    double bound = 1 / Math.sqrt(90);
    assertTrue(maxAbs(w) <= bound && maxAbs(b) <= bound);
    assertTrue(maxAbs(w) > 0.95 * bound, "fills the interval");
    // A uniform on [-a, a] has std a / sqrt 3.
    assertEquals(bound / Math.sqrt(3), std(w), 0.03 * bound);
    // Our affine layout (D, M) = (in, out): fan_in is dimension 0.
    Tensor fc = WeightInit.pytorch().weight(Init.rng(3), DType.FLOAT32, 400, 5);
    assertEquals(DType.FLOAT32, fc.dtype());
    assertTrue(maxAbs(fc) <= 1 / Math.sqrt(400));
  }

  @Test
  void cs231nNormalKaimingAndXavierHaveZeroBiases() {
    Tensor w = WeightInit.normal(1e-2).weight(Init.rng(4), DType.FLOAT64, 300, 100);
    assertEquals(1e-2, std(w), 1e-4);
    Tensor k = WeightInit.kaiming().weight(Init.rng(5), DType.FLOAT64, 200, 150);
    assertEquals(Math.sqrt(2.0 / 200), std(k), 0.02 * Math.sqrt(2.0 / 200));
    Tensor x = WeightInit.xavier().weight(Init.rng(6), DType.FLOAT64, 200, 100);
    assertTrue(maxAbs(x) <= Math.sqrt(6.0 / 300));
    for (WeightInit init :
        new WeightInit[] {WeightInit.normal(0.1), WeightInit.kaiming(), WeightInit.xavier()}) {
      assertEquals(0, maxAbs(init.bias(Init.rng(7), DType.FLOAT64, new int[] {3, 4}, 4)));
    }
    assertThrows(IllegalArgumentException.class, () -> WeightInit.normal(-1));
    assertThrows(IllegalArgumentException.class, () -> WeightInit.normal(Double.NaN));
  }
}
