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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleConsumer;
import org.handgrad.app.report.Figures;
import org.handgrad.app.report.HtmlReport;
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
import org.handgrad.optim.TrainingDivergedException;
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

  /** Ctrl-C hook phases: training, writing the final report, done. */
  private DoubleConsumer onTestAccuracy = acc -> {};

  /**
   * Called with the final test accuracy as soon as it is known, before the report is written (the
   * speedrun's clock stops there); returns this session.
   */
  public TrainingSession onTestAccuracy(DoubleConsumer consumer) {
    this.onTestAccuracy = consumer;
    return this;
  }

  private static final int TRAINING = 0;

  private static final int REPORTING = 1;
  private static final int DONE = 2;

  /**
   * Trains until done or interrupted, and reports.
   *
   * @param keepCheckpoints newest checkpoints to keep, &gt;= 1
   * @param logEvery iterations per metrics.jsonl summary line, &gt; 0
   * @param stopOnDivergence end the run when it looks diverged though finite ({@link
   *     DivergenceWatch}); without it, a warning
   * @return 0 when training completed, {@link #INTERRUPTED} when it was stopped, {@link #DIVERGED}
   *     when {@code stopOnDivergence} ended it
   * @throws TrainingDivergedException on a NaN or infinite number, after recording it in the run
   *     folder
   */
  public int run(
      Solver solver,
      RunDirectory run,
      RunSpec runSpec,
      TrainingData data,
      DataSource.Loaded loaded,
      int keepCheckpoints,
      int logEvery,
      boolean stopOnDivergence)
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

    AtomicInteger phase = new AtomicInteger(TRAINING);
    AtomicBoolean interrupted = new AtomicBoolean(false);
    CountDownLatch reported = new CountDownLatch(1);
    // Ctrl-C: the JVM runs shutdown hooks on SIGINT/SIGTERM while the training thread keeps going.
    // During training the hook asks the Solver to stop after its current iteration (it then writes
    // a checkpoint); during the final report it lets the report finish. Either way it holds the
    // JVM until this thread has reported.
    Thread hook =
        new Thread(
            () -> {
              int now = phase.get();
              if (now == DONE) {
                return;
              }
              err.println();
              if (now == TRAINING) {
                interrupted.set(true);
                err.println("interrupted: stopping after this iteration, saving a checkpoint...");
                solver.requestStop();
              } else {
                err.println(
                    "interrupted while writing the final report: training is complete, finishing"
                        + " the report first (test accuracy, plots, result.json)...");
              }
              err.flush();
              try {
                if (!reported.await(5, TimeUnit.MINUTES)) {
                  err.println(
                      "the report was not finished; to complete it: ./handgrad eval --checkpoint "
                          + run.path());
                  err.flush();
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "handgrad-train-interrupt");
    Runtime.getRuntime().addShutdownHook(hook);
    try (MetricsLog log = new MetricsLog(run.metricsFile(), logEvery)) {
      solver.addListener(log);
      DivergenceWatch watch =
          new DivergenceWatch(
              runSpec.classNames().size(),
              stopOnDivergence,
              f -> {
                log.note(f.toEvent(stopOnDivergence ? "diverged" : "warning"));
                if (!stopOnDivergence) {
                  progress.clearLine();
                  err.println("warning: " + f.message());
                  err.println("(training goes on; --stop-on-divergence would stop it here)");
                  err.flush();
                }
              });
      solver.addListener(watch);
      Solver.Status status;
      try {
        status = solver.train();
      } catch (TrainingDivergedException e) {
        phase.set(REPORTING);
        recordDivergence(run, solver, log, divergedEvent(e), e.getMessage());
        throw e;
      } catch (DivergenceWatch.Stop e) {
        phase.set(REPORTING);
        recordDivergence(run, solver, null, e.finding.toEvent("diverged"), e.getMessage());
        err.println();
        err.println("error: " + e.getMessage());
        err.println("stopped (--stop-on-divergence); details in " + run.file("result.json"));
        return DIVERGED;
      } finally {
        phase.compareAndSet(TRAINING, REPORTING);
      }
      if (status == Solver.Status.STOPPED) {
        return stopped(solver, run, interrupted.get());
      }
      return finished(solver, run, runSpec, data, loaded, watch.findings());
    } finally {
      phase.set(DONE);
      reported.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it returns now that the report is out
      }
    }
  }

  /** Exit code when {@code --stop-on-divergence} ended a run (as for NaN). */
  public static final int DIVERGED = 3;

  private static Map<String, Object> divergedEvent(TrainingDivergedException e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("event", "diverged");
    m.put("kind", "non_finite_" + e.stage().name().toLowerCase(Locale.ROOT));
    m.put("iteration", e.iteration());
    m.put("epoch", e.epoch());
    m.put("loss", Double.isFinite(e.loss()) ? e.loss() : null);
    m.put("lr", e.learningRate());
    m.put("message", e.getMessage());
    return m;
  }

  /**
   * A diverged run says so in its folder: a {@code diverged} line in metrics.jsonl (when {@code
   * log} is given; the watch has written its own), {@code result.json} with the diagnosis, and the
   * loss and accuracy plots so far.
   */
  private void recordDivergence(
      RunDirectory run, Solver solver, MetricsLog log, Map<String, Object> event, String message) {
    try {
      if (log != null) {
        log.note(event);
      }
      Map<String, Object> result = new LinkedHashMap<>(event);
      result.put("event", "diverged");
      result.put("checkpoint", solver.lastCheckpoint().map(Path::toString).orElse(null));
      result.put("message", message);
      AtomicFiles.write(
          run.file("result.json"), Json.writePretty(result).getBytes(StandardCharsets.UTF_8));
      RunReport.writeTrainingPlots(run, solver);
      HtmlReport.write(run.path());
    } catch (IOException | RuntimeException e) {
      err.println("note: could not record the divergence in " + run.path() + ": " + e);
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
      HtmlReport.write(run.path());
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
      Solver solver,
      RunDirectory run,
      RunSpec runSpec,
      TrainingData data,
      DataSource.Loaded loaded,
      List<DivergenceWatch.Finding> warnings)
      throws IOException {
    Model model = solver.model();
    int[] pred =
        TrainedModel.predict(model, data.test().x(), Math.max(solver.options().batchSize(), 256));
    double testAcc = Metrics.accuracy(data.test().y(), pred);
    onTestAccuracy.accept(testAcc);

    // The result first, the plots after: an interrupted report keeps what matters most.
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
    if (!warnings.isEmpty()) {
      result.put("warnings", warnings.stream().map(DivergenceWatch.Finding::message).toList());
    }
    Files.writeString(
        run.metricsFile(),
        Json.write(result) + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    AtomicFiles.write(
        run.file("result.json"), Json.writePretty(result).getBytes(StandardCharsets.UTF_8));

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
    // Last: the page embeds the plots above.
    Path page = HtmlReport.write(run.path());

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
    if (!warnings.isEmpty()) {
      out.println(
          "NOTE: training looked diverged ("
              + String.join(", ", warnings.stream().map(DivergenceWatch.Finding::kind).toList())
              + "); see the warnings above and result.json");
    }
    out.println(
        "plots: "
            + String.join(", ", plots.stream().map(p -> p.getFileName().toString()).toList()));
    out.println("report: " + page);
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
