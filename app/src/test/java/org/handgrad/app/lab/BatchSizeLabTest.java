package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batch-size lab's quick form: gradient noise as 1/B, and the linear scaling rule. */
class BatchSizeLabTest {
  @TempDir Path tmp;

  @Test
  void gradientNoiseFallsAsOneOverBAndScaledLrKeepsUp() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "batch-size", true);
    double slope = num(o, "noise_slope");
    assertTrue(slope > -1.15 && slope < -0.85, "slope " + slope);
    assertTrue(num(o, "noise_b256") < num(o, "noise_b1") / 100);
    double base = num(o, "base_train_loss");
    assertTrue(Math.abs(num(o, "scaled_train_loss") - base) < num(o, "unscaled_train_loss") - base);
  }

  @Test
  void slopeOfALineIsItsSlope() {
    assertEquals(-1.0, BatchSizeLab.slope(new double[] {0, 1, 2}, new double[] {5, 4, 3}), 1e-12);
  }
}
