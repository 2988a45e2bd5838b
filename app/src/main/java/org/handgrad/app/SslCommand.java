package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.handgrad.app.ssl.SimClrTraining;
import org.handgrad.app.ssl.SslData;
import org.handgrad.app.ssl.SslProbe;
import org.handgrad.models.ssl.LinearProbe;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code handgrad ssl}: self-supervised pre-training (CS231n stage 7) and the linear probe.
 *
 * <pre>
 * ./handgrad ssl train --method simclr [--data fashion-mnist|shapes] [--epochs E] [--batch-size B]
 *                      [--temperature T] [--knn-every N] [--resume RUN] [--bench STEPS] ...
 * ./handgrad ssl probe --checkpoint RUN [--baseline random|pixels] [--probe-lr ...]
 * </pre>
 *
 * The work lives in {@code app.ssl} (one class per method); this class only parses. Exit codes: 0
 * done, 1 failed (I/O, data, bad values), 2 bad usage, 130 interrupted (checkpoint saved).
 */
@Command(
    name = "ssl",
    description = "Self-supervised learning: SimCLR pre-training and the linear probe.",
    subcommands = {SslCommand.Train.class, SslCommand.Probe.class})
public final class SslCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing subcommand: train, probe");
  }

  /** A body that may fail with a user-facing error. */
  interface Body {
    int run() throws IOException;
  }

  static int guarded(CommandLine.Model.CommandSpec spec, String op, Body body) {
    try {
      return body.run();
    } catch (IOException | IllegalArgumentException | IllegalStateException e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println(op + ": " + Errors.message(e));
      err.flush();
      return 1;
    }
  }

  /** {@code ssl train}: pre-training. */
  @Command(
      name = "train",
      description = "Pre-train an encoder without labels (kNN monitor, checkpoints, --resume).")
  static final class Train implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--method", defaultValue = "simclr", description = "simclr (${DEFAULT-VALUE})")
    String method;

    @Option(
        names = "--data",
        defaultValue = "fashion-mnist",
        description = "fashion-mnist or shapes (${DEFAULT-VALUE})")
    String data;

    @Option(names = "--data-dir", description = "data folder (default ~/.handgrad/data)")
    Path dataDir;

    @Option(names = "--num-train", description = "training images (default: all)")
    Integer numTrain;

    @Option(names = "--num-test", description = "test images (default: all)")
    Integer numTest;

    @Option(names = "--epochs", defaultValue = "10", description = "(${DEFAULT-VALUE})")
    int epochs;

    @Option(
        names = "--batch-size",
        defaultValue = "256",
        description = "images per step, two views each (${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--temperature", defaultValue = "0.5", description = "(${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Adam (${DEFAULT-VALUE})")
    double lr;

    @Option(
        names = "--min-scale",
        defaultValue = "0.08",
        description = "smallest crop area fraction (${DEFAULT-VALUE})")
    double minScale;

    @Option(names = "--blur", description = "SimCLR's Gaussian blur (p = 0.5)")
    boolean blur;

    @Option(
        names = "--widths",
        split = ",",
        defaultValue = "16,32,64",
        description = "encoder stage widths (${DEFAULT-VALUE})")
    int[] widths;

    @Option(names = "--projection-dim", defaultValue = "64", description = "(${DEFAULT-VALUE})")
    int projectionDim;

    @Option(
        names = "--knn-every",
        defaultValue = "1",
        description = "epochs between kNN evaluations, 0 = never (${DEFAULT-VALUE})")
    int knnEvery;

    @Option(names = "--knn-bank", defaultValue = "10000", description = "(${DEFAULT-VALUE})")
    int knnBank;

    @Option(names = "--knn-queries", defaultValue = "2000", description = "(${DEFAULT-VALUE})")
    int knnQueries;

    @Option(names = "--seed", defaultValue = "0", description = "(${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--log-every", defaultValue = "20", description = "(${DEFAULT-VALUE})")
    int logEvery;

    @Option(names = "--runs", defaultValue = "runs", description = "(${DEFAULT-VALUE})")
    Path runs;

    @Option(names = "--resume", description = "continue this run folder from its checkpoint")
    Path resume;

    @Option(
        names = "--bench",
        description = "time this many training steps (after 2 warm-up steps) and exit")
    Integer bench;

    @Override
    public Integer call() {
      if (!"simclr".equals(method)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "ssl train: unknown --method '" + method + "'; expected simclr");
      }
      if (!"shapes".equals(data) && !"fashion-mnist".equals(data)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "ssl train: unknown --data '" + data + "'; expected one of " + SslData.NAMES);
      }
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      return guarded(
          spec,
          "ssl train",
          () -> {
            if (resume != null) {
              SimClrTraining.Options saved = SimClrTraining.savedOptions(resume, dataDir);
              return new SimClrTraining(saved, out, err).resume(resume);
            }
            SimClrTraining t =
                new SimClrTraining(
                    new SimClrTraining.Options(
                        data,
                        dataDir,
                        numTrain,
                        numTest,
                        epochs,
                        batchSize,
                        temperature,
                        lr,
                        minScale,
                        blur,
                        widths,
                        projectionDim,
                        knnEvery,
                        knnBank,
                        knnQueries,
                        seed,
                        logEvery),
                    out,
                    err);
            if (bench != null) {
              if (bench < 1) {
                throw new IllegalArgumentException("--bench must be >= 1, got " + bench);
              }
              t.bench(bench);
              return 0;
            }
            return t.start(runs);
          });
    }
  }

  /** {@code ssl probe}: linear evaluation of a run or of a baseline. */
  @Command(
      name = "probe",
      description = "Linear probe (frozen features, logistic regression) on the test set.")
  static final class Probe implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--checkpoint", required = true, description = "the run folder")
    Path checkpoint;

    @Option(
        names = "--baseline",
        description = "random (untrained encoder) or pixels, instead of the trained encoder")
    String baseline;

    @Option(names = "--data-dir", description = "data folder (default ~/.handgrad/data)")
    Path dataDir;

    @Option(names = "--num-train", description = "probe training images (default: the run's)")
    Integer numTrain;

    @Option(names = "--probe-lr", defaultValue = "1e-3", description = "Adam (${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--probe-reg", defaultValue = "1e-4", description = "L2 (${DEFAULT-VALUE})")
    double reg;

    @Option(names = "--probe-epochs", defaultValue = "30", description = "(${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--probe-batch-size", defaultValue = "256", description = "(${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--seed", defaultValue = "0", description = "(${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() {
      SslProbe.Baseline b;
      if (baseline == null) {
        b = SslProbe.Baseline.NONE;
      } else if (baseline.equals("random")) {
        b = SslProbe.Baseline.RANDOM;
      } else if (baseline.equals("pixels")) {
        b = SslProbe.Baseline.PIXELS;
      } else {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "ssl probe: unknown --baseline '" + baseline + "'; expected random or pixels");
      }
      return guarded(
          spec,
          "ssl probe",
          () -> {
            SslProbe.run(
                checkpoint,
                b,
                new LinearProbe.Options(lr, reg, epochs, batchSize, seed),
                dataDir,
                numTrain,
                spec.commandLine().getOut(),
                spec.commandLine().getErr());
            return 0;
          });
    }
  }
}
