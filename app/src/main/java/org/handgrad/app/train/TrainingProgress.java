package org.handgrad.app.train;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.handgrad.app.ProgressBar;
import org.handgrad.optim.SolverListener;

/**
 * What a person watches during {@code ./handgrad train}: a progress bar per epoch on standard error
 * (images done, images/s, ETA, running loss) and one line per accuracy check on standard output:
 *
 * <pre>
 * epoch  3/10  loss 0.3012  train acc 0.8930  val acc 0.8842 *  lr 1.00e-03  41 s  1342 img/s
 * </pre>
 *
 * A {@code *} marks a new best validation accuracy (whose parameters the Solver keeps). The time
 * and images/s of an epoch are those of its training steps, without the accuracy checks.
 */
public final class TrainingProgress implements SolverListener {
  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean terminal;
  private final LongSupplier clock;
  private final int batchSize;

  private ProgressBar bar;
  private int iterationsPerEpoch;
  private double epochStepSeconds;
  private int epochSteps;
  private double epochLossSum;
  private double lastEpochLoss = Double.NaN;
  private double lastEpochSeconds;
  private double lastEpochRate;

  /**
   * @param out where the per-epoch lines go
   * @param err where the progress bar is drawn
   * @param terminal redraw the bar in place
   * @param clock nanosecond time source
   * @param batchSize images per iteration (the bar counts images)
   */
  public TrainingProgress(
      PrintWriter out, PrintWriter err, boolean terminal, LongSupplier clock, int batchSize) {
    this.out = out;
    this.err = err;
    this.terminal = terminal;
    this.clock = clock;
    this.batchSize = batchSize;
  }

  @Override
  public void trainingStarted(Start s) {
    iterationsPerEpoch = s.iterationsPerEpoch();
    out.printf(
        Locale.ROOT,
        "%s: %d iterations (%d epochs of %d), batch %d%n",
        s.iteration() == 0 ? "training" : "resuming at iteration " + s.iteration(),
        s.numIterations() - s.iteration(),
        s.numEpochs(),
        s.iterationsPerEpoch(),
        batchSize);
    out.flush();
  }

  @Override
  public void iterationDone(Iteration it) {
    int inEpoch = (it.iteration() - 1) % iterationsPerEpoch + 1;
    if (bar == null) {
      bar =
          new ProgressBar(
              err,
              String.format(Locale.ROOT, "epoch %d/%d", it.epoch() + 1, it.numEpochs()),
              ProgressBar.Unit.ITEMS,
              terminal,
              clock);
      epochStepSeconds = 0;
      epochSteps = 0;
      epochLossSum = 0;
      if (inEpoch > 1) { // a resumed run starts mid-epoch: count the rate from there
        bar.update((long) (inEpoch - 1) * batchSize, (long) iterationsPerEpoch * batchSize);
      }
    }
    epochSteps++;
    epochLossSum += it.loss();
    // The Solver times each step (batch, forward, backward, update) without listeners and
    // accuracy checks: the epoch's training time is their sum.
    epochStepSeconds += it.imagesPerSecond() > 0 ? batchSize / it.imagesPerSecond() : 0;
    bar.status(String.format(Locale.ROOT, "loss %.4f", it.loss()));
    bar.update((long) inEpoch * batchSize, (long) iterationsPerEpoch * batchSize);
    if (inEpoch == iterationsPerEpoch) {
      bar.finish();
      bar = null;
      lastEpochSeconds = epochStepSeconds;
      lastEpochLoss = epochLossSum / epochSteps;
      lastEpochRate = lastEpochSeconds > 0 ? epochSteps * batchSize / lastEpochSeconds : 0;
    }
  }

  @Override
  public void accuracyChecked(Accuracy a) {
    if (bar != null && terminal) {
      // Mid-epoch (the check after the first iteration): end the bar's line, which is redrawn in
      // place with \r, so the accuracy line does not land on it; the bar continues below.
      err.println();
      err.flush();
    }
    boolean epochEnd = a.iteration() % iterationsPerEpoch == 0;
    if (!epochEnd && a.iteration() == 1) {
      out.printf(
          Locale.ROOT,
          "after 1 iteration   train acc %.4f  val acc %.4f%n",
          a.trainAcc(),
          a.valAcc());
    } else if (epochEnd) {
      out.printf(
          Locale.ROOT,
          "epoch %2d/%d  loss %.4f  train acc %.4f  val acc %.4f %s  lr %.2e  %s  %.0f img/s%n",
          a.epoch(),
          a.numEpochs(),
          lastEpochLoss,
          a.trainAcc(),
          a.valAcc(),
          a.improved() ? "*" : " ",
          a.learningRate(),
          ProgressBar.duration(lastEpochSeconds),
          lastEpochRate);
    } else {
      out.printf(
          Locale.ROOT,
          "iteration %d  train acc %.4f  val acc %.4f %s%n",
          a.iteration(),
          a.trainAcc(),
          a.valAcc(),
          a.improved() ? "*" : " ");
    }
    out.flush();
  }

  /** Ends a progress bar line being redrawn in place, so a note printed next starts clean. */
  public void clearLine() {
    if (bar != null && terminal) {
      err.println();
      err.flush();
    }
  }

  @Override
  public void trainingFinished(Finish f) {
    if (bar != null) {
      bar.finish();
      bar = null;
    }
  }
}
