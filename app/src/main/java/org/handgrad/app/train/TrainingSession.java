package org.handgrad.app.train;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.handgrad.app.report.Figures;
import org.handgrad.app.report.MetricsLog;
import org.handgrad.app.report.RunDirectory;
import org.handgrad.app.report.RunReport;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.Solver;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;

/**
 * One {@code train} session on a ready Solver: progress display, metrics log, checkpoint pruning,
 * the Ctrl-C hook, then either the stop report (where the checkpoint is, how to resume) or the
 * final report (test accuracy of the best parameters, plots, {@code result.json}).
 */
public final class TrainingSession {
  /** Exit code after Ctrl-C (128 + SIGINT, the shell convention). */
  public static final int INTERRUPTED = 130;

  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean terminal;

  /**
   * @param out results and per-epoch lines
   * @param err progress bars and notes
   * @param terminal redraw progress bars in place
   */
  public TrainingSession(PrintWriter out, PrintWriter err, boolean terminal) {
    this.out = out;
    this.err = err;
    this.terminal = terminal;
  }

  /**
   * Trains until done or interrupted, and reports.
   *
   * @param keepCheckpoints newest checkpoints to keep, &gt;= 1
   * @param logEvery iterations per metrics.jsonl summary line, &gt; 0
   * @return 0 when training completed, {@link #INTERRUPTED} when it was stopped
   */
  public int run(
      Solver solver,
      RunDirectory run,
      RunSpec runSpec,
      TrainingData data,
      DataSource.Loaded loaded,
      int keepCheckpoints,
      int logEvery)
      throws IOException {
    out.println("model: " + runSpec.describe());
    out.println("parameters: " + parameterCount(solver.model()) + "  " + solverSummary(solver));
    out.println("run folder: " + run.path());
    out.flush();
    removeLeftovers(run);
    TrainingProgress progress =
        new TrainingProgress(out, err, terminal, System::nanoTime, solver.options().batchSize());
    solver.addListener(progress);
    solver.addListener(CheckpointFiles.pruner(run.checkpointsDir(), keepCheckpoints));

    AtomicBoolean training = new AtomicBoolean(true);
    AtomicBoolean interrupted = new AtomicBoolean(false);
    CountDownLatch reported = new CountDownLatch(1);
    // Ctrl-C: the JVM runs shutdown hooks on SIGINT/SIGTERM while the training thread keeps going.
    // The hook asks the Solver to stop after its current iteration (it then writes a checkpoint)
    // and holds the JVM until this thread has reported where the checkpoint is.
    Thread hook =
        new Thread(
            () -> {
              if (!training.get()) {
                return;
              }
              interrupted.set(true);
              err.println();
              err.println("interrupted: stopping after this iteration, saving a checkpoint...");
              err.flush();
              solver.requestStop();
              try {
                reported.await(5, TimeUnit.MINUTES);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "handgrad-train-interrupt");
    Runtime.getRuntime().addShutdownHook(hook);
    try (MetricsLog log = new MetricsLog(run.metricsFile(), logEvery)) {
      solver.addListener(log);
      Solver.Status status;
      try {
        status = solver.train();
      } finally {
        training.set(false);
      }
      if (status == Solver.Status.STOPPED) {
        return stopped(solver, run, interrupted.get());
      }
      return finished(solver, run, runSpec, data, loaded);
    } finally {
      reported.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it returns now that the report is out
      }
    }
  }

  /**
   * Removes the temporary and orphan files a crash (kill -9, power loss) in the middle of a
   * checkpoint or report write left in the run folder, and says so.
   */
  private void removeLeftovers(RunDirectory run) throws IOException {
    List<Path> removed = new ArrayList<>(CheckpointFiles.cleanUp(run.checkpointsDir()));
    try (DirectoryStream<Path> files = Files.newDirectoryStream(run.path())) {
      for (Path f : files) {
        if (AtomicFiles.isTempName(f.getFileName().toString()) && Files.isRegularFile(f)) {
          Files.deleteIfExists(f);
          removed.add(f);
        }
      }
    }
    if (!removed.isEmpty()) {
      err.println(
          "note: removed "
              + removed.size()
              + " file(s) left by an interrupted write (a crash or kill -9 while saving): "
              + String.join(", ", removed.stream().map(p -> p.getFileName().toString()).toList()));
      err.flush();
    }
  }

  private int stopped(Solver solver, RunDirectory run, boolean byInterrupt) {
    try {
      RunReport.writeTrainingPlots(run, solver);
    } catch (IOException | RuntimeException e) {
      // The checkpoint is what matters; a plot failing while the JVM shuts down must not hide it.
      err.println("note: could not write the plots: " + e);
    }
    String where = solver.lastCheckpoint().map(Path::toString).orElse("(none written)");
    out.printf(
        Locale.ROOT,
        "stopped at iteration %d (epoch %d)%s; checkpoint: %s%n",
        solver.iteration(),
        solver.epoch(),
        byInterrupt ? " on interrupt" : "",
        where);
    out.println("continue with: ./handgrad train --resume " + run.path());
    out.flush();
    return INTERRUPTED;
  }

  private int finished(
      Solver solver, RunDirectory run, RunSpec runSpec, TrainingData data, DataSource.Loaded loaded)
      throws IOException {
    Model model = solver.model();
    int[] pred =
        TrainedModel.predict(model, data.test().x(), Math.max(solver.options().batchSize(), 256));
    double testAcc = Metrics.accuracy(data.test().y(), pred);
    List<Path> plots = new ArrayList<>(RunReport.writeTrainingPlots(run, solver));
    Tensor weights = firstLayerWeights(RunSpec.unwrap(model), runSpec.inputShape());
    if (weights != null) {
      plots.add(RunReport.writeWeights(run, weights, runSpec.inputShape()));
    }
    Path confusion = run.file("confusion.png");
    Figures.confusionMatrix(
        Metrics.confusionMatrix(data.test().y(), pred, runSpec.classNames().size()),
        runSpec.classNames(),
        "Test confusion matrix (" + runSpec.model() + ", " + runSpec.dataset() + ")",
        confusion);
    plots.add(confusion);

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("event", "test");
    result.put("model", runSpec.model());
    result.put("dataset", runSpec.dataset());
    result.put("fell_back", loaded.fellBack());
    result.put("test_acc", testAcc);
    result.put("num_test", data.test().size());
    result.put("best_val_acc", solver.bestValAcc());
    result.put("iterations", solver.iteration());
    result.put("epochs", solver.epoch());
    result.put("checkpoint", solver.lastCheckpoint().map(Path::toString).orElse(null));
    Files.writeString(
        run.metricsFile(),
        Json.write(result) + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    AtomicFiles.write(
        run.file("result.json"), Json.writePretty(result).getBytes(StandardCharsets.UTF_8));

    out.printf(
        Locale.ROOT,
        "test accuracy: %.4f (%d %s test images; best val acc %.4f)%n",
        testAcc,
        data.test().size(),
        runSpec.dataset(),
        solver.bestValAcc());
    if (loaded.fellBack()) {
      out.println(
          "NOTE: trained on the synthetic shapes fallback, not " + runSpec.requestedDataset());
    }
    out.println(
        "plots: "
            + String.join(", ", plots.stream().map(p -> p.getFileName().toString()).toList()));
    out.println("run folder: " + run.path());
    out.println("evaluate again: ./handgrad eval --checkpoint " + run.path());
    out.flush();
    return 0;
  }

  /** The first layer's weights as images, or null when they cannot be shown. */
  static Tensor firstLayerWeights(Model model, int[] inputShape) {
    if (model.parameters().isEmpty()) {
      return null;
    }
    Parameter p = model.parameters().get(0);
    Tensor w = p.value();
    int d = Shapes.size(inputShape);
    if (w.ndim() == 4 && (w.shape(1) == 1 || w.shape(1) == 3)) {
      return w;
    }
    if (w.ndim() == 2 && (inputShape[0] == 1 || inputShape[0] == 3)) {
      if (w.shape(0) == d) {
        return w;
      }
      if (w.shape(0) == d + 1) {
        return w.slice(0, 0, d).copy(); // the bias row of the bias trick is not an image
      }
    }
    return null;
  }

  private static long parameterCount(Model m) {
    long n = 0;
    for (Parameter p : m.parameters()) {
      n += p.size();
    }
    return n;
  }

  private static String solverSummary(Solver s) {
    SolverOptions o = s.options();
    return String.format(
        Locale.ROOT,
        "%s lr %.3g%s, batch %d, %d epochs, %d iterations",
        o.updateRule().name(),
        o.updateRule().learningRate(),
        o.lrSchedule() != null ? " (scheduled)" : o.lrDecay() != 1.0 ? " decay " + o.lrDecay() : "",
        o.batchSize(),
        o.numEpochs(),
        s.numIterations());
  }
}
