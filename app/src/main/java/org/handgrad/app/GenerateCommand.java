package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.handgrad.app.report.Charts;
import org.handgrad.models.diffusion.BetaSchedule;
import org.handgrad.models.diffusion.GaussianDiffusion;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code handgrad generate}: generative models (CS231n stage 8).
 *
 * <pre>
 * ./handgrad generate schedules --out DIR [--timesteps T]
 * ./handgrad generate train --method ddpm|flow|vae|gan --out RUN [--data fashion-mnist|shapes] ...
 * ./handgrad generate sample --checkpoint RUN [--sampler ddpm|ddim|euler|heun] [--steps S] ...
 * ./handgrad generate eval --checkpoint RUN [--classifier CLS_RUN] [--n N] ...
 * </pre>
 *
 * {@code schedules} writes {@code DIR/schedules.png}, the alpha-bar curves of the linear, cosine
 * and sigmoid beta schedules, and prints abar at a few fractions of T. {@code train}, {@code
 * sample} and {@code eval} are in {@link GenerateTrain}, {@link GenerateSample} and {@link
 * GenerateEval}. Exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted (checkpoint saved).
 */
@Command(
    name = "generate",
    description = "Generative models: DDPM and rectified flow with the U-Net, VAE and GAN.",
    subcommands = {
      GenerateCommand.Schedules.class,
      GenerateTrain.class,
      GenerateSample.class,
      GenerateEval.class
    })
public final class GenerateCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing subcommand: schedules, train, sample or eval");
  }

  /** {@code generate schedules}: the alpha-bar plot. */
  @Command(
      name = "schedules",
      description = "Plot alpha-bar of the linear, cosine and sigmoid beta schedules.")
  static final class Schedules implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--out", required = true, description = "Folder for schedules.png.")
    Path out;

    @Option(
        names = "--timesteps",
        defaultValue = "1000",
        description = "Diffusion steps T (default: ${DEFAULT-VALUE}; linear needs T >= 21).")
    int timesteps;

    @Override
    public Integer call() {
      PrintWriter w = spec.commandLine().getOut();
      Map<String, double[]> curves = new LinkedHashMap<>();
      for (String name : new String[] {"linear", "cosine", "sigmoid"}) {
        try {
          curves.put(name, new GaussianDiffusion(BetaSchedule.of(name), timesteps).alphasCumprod());
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
      }
      w.printf(Locale.ROOT, "%-8s %10s %10s %10s%n", "t/T", "linear", "cosine", "sigmoid");
      for (double f : new double[] {0.25, 0.5, 0.75, 1.0}) {
        int t = (int) Math.round(f * timesteps) - 1;
        w.printf(
            Locale.ROOT,
            "%-8.2f %10.4g %10.4g %10.4g%n",
            f,
            curves.get("linear")[t],
            curves.get("cosine")[t],
            curves.get("sigmoid")[t]);
      }
      Path png = out.resolve("schedules.png");
      try {
        Files.createDirectories(out);
        Charts.alphaBarCurves(curves, "alpha-bar of the beta schedules, T = " + timesteps, png);
      } catch (IOException e) {
        spec.commandLine().getErr().println("error: " + Errors.describe(e));
        return 1;
      }
      w.println("wrote " + png);
      return 0;
    }
  }
}
