package org.handgrad.app.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.handgrad.optim.SolverListener;
import org.junit.jupiter.api.Test;

class DivergenceWatchTest {
  private static SolverListener.Iteration it(int i, double loss) {
    return new SolverListener.Iteration(i, 1000, i / 100, 10, loss, 1e-3, 1, 1);
  }

  private static SolverListener.Accuracy acc(int epoch, double train, double val) {
    return new SolverListener.Accuracy(epoch * 100, epoch, 10, train, val, val, false, 1e-3);
  }

  @Test
  void aLossThatStaysFarAboveItsStartWarnsOnce() {
    List<DivergenceWatch.Finding> seen = new ArrayList<>();
    DivergenceWatch w = new DivergenceWatch(10, false, seen::add);
    w.iterationDone(it(1, 2.3));
    for (int i = 2; i <= 40; i++) {
      w.iterationDone(it(i, 7e5));
    }
    w.iterationDone(it(41, 2.0)); // one good iteration resets the window
    for (int i = 42; i <= 91; i++) {
      w.iterationDone(it(i, 7e5));
    }
    assertEquals(1, seen.size());
    assertEquals("loss_far_above_initial", seen.get(0).kind());
    assertEquals(91, seen.get(0).iteration());
    for (int i = 92; i <= 300; i++) {
      w.iterationDone(it(i, 7e5));
    }
    assertEquals(1, w.findings().size(), "reported once");
  }

  @Test
  void aHealthyNoisyLossDoesNotWarn() {
    List<DivergenceWatch.Finding> seen = new ArrayList<>();
    DivergenceWatch w = new DivergenceWatch(10, false, seen::add);
    w.iterationDone(it(1, 0.05)); // a small start: the threshold is at least start + 10
    for (int i = 2; i < 500; i++) {
      w.iterationDone(it(i, i % 7 == 0 ? 5.0 : 0.5));
    }
    w.accuracyChecked(acc(1, 0.1, 0.1)); // too early for the chance rule
    w.accuracyChecked(acc(2, 0.5, 0.13));
    assertEquals(List.of(), seen);
  }

  @Test
  void accuracyAtChanceWarnsAndCanStop() {
    List<DivergenceWatch.Finding> seen = new ArrayList<>();
    DivergenceWatch w = new DivergenceWatch(10, true, seen::add);
    DivergenceWatch.Stop stop =
        assertThrows(DivergenceWatch.Stop.class, () -> w.accuracyChecked(acc(2, 0.1, 0.104)));
    assertEquals("accuracy_at_chance", stop.finding.kind());
    assertTrue(
        stop.getMessage()
            .startsWith(
                "training is not learning after 2 epochs: train accuracy 0.1000 and validation"
                    + " accuracy 0.1040 are at chance (0.1000 for 10 classes)."),
        stop.getMessage());
    assertTrue(stop.getMessage().contains("Likely causes: the learning rate is too high"));
    assertEquals(1, seen.size(), "the sink hears it before the stop");
  }
}
