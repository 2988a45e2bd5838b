package org.handgrad.models.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.handgrad.nn.GradCheckResult;
import org.junit.jupiter.api.Test;

class UNetChecksTest {
  @Test
  void theWholeUNetPassesTheFloat64GradientCheck() {
    List<GradCheckResult> rows = UNetChecks.checks().get("model_unet").get();
    // dx, then every parameter
    assertEquals(1 + new UNet(UNetChecks.tinyConfig()).parameters().size(), rows.size());
    for (GradCheckResult r : rows) {
      assertTrue(r.passed(), r.toString());
    }
  }
}
