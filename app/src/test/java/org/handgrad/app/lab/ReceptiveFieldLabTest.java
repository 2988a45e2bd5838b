package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The receptive-field lab's quick form, and its measurements on hand-made gradients. */
class ReceptiveFieldLabTest {
  @TempDir Path tmp;

  @Test
  void fieldIsTwoLPlusOneAndTheEffectiveOneGrowsAsSqrtL() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "receptive-field", true);
    for (int l : new int[] {1, 2, 3, 4, 8}) {
      assertEquals(2 * l + 1, num(o, "L" + l + "_measured_rf"), "depth " + l);
    }
    double e = num(o, "erf_growth_exponent");
    assertTrue(e > 0.3 && e < 0.75, "exponent " + e);
  }

  @Test
  void supportAndSpreadOfAKnownPattern() {
    double[][] g = new double[7][7];
    g[3][3] = 1;
    g[3][5] = 1; // two pixels right of the centre
    assertEquals(2, ReceptiveFieldLab.supportRadius(g));
    // Weighted mean of (di^2 + dj^2) / 2: (0 + 4 / 2) / 2 = 1.
    assertEquals(1.0, ReceptiveFieldLab.spread(g), 1e-12);
  }
}
