package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.handgrad.app.ssl.DinoTraining;
import org.handgrad.app.ssl.SimClrTraining;
import org.handgrad.app.ssl.SslData;
import org.handgrad.app.ssl.SslProbe;
import org.handgrad.app.train.DataSource;
import org.handgrad.data.DataDirs;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.data.Downloader;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.models.ssl.LinearProbe;
import org.handgrad.models.ssl.dino.DinoTrainer;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
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
 * ./handgrad ssl train --method dino --out RUN [--data video|shapes|fashion-mnist] [--steps S]
 *                      [--batch-size N] [--local-crops L] [--resume RUN]
 * ./handgrad ssl probe --checkpoint RUN [--baseline random|pixels] [--probe-lr ...]
 * </pre>
 *
 * The work lives in {@code app.ssl} and {@code models.ssl} (one class per method); this class
 * parses. The two methods share {@code ssl train}: options marked "dino:" or "simclr:" apply to
 * that method only, and {@code --data}, {@code --batch-size} and {@code --lr} have per-method
 * defaults. Exit codes: 0 done, 1 failed (I/O, data, bad values), 2 bad usage, 130 interrupted
 * (checkpoint saved).
 */
@Command(
    name = "ssl",
    description = "Self-supervised learning: SimCLR and DINO pre-training, the linear probe.",
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

    @Option(
        names = "--method",
        defaultValue = "simclr",
        description = "simclr or dino (${DEFAULT-VALUE})")
    String method;

    @Option(
        names = "--data",
        description =
            "simclr: fashion-mnist (default) or shapes; dino: video (default, generated clips),"
                + " shapes or fashion-mnist")
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
        description = "images per step (simclr: 256, two views each; dino: 32)")
    Integer batchSize;

    @Option(names = "--temperature", defaultValue = "0.5", description = "(${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--lr", description = "simclr: Adam, 1e-3; dino: peak AdamW, 5e-4")
    Double lr;

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

    @Option(
        names = "--schedule",
        defaultValue = "constant",
        description =
            "simclr: constant, or cosine (linear warm-up, then a half cosine to 0)"
                + " (${DEFAULT-VALUE})")
    String schedule;

    @Option(
        names = "--warmup-epochs",
        defaultValue = "0",
        description = "simclr --schedule cosine: warm-up epochs (${DEFAULT-VALUE})")
    int warmupEpochs;

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

    @Option(names = "--out", description = "dino: the run folder (checkpoint, loss plot).")
    Path runDir;

    @Option(
        names = "--steps",
        defaultValue = "500",
        description = "dino: steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(
        names = "--local-crops",
        defaultValue = "4",
        description = "dino: local crops per image (default: ${DEFAULT-VALUE}).")
    int localCrops;

    @Option(
        names = "--dim",
        defaultValue = "64",
        description = "dino: ViT width (default: ${DEFAULT-VALUE}).")
    int dim;

    @Option(
        names = "--depth",
        defaultValue = "4",
        description = "dino: ViT layers (default: ${DEFAULT-VALUE}).")
    int depth;

    @Option(
        names = "--heads",
        defaultValue = "4",
        description = "dino: heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(
        names = "--out-dim",
        defaultValue = "256",
        description = "dino: head outputs K (default: ${DEFAULT-VALUE}).")
    int outDim;

    @Option(
        names = "--videos",
        defaultValue = "8",
        description = "--data video: generated clips (default: ${DEFAULT-VALUE}).")
    int videos;

    @Option(
        names = "--video-frames",
        defaultValue = "24",
        description = "--data video: frames per clip (default: ${DEFAULT-VALUE}).")
    int videoFrames;

    @Option(
        names = "--video-size",
        defaultValue = "64",
        description = "--data video: frame side (default: ${DEFAULT-VALUE}).")
    int videoSize;

    @Option(
        names = "--checkpoint-every",
        defaultValue = "100",
        description = "dino: steps between checkpoints (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(
        names = "--print-every",
        defaultValue = "10",
        description = "dino: steps between progress lines (default: ${DEFAULT-VALUE}).")
    int printEvery;

    @Option(names = "--resume", description = "continue this run folder from its checkpoint")
    Path resume;

    @Option(
        names = "--bench",
        description = "time this many training steps (after 2 warm-up steps) and exit")
    Integer bench;

    @Override
    public Integer call() {
      if ("dino".equals(method)) {
        return dino();
      }
      if (!"simclr".equals(method)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "ssl train: unknown --method '" + method + "'; expected simclr or dino");
      }
      if (runDir != null) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "ssl train --method simclr: --out is for dino; SimCLR writes a new folder under --runs");
      }
      if (data == null) {
        data = "fashion-mnist";
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
                        batchSize == null ? 256 : batchSize,
                        temperature,
                        lr == null ? 1e-3 : lr,
                        schedule,
                        warmupEpochs,
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

    /** DINO pre-training (the code of {@code ssl train --method dino}). */
    private Integer dino() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (data == null) {
        data = "video";
      }
      boolean resuming = resume != null;
      if (resuming) {
        if (runDir != null && !runDir.equals(resume)) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "ssl train: --out and --resume name different run folders");
        }
        runDir = resume;
      }
      if (runDir == null) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "ssl train --method dino: --out RUN is required");
      }
      int batch = batchSize == null ? 32 : batchSize;
      double rate = lr == null ? 5e-4 : lr;
      if (checkpointEvery < 1 || printEvery < 1) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--checkpoint-every and --print-every must be >= 1");
      }
      int channels;
      int global;
      int local;
      int patch;
      switch (data) {
        case "fashion-mnist" -> {
          channels = 1;
          global = 28;
          local = 14;
          patch = 7;
        }
        case "shapes", "video" -> {
          channels = 3;
          global = 32;
          local = 16;
          patch = 4;
        }
        default ->
            throw new CommandLine.ParameterException(
                spec.commandLine(),
                "--data: expected video, shapes or fashion-mnist, got '" + data + "'");
      }
      DinoTrainer trainer;
      try {
        VisionTransformer.Config vit =
            new VisionTransformer.Config(
                new int[] {channels, global, global},
                patch,
                dim,
                depth,
                heads,
                4 * dim,
                2,
                0.0,
                DType.FLOAT32,
                seed);
        DinoTrainer.Options o = DinoTrainer.Options.defaults(vit, local, localCrops, steps, seed);
        o =
            new DinoTrainer.Options(
                    vit,
                    o.hiddenDim(),
                    o.bottleneckDim(),
                    outDim,
                    local,
                    localCrops,
                    o.studentTemp(),
                    o.teacherTempStart(),
                    o.teacherTempEnd(),
                    o.teacherTempWarmup(),
                    o.momentumBase(),
                    o.centerMomentum(),
                    o.learningRate(),
                    o.minLearningRate(),
                    o.warmupSteps(),
                    o.weightDecay(),
                    o.clipGrad(),
                    o.batchSize(),
                    o.totalSteps(),
                    o.seed())
                .withBatchSize(batch)
                .withLearningRate(rate);
        trainer = new DinoTrainer(o);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      try {
        Path ckpt = runDir.resolve(DinoTraining.CHECKPOINT);
        if (resuming) {
          if (!Files.exists(ckpt)) {
            err.println("error: --resume: no checkpoint " + ckpt);
            err.flush();
            return 1;
          }
          trainer.restore(ckpt);
          out.println("resumed at step " + trainer.step() + " from " + ckpt);
        } else if (Files.exists(ckpt)) {
          err.println("error: " + ckpt + " exists; use --resume or another --out");
          err.flush();
          return 1;
        }
        Tensor images = DinoTraining.normalize(load(err));
        out.printf(
            Locale.ROOT,
            "dino on %s: %d images %s, ViT %s, %d steps of %d images (2 global %dpx + %d local %dpx)%n",
            data,
            images.shape(0),
            java.util.Arrays.toString(new int[] {channels, images.shape(2), images.shape(3)}),
            "dim " + dim + " depth " + depth + " patch " + patch,
            steps,
            batch,
            global,
            localCrops,
            local);
        out.flush();
        DinoTraining.run(trainer, images, runDir, checkpointEvery, printEvery, out);
        return 0;
      } catch (IOException | IllegalArgumentException | IllegalStateException e) {
        err.println("error: " + Errors.message(e));
        err.flush();
        return 1;
      }
    }

    private Tensor load(PrintWriter err) throws IOException {
      if ("video".equals(data)) {
        return DinoTraining.videoFrames(videos, videoFrames, videoSize);
      }
      DataSource source =
          new DataSource(
              DatasetRegistry.defaults(),
              DataDirs.defaults(dataDir),
              new Downloader(),
              err,
              () -> false);
      return source
          .load(
              data,
              new DataSource.Policy(false, null, false),
              new SyntheticShapes.Config(4_000, 10, 3, 32, seed))
          .dataset()
          .train()
          .x();
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
