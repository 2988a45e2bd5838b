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

class RnnChecksTest {
  private static final List<String> LAYERS =
      List.of(
          "rnn_step",
          "rnn",
          "lstm_step",
          "lstm",
          "gru_step",
          "gru",
          "word_embedding",
          "temporal_affine",
          "temporal_softmax_loss");

  @Test
  void everySequenceLayerIsRegisteredInTheSuite() {
    Map<String, Supplier<List<GradCheckResult>>> all = GradCheckSuite.all();
    for (String layer : LAYERS) {
      assertTrue(all.containsKey(layer), layer + " missing from GradCheckSuite.all()");
    }
    assertEquals(LAYERS, List.copyOf(RnnChecks.checks().keySet()));
  }

  @TestFactory
  Stream<DynamicTest> everyGradientMatchesCenteredDifferences() {
    return RnnChecks.checks().entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    e.getKey(),
                    () -> {
                      List<GradCheckResult> results = e.getValue().get();
                      assertTrue(!results.isEmpty(), e.getKey() + " checked nothing");
                      for (GradCheckResult r : results) {
                        assertEquals(1e-7, r.tolerance(), "tolerance of " + r);
                        assertTrue(r.passed(), r.layer() + " " + r.input() + ": " + r.relError());
                      }
                    }));
  }

  /** Prints the table, to see how far below the bound each gradient is. */
  @Test
  void relativeErrorsAreFarBelowTheBound() {
    double worst = 0;
    for (Supplier<List<GradCheckResult>> check : RnnChecks.checks().values()) {
      for (GradCheckResult r : check.get()) {
        System.out.printf("%-22s %-7s %.2e%n", r.layer(), r.input(), r.relError());
        worst = Math.max(worst, r.relError());
      }
    }
    assertTrue(worst < 1e-7, "worst " + worst);
  }
}
