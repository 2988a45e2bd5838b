package org.handgrad.app.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.handgrad.optim.Solver;
import org.handgrad.optim.SolverListener;
import org.junit.jupiter.api.Test;

class TrainingProgressTest {
  @Test
  void oneBarPerEpochAndOneLinePerAccuracyCheck() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    long[] now = {0};
    TrainingProgress p =
        new TrainingProgress(new PrintWriter(out), new PrintWriter(err), false, () -> now[0], 10);
    p.trainingStarted(new SolverListener.Start(0, 4, 2, 2));
    for (int it = 1; it <= 4; it++) {
      now[0] += 500_000_000L; // 10 images every 0.5 s: 20 img/s
      int epoch = (it - 1) / 2;
      p.iterationDone(new SolverListener.Iteration(it, 4, epoch, 2, 1.0 / it, 1e-3, 1, 20));
      if (it == 1) {
        p.accuracyChecked(new SolverListener.Accuracy(1, 0, 2, 0.1, 0.2, 0.2, true, 1e-3));
      }
      if (it % 2 == 0) {
        p.accuracyChecked(
            new SolverListener.Accuracy(
                it, it / 2, 2, 0.5, it == 2 ? 0.6 : 0.55, 0.6, it == 2, 1e-3));
      }
    }
    p.trainingFinished(new SolverListener.Finish(Solver.Status.COMPLETED, 4, 0.6, 2));
    List<String> lines = out.toString().lines().toList();
    assertEquals("training: 4 iterations (2 epochs of 2), batch 10", lines.get(0));
    assertEquals("after 1 iteration   train acc 0.1000  val acc 0.2000", lines.get(1));
    assertTrue(
        lines
            .get(2)
            .matches(
                "epoch  1/2  loss 0\\.7500  train acc 0\\.5000  val acc 0\\.6000 \\*  lr 1\\.00e-03  0:01  20 img/s"),
        lines.get(2));
    assertTrue(
        lines.get(3).startsWith("epoch  2/2  loss 0.2917  train acc 0.5000  val acc 0.5500    lr"),
        lines.get(3));
    String e = err.toString();
    assertTrue(e.contains("epoch 1/2 100% [####################]  20/20"), e);
    assertTrue(e.contains("epoch 2/2 100% [####################]  20/20"), e);
    assertTrue(e.contains("loss 0.2500"), e);
  }
}
