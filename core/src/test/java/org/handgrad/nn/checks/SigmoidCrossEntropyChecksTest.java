package org.handgrad.nn.checks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.GradCheckSuite;
import org.junit.jupiter.api.Test;

class SigmoidCrossEntropyChecksTest {
  @Test
  void gradientMatchesCenteredDifferences() {
    List<GradCheckResult> results = GradCheckSuite.run(List.of("sigmoid_cross_entropy"));
    assertEquals(2, results.size());
    for (GradCheckResult r : results) {
      assertEquals(1e-7, r.tolerance());
      assertTrue(r.passed(), r.input() + " rel error " + r.relError());
    }
  }
}
