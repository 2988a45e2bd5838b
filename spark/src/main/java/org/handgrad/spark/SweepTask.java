package org.handgrad.spark;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Serializable;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.SparkEnv;
import org.handgrad.app.TrainCommand;
import org.handgrad.app.train.DataSource;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.io.Json;
import org.handgrad.kernels.Parallel;
import picocli.CommandLine;

/**
 * The executor side of a sweep: one configuration trained by the ordinary {@code train} command (so
 * a sweep's numbers are those of {@code ./handgrad train} with the same options), with the dataset
 * read once per executor JVM and kept for the configurations that follow.
 *
 * @param trainArgs the {@code train} options shared by every configuration
 * @param runsDir the folder holding one run folder per configuration
 * @param taskThreads kernel threads per training (results do not depend on it)
 */
public record SweepTask(List<String> trainArgs, String runsDir, int taskThreads)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Options a resumed {@code train} accepts; the others are fixed by the checkpoint. */
  private static final List<String> RESUME_OPTIONS =
      List.of(
          "--data-dir",
          "--num-test",
          "--epochs",
          "--checkpoint-every",
          "--keep-checkpoints",
          "--log-every");

  private static final List<String> RESUME_FLAGS = List.of("--no-fetch");

  /** Datasets of this JVM by (name, policy, shapes template): read once, shared read-only. */
  private static final Map<List<Object>, DataSource.Loaded> DATA = new ConcurrentHashMap<>();

  private static final AtomicInteger LOADS = new AtomicInteger();

  /** Copies the arguments. */
  public SweepTask {
    trainArgs = List.copyOf(trainArgs);
  }

  /** How many datasets this JVM has read (or generated) for sweeps; for tests and logs. */
  public static int datasetLoads() {
    return LOADS.get();
  }

  /** Forgets the cached datasets (tests). */
  static void clearDataCache() {
    DATA.clear();
    LOADS.set(0);
  }

  private static DataSource.Loaded load(
      DataSource source, String name, DataSource.Policy policy, SyntheticShapes.Config template)
      throws IOException {
    try {
      return DATA.computeIfAbsent(
          List.of(name, policy.toString(), template),
          k -> {
            try {
              LOADS.incrementAndGet();
              return source.load(name, policy, template);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * Trains one configuration; never throws: a failure is returned with its error.
   *
   * @param config the configuration
   * @return the outcome, read from the run's {@code result.json}
   */
  public SweepResult run(SweepConfig config) {
    long start = System.nanoTime();
    String worker = worker();
    Path runs = Path.of(runsDir);
    StringWriter outText = new StringWriter();
    StringWriter errText = new StringWriter();
    Path folder = null;
    try {
      if (taskThreads > 0) {
        Parallel.setThreads(taskThreads);
      }
      Optional<Path> partial = runFolders(runs, config).stream().findFirst();
      List<String> args = new ArrayList<>();
      if (partial.isPresent() && hasCheckpoint(partial.get())) {
        args.add("--resume");
        args.add(partial.get().toString());
        args.addAll(resumeArgs(trainArgs));
      } else {
        args.addAll(trainArgs);
        args.addAll(config.trainArgs());
        args.addAll(List.of("--run-dir", runs.toString(), "--name", config.runName()));
      }
      CommandLine cl = new CommandLine(new TrainCommand().dataLoader(SweepTask::load));
      PrintWriter out = new PrintWriter(outText, true);
      PrintWriter err = new PrintWriter(errText, true);
      cl.setOut(out);
      cl.setErr(err);
      int code = cl.execute(args.toArray(String[]::new));
      double seconds = (System.nanoTime() - start) * 1e-9;
      folder = runFolders(runs, config).stream().findFirst().orElse(null);
      Path result = folder == null ? null : folder.resolve("result.json");
      if (code == 0 && result != null && Files.isRegularFile(result)) {
        Map<?, ?> r = (Map<?, ?>) Json.parse(Files.readString(result));
        return new SweepResult(
            config,
            SweepResult.OK,
            ((Number) r.get("best_val_acc")).doubleValue(),
            ((Number) r.get("test_acc")).doubleValue(),
            seconds,
            folder.toString(),
            null,
            worker);
      }
      return failed(config, errorLines(errText.toString(), code), seconds, folder, worker);
    } catch (Throwable t) { // NOPMD: a configuration must never sink the sweep
      return failed(config, t.toString(), (System.nanoTime() - start) * 1e-9, folder, worker);
    }
  }

  private static SweepResult failed(
      SweepConfig config, String error, double seconds, Path folder, String worker) {
    return new SweepResult(
        config,
        SweepResult.FAILED,
        Double.NaN,
        Double.NaN,
        seconds,
        folder == null ? null : folder.toString(),
        error,
        worker);
  }

  /** The {@code error:} lines of a failed {@code train}, else its last lines. */
  static String errorLines(String err, int code) {
    List<String> lines = err.lines().filter(l -> l.startsWith("error:")).toList();
    if (lines.isEmpty()) {
      List<String> all = err.lines().filter(l -> !l.isBlank()).toList();
      lines = all.subList(Math.max(0, all.size() - 5), all.size());
    }
    String text = String.join("\n", lines).replaceFirst("^error: ", "");
    return "exit code " + code + (text.isEmpty() ? "" : ": " + text);
  }

  /**
   * The run folders of a configuration ({@code cfg-003-<stamp>}), those with a {@code result.json}
   * first, then the newest.
   */
  static List<Path> runFolders(Path runs, SweepConfig config) throws IOException {
    if (!Files.isDirectory(runs)) {
      return List.of();
    }
    String prefix = config.runName() + "-";
    try (Stream<Path> s = Files.list(runs)) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix) && Files.isDirectory(p))
          .sorted(
              Comparator.comparing((Path p) -> !Files.isRegularFile(p.resolve("result.json")))
                  .thenComparing(Comparator.comparing(Path::toString).reversed()))
          .toList();
    }
  }

  private static boolean hasCheckpoint(Path run) throws IOException {
    Path dir = run.resolve("checkpoints");
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(p -> p.toString().endsWith(".json"));
    }
  }

  /** The shared options a resumed run may be given. */
  static List<String> resumeArgs(List<String> args) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
      if (RESUME_FLAGS.contains(a)) {
        out.add(a);
      } else if (RESUME_OPTIONS.contains(name)) {
        out.add(a);
        if (!a.contains("=") && i + 1 < args.size()) {
          out.add(args.get(++i));
        }
      }
    }
    return out;
  }

  private static String worker() {
    SparkEnv env = SparkEnv.get();
    return env == null ? null : env.executorId();
  }
}
