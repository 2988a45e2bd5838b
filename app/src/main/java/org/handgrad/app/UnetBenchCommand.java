package org.handgrad.app;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.handgrad.models.diffusion.UNet;
import org.handgrad.models.diffusion.UNetConfig;
import org.handgrad.nn.NoGrad;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.graph.TapeProfile;
import org.handgrad.optim.Adam;
import org.handgrad.optim.Optimizer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code handgrad bench unet}: the reference DDPM U-Net ({@link UNetConfig#reference()}, float32)
 * timed on the two cases of {@code shared/bench/torch_generative.py}: (1) a class-conditional DDPM
 * training step at batch 64 (q_sample with a linear beta schedule, 10% null labels, epsilon MSE
 * loss, backward, Adam lr 2e-4) and (2) one classifier-free-guided sampling step at batch 100 (two
 * U-Net forward passes under {@link NoGrad}, conditional and null, combined with guidance 3). The
 * images are random (the timing does not depend on them); the loss and its gradient {@code 2 (pred
 * - eps) / numel} are written here, since the diffusion processes live elsewhere.
 */
@Command(
    name = "unet",
    mixinStandardHelpOptions = true,
    description = {
      "The reference DDPM U-Net (852,897 parameters, float32): median ms of a training step"
          + " (batch 64, epsilon loss, Adam) and of a guided sampling step (batch 100, two"
          + " forward passes).",
      "Compare with: /usr/bin/python3 shared/bench/torch_generative.py (PyTorch, 2 threads)."
    })
final class UnetBenchCommand implements Runnable {
  private static final int STEPS = 1000;

  @Mixin BenchCommand.Options options;

  @Option(
      names = "--profile",
      description =
          "After timing, run each case --runs more times under a TapeProfile and print where the"
              + " time goes by operation (forward and backward ms per step).")
  boolean profile;

  @Override
  public void run() {
    options.apply();
    System.out.println("CPU: " + cpu());
    options.printHeader(System.out, "handgrad bench unet (float32)");
    UNet net = new UNet(UNetConfig.reference());
    System.out.printf(Locale.ROOT, "U-Net parameters: %,d%n%n", net.parameterCount());
    double[] abar = linearAlphaBar();
    Rng rng = new Rng(0);
    Optimizer opt = new Optimizer(new Adam().withLearningRate(2e-4));
    List<Parameter> params = net.parameters();
    int bs = 64;
    Tensor x0 = rng.normal(DType.FLOAT32, 0, 0.5, bs, 1, 28, 28);
    int[] y0 = new int[bs];
    for (int i = 0; i < bs; i++) {
      y0[i] = i % 10;
    }
    double[] loss = new double[1];
    Runnable train =
        () -> {
          loss[0] = trainStep(net, opt, params, rng, x0, y0, abar);
        };
    double dt = BenchCommand.medianSeconds(train, options.warmup, options.runs);
    BenchCommand.Table table = new BenchCommand.Table("case", "median ms", "images/s");
    table.add(
        "ddpm train step, batch 64, Adam",
        String.format(Locale.ROOT, "%.1f", dt * 1e3),
        String.format(Locale.ROOT, "%.0f", bs / dt));
    int ns = 100;
    Tensor xs = rng.randn(DType.FLOAT32, ns, 1, 28, 28);
    int[] ys = new int[ns];
    int[] yNull = new int[ns];
    double[] ts = new double[ns];
    for (int i = 0; i < ns; i++) {
      ys[i] = i % 10;
      yNull[i] = 10;
      ts[i] = 500;
    }
    double[] sink = new double[1];
    Runnable sample =
        () ->
            NoGrad.run( // as torch.no_grad() in the PyTorch twin
                () -> {
                  Tensor cond = net.forward(xs, ts, ys);
                  Tensor uncond = net.forward(xs, ts, yNull);
                  // guided epsilon = uncond + w (cond - uncond), w = 3
                  Tensor guided = uncond.add(cond.sub(uncond).mul(3.0));
                  sink[0] += guided.getFlat(0);
                });
    double ds = BenchCommand.medianSeconds(sample, options.warmup, options.runs);
    table.add(
        "cfg sampling step, batch 100 (2 U-Net calls)",
        String.format(Locale.ROOT, "%.1f", ds * 1e3),
        String.format(Locale.ROOT, "%.0f", ns / ds));
    table.print(System.out);
    System.out.printf(
        Locale.ROOT,
        "%n1000 sampling steps = %.0f s (last loss %.4f, checksum %.3g)%n",
        ds * 1000,
        loss[0],
        sink[0]);
    if (profile) {
      System.out.println();
      printProfile(System.out, "ddpm train step, batch 64, Adam", train, options.runs);
      System.out.println();
      printProfile(
          System.out, "cfg sampling step, batch 100 (2 U-Net calls)", sample, options.runs);
    }
  }

  /**
   * Runs {@code work} {@code runs} times under a {@link TapeProfile} and prints the operations by
   * cost, per run, with the time spent outside every tape (loss, Adam, q_sample, guidance).
   */
  static void printProfile(PrintStream out, String name, Runnable work, int runs) {
    long wall;
    List<TapeProfile.Row> rows;
    long tapeNanos;
    long gcMillis = gcMillis();
    try (TapeProfile p = TapeProfile.start()) {
      long t0 = System.nanoTime();
      for (int i = 0; i < runs; i++) {
        work.run();
      }
      wall = System.nanoTime() - t0;
      rows = p.rows();
      tapeNanos = p.totalNanos();
    }
    gcMillis = gcMillis() - gcMillis;
    out.printf(
        Locale.ROOT,
        "profile: %s, %d runs, %.1f ms per run (wall)%n",
        name,
        runs,
        wall / 1e6 / runs);
    BenchCommand.Table table =
        new BenchCommand.Table("operation", "calls", "forward ms", "backward ms", "share");
    for (TapeProfile.Row r : rows) {
      table.add(
          r.op(),
          String.valueOf(r.forwardCalls() / runs),
          String.format(Locale.ROOT, "%.1f", r.forwardNanos() / 1e6 / runs),
          String.format(Locale.ROOT, "%.1f", r.backwardNanos() / 1e6 / runs),
          String.format(Locale.ROOT, "%.1f%%", 100.0 * r.totalNanos() / wall));
    }
    table.add(
        "(outside the tape)",
        "",
        "",
        "",
        String.format(Locale.ROOT, "%.1f%%", 100.0 * (wall - tapeNanos) / wall));
    table.print(out);
    out.printf(
        Locale.ROOT,
        "garbage collection: %.1f ms per run (%.1f%%), not a row of its own: each pause is in"
            + " the row of whatever was running (an operation or the time outside the tape)%n",
        (double) gcMillis / runs,
        100.0 * gcMillis * 1e6 / wall);
  }

  /**
   * Milliseconds the JVM's collectors have spent so far, as they report it (for the throughput
   * collector: its pauses).
   */
  static long gcMillis() {
    long ms = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ms += Math.max(0, gc.getCollectionTime());
    }
    return ms;
  }

  /** One DDPM step: q_sample, forward, MSE against eps, backward, Adam; returns the loss. */
  static double trainStep(
      UNet net,
      Optimizer opt,
      List<Parameter> params,
      Rng rng,
      Tensor x0,
      int[] y0,
      double[] abar) {
    int n = x0.shape(0), per = x0.size() / n;
    Tensor eps = rng.randn(DType.FLOAT32, x0.shape());
    double[] t = new double[n];
    int[] y = new int[n];
    float[] xt = new float[x0.size()];
    float[] xs = x0.contiguous().floatStorage();
    float[] es = eps.floatStorage();
    for (int i = 0; i < n; i++) {
      int step = rng.nextInt(0, STEPS);
      t[i] = step;
      y[i] = rng.nextDouble() < 0.1 ? 10 : y0[i]; // classifier-free guidance: 10% null labels
      float a = (float) Math.sqrt(abar[step]), b = (float) Math.sqrt(1 - abar[step]);
      for (int j = i * per; j < (i + 1) * per; j++) {
        xt[j] = a * xs[j] + b * es[j];
      }
    }
    net.zeroGrad();
    Tensor pred = net.forward(Tensor.of(xt, x0.shape()), t, y);
    float[] p = pred.floatStorage();
    float[] d = new float[p.length];
    double sum = 0;
    float scale = 2f / p.length;
    for (int j = 0; j < p.length; j++) {
      float r = p[j] - es[j];
      sum += (double) r * r;
      d[j] = scale * r; // d mean((pred - eps)^2) / d pred
    }
    net.backward(Tensor.of(d, pred.shape()));
    opt.step(params);
    return sum / p.length;
  }

  /** The cumulative products of 1 - beta for betas linear in [1e-4, 0.02], T = 1000. */
  static double[] linearAlphaBar() {
    double[] abar = new double[STEPS];
    double prod = 1;
    for (int i = 0; i < STEPS; i++) {
      double beta = 1e-4 + (0.02 - 1e-4) * i / (STEPS - 1);
      prod *= 1 - beta;
      abar[i] = prod;
    }
    return abar;
  }

  /** The CPU model name and whether it has AVX-512, from /proc/cpuinfo (Linux). */
  static String cpu() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
      String model =
          lines.stream()
              .filter(l -> l.startsWith("model name"))
              .map(l -> l.substring(l.indexOf(':') + 1).trim())
              .findFirst()
              .orElse("unknown");
      boolean avx512 =
          lines.stream().anyMatch(l -> l.startsWith("flags") && l.contains(" avx512f"));
      return model + (avx512 ? ", AVX-512" : ", no AVX-512");
    } catch (IOException | RuntimeException e) {
      return System.getProperty("os.arch") + " (no /proc/cpuinfo)";
    }
  }
}
