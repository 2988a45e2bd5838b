package org.handgrad.optim;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Prints CS231n's Solver lines, so output can be diffed against a notebook:
 *
 * <pre>
 * (Iteration 1 / 4900) loss: 2.302585
 * (Epoch 0 / 10) train acc: 0.103000; val_acc: 0.107000
 * </pre>
 *
 * The loss line appears for iterations 1, 1 + printEvery, 1 + 2 * printEvery, ... (CS231n prints
 * when the 0-based t is a multiple of {@code print_every}).
 */
public final class PrintingListener implements SolverListener {
  private final PrintStream out;
  private final int printEvery;

  /**
   * @param out where to print
   * @param printEvery print the loss every this many iterations, &gt; 0
   */
  public PrintingListener(PrintStream out, int printEvery) {
    if (printEvery <= 0) {
      throw new IllegalArgumentException("PrintingListener: printEvery must be > 0");
    }
    this.out = out;
    this.printEvery = printEvery;
  }

  @Override
  public void iterationDone(Iteration it) {
    if ((it.iteration() - 1) % printEvery == 0) {
      out.println(
          String.format(
              Locale.ROOT,
              "(Iteration %d / %d) loss: %f",
              it.iteration(),
              it.numIterations(),
              it.loss()));
    }
  }

  @Override
  public void accuracyChecked(Accuracy acc) {
    out.println(
        String.format(
            Locale.ROOT,
            "(Epoch %d / %d) train acc: %f; val_acc: %f",
            acc.epoch(),
            acc.numEpochs(),
            acc.trainAcc(),
            acc.valAcc()));
  }
}
