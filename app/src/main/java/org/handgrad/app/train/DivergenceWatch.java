package org.handgrad.app.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.handgrad.optim.SolverListener;

/**
 * Catches divergence that never becomes NaN (the Solver stops on NaN itself): the loss staying far
 * above its value at the start, or accuracy staying at chance. With Adam at {@code --lr 1e6} a
 * convnet's loss sat near 7e5 for 5,500 iterations and ended at chance with no word (issue 14).
 *
 * <p>Rules, each reported once per run:
 *
 * <ul>
 *   <li><b>loss</b>: {@link #WINDOW} consecutive iterations with a loss above {@link #FACTOR} times
 *       the first iteration's (at least that plus 10, so a loss near 0 at the start does not
 *       count);
 *   <li><b>chance</b>: at an epoch's accuracy check, from epoch {@link #CHANCE_EPOCHS} on, both
 *       train and validation accuracy at most 1.2 times chance (1 / classes).
 * </ul>
 *
 * A finding is a {@link Finding}: a warning message with the usual causes (as for NaN), passed to
 * the sink; with {@code stop} the watch then throws {@link Stop} and the run ends.
 */
public final class DivergenceWatch implements SolverListener {
  /** Loss threshold, as a multiple of the first iteration's loss. */
  public static final double FACTOR = 10;

  /** Consecutive iterations above the threshold before the loss rule fires. */
  public static final int WINDOW = 50;

  /** Epochs completed before the chance rule applies. */
  public static final int CHANCE_EPOCHS = 2;

  /**
   * One diagnosis.
   *
   * @param kind "loss_far_above_initial" or "accuracy_at_chance"
   * @param iteration iterations done
   * @param epoch epochs completed
   * @param message the whole warning, causes included
   * @param numbers the values behind it, for metrics.jsonl
   */
  public record Finding(
      String kind, int iteration, int epoch, String message, Map<String, Object> numbers) {
    /** The finding as a metrics.jsonl event. */
    public Map<String, Object> toEvent(String event) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("event", event);
      m.put("kind", kind);
      m.put("iteration", iteration);
      m.put("epoch", epoch);
      m.putAll(numbers);
      m.put("message", message);
      return m;
    }
  }

  /**
   * Thrown from a listener call to end a run that looks diverged ({@code --stop-on-divergence}).
   */
  public static final class Stop extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What was found. */
    public final transient Finding finding;

    Stop(Finding finding) {
      super(finding.message());
      this.finding = finding;
    }
  }

  private final int numClasses;
  private final boolean stop;
  private final Consumer<Finding> sink;
  private final List<Finding> findings = new ArrayList<>();
  private double initialLoss = Double.NaN;
  private int above;
  private boolean lossReported;
  private boolean chanceReported;

  /**
   * @param numClasses classes of the task (chance = 1 / numClasses)
   * @param stop end the run at the first finding
   * @param sink told of every finding (before a stop)
   */
  public DivergenceWatch(int numClasses, boolean stop, Consumer<Finding> sink) {
    this.numClasses = numClasses;
    this.stop = stop;
    this.sink = sink;
  }

  /** The findings so far. */
  public List<Finding> findings() {
    return List.copyOf(findings);
  }

  @Override
  public void iterationDone(Iteration it) {
    if (Double.isNaN(initialLoss)) {
      initialLoss = it.loss();
      return;
    }
    double threshold = Math.max(FACTOR * initialLoss, initialLoss + 10);
    above = it.loss() > threshold ? above + 1 : 0;
    if (above >= WINDOW && !lossReported) {
      lossReported = true;
      Map<String, Object> n = new LinkedHashMap<>();
      n.put("initial_loss", initialLoss);
      n.put("loss", it.loss());
      n.put("lr", it.learningRate());
      report(
          new Finding(
              "loss_far_above_initial",
              it.iteration(),
              it.epoch(),
              String.format(
                  Locale.ROOT,
                  "training looks diverged at iteration %d (epoch %d): the loss has stayed above"
                      + " %.0fx its initial value %.4g for %d iterations (now %.4g), though it is"
                      + " finite.%n%s",
                  it.iteration(),
                  it.epoch(),
                  FACTOR,
                  initialLoss,
                  WINDOW,
                  it.loss(),
                  causes(it.learningRate(), false)),
              n));
    }
  }

  @Override
  public void accuracyChecked(Accuracy a) {
    double chance = 1.0 / numClasses;
    if (chanceReported || a.epoch() < CHANCE_EPOCHS || numClasses < 2) {
      return;
    }
    if (a.trainAcc() <= 1.2 * chance && a.valAcc() <= 1.2 * chance) {
      chanceReported = true;
      Map<String, Object> n = new LinkedHashMap<>();
      n.put("train_acc", a.trainAcc());
      n.put("val_acc", a.valAcc());
      n.put("chance", chance);
      report(
          new Finding(
              "accuracy_at_chance",
              a.iteration(),
              a.epoch(),
              String.format(
                  Locale.ROOT,
                  "training is not learning after %d epochs: train accuracy %.4f and validation"
                      + " accuracy %.4f are at chance (%.4f for %d classes).%n%s",
                  a.epoch(),
                  a.trainAcc(),
                  a.valAcc(),
                  chance,
                  numClasses,
                  causes(a.learningRate(), true)),
              n));
    }
  }

  private void report(Finding f) {
    findings.add(f);
    sink.accept(f);
    if (stop) {
      throw new Stop(f);
    }
  }

  private static String causes(double lr, boolean notLearning) {
    return String.format(
        Locale.ROOT,
        "Likely causes: the learning rate is too high (it is %.3g: try 10-100x smaller)%s; a"
            + " weight initialization scale that is too large; too much regularization%s.",
        lr,
        notLearning ? " or far too low" : "",
        notLearning ? "; labels that do not match the images" : "");
  }
}
