package org.handgrad.nn.checks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.GradCheckSuite;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class DenseChecksTest {
  private static final List<String> LAYERS =
      List.of(
          "affine",
          "affine_relu",
          "relu",
          "leaky_relu",
          "sigmoid",
          "tanh",
          "gelu",
          "gelu_tanh",
          "elu",
          "selu",
          "silu",
          "softmax",
          "softmax_loss",
          "svm_loss",
          "dropout");

  @TestFactory
  Stream<DynamicTest> everyGradientIsWithinTolerance() {
    return DenseChecks.checks().entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    e.getKey(),
                    () -> {
                      List<GradCheckResult> rows = e.getValue().get();
                      assertTrue(!rows.isEmpty(), e.getKey() + " checks nothing");
                      for (GradCheckResult r : rows) {
                        assertEquals(1e-7, r.tolerance(), "tolerance of " + r);
                        assertTrue(r.passed(), r.toString());
                      }
                    }));
  }

  @Test
  void coversEveryDenseLayerAndEveryParameter() {
    Map<String, Supplier<List<GradCheckResult>>> checks = DenseChecks.checks();
    assertEquals(LAYERS, List.copyOf(checks.keySet()));
    assertEquals(
        List.of("dx", "dw", "db"),
        checks.get("affine").get().stream().map(GradCheckResult::input).toList());
    assertEquals(
        List.of("dx", "dw", "db"),
        checks.get("affine_relu").get().stream().map(GradCheckResult::input).toList());
  }

  @Test
  void registeredInTheSuite() {
    assertTrue(GradCheckSuite.all().keySet().containsAll(LAYERS));
    List<GradCheckResult> rows = GradCheckSuite.run(List.of("relu", "svm_loss"));
    assertEquals(List.of("relu", "svm_loss"), rows.stream().map(GradCheckResult::layer).toList());
  }
}
