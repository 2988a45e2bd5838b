package org.handgrad.nn.checks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.GradCheckSuite;
import org.junit.jupiter.api.Test;

class NormChecksTest {
  private static final List<String> LAYERS =
      List.of(
          "batchnorm",
          "batchnorm_alt",
          "batchnorm_test",
          "batchnorm_alt_test",
          "layernorm",
          "spatial_batchnorm",
          "spatial_batchnorm_test",
          "groupnorm");

  @Test
  void everyNormGradientMatchesCenteredDifferences() {
    Map<String, Supplier<List<GradCheckResult>>> checks = NormChecks.checks();
    assertEquals(LAYERS, List.copyOf(checks.keySet()));
    for (String layer : LAYERS) {
      List<GradCheckResult> rows = checks.get(layer).get();
      List<String> inputs = rows.stream().map(GradCheckResult::input).toList();
      assertEquals(List.of("dx", "dgamma", "dbeta"), inputs, layer);
      for (GradCheckResult r : rows) {
        System.out.printf("%-18s %-20s %.2e%n", r.layer(), r.input(), r.relError());
        assertEquals(1e-7, r.tolerance(), 0.0);
        assertTrue(r.passed(), r.layer() + " " + r.input() + " rel error " + r.relError());
      }
    }
  }

  @Test
  void registeredInTheSuite() {
    assertTrue(GradCheckSuite.all().keySet().containsAll(LAYERS));
    assertEquals(24, GradCheckSuite.run(LAYERS).size());
  }
}
