package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Sigmoid cross-entropy against PyTorch (fixtures/captioning.npz, "bce_*"), naive, errors. */
class SigmoidCrossEntropyTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("captioning");

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void matchesPyTorchIncludingHugeLogits(DType dtype) {
    String tag = dtype == DType.FLOAT64 ? "f64" : "f32";
    double tol = dtype == DType.FLOAT64 ? 1e-10 : 1e-5;
    Tensor x = Fixtures.get(FIX, "bce_x").to(dtype);
    Tensor y = Fixtures.get(FIX, "bce_y").to(dtype);
    Losses.Loss l = SigmoidCrossEntropy.sigmoidCrossEntropyLoss(x, y);
    Golden.assertClose("loss", l.loss(), Fixtures.get(FIX, "bce_" + tag + "_loss").item(), tol);
    Golden.assertClose("dx", l.dx(), Fixtures.get(FIX, "bce_" + tag + "_dx").to(dtype), tol);
  }

  /** The textbook formula with explicit logs of the sigmoid, on moderate logits. */
  @Test
  void agreesWithTheNaiveFormula() {
    double[] xs = {-3, -0.5, 0, 0.7, 4, 1.5};
    double[] ys = {0, 1, 0.3, 1, 0, 0.5};
    Tensor x = Tensor.of(xs, 2, 3);
    Tensor y = Tensor.of(ys, 2, 3);
    double naive = 0;
    for (int i = 0; i < 6; i++) {
      double s = 1 / (1 + Math.exp(-xs[i]));
      naive -= ys[i] * Math.log(s) + (1 - ys[i]) * Math.log(1 - s);
      double d = SigmoidCrossEntropy.sigmoidCrossEntropyLoss(x, y).dx().getFlat(i);
      assertEquals((s - ys[i]) / 2, d, 1e-15);
    }
    assertEquals(naive / 2, SigmoidCrossEntropy.sigmoidCrossEntropyLoss(x, y).loss(), 1e-14);
  }

  @Test
  void badInputsAreRejected() {
    Tensor x = Tensor.zeros(DType.FLOAT64, 2, 3);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SigmoidCrossEntropy.sigmoidCrossEntropyLoss(x, Tensor.zeros(DType.FLOAT64, 3, 2)));
    assertTrue(
        e.getMessage()
            .contains("expected x (N, C) and y of the same shape, got x (2, 3) and y (3, 2)"),
        e.getMessage());
    Tensor y = Tensor.zeros(DType.FLOAT64, 2, 3);
    y.set(1.5, 1, 2);
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SigmoidCrossEntropy.sigmoidCrossEntropyLoss(x, y));
    assertTrue(e.getMessage().contains("target 1.5 at (1, 2) is outside [0, 1]"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SigmoidCrossEntropy.sigmoidCrossEntropyLoss(Tensor.zeros(DType.INT32, 2, 3), y));
    assertTrue(e.getMessage().contains("expected x float32 or float64"), e.getMessage());
  }
}
