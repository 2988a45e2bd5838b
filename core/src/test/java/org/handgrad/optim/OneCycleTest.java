package org.handgrad.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** The one-cycle schedule against PyTorch's OneCycleLR (fixtures/speedrun.npz, "oc_*"). */
class OneCycleTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("speedrun");

  private static LrSchedule.OneCycle fromFixture(String name) {
    Tensor c = Fixtures.get(FIX, "oc_" + name + "_cfg");
    return new LrSchedule.OneCycle(
        c.getFlat(0),
        (int) c.getFlat(1),
        c.getFlat(2),
        c.getFlat(3),
        c.getFlat(4),
        c.getFlat(5) == 1.0);
  }

  @Test
  void everyStepMatchesPyTorch() {
    for (String name : new String[] {"default", "linear"}) {
      LrSchedule.OneCycle s = fromFixture(name);
      Tensor lr = Fixtures.get(FIX, "oc_" + name + "_lr");
      for (int t = 0; t < lr.size(); t++) {
        double expected = lr.getFlat(t);
        assertEquals(expected, s.lr(t), 1e-12 * s.maxLr(), name + " step " + t);
      }
      assertEquals(s.lr(s.totalSteps() - 1), s.lr(s.totalSteps() + 5), 0, "holds the last rate");
    }
  }

  @Test
  void startsPeaksAndEndsWhereTheFactorsSay() {
    LrSchedule.OneCycle s = new LrSchedule.OneCycle(0.4, 100);
    assertEquals(0.4 / 25, s.lr(0), 1e-15);
    assertEquals(0.4, s.lr(29), 1e-15); // the climb ends at step 0.3 * 100 - 1
    assertEquals(0.4 / 25 / 1e4, s.lr(99), 1e-15);
    assertTrue(s.lr(60) < s.lr(40));
  }

  @Test
  void roundTripsThroughTheCheckpointMapAndRejectsBadValues() {
    LrSchedule.OneCycle s = new LrSchedule.OneCycle(2e-3, 37, 0.25, 10, 100, false);
    assertEquals(s, OptimConfig.schedule(OptimConfig.toMap(s)));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new LrSchedule.OneCycle(1e-3, 10, 0.05, 25, 1e4, true));
    assertTrue(
        e.getMessage().contains("pctStart must be in (0, 1) with pctStart * totalSteps > 1"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new LrSchedule.OneCycle(1e-3, 100, 0.3, 0.5, 1e4, true));
    assertTrue(e.getMessage().contains("divFactor must be >= 1, got 0.5"));
  }
}
