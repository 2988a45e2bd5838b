package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.TestData.assertMessage;
import static org.handgrad.nn.functional.TestData.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.checks.DenseChecks;
import org.handgrad.nn.functional.Dropout.DropoutParam;
import org.handgrad.nn.functional.Dropout.Mode;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DropoutTest {
  /**
   * On x = ones of n = 200,000 elements the kept fraction is Binomial(n, p) / n with standard
   * deviation sqrt(p (1 - p) / n) <= 0.0011; the bound is 5 of those (the mask is seeded, so this
   * is a fixed check that a wrong keep/drop convention, e.g. p as the drop rate, cannot pass).
   */
  @ParameterizedTest
  @ValueSource(doubles = {0.25, 0.5, 0.9})
  void keepsAFractionPAndPreservesTheMean(double p) {
    int n = 200_000;
    Tensor x = Tensor.ones(DType.FLOAT64, 400, 500);
    Tensor out = Dropout.dropoutForward(x, DropoutParam.train(p, 3)).out();
    int kept = 0;
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double v = out.getFlat(i);
      assertTrue(v == 0 || v == 1 / p, "kept values are scaled by 1/p: " + v);
      kept += v != 0 ? 1 : 0;
      sum += v;
    }
    double sd = Math.sqrt(p * (1 - p) / n);
    assertEquals(p, (double) kept / n, 5 * sd, "kept fraction");
    assertEquals(1.0, sum / n, 5 * sd / p, "mean is preserved (inverted dropout)");
  }

  @Test
  void testModeIsTheIdentity() {
    Tensor x = randn(new SplittableRandom(1), 3, 4);
    Forward<Dropout.Cache> f = Dropout.dropoutForward(x, DropoutParam.test(0.5));
    assertArrayEquals(x.toDoubleArray(), f.out().toDoubleArray(), 0.0);
    assertNotSame(x, f.out());
    assertNull(f.cache().mask());
    Tensor dout = randn(new SplittableRandom(2), 3, 4);
    assertArrayEquals(
        dout.toDoubleArray(), Dropout.dropoutBackward(dout, f.cache()).toDoubleArray(), 0.0);
  }

  @Test
  void seedDeterminesTheMask() {
    Tensor x = Tensor.ones(DType.FLOAT32, 50, 40);
    double[] a = Dropout.dropoutForward(x, DropoutParam.train(0.5, 7)).out().toDoubleArray();
    double[] b = Dropout.dropoutForward(x, DropoutParam.train(0.5, 7)).out().toDoubleArray();
    double[] c = Dropout.dropoutForward(x, DropoutParam.train(0.5, 8)).out().toDoubleArray();
    assertArrayEquals(a, b, 0.0);
    assertFalse(Arrays.equals(a, c));
  }

  @Test
  void backwardMultipliesByTheSameMask() {
    Tensor x = randn(new SplittableRandom(4), 6, 7).to(DType.FLOAT32);
    Forward<Dropout.Cache> f = Dropout.dropoutForward(x, DropoutParam.train(0.8, 5));
    Tensor dout = Tensor.full(DType.FLOAT32, 2.0, 6, 7);
    Tensor dx = Dropout.dropoutBackward(dout, f.cache());
    assertEquals(DType.FLOAT32, f.out().dtype());
    assertEquals(DType.FLOAT32, dx.dtype());
    for (int i = 0; i < x.size(); i++) {
      float mask = (float) f.cache().mask().getFlat(i);
      assertEquals(x.getFlat(i) * mask, f.out().getFlat(i), 1e-6);
      assertEquals(2.0f * mask, dx.getFlat(i), 0.0);
    }
  }

  @Test
  void gradientPassesTheNumericalCheck() {
    for (GradCheckResult r : DenseChecks.checks().get("dropout").get()) {
      assertTrue(r.passed(), r.toString());
    }
  }

  @Test
  void rejectsBadParameters() {
    assertMessage(
        "dropout: keep probability p must be in (0, 1], got 0.0 (p is the KEEP probability, as in"
            + " CS231n; PyTorch's p is the drop probability)",
        () -> DropoutParam.train(0.0, 1));
    assertThrows(IllegalArgumentException.class, () -> DropoutParam.train(1.5, 1));
    assertThrows(IllegalArgumentException.class, () -> DropoutParam.train(Double.NaN, 1));
    assertThrows(NullPointerException.class, () -> new DropoutParam(0.5, null, 1));
    Forward<Dropout.Cache> f =
        Dropout.dropoutForward(
            Tensor.zeros(DType.FLOAT64, 2, 3), new DropoutParam(0.5, Mode.TRAIN, 1));
    // (keep 0.5: at keep 1 dropout is the identity and keeps no mask to compare with)
    assertMessage(
        "dropout_backward: dout (3, 2) does not match mask (2, 3)",
        () -> Dropout.dropoutBackward(Tensor.zeros(DType.FLOAT64, 3, 2), f.cache()));
    assertMessage(
        "dropout: expected x float32 or float64, got int32",
        () -> Dropout.dropoutForward(Tensor.zeros(DType.INT32, 2), DropoutParam.test(0.5)));
  }
}
