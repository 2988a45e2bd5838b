package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.TestData.assertMessage;
import static org.handgrad.testing.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.checks.DenseChecks;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SoftmaxTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("softmax");

  static Stream<Arguments> goldenCases() {
    return Stream.of("rows", "causal", "wide")
        .flatMap(c -> Stream.of(Arguments.of(c, "f64", 1e-12), Arguments.of(c, "f32", 2e-6)));
  }

  /** Against PyTorch's F.softmax(x, dim=-1) and its autograd (scripts/fixtures/softmax.py). */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("goldenCases")
  void matchesPyTorch(String c, String dt, double tol) {
    Tensor x = get(FIX, c + "_x_" + dt);
    Forward<Softmax.Cache> f = Softmax.softmaxForward(x);
    Tensor dx = Softmax.softmaxBackward(get(FIX, c + "_dout_" + dt), f.cache());
    Golden.assertClose(c + " out", f.out(), get(FIX, c + "_out_" + dt), tol);
    Golden.assertClose(c + " dx", dx, get(FIX, c + "_dx_" + dt), tol);
  }

  @Test
  void gradientPassesTheNumericalCheck() {
    for (GradCheckResult r : DenseChecks.checks().get("softmax").get()) {
      assertTrue(r.passed(), r.toString());
    }
  }

  /**
   * A 4-d (N, H, T, S) input with a causal mask, checked numerically through its finite entries.
   */
  @Test
  void maskedFourDimensionalGradientPassesTheNumericalCheck() {
    SplittableRandom rng = new SplittableRandom(9);
    Tensor x = TestData.randn(rng, 2, 2, 3, 3);
    for (int n = 0; n < 2; n++) {
      for (int h = 0; h < 2; h++) {
        for (int t = 0; t < 3; t++) {
          for (int s = t + 1; s < 3; s++) {
            x.set(Double.NEGATIVE_INFINITY, n, h, t, s);
          }
        }
      }
    }
    Tensor dout = TestData.randn(rng, 2, 2, 3, 3);
    Tensor dx = Softmax.softmaxBackward(dout, Softmax.softmaxForward(x).cache());
    Tensor numeric =
        GradCheck.evalNumericalGradientArray(
            v -> Softmax.softmaxForward(v).out(), x, dout, GradCheck.DEFAULT_H);
    // A masked entry stays -inf under +-h, so its numerical gradient is 0 (or NaN from inf - inf
    // in the difference quotient): compare the finite ones, and require exact zeros at the others.
    for (int i = 0; i < x.size(); i++) {
      if (x.getFlat(i) == Double.NEGATIVE_INFINITY) {
        assertEquals(0.0, Math.abs(dx.getFlat(i)), "masked entry " + i);
        numeric.setFlat(i, 0.0);
      }
    }
    assertTrue(
        GradCheck.relError(numeric, dx) < 1e-7, "rel error " + GradCheck.relError(numeric, dx));
  }

  @Test
  void float32AgreesWithFloat64AndRowsSumToOne() {
    SplittableRandom rng = new SplittableRandom(3);
    for (int d : new int[] {1, 7, 17, 49, 256}) {
      Tensor x = TestData.randn(rng, 64, d).mul(4.0);
      Tensor y64 = Softmax.softmaxForward(x).out();
      Tensor y32 = Softmax.softmaxForward(x.to(DType.FLOAT32)).out();
      assertEquals(DType.FLOAT32, y32.dtype());
      Golden.assertClose("float32 vs float64, D=" + d, y32.to(DType.FLOAT64), y64, 1e-6);
      for (int r = 0; r < 64; r++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
          s += y64.get(r, j);
        }
        assertEquals(1.0, s, 1e-14);
      }
    }
  }

  /** The whole-row mask gives zeros and a zero gradient, not NaN (see the class comment). */
  @Test
  void allMaskedRowGivesZerosInBothDtypes() {
    for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      Tensor x = Tensor.full(dt, Double.NEGATIVE_INFINITY, 2, 3);
      x.set(0.5, 1, 2);
      Forward<Softmax.Cache> f = Softmax.softmaxForward(x);
      assertArrayEquals(new double[] {0, 0, 0, 0, 0, 1}, f.out().toDoubleArray(), dt.toString());
      Tensor dx = Softmax.softmaxBackward(Tensor.full(dt, 3.0, 2, 3), f.cache());
      assertArrayEquals(new double[6], dx.toDoubleArray(), dt.toString());
    }
  }

  @Test
  void acceptsViewsAndEmptyShapes() {
    SplittableRandom rng = new SplittableRandom(4);
    Tensor x = TestData.randn(rng, 5, 3);
    Tensor viaView = Softmax.softmaxForward(x.transpose()).out();
    Tensor viaCopy = Softmax.softmaxForward(x.transpose().contiguous()).out();
    assertArrayEquals(viaCopy.toDoubleArray(), viaView.toDoubleArray());
    assertEquals(
        List.of(0, 4), List.of(Softmax.softmaxForward(Tensor.zeros(0, 4)).out().shape(0), 4));
    assertEquals(0, Softmax.softmaxForward(Tensor.zeros(DType.FLOAT32, 3, 0)).out().size());
  }

  @Test
  void rejectsBadInputsNamingTheOpAndShapes() {
    assertMessage(
        "softmax: expected x float32 or float64, got int32",
        () -> Softmax.softmaxForward(Tensor.vector(1, 2, 3)));
    assertMessage(
        "softmax: expected x (..., D) with at least one axis, got ()",
        () -> Softmax.softmaxForward(Tensor.scalar(DType.FLOAT64, 1.0)));
    Softmax.Cache cache = Softmax.softmaxForward(Tensor.zeros(DType.FLOAT64, 4, 6)).cache();
    assertMessage(
        "softmax_backward: expected dout of the output's shape (4, 6), got (6, 4)",
        () -> Softmax.softmaxBackward(Tensor.zeros(DType.FLOAT64, 6, 4), cache));
    assertMessage(
        "softmax_backward: dtype mismatch: dout is float32 but out is float64",
        () -> Softmax.softmaxBackward(Tensor.zeros(DType.FLOAT32, 4, 6), cache));
  }

  @Test
  void sameResultForAnyThreadCount() {
    SplittableRandom rng = new SplittableRandom(5);
    Tensor x = TestData.randn(rng, 64 * 4 * 17, 17).to(DType.FLOAT32);
    Tensor dout = TestData.randn(rng, 64 * 4 * 17, 17).to(DType.FLOAT32);
    ThreadCounts.assertSameForAnyThreadCount(
        () -> {
          Forward<Softmax.Cache> f = Softmax.softmaxForward(x);
          return List.of(f.out(), Softmax.softmaxBackward(dout, f.cache()));
        });
  }
}
