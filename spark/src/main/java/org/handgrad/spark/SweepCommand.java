package org.handgrad.spark;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.handgrad.app.TrainCommand;
import org.handgrad.app.report.HtmlReport;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code ./handgrad sweep}: a hyper-parameter search, one Spark task per configuration.
 *
 * <pre>
 * ./handgrad sweep --model softmax --epochs 5 --grid lr=1e-4,3e-4,1e-3 --grid reg=0,1e-4
 * ./handgrad sweep --model cnn --random 8 --seed 1 --grid lr=1e-4:1e-2 --grid reg=0,1e-3
 * </pre>
 *
 * <p>Each configuration runs the ordinary {@code train} command with the shared options plus its
 * own values, in its own run folder under {@code <sweep-dir>/<name>/runs/} (checkpoints, plots,
 * {@code result.json}), so its numbers are exactly those of {@code ./handgrad train} with the same
 * options. The sweep folder gets {@code sweep.json} (the plan), {@code summary.json} (every result,
 * best validation accuracy first), {@code results.txt} (the table printed) and, for a two-option
 * grid, {@code heatmap.png}. A configuration that fails is reported with its error; the others go
 * on. Running the same command again skips the configurations that finished, continues the ones
 * that stopped after a checkpoint and retries the failed ones.
 */
@Command(
    name = "sweep",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Hyper-parameter sweep on Spark: each configuration is one './handgrad train' run (one"
          + " Spark task) with its own run folder and checkpoints.",
      "Any train option not listed here (--model, --data, --epochs, ...) is shared by every"
          + " configuration.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  ./handgrad sweep --model softmax --epochs 5 --grid lr=1e-4,3e-4,1e-3 --grid reg=0,1e-4",
      "  ./handgrad sweep --model cnn --random 8 --seed 1 --grid lr=1e-4:1e-2 --grid reg=0,1e-3",
      "  ./handgrad sweep --master spark://host:7077 --model cnn --grid lr=1e-4,1e-3",
      "Exit codes: 0 every configuration finished, 1 some failed, 2 bad usage."
    })
public final class SweepCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--grid",
      paramLabel = "NAME=V1,V2",
      required = true,
      description =
          "A train option and its values (repeatable): lr=1e-4,3e-4 (a list), or lr=1e-4:1e-2 (a"
              + " range, log-uniform, with --random).")
  List<String> grid;

  @Option(
      names = "--random",
      paramLabel = "N",
      description = "Draw N random configurations instead of the whole grid.")
  Integer random;

  @Option(
      names = "--seed",
      paramLabel = "S",
      defaultValue = "0",
      description =
          "Seed of the --random draw and of every configuration's training (train --seed;"
              + " default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--master",
      paramLabel = "URL",
      description = "Spark master (default: spark-submit's, else local[*], embedded).")
  String master;

  @Option(
      names = "--sweep-dir",
      paramLabel = "DIR",
      defaultValue = "sweeps",
      description = "Parent of the sweep folder (default: ${DEFAULT-VALUE}).")
  Path sweepDir;

  @Option(
      names = "--sweep-name",
      paramLabel = "NAME",
      description =
          "Sweep folder name (default: MODEL-DATA); running the same sweep again continues it.")
  String sweepName;

  @Option(
      names = "--task-threads",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Kernel threads per training task (default: ${DEFAULT-VALUE}: Spark runs one task per"
              + " core; results do not depend on it).")
  int taskThreads;

  @Unmatched List<String> trainArgs = new ArrayList<>();

  private final Spark spark;

  /** Uses a Spark context made on first use. */
  public SweepCommand() {
    this(new Spark());
  }

  /** Uses the given Spark (tests share one context). */
  public SweepCommand(Spark spark) {
    this.spark = spark;
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      return sweep(out);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.println("see './handgrad sweep --help'");
      return 2;
    } finally {
      out.flush();
      err.flush();
    }
  }

  private int sweep(PrintWriter out) throws IOException {
    Grid g = Grid.parse(grid);
    List<SweepConfig> configs = random != null ? g.random(random, seed) : g.cartesian();
    List<String> shared = new ArrayList<>(trainArgs);
    for (String a : shared) {
      String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
      if (List.of("--name", "--run-dir", "--resume").contains(name)) {
        throw new IllegalArgumentException(
            name + " is set by the sweep for each configuration (see --sweep-dir, --sweep-name)");
      }
      if (name.startsWith("--") && g.names().contains(name.substring(2))) {
        throw new IllegalArgumentException(name + " is swept by --grid; do not give it too");
      }
    }
    shared.add("--seed");
    shared.add(Long.toString(seed));
    // Typos fail here, before any Spark work: the first configuration's full train command line.
    List<String> first = new ArrayList<>(shared);
    first.addAll(configs.get(0).trainArgs());
    try {
      new CommandLine(new TrainCommand()).parseArgs(first.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException("train options: " + e.getMessage());
    }
    String name = sweepName != null ? sweepName : defaultName(shared);
    // Absolute: executors resolve paths against their own working folder (on a standalone
    // cluster, work/app-.../N/), so a relative folder would be a different one on each of them.
    Path folder = sweepDir.toAbsolutePath().normalize().resolve(name);
    Map<String, Object> plan = plan(g, configs, shared);
    checkPlan(folder, plan);

    long start = System.nanoTime();
    Path runs = folder.resolve("runs");
    List<SweepResult> results = new ArrayList<>();
    List<SweepConfig> todo = new ArrayList<>();
    for (SweepConfig c : configs) {
      SweepResult earlier = Sweeps.finishedEarlier(runs, c);
      if (earlier != null) {
        results.add(earlier);
      } else {
        todo.add(c);
      }
    }
    out.printf(
        Locale.ROOT,
        "sweep %s: %d configurations (%d finished earlier, %d to run)%n",
        folder,
        configs.size(),
        configs.size() - todo.size(),
        todo.size());
    out.flush();
    String usedMaster = "";
    if (!todo.isEmpty()) {
      JavaSparkContext sc = spark.context(master);
      usedMaster = sc.master();
      out.println("spark: " + usedMaster + ", default parallelism " + sc.defaultParallelism());
      out.flush();
      results.addAll(Sweeps.run(sc, new SweepTask(shared, runs.toString(), taskThreads), todo));
    }
    double wall = (System.nanoTime() - start) * 1e-9;
    List<SweepResult> sorted = Sweeps.sorted(results);
    String table = Sweeps.table(sorted);
    out.print(table);
    AtomicFiles.write(folder.resolve("results.txt"), table.getBytes(StandardCharsets.UTF_8));
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("sweep", plan);
    summary.put("master", usedMaster);
    summary.put("wall_seconds", wall);
    summary.put("results", sorted.stream().map(SweepResult::toMap).toList());
    AtomicFiles.write(
        folder.resolve("summary.json"), Json.writePretty(summary).getBytes(StandardCharsets.UTF_8));
    List<String> written = new ArrayList<>(List.of("summary.json", "results.txt"));
    if (random == null && g.names().size() == 2) {
      Sweeps.heatMap(g, results, folder.resolve("heatmap.png"), name);
      written.add("heatmap.png");
    }
    HtmlReport.write(folder);
    written.add(HtmlReport.FILE);
    long failed = results.stream().filter(r -> !r.finished()).count();
    out.printf(
        Locale.ROOT,
        "%d finished, %d failed; wall time %.1f s; wrote %s in %s%n",
        results.size() - failed,
        failed,
        wall,
        String.join(", ", written),
        folder);
    if (failed > 0) {
      out.println("running the same command again retries the failed configurations");
    }
    return failed > 0 ? 1 : 0;
  }

  private static String defaultName(List<String> args) {
    String model = valueOf(args, "--model", "model");
    String data = valueOf(args, "--data", "fashion-mnist");
    return model + "-" + data;
  }

  private static String valueOf(List<String> args, String option, String fallback) {
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals(option) && i + 1 < args.size()) {
        return args.get(i + 1);
      }
      if (args.get(i).startsWith(option + "=")) {
        return args.get(i).substring(option.length() + 1);
      }
    }
    return fallback;
  }

  private Map<String, Object> plan(Grid g, List<SweepConfig> configs, List<String> shared) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("grid", grid);
    p.put("random", random);
    p.put("seed", seed);
    p.put("train_args", shared);
    List<Object> cs = new ArrayList<>();
    for (SweepConfig c : configs) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("index", c.index());
      m.put("run_name", c.runName());
      m.put("values", new LinkedHashMap<>(c.values()));
      cs.add(m);
    }
    p.put("configs", cs);
    return p;
  }

  /** Writes sweep.json, or checks that the one there describes the same sweep. */
  private static void checkPlan(Path folder, Map<String, Object> plan) throws IOException {
    Path file = folder.resolve("sweep.json");
    String text = Json.writePretty(plan);
    if (Files.isRegularFile(file)) {
      Object old = Json.parse(Files.readString(file));
      if (!old.equals(Json.parse(text))) {
        throw new IllegalArgumentException(
            folder
                + " holds a different sweep (see its sweep.json); give another --sweep-name or"
                + " the same options");
      }
      return;
    }
    Files.createDirectories(folder);
    AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Sorting helper shared with tests: best validation accuracy first, failures last. */
  static Comparator<SweepResult> byValAcc() {
    return Comparator.comparing((SweepResult r) -> !r.finished())
        .thenComparing(r -> -r.bestValAcc())
        .thenComparing(r -> r.config().index());
  }
}
