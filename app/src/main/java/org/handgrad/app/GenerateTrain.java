package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.handgrad.app.generate.GenCheckpoint;
import org.handgrad.app.generate.GenConfig;
import org.handgrad.app.generate.GenData;
import org.handgrad.app.generate.LatentCheckpoint;
import org.handgrad.app.generate.LatentConfig;
import org.handgrad.app.generate.LatentTrainer;
import org.handgrad.app.generate.Trainer;
import org.handgrad.app.report.HtmlReport;
import org.handgrad.data.Dataset;
import org.handgrad.data.Split;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.handgrad.models.diffusion.UNetConfig;
import org.handgrad.tensor.DType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code generate train}: trains the U-Net as a DDPM denoiser or a rectified-flow velocity field,
 * or a VAE or a DCGAN. The U-Net's defaults are those of {@code shared/bench/torch_generative.py}
 * (the reference U-Net, class conditional with 10% of the labels dropped, linear schedule, T =
 * 1000, eps target, batch 64, Adam 2e-4) plus an EMA of the weights (decay 0.999); the VAE's and
 * the GAN's are those of {@code VaeTrainer} and {@code GanTrainer} (batch 128, Adam 1e-3 / 2e-4
 * with beta1 0.5), for 10 epochs, the GAN class-conditional. Ctrl-C or SIGTERM stops after the
 * current step and writes a checkpoint; {@code --resume} continues exactly.
 */
@Command(
    name = "train",
    description =
        "Train a DDPM or rectified-flow U-Net, a VAE or a GAN (checkpoints, loss plot, samples).")
final class GenerateTrain implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Option(
      names = {"--method", "--model"},
      description = "ddpm, flow, vae or gan (required for a new run).")
  String method;

  @Option(names = "--out", required = true, description = "Run folder (created; or resumed).")
  Path out;

  @Option(
      names = "--data",
      defaultValue = "fashion-mnist",
      description = "fashion-mnist, mnist or shapes (default: ${DEFAULT-VALUE}).")
  String data;

  @Option(names = "--data-dir", description = "Where datasets live (default: ~/.handgrad/data).")
  Path dataDir;

  @Option(
      names = "--num-train",
      description = "Training images (default: all 60000 of fashion-mnist or mnist; 10000 shapes).")
  Integer numTrain;

  @Option(
      names = {"--guidance-drop", "--cond-drop"},
      description =
          "Probability of dropping a label to the null class (classifier-free guidance training;"
              + " default 0.1 for a conditional U-Net, 0 for an unconditional one).")
  Double guidanceDrop;

  @Option(
      names = "--schedule",
      defaultValue = "linear",
      description = "DDPM beta schedule: linear, cosine, sigmoid (default: ${DEFAULT-VALUE}).")
  String schedule;

  @Option(
      names = "--objective",
      defaultValue = "eps",
      description = "DDPM target: eps, x0 or v (default: ${DEFAULT-VALUE}).")
  String objective;

  @Option(
      names = "--timesteps",
      defaultValue = "1000",
      description = "DDPM steps T (default: ${DEFAULT-VALUE}).")
  int timesteps;

  @Option(
      names = "--batch-size",
      description = "Images per step (default 64 for ddpm and flow, 128 for vae and gan).")
  Integer batchSize;

  @Option(names = "--lr", description = "Adam's rate (default 2e-4; 1e-3 for vae).")
  Double lr;

  @Option(
      names = "--ema-decay",
      defaultValue = "0.999",
      description = "Decay of the weight average used for samples (default: ${DEFAULT-VALUE}).")
  double emaDecay;

  @Option(names = "--seed", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = "--iters",
      description = "ddpm and flow: total optimizer steps, resumed ones included (default 10000).")
  Integer iters;

  @Option(
      names = "--epochs",
      description = "vae and gan: total epochs, resumed ones included (default 10).")
  Integer epochs;

  @Option(names = "--log-every", defaultValue = "50", description = "Default: ${DEFAULT-VALUE}.")
  int logEvery;

  @Option(
      names = "--checkpoint-every",
      defaultValue = "500",
      description = "Default: ${DEFAULT-VALUE}.")
  int checkpointEvery;

  @Option(
      names = "--sample-every",
      defaultValue = "1000",
      description =
          "Write samples/step_<S>.png every this many steps and at the end; 0 = only at the end.")
  int sampleEvery;

  @Option(
      names = "--sample-steps",
      defaultValue = "50",
      description = "Sampler steps of those grids (DDIM or Euler; default: ${DEFAULT-VALUE}).")
  int sampleSteps;

  @Option(
      names = "--keep-checkpoints",
      defaultValue = "2",
      description = "Newest checkpoints kept (default: ${DEFAULT-VALUE}).")
  int keep;

  @Option(
      names = "--set",
      description =
          "Model option key=value. U-Net: base_width, widths (e.g. 8,16), time_dim,"
              + " num_classes (0 = unconditional), groups, heads, seed. vae: hidden, latent,"
              + " likelihood (bernoulli|gaussian), sigma, seed. gan: noise_dim, width,"
              + " num_classes (default 10; 0 = unconditional), loss (bce|ls), seed. Repeatable.")
  List<String> set = new ArrayList<>();

  @Option(
      names = "--resume",
      description = "Continue the run in --out from its newest checkpoint (its config is kept).")
  boolean resume;

  @Override
  public Integer call() {
    PrintWriter w = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    GenConfig cfg = null;
    GenCheckpoint from = null;
    LatentConfig latent = null;
    Path latentFrom = null;
    try {
      Map<?, ?> resumed = null;
      if (resume) {
        Path config = out.resolve("config.json");
        if (!Files.isRegularFile(config)) {
          throw new IllegalArgumentException("--resume: " + config + " does not exist");
        }
        resumed = (Map<?, ?>) Json.parse(Files.readString(config));
      } else if (method == null) {
        throw new IllegalArgumentException("--method ddpm|flow|vae|gan is required for a new run");
      }
      boolean isLatent =
          resumed != null ? LatentConfig.isLatent(resumed) : LatentConfig.isLatent(method);
      if (isLatent && iters != null) {
        throw new IllegalArgumentException(
            "--iters is for ddpm and flow; vae and gan count --epochs");
      }
      if (!isLatent && epochs != null) {
        throw new IllegalArgumentException(
            "--epochs is for vae and gan; ddpm and flow count --iters");
      }
      if (keep < 1) {
        throw new IllegalArgumentException("--keep-checkpoints must be >= 1");
      }
      if (isLatent) {
        for (String unetOnly : UNET_ONLY) {
          if (spec.commandLine().getParseResult().hasMatchedOption(unetOnly)) {
            throw new IllegalArgumentException(
                unetOnly + " is for ddpm and flow runs, not vae or gan");
          }
        }
        if (epochs == null) {
          epochs = 10;
        }
        if (epochs < 1) {
          throw new IllegalArgumentException("--epochs must be >= 1, got " + epochs);
        }
        if (resumed != null) {
          latent = LatentConfig.fromMap(resumed);
          latentFrom = LatentCheckpoint.latest(out);
        } else {
          requireNewRun();
          int n = numTrain != null ? numTrain : GenData.defaultTrain(data);
          latent = LatentConfig.of(method, data, n, batchSize, lr, seed, modelOptions());
        }
      } else {
        if (iters == null) {
          iters = 10_000;
        }
        if (iters < 1
            || logEvery < 1
            || checkpointEvery < 1
            || sampleEvery < 0
            || sampleSteps < 1) {
          throw new IllegalArgumentException(
              "--iters, --log-every, --checkpoint-every and --sample-steps must be >= 1 and"
                  + " --sample-every >= 0");
        }
        if (resumed != null) {
          cfg = GenConfig.fromMap(resumed);
          from = GenCheckpoint.read(GenCheckpoint.latest(out));
        } else {
          requireNewRun();
          cfg = newConfig();
        }
      }
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    } catch (IOException e) {
      err.println("error: " + Errors.describe(e));
      return 1;
    }
    GenConfig unetRun = cfg;
    GenCheckpoint unetFrom = from;
    LatentConfig latentRun = latent;
    Path latentStart = latentFrom;
    return withStopHook(
        err,
        stop ->
            latentRun != null
                ? trainLatent(latentRun, latentStart, stop, w, err)
                : trainUnet(unetRun, unetFrom, stop, w, err));
  }

  /** Options of the U-Net's loop that a VAE or GAN run refuses rather than ignores. */
  private static final List<String> UNET_ONLY =
      List.of(
          "--schedule",
          "--objective",
          "--timesteps",
          "--guidance-drop",
          "--ema-decay",
          "--log-every",
          "--checkpoint-every",
          "--sample-every",
          "--sample-steps");

  /** Runs one of the training loops; both write a checkpoint and return when told to stop. */
  private interface Loop {
    boolean run(AtomicBoolean stop) throws IOException;
  }

  /**
   * Runs {@code loop} with a shutdown hook: Ctrl-C or SIGTERM asks the loop to stop after its step
   * (it then writes a checkpoint) and holds the JVM until the loop has returned.
   *
   * @return 0 when the loop finished, 130 when it stopped early, 2 for bad input found while
   *     loading, 1 for an I/O failure
   */
  private Integer withStopHook(PrintWriter err, Loop loop) {
    AtomicBoolean stop = new AtomicBoolean(false);
    CountDownLatch finished = new CountDownLatch(1);
    // The JVM runs shutdown hooks while this thread keeps going.
    Thread hook =
        new Thread(
            () -> {
              stop.set(true);
              err.println();
              err.println("interrupted: stopping after this step, saving a checkpoint...");
              err.flush();
              try {
                finished.await(5, TimeUnit.MINUTES);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "handgrad-generate-interrupt");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      if (!loop.run(stop)) {
        err.println("stopped; continue with: ./handgrad generate train --out " + out + " --resume");
        return 130;
      }
      return 0;
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 2;
    } catch (IOException e) {
      err.println("error: " + Errors.describe(e));
      return 1;
    } finally {
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running and returns now
      }
    }
  }

  private boolean trainUnet(
      GenConfig cfg, GenCheckpoint from, AtomicBoolean stop, PrintWriter w, PrintWriter err)
      throws IOException {
    int[] shape = cfg.imageShape();
    if (cfg.unet().inChannels() != shape[0]) {
      throw new IllegalArgumentException(
          "the U-Net has in_channels=" + cfg.unet().inChannels() + " for " + cfg.data());
    }
    Split train = trainingImages(cfg.data(), cfg.numTrain(), err);
    train = GenData.toModelRange(train, cfg.unet().dtype());
    writeConfig(cfg.toMap());
    w.println("generate train: " + cfg.describe());
    w.println("U-Net: " + cfg.unet());
    w.println("run folder: " + out);
    w.flush();
    boolean done =
        new Trainer(cfg, out, train, w, stop)
            .run(
                new Trainer.Schedule(
                    iters, logEvery, checkpointEvery, sampleEvery, sampleSteps, keep),
                from);
    w.println("wrote " + out.resolve("loss.png") + " and " + out.resolve("checkpoints"));
    w.println("report: " + HtmlReport.write(out));
    return done;
  }

  private boolean trainLatent(
      LatentConfig cfg, Path from, AtomicBoolean stop, PrintWriter w, PrintWriter err)
      throws IOException {
    Split train = trainingImages(cfg.data(), cfg.numTrain(), err);
    if (train.x().dtype() != DType.FLOAT32) {
      train = train.withX(train.x().to(DType.FLOAT32));
    }
    writeConfig(cfg.toMap());
    w.println("generate train: " + cfg.describe());
    w.println(cfg.method() + ": " + (cfg.vae() != null ? cfg.vae() : cfg.gan()));
    w.println("run folder: " + out);
    w.flush();
    boolean done = new LatentTrainer(cfg, out, train, w, err, stop).run(epochs, keep, from);
    w.println("wrote " + out.resolve("loss.png") + " and " + out.resolve("checkpoints"));
    w.println("report: " + HtmlReport.write(out));
    return done;
  }

  /** The first {@code numTrain} training images of a dataset, in [0, 1]. */
  private Split trainingImages(String data, int numTrain, PrintWriter err) throws IOException {
    Dataset d = GenData.load(data, numTrain, 10, dataDir, err);
    Split train = d.train();
    if (numTrain > train.size()) {
      throw new IllegalArgumentException(
          "--num-train " + numTrain + ": " + data + " has " + train.size());
    }
    return train.range(0, numTrain);
  }

  private void writeConfig(Map<String, Object> config) throws IOException {
    Files.createDirectories(out);
    AtomicFiles.write(
        out.resolve("config.json"), Json.writePretty(config).getBytes(StandardCharsets.UTF_8));
  }

  private void requireNewRun() {
    if (Files.isRegularFile(out.resolve("config.json"))) {
      throw new IllegalArgumentException(
          out + " already holds a run; add --resume to continue it, or pick another --out");
    }
  }

  /** The {@code --set key=value} options in order. */
  private Map<String, String> modelOptions() {
    Map<String, String> u = new LinkedHashMap<>();
    for (String kv : set) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--set: expected key=value, got '" + kv + "'");
      }
      u.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
    }
    return u;
  }

  private GenConfig newConfig() {
    Map<String, String> u = modelOptions();
    List<String> known =
        List.of("base_width", "widths", "time_dim", "num_classes", "groups", "heads", "seed");
    for (String k : u.keySet()) {
      if (!known.contains(k)) {
        throw new IllegalArgumentException(
            "--set: unknown U-Net option '" + k + "'; known: " + String.join(", ", known));
      }
    }
    UNetConfig ref = UNetConfig.reference();
    GenData.requireKnown(data);
    int channels = GenData.imageShape(data)[0];
    int[] widths = ref.widths();
    if (u.containsKey("widths")) {
      String[] parts = u.get("widths").split(",");
      widths = new int[parts.length];
      for (int i = 0; i < parts.length; i++) {
        widths[i] = parseInt("widths", parts[i].trim());
      }
    }
    UNetConfig unet =
        new UNetConfig(
            channels,
            u.containsKey("base_width") ? parseInt("base_width", u.get("base_width")) : 32,
            widths,
            u.containsKey("time_dim") ? parseInt("time_dim", u.get("time_dim")) : ref.timeDim(),
            u.containsKey("num_classes")
                ? parseInt("num_classes", u.get("num_classes"))
                : ref.numClasses(),
            u.containsKey("groups") ? parseInt("groups", u.get("groups")) : ref.groups(),
            u.containsKey("heads") ? parseInt("heads", u.get("heads")) : ref.heads(),
            DType.FLOAT32,
            u.containsKey("seed") ? Long.parseLong(u.get("seed")) : ref.seed());
    int n = numTrain != null ? numTrain : GenData.defaultTrain(data);
    double drop = guidanceDrop != null ? guidanceDrop : unet.numClasses() > 0 ? 0.1 : 0.0;
    return new GenConfig(
        method,
        data,
        n,
        schedule,
        objective,
        timesteps,
        drop,
        batchSize != null ? batchSize : 64,
        lr != null ? lr : 2e-4,
        emaDecay,
        seed,
        unet);
  }

  private static int parseInt(String key, String v) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--set " + key + ": expected an integer, got '" + v + "'");
    }
  }
}
