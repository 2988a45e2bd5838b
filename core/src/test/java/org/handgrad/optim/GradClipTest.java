package org.handgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GradClipTest {
  private static final Map<String, Tensor> F = Fixtures.load("optim");

  private static List<Parameter> fixtureParams(String tag) {
    List<Parameter> ps = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Tensor g = Fixtures.get(F, "clip_grad" + i + "_" + tag);
      Parameter p = new Parameter("p" + i, Tensor.zerosLike(g));
      p.accumulateGrad(g);
      ps.add(p);
    }
    return ps;
  }

  @ParameterizedTest
  @CsvSource({"1, f64, 1e-12", "100, f64, 1e-12", "1, f32, 1e-5", "100, f32, 1e-5"})
  void matchesClipGradNorm(int maxNorm, String tag, double tol) {
    List<Parameter> ps = fixtureParams(tag);
    String key = "clip_max" + maxNorm + "_" + tag;
    double norm = GradClip.clipByGlobalNorm(ps, maxNorm);
    double expectedNorm = Fixtures.get(F, key + "_norm").item();
    assertEquals(expectedNorm, norm, tol * expectedNorm);
    for (int i = 0; i < 3; i++) {
      Close.assertClose(Fixtures.get(F, key + "_grad" + i), ps.get(i).grad(), tol, key + " " + i);
    }
  }

  @Test
  void byHand() {
    // Gradients (3, 4) and (12,): global norm 13; clipping to 6.5 halves both (up to the 1e-6).
    Parameter a = new Parameter("a", Tensor.zeros(DType.FLOAT64, 2));
    Parameter b = new Parameter("b", Tensor.zeros(DType.FLOAT32, 1));
    a.accumulateGrad(Tensor.vector(3.0, 4.0));
    b.accumulateGrad(Tensor.vector(12f));
    double norm = GradClip.clipByGlobalNorm(List.of(a, b), 6.5);
    assertEquals(13.0, norm, 0.0);
    double k = 6.5 / (13.0 + 1e-6);
    assertArrayEquals(new double[] {3 * k, 4 * k}, a.grad().toDoubleArray(), 1e-15);
    assertEquals((float) (12 * k), b.grad().getFlat(0), 0f);
    // Below the threshold nothing changes (not even by a rounding).
    double[] before = a.grad().toDoubleArray();
    assertEquals(Math.hypot(3 * k, 4 * k), GradClip.clipByGlobalNorm(List.of(a), 100), 1e-15);
    assertArrayEquals(before, a.grad().toDoubleArray(), 0.0);
  }

  @Test
  void hugeButFiniteNormDoesNotOverflow() {
    Parameter a = new Parameter("a", Tensor.zeros(DType.FLOAT64, 2));
    a.accumulateGrad(Tensor.vector(3e200, 4e200));
    double norm = GradClip.clipByGlobalNorm(List.of(a), 1.0);
    assertEquals(5e200, norm, 1e186);
    assertArrayEquals(new double[] {0.6, 0.8}, a.grad().toDoubleArray(), 1e-15);
  }

  @Test
  void nonFiniteNormNamesTheParameterAndLeavesGradsAlone() {
    Parameter a = new Parameter("fc1.w", Tensor.zeros(DType.FLOAT64, 2));
    Parameter b = new Parameter("fc2.w", Tensor.zeros(DType.FLOAT32, 3));
    a.accumulateGrad(Tensor.vector(1.0, 2.0));
    b.accumulateGrad(Tensor.vector(1f, Float.NaN, 3f));
    ArithmeticException e =
        assertThrows(ArithmeticException.class, () -> GradClip.clipByGlobalNorm(List.of(a, b), 1));
    assertEquals(
        "clipByGlobalNorm: gradient norm is NaN; first non-finite gradient: fc2.w grad[1] = NaN",
        e.getMessage());
    assertArrayEquals(new double[] {1.0, 2.0}, a.grad().toDoubleArray(), 0.0);
    assertThrows(IllegalArgumentException.class, () -> GradClip.clipByGlobalNorm(List.of(a), 0));
  }

  @Test
  void firstNonFiniteLooksAtValuesThenGrads() {
    Parameter a = new Parameter("a", Tensor.vector(1.0, 2.0));
    Parameter b = new Parameter("b", Tensor.vector(1f, 2f));
    assertTrue(NonFinite.firstNonFinite(List.of(a, b)).isEmpty());
    b.accumulateGrad(Tensor.vector(0f, Float.NEGATIVE_INFINITY));
    assertEquals("b grad[1] = -Infinity", NonFinite.firstNonFinite(List.of(a, b)).get().toString());
    a.value().setFlat(1, Double.POSITIVE_INFINITY);
    NonFinite.Finding f = NonFinite.firstNonFinite(List.of(a, b)).get();
    assertEquals(new NonFinite.Finding("a", false, 1, Double.POSITIVE_INFINITY), f);
    assertEquals("a value[1] = Infinity", f.toString());
    assertEquals("b", NonFinite.firstNonFiniteGrad(List.of(a, b)).get().parameter());
  }
}
