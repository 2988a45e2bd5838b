package org.handgrad.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.junit.jupiter.api.Test;

class LrScheduleTest {
  private static final Map<String, Tensor> F = Fixtures.load("optim");

  /** Every lr(t) against PyTorch's scheduler, relative to the largest rate of the sequence. */
  private static void assertMatchesTorch(String key, LrSchedule s) {
    Tensor expected = Fixtures.get(F, key);
    double[] ours = new double[expected.size()];
    for (int t = 0; t < ours.length; t++) {
      ours[t] = s.lr(t);
    }
    Close.assertClose(expected, Tensor.of(ours, ours.length), 1e-12, key);
  }

  @Test
  void handComputedValues() {
    assertEquals(0.3, new LrSchedule.Constant(0.3).lr(1000));
    LrSchedule step = new LrSchedule.StepDecay(0.1, 3, 0.5);
    assertEquals(0.1, step.lr(0));
    assertEquals(0.1, step.lr(2));
    assertEquals(0.05, step.lr(3));
    assertEquals(0.025, step.lr(8));
    LrSchedule exp = new LrSchedule.Exponential(0.1, 0.95);
    assertEquals(0.1 * 0.95 * 0.95, exp.lr(2), 1e-17);
    // Cosine from 0.1 to 0.001 over 10 steps: halfway is the mean, the end is the minimum.
    LrSchedule cos = new LrSchedule.Cosine(0.1, 0.001, 10);
    assertEquals(0.1, cos.lr(0));
    assertEquals((0.1 + 0.001) / 2, cos.lr(5), 1e-17);
    assertEquals(0.001, cos.lr(10));
    assertEquals(0.001, cos.lr(25)); // held at the minimum (PyTorch would rise again)
    // Warm-up over 4 steps from 0.1x: 0.01, 0.0325, 0.055, 0.0775, then the cosine from 0.1.
    LrSchedule warm = new LrSchedule.WarmUp(4, 0.1, cos);
    assertEquals(0.01, warm.lr(0), 1e-17);
    assertEquals(0.1 * (0.1 + 0.9 * 3 / 4), warm.lr(3), 1e-17);
    assertEquals(0.1, warm.lr(4));
    assertEquals(cos.lr(5), warm.lr(9));
  }

  @Test
  void matchesPyTorchSchedulers() {
    assertMatchesTorch("sched_step", new LrSchedule.StepDecay(0.1, 3, 0.5));
    assertMatchesTorch("sched_exponential", new LrSchedule.Exponential(0.1, 0.95));
    assertMatchesTorch("sched_cosine", new LrSchedule.Cosine(0.1, 1e-3, 10));
    assertMatchesTorch(
        "sched_warmup_cosine", new LrSchedule.WarmUp(4, 0.1, new LrSchedule.Cosine(0.1, 1e-3, 8)));
  }

  @Test
  void rejectsBadParameters() {
    assertThrows(IllegalArgumentException.class, () -> new LrSchedule.Constant(0));
    assertThrows(IllegalArgumentException.class, () -> new LrSchedule.StepDecay(0.1, 0, 0.5));
    assertThrows(IllegalArgumentException.class, () -> new LrSchedule.Exponential(0.1, 1.5));
    assertThrows(IllegalArgumentException.class, () -> new LrSchedule.Cosine(0.1, 0.2, 10));
    assertThrows(
        IllegalArgumentException.class,
        () -> new LrSchedule.WarmUp(5, 0, new LrSchedule.Constant(1)));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule.Constant(1).lr(-1));
    assertEquals("LrSchedule: step must be >= 0, got -1", e.getMessage());
  }
}
