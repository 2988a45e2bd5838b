package org.handgrad.models.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class EmaTest {
  @Test
  void averagesByTheRecurrence() {
    Parameter p = new Parameter("w", Tensor.of(new double[] {1, 2}, 2));
    Ema ema = new Ema(List.of(p), 0.9);
    p.assign(Tensor.of(new double[] {11, 2}, 2));
    ema.update(List.of(p));
    // 0.9 * 1 + 0.1 * 11 = 2; 0.9 * 2 + 0.1 * 2 = 2
    assertArrayEquals(new double[] {2, 2}, ema.shadow().get("w").toDoubleArray(), 1e-15);
    ema.update(List.of(p));
    assertArrayEquals(new double[] {2.9, 2}, ema.shadow().get("w").toDoubleArray(), 1e-14);
    ema.copyTo(List.of(p));
    assertArrayEquals(new double[] {2.9, 2}, p.value().toDoubleArray(), 1e-14);
  }

  @Test
  void float32IsRoundedOnceFromDouble() {
    Parameter p = new Parameter("w", Tensor.of(new float[] {0f}, 1));
    Ema ema = new Ema(List.of(p), 0.999);
    p.assign(Tensor.of(new float[] {1f}, 1));
    ema.update(List.of(p));
    assertEquals((float) (0.001), ema.shadow().get("w").toFloatArray()[0]);
  }

  @Test
  void loadRestoresAndChecks() {
    Parameter p = new Parameter("w", Tensor.of(new double[] {1, 2}, 2));
    Ema ema = new Ema(List.of(p), 0.5);
    ema.load(Map.of("w", Tensor.of(new double[] {5, 6}, 2)));
    assertArrayEquals(new double[] {5, 6}, ema.shadow().get("w").toDoubleArray());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ema.load(Map.of("w", Tensor.of(new double[] {5, 6, 7}, 3))));
    assertTrue(e.getMessage().contains("(3,)"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> ema.load(Map.of("v", Tensor.zeros(DType.FLOAT64, 2))));
    assertThrows(IllegalArgumentException.class, () -> new Ema(List.of(p), 1.0));
  }
}
