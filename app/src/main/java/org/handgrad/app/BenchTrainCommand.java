package org.handgrad.app;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.handgrad.app.train.DataSource;
import org.handgrad.app.train.Preprocessing;
import org.handgrad.data.DataDirs;
import org.handgrad.data.Dataset;
import org.handgrad.data.DatasetInfo;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.data.Downloader;
import org.handgrad.data.Split;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.kernels.CpuProfile;
import org.handgrad.kernels.Kernels;
import org.handgrad.kernels.Parallel;
import org.handgrad.models.Models;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.Adam;
import org.handgrad.optim.Optimizer;
import org.handgrad.optim.Solver;
import org.handgrad.optim.SolverListener;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./handgrad bench train}: training throughput in images per second, measured on the real
 * training path (the {@link Solver}'s step: batch gathering, forward, backward, non-finite checks,
 * gradient norm, Adam update) with batch 64, the setting of {@code torch_anchor.py}.
 *
 * <p>Method: the Solver runs warm-up iterations ({@code --warmup} windows and at least 2 s, so the
 * JIT has compiled the hot loops), then {@code --runs} windows of {@code iters} consecutive
 * iterations, each timed from one iteration's end to the window's last; the median window is
 * reported with the min and max. {@code iters} is chosen so a window lasts about {@code --window}
 * seconds. Accuracy checks at epoch ends (on 64 images) may fall into a window: they cost under one
 * step and the median ignores such outliers. With {@code --torch} the PyTorch twin {@code
 * scripts/bench/train_torch.py} runs the same protocol right after, so the ratio is measured in one
 * sitting. With {@code --profile} each model then runs {@code --runs} more steps on one fixed batch
 * (forward, backward, Adam; no Solver around them) under a {@link
 * org.handgrad.nn.graph.TapeProfile}, which shows where a tape-built model's step goes by
 * operation; the models whose loss is written by hand (cnn, bn-cnn, ...) record no tape and show
 * only the time outside it.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Training throughput (images/s) of the models: batch 64, Adam, the Solver's real step;"
          + " median of timed windows after warm-up. --torch runs the PyTorch twin in the same"
          + " sitting and prints the ratio.",
      ""
    })
public final class BenchTrainCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  /** --threads, --runs (timed windows), --warmup (untimed windows), --scalar. */
  @Mixin BenchCommand.Options options;

  @Option(
      names = "--model",
      paramLabel = "NAME",
      split = ",",
      description = "Models to time (default: softmax, two-layer, cnn, bn-cnn).")
  List<String> models = new ArrayList<>(List.of("softmax", "two-layer", "cnn", "bn-cnn"));

  @Option(
      names = "--data",
      paramLabel = "NAME",
      defaultValue = "fashion-mnist",
      description =
          "Images to train on, if found locally; else shapes of the same size (default:"
              + " ${DEFAULT-VALUE}).")
  String data;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "Data folder (default: $HANDGRAD_DATA, else ~/.handgrad/data).")
  Path dataDir;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "64",
      description = "Images per step (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--iters",
      paramLabel = "N",
      description = "Iterations per timed window (default: about --window seconds' worth).")
  Integer iters;

  @Option(
      names = "--window",
      paramLabel = "SECONDS",
      defaultValue = "1.5",
      description = "Target length of a window (default: ${DEFAULT-VALUE}).")
  double windowSeconds;

  @Option(
      names = "--dtype",
      paramLabel = "TYPE",
      defaultValue = "float32",
      description = "float32 or float64 (default: ${DEFAULT-VALUE}).")
  String dtype;

  @Option(
      names = "--profile",
      description =
          "After timing, run --runs more steps of each model under a TapeProfile and print where"
              + " the time goes by operation (tape-built models: vit, resnet-small, resnet18,"
              + " speedrun).")
  boolean profile;

  @Option(
      names = "--torch",
      description = "Also run the PyTorch twin (scripts/bench/train_torch.py) and print ratios.")
  boolean torch;

  @Option(
      names = "--python",
      paramLabel = "EXE",
      defaultValue = "/usr/bin/python3",
      description = "Python with torch for --torch (default: ${DEFAULT-VALUE}).")
  String python;

  @Option(
      names = "--torch-script",
      paramLabel = "FILE",
      defaultValue = "scripts/bench/train_torch.py",
      description = "The PyTorch twin (default: ${DEFAULT-VALUE}).")
  Path torchScript;

  private int windows;
  private int warmupWindows;

  /** One model's timing. */
  record Result(String model, double median, double min, double max, int iters, int windows) {}

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (batchSize <= 0 || (iters != null && iters <= 0) || windowSeconds <= 0) {
      err.println("error: --batch-size, --iters and --window must be > 0");
      return 2;
    }
    try {
      options.apply();
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 2;
    }
    windows = options.runs;
    warmupWindows = options.warmup;
    for (String m : models) {
      if (!Models.names().contains(m) || m.equals("knn")) {
        err.println(
            "error: unknown or untrainable model '"
                + m
                + "'; models: "
                + String.join(
                    ", ", Models.names().stream().filter(n -> !n.equals("knn")).toList()));
        return 2;
      }
    }
    DType type;
    try {
      type = org.handgrad.app.train.RunSpec.dtypeOf(dtype);
    } catch (IllegalArgumentException e) {
      err.println("error: --" + e.getMessage());
      return 2;
    }
    Split train = trainingImages(err);
    out.printf(
        Locale.ROOT,
        "handgrad bench train: batch %d, adam lr 1e-3, %s, %s images %s; %s; load average %s%n",
        batchSize,
        type.numpyName(),
        data,
        Shapes.str(train.exampleShape()),
        threads(),
        loadAverage());
    out.println("cpu: " + CpuProfile.current().describe());
    out.printf(
        Locale.ROOT,
        "%-10s %12s %20s %9s %14s%n",
        "model",
        "img/s median",
        "[min .. max]",
        "ms/step",
        "windows x iter");
    out.flush();
    List<Result> results = new ArrayList<>();
    for (String m : models) {
      Result r = time(m, train, type);
      results.add(r);
      out.printf(
          Locale.ROOT,
          "%-10s %12.0f %20s %9.2f %14s%n",
          m,
          r.median(),
          String.format(Locale.ROOT, "[%.0f .. %.0f]", r.min(), r.max()),
          1e3 * batchSize / r.median(),
          r.windows() + " x " + r.iters());
      out.flush();
    }
    if (profile) {
      for (Result r : results) {
        out.println();
        out.print(profileText(r.model(), train, type));
        out.flush();
      }
    }
    if (torch) {
      return compareWithTorch(results, out, err);
    }
    return 0;
  }

  /** The training split of --data (no download), else shapes with the same image size. */
  private Split trainingImages(PrintWriter err) {
    DatasetRegistry registry = DatasetRegistry.defaults();
    DatasetInfo info = registry.get(data);
    DataSource source =
        new DataSource(registry, DataDirs.defaults(dataDir), new Downloader(), err, () -> false);
    int[] cs = DataSource.imageShape(info);
    try {
      Dataset d =
          source
              .load(
                  data,
                  new DataSource.Policy(false, null, true),
                  new SyntheticShapes.Config(4_000, 10, cs[0], cs[1], 0))
              .dataset();
      return d.train();
    } catch (IOException e) {
      throw new IllegalStateException("unreachable: the fallback is on", e);
    }
  }

  /** The model's arguments for these images: input shape, classes, dtype. */
  private static Map<String, String> modelArgs(Split train, DType type) {
    int[] shape = train.exampleShape();
    Map<String, String> args = new LinkedHashMap<>();
    args.put("input_shape", shape[0] + "," + shape[1] + "," + shape[2]);
    args.put("num_classes", Integer.toString(train.numClasses()));
    args.put("dtype", type.numpyName());
    return args;
  }

  /** The images in the model's preprocessing (fitted on the first 1000), as {@code train} does. */
  private static Split prepare(Split train, String name, DType type) {
    Preprocessing pre =
        Preprocessing.fit(Preprocessing.kindFor(name), train.x().slice(0, 0, 1000).to(type));
    return train.withX(pre.apply(train.x().to(type)));
  }

  private Result time(String name, Split train, DType type) {
    Model model = Models.createModel(name, modelArgs(train, type));
    Split prepared = prepare(train, name, type);
    Split val = prepared.range(0, batchSize);

    // Estimate the step time on a throwaway Solver, then size the windows.
    double step = estimateStep(name, prepared, val, type);
    int perWindow = iters != null ? iters : (int) Math.max(3, Math.round(windowSeconds / step));
    // Warm-up: --warmup windows, and at least 2 s so that C2 has compiled the hot loops (unless
    // --warmup 0 asks for none, as a quick check of the command does).
    int warmup =
        warmupWindows == 0
            ? 1
            : (int) Math.max(5, Math.max(warmupWindows * perWindow, Math.ceil(2.0 / step)));
    int total = warmup + windows * perWindow;
    long[] ends = new long[total + 1];
    Solver solver = solver(model, prepared, val, total);
    solver.addListener(
        new SolverListener() {
          @Override
          public void iterationDone(Iteration it) {
            ends[it.iteration()] = System.nanoTime();
          }
        });
    solver.train();
    double[] rates = new double[windows];
    for (int w = 0; w < windows; w++) {
      int from = warmup + w * perWindow; // the window runs from the end of iteration `from`
      int to = from + perWindow;
      rates[w] = (double) perWindow * batchSize / ((ends[to] - ends[from]) / 1e9);
    }
    double[] sorted = rates.clone();
    Arrays.sort(sorted);
    double median =
        windows % 2 == 1
            ? sorted[windows / 2]
            : 0.5 * (sorted[windows / 2 - 1] + sorted[windows / 2]);
    return new Result(name, median, sorted[0], sorted[windows - 1], perWindow, windows);
  }

  /**
   * The {@link UnetBenchCommand#printProfile} table of {@code windows} training steps of a fresh
   * model on the first batch (after {@code max(2, warmupWindows)} untimed steps).
   */
  private String profileText(String name, Split train, DType type) {
    Split prepared = prepare(train, name, type);
    Model model = Models.createModel(name, modelArgs(train, type));
    Tensor x = prepared.x().slice(0, 0, batchSize);
    int[] y = Arrays.copyOf(prepared.y(), batchSize);
    Optimizer opt = new Optimizer(new Adam().withLearningRate(1e-3));
    List<Parameter> params = model.parameters();
    Runnable step =
        () -> {
          model.loss(x, y);
          opt.step(params);
        };
    for (int i = 0; i < Math.max(2, warmupWindows); i++) {
      step.run();
    }
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      UnetBenchCommand.printProfile(
          ps, name + " training step, batch " + batchSize + ", Adam", step, windows);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  private double estimateStep(String name, Split train, Split val, DType type) {
    Solver s = solver(Models.createModel(name, modelArgs(train, type)), train, val, 6);
    long[] t = new long[7];
    s.addListener(
        new SolverListener() {
          @Override
          public void iterationDone(Iteration it) {
            t[it.iteration()] = System.nanoTime();
          }
        });
    s.train();
    return Math.max((t[6] - t[2]) / 4e9, 1e-6);
  }

  /** A Solver running {@code total} iterations over the images, with tiny accuracy checks. */
  private Solver solver(Model model, Split train, Split val, int total) {
    int ipe = Math.max(train.size() / batchSize, 1);
    int epochs = (total + ipe - 1) / ipe;
    Split used = train;
    if (epochs == 1) {
      used = train.range(0, Math.min(train.size(), total * batchSize)); // one epoch of `total`
    }
    SolverOptions options =
        SolverOptions.builder()
            .updateRule("adam", Map.of("learning_rate", 1e-3))
            .batchSize(batchSize)
            .numEpochs(epochs)
            .numTrainSamples(batchSize)
            .numValSamples(batchSize)
            .verbose(false)
            .seed(0)
            .build();
    Solver s = new Solver(model, new Solver.Data(used.x(), used.y(), val.x(), val.y()), options);
    s.addListener(
        new SolverListener() {
          int done;

          @Override
          public void iterationDone(Iteration it) {
            if (++done == total) {
              s.requestStop();
            }
          }
        });
    return s;
  }

  private int compareWithTorch(List<Result> results, PrintWriter out, PrintWriter err)
      throws IOException, InterruptedException {
    if (!Files.isRegularFile(torchScript)) {
      err.println(
          "error: --torch: "
              + torchScript
              + " not found (run from the project folder or give --torch-script)");
      return 1;
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(python);
    cmd.add(torchScript.toString());
    cmd.add("--models");
    cmd.add(String.join(",", models));
    cmd.add("--batch-size");
    cmd.add(Integer.toString(batchSize));
    cmd.add("--windows");
    cmd.add(Integer.toString(windows));
    cmd.add("--window");
    cmd.add(Double.toString(windowSeconds));
    cmd.add("--warmup");
    cmd.add(Double.toString(Math.max(2.0, warmupWindows * windowSeconds)));
    out.println();
    out.println("PyTorch twin: " + String.join(" ", cmd));
    out.flush();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Map<String, Double> torchRates = new LinkedHashMap<>();
    Pattern line = Pattern.compile("^RESULT (\\S+) ([0-9.]+)$");
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String s; (s = r.readLine()) != null; ) {
        Matcher m = line.matcher(s.trim());
        if (m.matches()) {
          torchRates.put(m.group(1), Double.parseDouble(m.group(2)));
        } else {
          out.println("  " + s);
        }
        out.flush();
      }
    }
    if (!p.waitFor(1, TimeUnit.HOURS) || p.exitValue() != 0) {
      err.println("error: the PyTorch twin failed (exit " + p.exitValue() + ")");
      return 1;
    }
    out.println();
    out.printf(
        Locale.ROOT, "%-10s %14s %14s %8s%n", "model", "handgrad img/s", "pytorch img/s", "ratio");
    for (Result r : results) {
      Double t = torchRates.get(r.model());
      out.printf(
          Locale.ROOT,
          "%-10s %14.0f %14s %8s%n",
          r.model(),
          r.median(),
          t == null ? "-" : String.format(Locale.ROOT, "%.0f", t),
          t == null ? "-" : String.format(Locale.ROOT, "%.2fx", r.median() / t));
    }
    out.println("load average after: " + loadAverage());
    out.flush();
    return 0;
  }

  /** Cores, kernel threads and kernel kind, for the header. */
  static String threads() {
    int t = Parallel.threads();
    return Runtime.getRuntime().availableProcessors()
        + " cores, "
        + t
        + " kernel thread"
        + (t == 1 ? "" : "s")
        + ", "
        + Kernels.describe();
  }

  private static String loadAverage() {
    double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return l < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", l);
  }
}
