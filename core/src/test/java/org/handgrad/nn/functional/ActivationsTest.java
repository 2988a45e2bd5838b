package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.TestData.assertMessage;
import static org.handgrad.testing.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
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

class ActivationsTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("dense");

  /** A forward/backward pair seen as two functions, for the table-driven tests. */
  record Pair<C>(Function<Tensor, Forward<C>> forward, BiFunction<Tensor, C, Tensor> backward) {
    Tensor[] run(Tensor x, Tensor dout) {
      Forward<C> f = forward.apply(x);
      return new Tensor[] {f.out(), backward.apply(dout, f.cache())};
    }
  }

  /** Fixture name to pair; the fixture script calls PyTorch with the same parameters. */
  static final Map<String, Pair<?>> PAIRS =
      Map.ofEntries(
          Map.entry("relu", new Pair<>(Activations::reluForward, Activations::reluBackward)),
          Map.entry(
              "leaky_relu",
              new Pair<>(Activations::leakyReluForward, Activations::leakyReluBackward)),
          Map.entry(
              "leaky_relu_s02",
              new Pair<>(
                  (Tensor x) -> Activations.leakyReluForward(x, 0.2),
                  Activations::leakyReluBackward)),
          Map.entry(
              "sigmoid", new Pair<>(Activations::sigmoidForward, Activations::sigmoidBackward)),
          Map.entry("tanh", new Pair<>(Activations::tanhForward, Activations::tanhBackward)),
          Map.entry("gelu", new Pair<>(Activations::geluForward, Activations::geluBackward)),
          Map.entry(
              "gelu_tanh", new Pair<>(Activations::geluTanhForward, Activations::geluTanhBackward)),
          Map.entry("elu", new Pair<>(Activations::eluForward, Activations::eluBackward)),
          Map.entry(
              "elu_a05",
              new Pair<>((Tensor x) -> Activations.eluForward(x, 0.5), Activations::eluBackward)),
          Map.entry("selu", new Pair<>(Activations::seluForward, Activations::seluBackward)),
          Map.entry("silu", new Pair<>(Activations::siluForward, Activations::siluBackward)));

  static Stream<Arguments> goldenCases() {
    return Stream.of("act", "actbig")
        .flatMap(
            group ->
                PAIRS.keySet().stream()
                    .sorted()
                    .flatMap(
                        name ->
                            Stream.of(
                                Arguments.of(group, name, "f64", 1e-10),
                                Arguments.of(group, name, "f32", 1e-5))));
  }

  /**
   * "act" is the ordinary range including 0 and +-1e-3 (the subgradient at the kinks must be
   * PyTorch's); "actbig" has +-800 and the far tails where naive formulas overflow or cancel.
   */
  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("goldenCases")
  void matchesPyTorch(String group, String name, String dt, double tol) {
    Tensor x = get(FIX, group + "_x_" + dt);
    Tensor[] outDx = PAIRS.get(name).run(x, get(FIX, group + "_dout_" + dt));
    String prefix = group + "_" + name + "_";
    Golden.assertClose(name + " out", outDx[0], get(FIX, prefix + "out_" + dt), tol);
    Golden.assertClose(name + " dx", outDx[1], get(FIX, prefix + "dx_" + dt), tol);
  }

  @Test
  void gradientsPassTheNumericalCheck() {
    List<String> layers =
        List.of(
            "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "gelu_tanh", "elu", "selu", "silu");
    for (String layer : layers) {
      for (GradCheckResult r : DenseChecks.checks().get(layer).get()) {
        assertTrue(r.passed(), r.toString());
      }
    }
  }

  @Test
  void stableAndExactInTheTails() {
    Tensor x = Tensor.vector(-1000.0, -745.0, 0.0, 745.0, 1000.0);
    Tensor s = Activations.sigmoidForward(x).out();
    assertEquals(0.0, s.getFlat(0));
    assertEquals(1.0, s.getFlat(4));
    assertEquals(0.5, s.getFlat(2));
    // gelu(-10) = -10 Phi(-10) = -7.6198530241605261e-23 (mpmath). Relative accuracy survives
    // because Phi comes from erfc, not 1 + erf (which PyTorch rounds to 0 here); what remains is
    // the rounding of -x / sqrt 2, amplified by erfc's relative condition number 2 y^2 = 100.
    double g = Activations.geluForward(Tensor.vector(-10.0)).out().getFlat(0);
    assertEquals(-7.6198530241605261e-23, g, 1e-13 * 7.62e-23);
    Tensor gt = Activations.geluTanhForward(Tensor.vector(-1000.0, 1000.0)).out();
    assertEquals(-0.0, gt.getFlat(0), "-1000 * sigmoid(-huge) = -0.0, as PyTorch");
    assertEquals(1000.0, gt.getFlat(1));
  }

  @Test
  void keepsShapeAndDtype() {
    Tensor x = Tensor.full(DType.FLOAT32, -0.5, 2, 3, 4);
    for (Pair<?> pair : PAIRS.values()) {
      Tensor[] outDx = pair.run(x, Tensor.ones(DType.FLOAT32, 2, 3, 4));
      for (Tensor t : outDx) {
        assertEquals(DType.FLOAT32, t.dtype());
        assertEquals("(2, 3, 4)", t.shapeString());
      }
    }
  }

  @Test
  void defaultsArePyTorchs() {
    Tensor x = Tensor.vector(-2.0);
    assertEquals(-0.02, Activations.leakyReluForward(x).out().getFlat(0), 1e-17);
    assertEquals(Math.expm1(-2.0), Activations.eluForward(x).out().getFlat(0), 0.0);
    assertEquals(1.6732632423543772, Activations.SELU_ALPHA);
    assertEquals(1.0507009873554805, Activations.SELU_SCALE);
  }

  @Test
  void largeInputsCrossChunkBoundaries() {
    int n = 3 * Elementwise.CHUNK + 7;
    Tensor x = Tensor.zeros(DType.FLOAT64, n);
    for (int i = 0; i < n; i++) {
      x.setFlat(i, (i % 11) - 5.5);
    }
    Tensor out = Activations.tanhForward(x).out();
    for (int i = 0; i < n; i++) {
      assertEquals(Math.tanh(x.getFlat(i)), out.getFlat(i), 0.0, "element " + i);
    }
  }

  @Test
  void rejectsBadInputs() {
    Tensor x = Tensor.zeros(DType.FLOAT64, 4, 6);
    assertMessage(
        "relu: expected x float32 or float64, got int32",
        () -> Activations.reluForward(x.to(DType.INT32)));
    Activations.ReluCache cache = Activations.reluForward(x).cache();
    assertMessage(
        "relu_backward: dout (4, 5) does not match x (4, 6)",
        () -> Activations.reluBackward(Tensor.zeros(DType.FLOAT64, 4, 5), cache));
    assertMessage(
        "relu_backward: dtype mismatch: dout is float32 but x is float64",
        () -> Activations.reluBackward(Tensor.zeros(DType.FLOAT32, 4, 6), cache));
    Activations.SigmoidCache sc = Activations.sigmoidForward(x).cache();
    assertMessage(
        "sigmoid_backward: dout (6, 4) does not match out (4, 6)",
        () -> Activations.sigmoidBackward(Tensor.zeros(DType.FLOAT64, 6, 4), sc));
    assertMessage(
        "leaky_relu: negativeSlope must be finite, got NaN",
        () -> Activations.leakyReluForward(x, Double.NaN));
    assertMessage(
        "elu: alpha must be finite, got Infinity",
        () -> Activations.eluForward(x, Double.POSITIVE_INFINITY));
  }
}
