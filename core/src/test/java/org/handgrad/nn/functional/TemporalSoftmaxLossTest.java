package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.SeqTesting.assertClose;
import static org.handgrad.nn.functional.SeqTesting.assertRejects;
import static org.handgrad.nn.functional.SeqTesting.dtype;
import static org.handgrad.nn.functional.SeqTesting.expected;
import static org.handgrad.nn.functional.SeqTesting.input;
import static org.handgrad.nn.functional.SeqTesting.tol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TemporalSoftmaxLossTest {
  /**
   * F.cross_entropy(reduction='sum', ignore_index=-100) / N. The fixture's y holds -100 at masked
   * positions (never read) and one score is 800 above the rest (max-subtraction keeps exp finite).
   */
  @ParameterizedTest
  @CsvSource({"f64", "f32"})
  void matchesPyTorchCrossEntropySumOverN(String dt) {
    DType d = dtype(dt);
    Tensor mask = input("softmax", "mask", d);
    TemporalSoftmaxLoss.Loss l =
        TemporalSoftmaxLoss.temporalSoftmaxLoss(
            input("softmax", "x", d), input("softmax", "y", d), mask);
    double expectedLoss = expected("softmax", d, "loss").item();
    assertEquals(expectedLoss, l.loss(), tol(d) * Math.abs(expectedLoss));
    assertClose(expected("softmax", d, "dx"), l.dx(), tol(d), "dx");
  }

  /** The convention difference: PyTorch's default mean divides by the unmasked token count. */
  @Test
  void differsFromPyTorchMeanByTokensPerSequence() {
    Tensor mask = input("softmax", "mask", DType.FLOAT64);
    Tensor x = input("softmax", "x", DType.FLOAT64);
    int n = x.shape(0);
    int tokens = 0;
    for (int i = 0; i < mask.size(); i++) {
      tokens += (int) mask.getFlat(i);
    }
    double ours =
        TemporalSoftmaxLoss.temporalSoftmaxLoss(x, input("softmax", "y", DType.FLOAT64), mask)
            .loss();
    double torchMean = expected("softmax", DType.FLOAT64, "torch_mean_loss").item();
    assertTrue(tokens != n, "the fixture must tell the two conventions apart");
    assertEquals(torchMean, ours * n / tokens, 1e-12 * torchMean);
  }

  @Test
  void uniformScoresGiveLogVPerCountedToken() {
    int v = 10;
    Tensor x = Tensor.zeros(DType.FLOAT32, 2, 3, v);
    Tensor y = Tensor.of(new int[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Tensor mask = Tensor.of(new double[] {1, 1, 0, 1, 0, 0}, 2, 3);
    TemporalSoftmaxLoss.Loss l = TemporalSoftmaxLoss.temporalSoftmaxLoss(x, y, mask);
    assertEquals(3 * Math.log(v) / 2, l.loss(), 1e-12);
    assertEquals(DType.FLOAT32, l.dx().dtype());
    assertEquals(0.0, l.dx().get(0, 2, 3), 0.0, "masked rows get no gradient");
    assertEquals((0.1 - 1) / 2, l.dx().get(0, 0, 1), 1e-7);
  }

  @Test
  void rejectsBadMasksTargetsAndShapes() {
    Tensor x = Tensor.zeros(DType.FLOAT64, 2, 2, 4);
    Tensor y = Tensor.of(new int[] {0, 1, 2, 3}, 2, 2);
    assertRejects(
        () ->
            TemporalSoftmaxLoss.temporalSoftmaxLoss(
                x, y, Tensor.of(new double[] {1, 0.5, 1, 1}, 2, 2)),
        "temporalSoftmaxLoss",
        "mask must hold 0 or 1, got 0.5 at (0, 1)");
    assertRejects(
        () ->
            TemporalSoftmaxLoss.temporalSoftmaxLoss(
                x, Tensor.of(new int[] {0, 1, 4, 3}, 2, 2), Tensor.ones(DType.INT32, 2, 2)),
        "target 4 at (1, 0) is outside [0, V) with V = 4");
    assertRejects(
        () -> TemporalSoftmaxLoss.temporalSoftmaxLoss(x, y, Tensor.ones(DType.INT32, 2, 3)),
        "expected mask (N, T) = (2, 2), got (2, 3)");
    assertRejects(
        () -> TemporalSoftmaxLoss.temporalSoftmaxLoss(x, y.to(DType.FLOAT64), y),
        "expected y int32 (N, T) = (2, 2), got float64 (2, 2)");
    // A masked-out target is never read, whatever its value.
    TemporalSoftmaxLoss.temporalSoftmaxLoss(
        x, Tensor.of(new int[] {0, -100, 2, 3}, 2, 2), Tensor.of(new int[] {1, 0, 1, 1}, 2, 2));
  }
}
