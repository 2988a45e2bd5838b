package org.handgrad.models.rnn;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.handgrad.nn.GradCheckResult;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every whole-model gradient check passes at 1e-7 and covers every parameter. */
class CaptioningChecksTest {

  @TestFactory
  Stream<DynamicTest> everyCheckPasses() {
    return CaptioningChecks.checks().entrySet().stream()
        .map(e -> DynamicTest.dynamicTest(e.getKey(), () -> run(e.getKey(), e.getValue())));
  }

  private static void run(String name, Supplier<List<GradCheckResult>> check) {
    List<GradCheckResult> results = check.get();
    assertFalse(results.isEmpty(), name);
    for (GradCheckResult r : results) {
      System.out.printf("%-22s %-26s %.2e%n", r.layer(), r.input(), r.relError());
      assertTrue(r.passed(), r.layer() + " " + r.input() + ": relative error " + r.relError());
    }
  }
}
