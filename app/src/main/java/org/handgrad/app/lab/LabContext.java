package org.handgrad.app.lab;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.handgrad.app.report.RunDirectory;
import org.handgrad.nn.Model;
import org.handgrad.optim.Solver;
import org.handgrad.optim.SolverListener;
import org.handgrad.optim.SolverOptions;
import org.handgrad.optim.TrainingDivergedException;

/**
 * What a running lab gets: its run folder, the quick flag, the seed, the data, a place to print
 * progress, and the {@link LabSummary} it fills. It also trains a model the way every lab does.
 */
public final class LabContext {
  /** Loads the lab data at a size (Fashion-MNIST or the fallback). */
  @FunctionalInterface
  public interface DataLoader {
    /**
     * @param numTrain training examples
     * @param numVal validation examples
     */
    LabData load(int numTrain, int numVal) throws IOException;
  }

  private final boolean quick;
  private final long seed;
  private final RunDirectory run;
  private final PrintWriter out;
  private final DataLoader loader;
  private final LabSummary summary = new LabSummary();
  private LabData data;

  /**
   * @param quick run the reduced version (under a minute)
   * @param seed seeds every initialization and minibatch order
   * @param run the folder to write plots into
   * @param out progress lines
   * @param loader loads the data on first use
   */
  public LabContext(
      boolean quick, long seed, RunDirectory run, PrintWriter out, DataLoader loader) {
    this.quick = quick;
    this.seed = seed;
    this.run = run;
    this.out = out;
    this.loader = loader;
  }

  /** Whether this is the reduced run. */
  public boolean quick() {
    return quick;
  }

  /** The seed. */
  public long seed() {
    return seed;
  }

  /** A file in the run folder. */
  public Path file(String name) {
    return run.file(name);
  }

  /** The summary the lab fills. */
  public LabSummary summary() {
    return summary;
  }

  /** The data loaded so far, or null when the lab needed none. */
  public LabData loadedData() {
    return data;
  }

  /**
   * The lab data at the given size, loaded once (a later call with other sizes reloads).
   *
   * @param numTrain training examples
   * @param numVal validation examples
   */
  public LabData data(int numTrain, int numVal) throws IOException {
    if (data == null || data.yTrain().length != numTrain || data.yVal().length != numVal) {
      data = loader.load(numTrain, numVal);
    }
    return data;
  }

  /** Prints one progress line. */
  public void say(String format, Object... args) {
    out.println(String.format(Locale.ROOT, format, args));
    out.flush();
  }

  /**
   * How one training run of a lab went.
   *
   * @param loss the loss of every iteration done
   * @param trainAcc train accuracy per check (after the first iteration, then every epoch)
   * @param valAcc validation accuracy per check
   * @param diverged the Solver's diagnosis when a number went NaN or infinite, else null
   * @param seconds wall time
   */
  public record Trained(
      List<Double> loss,
      List<Double> trainAcc,
      List<Double> valAcc,
      TrainingDivergedException diverged,
      double seconds) {
    /** The last validation accuracy, or NaN when none was checked. */
    public double finalValAcc() {
      return valAcc.isEmpty() ? Double.NaN : valAcc.get(valAcc.size() - 1);
    }

    /** The last train accuracy, or NaN when none was checked. */
    public double finalTrainAcc() {
      return trainAcc.isEmpty() ? Double.NaN : trainAcc.get(trainAcc.size() - 1);
    }

    /** The mean loss of the last {@code k} iterations (fewer when fewer were done). */
    public double finalLoss(int k) {
      double s = 0;
      int n = Math.min(k, loss.size());
      for (int i = loss.size() - n; i < loss.size(); i++) {
        s += loss.get(i);
      }
      return n == 0 ? Double.NaN : s / n;
    }
  }

  /**
   * Trains a model with the Solver on the lab data; a NaN is caught and returned as the diagnosis
   * (labs reproduce failures on purpose).
   *
   * @param label the arm's name for the progress line
   * @param net a {@link LabNet}, or any CS231n model taking the lab data's (N, D) rows
   * @param listeners extra Solver listeners (e.g. a {@code DivergenceWatch})
   */
  public Trained train(
      String label, Model net, LabData d, SolverOptions options, SolverListener... listeners) {
    Solver solver =
        new Solver(
            net,
            new Solver.Data(d.xTrain(), d.yTrain(), d.xVal(), d.yVal()),
            options.toBuilder().verbose(false).build());
    for (SolverListener l : listeners) {
      solver.addListener(l);
    }
    long t0 = System.nanoTime();
    TrainingDivergedException diverged = null;
    try {
      solver.train();
    } catch (TrainingDivergedException e) {
      diverged = e;
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    Trained t =
        new Trained(
            new ArrayList<>(solver.lossHistory()),
            new ArrayList<>(solver.trainAccHistory()),
            new ArrayList<>(solver.valAccHistory()),
            diverged,
            seconds);
    if (diverged != null) {
      say("  %-22s diverged at iteration %d (%.1f s)", label, diverged.iteration(), seconds);
    } else {
      say(
          "  %-22s loss %s, val acc %.3f (%.1f s)",
          label, LabSummary.fmt(t.finalLoss(10)), t.finalValAcc(), seconds);
    }
    return t;
  }
}
