package org.handgrad.optim;

import java.util.Locale;
import java.util.Optional;

/**
 * Training stopped because a number went NaN or infinite: the loss, a gradient or (after an update)
 * a parameter. Continuing would only train on garbage, so the {@link Solver} stops at the first
 * sign, names the iteration and the first non-finite parameter element ({@link NonFinite}), and
 * lists the usual causes with the learning rate in use.
 */
public final class TrainingDivergedException extends ArithmeticException {
  private static final long serialVersionUID = 1L;

  /** Where in the step the non-finite number was seen. */
  public enum Stage {
    /** The minibatch loss itself is NaN or infinite. */
    LOSS,
    /** The loss is finite but a parameter value or gradient is not, right after backward. */
    BACKWARD,
    /** The update wrote a non-finite value into a parameter. */
    UPDATE
  }

  private final transient NonFinite.Finding finding; // null when none; records are not Serializable
  private final int iteration;
  private final int epoch;
  private final double loss;
  private final double learningRate;
  private final Stage stage;

  /**
   * @param stage where it was seen
   * @param iteration 1-based iteration at which it happened
   * @param epoch epochs completed before it
   * @param loss the minibatch loss of that iteration (may itself be the non-finite number)
   * @param learningRate the rate of that step
   * @param finding the first non-finite parameter element, if any
   */
  public TrainingDivergedException(
      Stage stage,
      int iteration,
      int epoch,
      double loss,
      double learningRate,
      Optional<NonFinite.Finding> finding) {
    super(message(stage, iteration, epoch, loss, learningRate, finding));
    this.stage = stage;
    this.iteration = iteration;
    this.epoch = epoch;
    this.loss = loss;
    this.learningRate = learningRate;
    this.finding = finding.orElse(null);
  }

  private static String message(
      Stage stage,
      int iteration,
      int epoch,
      double loss,
      double lr,
      Optional<NonFinite.Finding> finding) {
    String what =
        switch (stage) {
          case LOSS -> "the loss is " + loss;
          case BACKWARD ->
              "a gradient or parameter is not finite after backward (loss " + loss + ")";
          case UPDATE -> "the update made a parameter non-finite (loss before it " + loss + ")";
        };
    String culprit =
        finding
            .map(f -> "first non-finite parameter: " + f)
            .orElse("every parameter and gradient is still finite");
    return String.format(
        Locale.ROOT,
        "training diverged at iteration %d (epoch %d): %s; %s.%n"
            + "Likely causes: the learning rate is too high (it is %.3g: try 3-10x smaller);"
            + " an exp without max-subtraction (softmax / log-sum-exp overflow);"
            + " a weight initialization scale that is too large; a log of 0 in the loss.",
        iteration,
        epoch,
        what,
        culprit,
        lr);
  }

  /** Where in the step it was seen. */
  public Stage stage() {
    return stage;
  }

  /** The 1-based iteration at which training stopped. */
  public int iteration() {
    return iteration;
  }

  /** Epochs completed before it. */
  public int epoch() {
    return epoch;
  }

  /** The minibatch loss of that iteration. */
  public double loss() {
    return loss;
  }

  /** The learning rate of that step. */
  public double learningRate() {
    return learningRate;
  }

  /** The first non-finite parameter element (value before gradient, parameters in order). */
  public Optional<NonFinite.Finding> finding() {
    return Optional.ofNullable(finding);
  }
}
