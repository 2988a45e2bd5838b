package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.handgrad.app.generate.GenRun;
import org.handgrad.app.generate.LatentRun;
import org.handgrad.app.generate.SampleGrid;
import org.handgrad.app.generate.Samplers;
import org.handgrad.app.report.HtmlReport;
import org.handgrad.models.diffusion.Conditioning;
import org.handgrad.models.diffusion.Trajectory;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code generate sample}: a PNG grid of samples from a {@code generate train} run (a U-Net's EMA
 * weights, a VAE or a GAN), one row per class for a conditional run, and optionally the denoising
 * trajectory of the first sample as a strip.
 */
@Command(name = "sample", description = "Write a PNG grid of samples from a generate run.")
final class GenerateSample implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Option(
      names = "--checkpoint",
      required = true,
      description = "A generate run folder (newest checkpoint) or a checkpoint JSON.")
  Path checkpoint;

  @Option(
      names = "--sampler",
      description = "ddpm or ddim (DDPM runs; default ddim), euler or heun (flow; default euler).")
  String sampler;

  @Option(names = "--steps", description = "Sampler steps (default 50; ddpm: T).")
  Integer steps;

  @Option(names = "--eta", defaultValue = "0", description = "DDIM's eta in [0, 1] (default 0).")
  double eta;

  @Option(
      names = "--guidance",
      description = "Guidance weight w (default 3 when trained with label dropping, else 1).")
  Double guidance;

  @Option(names = "--class", description = "Sample only this class (default: every class).")
  Integer cls;

  @Option(names = "--n", description = "Samples (default 8 per class, or 64).")
  Integer n;

  @Option(names = "--seed", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--out", description = "PNG file (default RUN/samples/<sampler>_<steps>.png).")
  Path out;

  @Option(names = "--trajectory", description = "Also write the first sample's trajectory strip.")
  boolean trajectory;

  @Option(names = "--no-ema", description = "Use the raw weights instead of their average.")
  boolean noEma;

  @Override
  public Integer call() {
    PrintWriter w = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      if (LatentRun.isLatentRun(checkpoint)) {
        return sampleLatent(w);
      }
      GenRun run = GenRun.load(checkpoint, !noEma);
      int k = run.config().unet().numClasses();
      int count = n != null ? n : (k > 0 && cls == null ? 8 * k : 64);
      if (count < 1) {
        throw new IllegalArgumentException("--n must be >= 1, got " + count);
      }
      Samplers.Choice choice = Samplers.choose(run.config(), sampler, steps, eta);
      Conditioning c = Samplers.conditioning(run.config(), count, cls, guidance);
      int[] shape = run.config().imageShape();
      Trajectory traj = trajectory ? new Trajectory(Math.max(1, choice.steps() / 10)) : null;
      ProgressBar bar =
          new ProgressBar(err, "sampling", ProgressBar.Unit.ITEMS, false, System::nanoTime);
      Tensor x =
          Samplers.sample(
              run.config(),
              run.net(),
              choice,
              new int[] {count, shape[0], shape[1], shape[2]},
              c,
              traj,
              bar::update,
              new Rng(seed));
      bar.finish();
      Path png = writeGrid(x, k, run.folder(), choice.sampler() + "_" + choice.steps());
      w.printf(
          Locale.ROOT,
          "%d samples from step %d, %s with %d steps%s%s%n",
          count,
          run.step(),
          choice.sampler(),
          choice.steps(),
          choice.sampler().equals("ddim") ? ", eta " + choice.eta() : "",
          c.labels() != null ? ", guidance w=" + c.guidance() : "");
      w.println("wrote " + png);
      if (traj != null) {
        Path strip =
            png.resolveSibling(
                png.getFileName().toString().replaceFirst("\\.png$", "") + "-trajectory.png");
        SampleGrid.writeStrip(strip, traj.frames(), 0);
        w.println("wrote " + strip);
      }
      if (out == null) {
        w.println("updated " + HtmlReport.write(run.folder()));
      }
      return 0;
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    } catch (IOException e) {
      err.println("error: " + Errors.describe(e));
      return 1;
    }
  }

  /** A VAE's or GAN's grid: the U-Net's sampler options do not apply. */
  private Integer sampleLatent(PrintWriter w) throws IOException {
    if (sampler != null || steps != null || eta != 0 || guidance != null || trajectory || noEma) {
      throw new IllegalArgumentException(
          "--sampler, --steps, --eta, --guidance, --trajectory and --no-ema are for ddpm and flow"
              + " runs; a vae or gan samples in one pass");
    }
    LatentRun run = LatentRun.load(checkpoint);
    int k = run.config().numClasses();
    int count = n != null ? n : (k > 0 && cls == null ? 8 * k : 64);
    if (count < 1) {
      throw new IllegalArgumentException("--n must be >= 1, got " + count);
    }
    int[] labels = run.labels(count, cls);
    Tensor x = run.sample(count, labels, new Rng(seed));
    Path png = writeGrid(x, k, run.folder(), run.config().method());
    w.printf(
        Locale.ROOT,
        "%d samples from step %d of the %s%s%n",
        count,
        run.step(),
        run.config().method(),
        labels != null ? (cls != null ? ", class " + cls : ", a row per class") : "");
    w.println("wrote " + png);
    if (out == null) {
      w.println("updated " + HtmlReport.write(run.folder()));
    }
    return 0;
  }

  /**
   * Writes the grid to {@code --out}, or to {@code RUN/samples/<name>.png}: a row per class when
   * every class was sampled equally, else about square.
   *
   * @param x samples in [-1, 1], (n, C, H, W), class-major when conditional
   * @param classes the run's number of classes (0 when unconditional)
   * @return the PNG written
   */
  private Path writeGrid(Tensor x, int classes, Path folder, String name) throws IOException {
    Path png = out != null ? out : folder.resolve("samples").resolve(name + ".png");
    if (png.toAbsolutePath().getParent() != null) {
      Files.createDirectories(png.toAbsolutePath().getParent());
    }
    int count = x.shape(0);
    int cols =
        classes > 0 && cls == null && count % classes == 0
            ? count / classes
            : (int) Math.ceil(Math.sqrt(count));
    SampleGrid.write(png, x, cols);
    return png;
  }
}
