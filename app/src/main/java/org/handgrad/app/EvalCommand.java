package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import org.handgrad.app.report.Figures;
import org.handgrad.app.train.DataSource;
import org.handgrad.app.train.RunSpec;
import org.handgrad.app.train.TrainedModel;
import org.handgrad.app.train.TrainingData;
import org.handgrad.data.DataDirs;
import org.handgrad.data.Dataset;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.data.Downloader;
import org.handgrad.data.Split;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.nn.Metrics;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./handgrad eval --checkpoint PATH}: test accuracy, per-class accuracy and the confusion
 * matrix (printed and as a PNG) of a checkpoint written by {@code train}, on its dataset's test
 * split (or another dataset with the same image shape and classes, {@code --data}).
 *
 * <p>The checkpoint carries the run spec (model config, preprocessing), so nothing else is needed.
 * By default the best parameters (highest validation accuracy, the ones {@code train} reports) are
 * evaluated; {@code --latest} takes the latest. Exit codes: 0 done, 1 failed, 2 bad usage.
 */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Evaluate a trained checkpoint on a test set: accuracy, per-class accuracy, confusion"
          + " matrix (printed, and written as a PNG).",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  ./handgrad eval --checkpoint runs/cnn-fashion-mnist-20240101-120000",
      "  ./handgrad eval --checkpoint runs/x/checkpoints/cnn_epoch_5_step_2750.json --latest"
    })
public final class EvalCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--checkpoint",
      required = true,
      paramLabel = "PATH",
      description = "A checkpoint .json, a folder of checkpoints or a run folder (newest).")
  Path checkpoint;

  @Option(
      names = "--data",
      paramLabel = "NAME",
      description = "Test set to use (default: the checkpoint's dataset).")
  String data;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "Data folder (default: $HANDGRAD_DATA, else ~/.handgrad/data).")
  Path dataDir;

  @Option(names = "--no-fetch", description = "Never download a missing dataset.")
  boolean noFetch;

  @Option(
      names = "--num-test",
      paramLabel = "N",
      description = "Evaluate the first N test images (default: all).")
  Integer numTest;

  @Option(
      names = "--latest",
      description = "Use the latest parameters instead of the best (highest validation accuracy).")
  boolean latest;

  @Option(
      names = "--confusion",
      paramLabel = "PNG",
      description =
          "Where to write the confusion matrix (default: confusion-eval.png beside the"
              + " checkpoint's run folder, else the working folder).")
  Path confusion;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "256",
      description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--tta",
      paramLabel = "KIND",
      description =
          "Test-time augmentation for models that have it (speedrun): none or flip, in place of"
              + " the run's own setting (default: the run's).")
  String tta;

  private final DatasetRegistry registry;
  private final Map<String, String> env;
  private final Path home;
  private final Downloader downloader;
  private final BooleanSupplier terminal;

  /** The real registry, environment and home folder. */
  public EvalCommand() {
    this(
        DatasetRegistry.defaults(),
        System.getenv(),
        Path.of(System.getProperty("user.home")),
        new Downloader(),
        ProgressBar::interactive);
  }

  /** For tests. */
  EvalCommand(
      DatasetRegistry registry,
      Map<String, String> env,
      Path home,
      Downloader downloader,
      BooleanSupplier terminal) {
    this.registry = registry;
    this.env = env;
    this.home = home;
    this.downloader = downloader;
    this.terminal = terminal;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      if (batchSize <= 0 || (numTest != null && numTest <= 0)) {
        err.println("error: --batch-size and --num-test must be > 0");
        return 2;
      }
      TrainedModel tm =
          TrainedModel.load(checkpoint, latest, tta == null ? Map.of() : Map.of("tta", tta));
      RunSpec s = tm.spec();
      Split test = testSplit(s, err);
      Split prepared = TrainingData.prepare(test, s.dtype(), s.preprocessing());
      long t0 = System.nanoTime();
      int[] pred = TrainedModel.predict(tm.model(), prepared.x(), batchSize);
      double seconds = (System.nanoTime() - t0) / 1e9;
      int k = s.classNames().size();
      Tensor counts = Metrics.confusionMatrix(test.y(), pred, k);
      double acc = Metrics.accuracy(test.y(), pred);
      out.println("checkpoint: " + tm.file() + (tm.best() ? " (best parameters)" : " (latest)"));
      out.println("model: " + s.describe());
      out.printf(
          Locale.ROOT,
          "test accuracy: %.4f (%d %s test images, %.0f img/s)%n",
          acc,
          test.size(),
          data != null ? data : s.dataset(),
          test.size() / Math.max(seconds, 1e-9));
      out.println();
      out.print(table(counts, s.classNames()));
      Path png = confusionFile(tm.file());
      Figures.confusionMatrix(
          counts, s.classNames(), "Test confusion matrix (" + s.model() + ")", png);
      out.println();
      out.println("confusion matrix: " + png);
      out.flush();
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      err.println("error: " + Errors.message(e));
      err.flush();
      return 1;
    }
  }

  Split testSplit(RunSpec s, PrintWriter err) throws IOException {
    Dataset d;
    String name = data != null ? data : s.dataset();
    if (data == null && s.shapes() != null) {
      d = SyntheticShapes.generate(s.shapes());
    } else {
      DataSource source =
          new DataSource(registry, DataDirs.resolve(dataDir, env, home), downloader, err, terminal);
      int[] cs = {s.inputShape()[0], s.inputShape()[1]};
      d =
          source
              .load(
                  name,
                  new DataSource.Policy(!noFetch, null, false),
                  new SyntheticShapes.Config(
                      10, numTest != null ? numTest : 10_000, cs[0], cs[1], 0))
              .dataset();
    }
    Split test = d.test();
    if (!Arrays.equals(test.exampleShape(), s.inputShape())) {
      throw new IllegalArgumentException(
          name
              + " has images "
              + Shapes.str(test.exampleShape())
              + " but the model takes "
              + Shapes.str(s.inputShape()));
    }
    if (test.numClasses() != s.classNames().size()) {
      throw new IllegalArgumentException(
          name + " has " + test.numClasses() + " classes, the model " + s.classNames().size());
    }
    if (numTest != null) {
      test = test.range(0, Math.min(numTest, test.size()));
    }
    return test;
  }

  private Path confusionFile(Path checkpointJson) {
    if (confusion != null) {
      return confusion;
    }
    Path run = org.handgrad.app.train.CheckpointFiles.runFolderOf(checkpointJson);
    return (run != null ? run : Path.of(".")).resolve("confusion-eval.png");
  }

  /** Per-class accuracy and the confusion matrix (rows: true class, columns: predicted). */
  static String table(Tensor counts, List<String> names) {
    int k = names.size();
    StringBuilder sb = new StringBuilder();
    int width = 4;
    for (String n : names) {
      width = Math.max(width, n.length());
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "%-" + width + "s  %8s  %s%n",
            "class",
            "accuracy",
            "confusion row (predicted 0.." + (k - 1) + ")"));
    for (int i = 0; i < k; i++) {
      long total = 0;
      StringBuilder row = new StringBuilder();
      for (int j = 0; j < k; j++) {
        long c = Math.round(counts.get(i, j));
        total += c;
        row.append(String.format(Locale.ROOT, " %5d", c));
      }
      double acc = total == 0 ? Double.NaN : Math.round(counts.get(i, i)) / (double) total;
      sb.append(String.format(Locale.ROOT, "%-" + width + "s  %8.4f %s%n", names.get(i), acc, row));
    }
    return sb.toString();
  }
}
