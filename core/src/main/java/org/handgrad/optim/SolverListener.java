package org.handgrad.optim;

import java.nio.file.Path;

/**
 * Receives a {@link Solver}'s progress: the only way the Solver reports anything (the library never
 * prints by itself). A command line draws a progress bar from {@link #iterationDone}, a run report
 * logs metrics, {@link PrintingListener} prints CS231n's lines. Every method has an empty default;
 * all are called on the training thread, so a slow listener slows training.
 */
public interface SolverListener {

  /**
   * Training starts or resumes.
   *
   * @param iteration iterations already done (0 unless resumed)
   * @param numIterations total iterations of the run, {@code numEpochs * iterationsPerEpoch}
   * @param iterationsPerEpoch {@code max(N / batchSize, 1)}, as CS231n
   */
  record Start(int iteration, int numIterations, int iterationsPerEpoch, int numEpochs) {}

  /**
   * One minibatch step finished.
   *
   * @param iteration iterations done, counting this one (1-based, as CS231n prints it)
   * @param numIterations total iterations of the run
   * @param epoch epochs completed before this iteration ended (0-based current epoch)
   * @param numEpochs epochs of the run
   * @param loss this minibatch's loss
   * @param learningRate the rate this step used
   * @param gradNorm global L2 norm of the gradients before clipping
   * @param imagesPerSecond examples per second of this step (forward, backward, update)
   */
  record Iteration(
      int iteration,
      int numIterations,
      int epoch,
      int numEpochs,
      double loss,
      double learningRate,
      double gradNorm,
      double imagesPerSecond) {}

  /**
   * Accuracy was checked (CS231n: after the first iteration, at each epoch end, after the last).
   *
   * @param iteration iterations done
   * @param epoch epochs completed
   * @param numEpochs epochs of the run
   * @param trainAcc accuracy on (a sample of) the training set
   * @param valAcc accuracy on (a sample of) the validation set
   * @param bestValAcc best validation accuracy so far, including this one
   * @param improved whether this check set a new best (its parameters are now the kept ones)
   * @param learningRate the rate of the next step (after any lr decay)
   */
  record Accuracy(
      int iteration,
      int epoch,
      int numEpochs,
      double trainAcc,
      double valAcc,
      double bestValAcc,
      boolean improved,
      double learningRate) {}

  /**
   * Training returned.
   *
   * @param status completed (best parameters restored) or stopped on request
   * @param iteration iterations done
   * @param bestValAcc best validation accuracy, NaN when never checked
   * @param seconds wall time of this {@code train()} call
   */
  record Finish(Solver.Status status, int iteration, double bestValAcc, double seconds) {}

  /** Training starts or resumes. */
  default void trainingStarted(Start start) {}

  /** A step finished. */
  default void iterationDone(Iteration it) {}

  /** Accuracies were checked. */
  default void accuracyChecked(Accuracy acc) {}

  /**
   * A checkpoint was written.
   *
   * @param file the checkpoint's JSON file, which names its tensor files
   * @param iteration iterations done
   */
  default void checkpointSaved(Path file, int iteration) {}

  /** Training returned normally (not called when it throws, e.g. on divergence). */
  default void trainingFinished(Finish finish) {}
}
