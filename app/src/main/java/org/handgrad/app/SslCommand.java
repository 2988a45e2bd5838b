package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.handgrad.app.ssl.DinoTraining;
import org.handgrad.app.train.DataSource;
import org.handgrad.data.DataDirs;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.data.Downloader;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.models.ssl.dino.DinoTrainer;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code handgrad ssl}: self-supervised pre-training (CS231n stage 7). This build has DINO:
 *
 * <pre>
 * ./handgrad ssl train --method dino --out RUN [--data video|shapes|fashion-mnist] [--steps S]
 *     [--batch-size N] [--local-crops L] [--resume]
 * </pre>
 *
 * Exit codes: 0 done (or stopped by a signal after saving), 1 failed, 2 bad usage.
 */
@Command(
    name = "ssl",
    description = "Self-supervised pre-training: DINO.",
    subcommands = {SslCommand.Train.class})
public final class SslCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: train");
  }

  /** {@code ssl train}: pre-train a ViT without labels. */
  @Command(
      name = "train",
      description = "Pre-train a ViT without labels (DINO), with checkpoints and --resume.")
  static final class Train implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--method", required = true, description = "dino.")
    String method;

    @Option(names = "--out", required = true, description = "Run folder (checkpoint, loss plot).")
    Path runDir;

    @Option(
        names = "--data",
        defaultValue = "video",
        description =
            "video (frames of generated videos), shapes or fashion-mnist (default: ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--data-dir", description = "Where datasets live (fashion-mnist).")
    Path dataDir;

    @Option(
        names = "--steps",
        defaultValue = "500",
        description = "Steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(
        names = "--batch-size",
        defaultValue = "32",
        description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
        names = "--lr",
        defaultValue = "5e-4",
        description = "Peak AdamW learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(
        names = "--local-crops",
        defaultValue = "4",
        description = "Local crops per image (default: ${DEFAULT-VALUE}).")
    int localCrops;

    @Option(
        names = "--dim",
        defaultValue = "64",
        description = "ViT width (default: ${DEFAULT-VALUE}).")
    int dim;

    @Option(
        names = "--depth",
        defaultValue = "4",
        description = "ViT layers (default: ${DEFAULT-VALUE}).")
    int depth;

    @Option(
        names = "--heads",
        defaultValue = "4",
        description = "Heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(
        names = "--out-dim",
        defaultValue = "256",
        description = "DINO head outputs K (default: ${DEFAULT-VALUE}).")
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

    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
        names = "--checkpoint-every",
        defaultValue = "100",
        description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(
        names = "--print-every",
        defaultValue = "10",
        description = "Steps between progress lines (default: ${DEFAULT-VALUE}).")
    int printEvery;

    @Option(names = "--resume", description = "Continue the run in --out from its checkpoint.")
    boolean resume;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (!"dino".equals(method)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--method: this build knows 'dino', got '" + method + "'");
      }
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
                .withBatchSize(batchSize)
                .withLearningRate(lr);
        trainer = new DinoTrainer(o);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      try {
        Path ckpt = runDir.resolve(DinoTraining.CHECKPOINT);
        if (resume) {
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
            batchSize,
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
}
