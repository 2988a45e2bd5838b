package org.handgrad.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.handgrad.nn.GradCheckResult;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

class ModelChecksTest {
  @TestFactory
  Stream<DynamicTest> everyParameterGradientIsWithinTolerance() {
    return ModelChecks.checks().entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    e.getKey(),
                    () -> {
                      List<GradCheckResult> rows = e.getValue().get();
                      assertTrue(!rows.isEmpty(), e.getKey() + " checks nothing");
                      for (GradCheckResult r : rows) {
                        System.out.println(r);
                      }
                      for (GradCheckResult r : rows) {
                        assertEquals(1e-7, r.tolerance(), "tolerance of " + r);
                        assertTrue(r.passed(), r.toString());
                      }
                    }));
  }
}
