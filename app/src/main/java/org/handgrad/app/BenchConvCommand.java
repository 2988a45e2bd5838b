package org.handgrad.app;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.handgrad.kernels.Gemm;
import org.handgrad.kernels.Im2col;
import org.handgrad.kernels.Kernels;
import org.handgrad.kernels.Parallel;
import org.handgrad.kernels.Winograd;
import org.handgrad.nn.functional.BatchNormParam;
import org.handgrad.nn.functional.Conv;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Pool;
import org.handgrad.nn.functional.PoolParam;
import org.handgrad.nn.functional.SpatialBatchNorm;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./handgrad bench conv}: times the convolution and pooling layers (median of several runs
 * after warm-up) at the shapes the CS231n notebooks use, for comparison with {@code
 * shared/bench/torch_layers.py} run in the same sitting.
 *
 * <ol>
 *   <li>Fast vs naive conv, forward and backward, on the notebook's check shape x (100, 3, 31, 31),
 *       w (25, 3, 3, 3), stride 2, pad 1, in float64 as the notebook (which reports ~200x forward
 *       and ~700x backward for im2col over Python loops).
 *   <li>Forward + backward of conv 7x7x32 pad 3, of 2x2 max pooling and of spatial BatchNorm (TRAIN
 *       mode) at the three-layer-convnet shapes (batch 64; 1x28x28 and 3x32x32 inputs, 32x28x28 for
 *       pooling and BatchNorm), float32, with the time of the conv's GEMM calls alone (their share
 *       of the layer) and of its im2col/col2im unrolling alone.
 *   <li>Forward and backward of the 3x3 pad-1 convolutions of the U-Net and of the speedrun net
 *       ({@link #SAME_3X3}), float32, batch 64, for comparison with {@code
 *       scripts/bench/conv_torch.py}.
 *   <li>The im2col layout question: one GEMM per image versus one GEMM over the whole batch.
 *   <li>The forward pass of 3x3 pad-1 layers ({@link #WINOGRAD_3X3}) on both paths: im2col + GEMM
 *       and Winograd's F(2x2, 3x3), with their ratio.
 * </ol>
 */
@Command(
    name = "conv",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark conv / max-pool / spatial BatchNorm layers (fast vs naive, GEMM share, batch"
            + " layout, im2col vs Winograd).")
public final class BenchConvCommand implements Callable<Integer> {
  @Option(names = "--reps", defaultValue = "10", description = "Timed runs per case (median).")
  int reps;

  @Option(names = "--warmup", defaultValue = "3", description = "Untimed runs first (at least).")
  int warmup;

  @Option(
      names = "--warmup-ms",
      defaultValue = "500",
      description =
          "Keep warming up until this many ms have passed too: the JIT needs a few hundred ms to"
              + " compile the Vector API kernels, which PyTorch's figures do not pay.")
  int warmupMs;

  @Option(
      names = "--naive-reps",
      defaultValue = "3",
      description = "Timed runs of the slow naive layers.")
  int naiveReps;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description =
          "Threads for the kernels (default: handgrad.threads / HANDGRAD_THREADS / cores).")
  Integer threads;

  @Option(
      names = "--busy",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "Start N CPU-bound threads competing for the cores (default: ${DEFAULT-VALUE}).")
  int busy;

  @Option(
      names = "--quick",
      description = "Tiny batch, one run each: checks that the command works, times nothing real.")
  boolean quick;

  /** Sum of results, printed so the JIT cannot drop the timed work. */
  private double sink;

  /**
   * Runs the benchmark on its own ({@code java -cp app/target/handgrad.jar
   * org.handgrad.app.BenchConvCommand}) until it is registered under {@code bench}.
   */
  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchConvCommand()).execute(args));
  }

  @Override
  public Integer call() {
    if (quick) {
      reps = 1;
      warmup = 0;
      warmupMs = 0;
      naiveReps = 1;
    }
    if (threads != null) {
      Parallel.setThreads(threads);
    }
    BusyThreads.start(busy);
    int batch = quick ? 2 : 64;
    System.out.printf(
        Locale.ROOT,
        "handgrad bench conv: median of %d runs after >= %d warm-up runs and >= %d ms (naive: %d),"
            + " %d threads, %d cores, %s%n",
        reps,
        warmup,
        warmupMs,
        naiveReps,
        Parallel.threads(),
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    System.out.println(
        BenchCommand.cpuLine()
            + " | kernels: "
            + Kernels.describe()
            + (busy == 0 ? "" : " | " + busy + " competing busy thread" + (busy == 1 ? "" : "s")));

    System.out.println();
    int checkN = quick ? 4 : 100;
    System.out.printf(
        Locale.ROOT,
        "(a) CS231n check shape x(%d,3,31,31) w(25,3,3,3) stride 2 pad 1, float64%n",
        checkN);
    cs231nCheck(checkN);

    System.out.println();
    System.out.println("(b) three-layer convnet shapes, float32, forward + backward");
    convnet(batch, 1, 28);
    convnet(batch, 3, 32);
    Tensor px = random(DType.FLOAT32, 7, batch, 32, 28, 28);
    double pool =
        time(
            () -> {
              Forward<Pool.MaxCache> f = Pool.maxPoolForward(px, PoolParam.twoByTwo());
              return Pool.maxPoolBackward(f.out(), f.cache()).dx();
            },
            reps);
    row(String.format(Locale.ROOT, "maxpool 2x2 s2, x(%d,32,28,28) fwd+bwd", batch), pool);
    Tensor bnDout = random(DType.FLOAT32, 15, batch, 32, 28, 28);
    Tensor gamma = random(DType.FLOAT32, 16, 32), beta = random(DType.FLOAT32, 17, 32);
    BatchNormParam bnParam = BatchNormParam.create(DType.FLOAT32, 32);
    double bn =
        time(
            () -> {
              Forward<SpatialBatchNorm.Cache> f =
                  SpatialBatchNorm.spatialBatchnormForward(px, gamma, beta, bnParam);
              return SpatialBatchNorm.spatialBatchnormBackward(bnDout, f.cache()).dx();
            },
            reps);
    row(String.format(Locale.ROOT, "spatial batchnorm x(%d,32,28,28) fwd+bwd", batch), bn);

    System.out.println();
    System.out.println(
        "(c) 3x3 pad 1 convs of the U-Net and the speedrun net, float32"
            + " (scripts/bench/conv_torch.py times the same in PyTorch)");
    for (int[] shape : SAME_3X3) {
      same3x3(batch, shape[0], shape[1], shape[2]);
    }

    System.out.println();
    System.out.println("(d) forward GEMM per image vs one GEMM for the batch (GEMM only), float32");
    layout(batch, 1, 28);
    layout(batch, 3, 32);

    System.out.println();
    System.out.println(
        "(e) 3x3 pad 1 forward, float32: im2col + GEMM against Winograd F(2x2, 3x3)"
            + " (Conv.winograd picks the second when C and F are both at least 32)");
    if (Winograd.enabled()) {
      for (int[] shape : WINOGRAD_3X3) {
        winogradVersusIm2col(batch, shape[0], shape[1], shape[2]);
      }
    } else {
      System.out.println(
          "  not run: Winograd is off (no Vector API kernels, or -D"
              + Winograd.PROPERTY
              + "=false)");
    }
    System.out.printf(Locale.ROOT, "%n(checksum %.3g)%n", sink);
    return 0;
  }

  private void cs231nCheck(int n) {
    Tensor x = random(DType.FLOAT64, 1, n, 3, 31, 31);
    Tensor w = random(DType.FLOAT64, 2, 25, 3, 3, 3);
    Tensor b = random(DType.FLOAT64, 3, 25);
    ConvParam p = new ConvParam(2, 1);
    Tensor dout = random(DType.FLOAT64, 4, n, 25, 16, 16);
    Conv.Cache cache = Conv.convForward(x, w, b, p).cache();
    double naiveF = time(() -> Conv.convForwardNaive(x, w, b, p).out(), naiveReps);
    double fastF = time(() -> Conv.convForward(x, w, b, p).out(), reps);
    double naiveB = time(() -> Conv.convBackwardNaive(dout, cache).dx(), naiveReps);
    double fastB = time(() -> Conv.convBackward(dout, cache).dx(), reps);
    row("naive forward", naiveF);
    row("fast forward", fastF);
    System.out.printf(Locale.ROOT, "  %-46s %9.1fx%n", "forward speed-up", naiveF / fastF);
    row("naive backward", naiveB);
    row("fast backward", fastB);
    System.out.printf(Locale.ROOT, "  %-46s %9.1fx%n", "backward speed-up", naiveB / fastB);
    Tensor x32 = x.to(DType.FLOAT32), w32 = w.to(DType.FLOAT32), b32 = b.to(DType.FLOAT32);
    Tensor d32 = dout.to(DType.FLOAT32);
    double f32 =
        time(
            () -> {
              Forward<Conv.Cache> f = Conv.convForward(x32, w32, b32, p);
              return Conv.convBackward(d32, f.cache()).dx();
            },
            reps);
    row("fast fwd+bwd float32 (torch_layers.py's line)", f32);
  }

  private void convnet(int n, int c, int hw) {
    int f = 32, k = 7;
    Tensor x = random(DType.FLOAT32, 5, n, c, hw, hw);
    double[] t = timeConv(x, f, k, 3, 6);
    double fwd = t[0], bwd = t[1];
    // The GEMMs conv does, alone, on buffers of the same sizes: per image out = w cols
    // (F x L x K) in forward; dw += dout cols^T (F x K x L) and dcols = w^T dout (K x L x F) in
    // backward.
    int kk = c * k * k, l = hw * hw;
    float[] cols = randomArray(9, kk * l), wa = randomArray(10, f * kk);
    float[] da = randomArray(11, n * f * l), out = new float[n * f * l];
    float[] dw = new float[f * kk], dcols = new float[kk * l];
    double gemmF =
        time(
            () -> {
              for (int i = 0; i < n; i++) {
                Gemm.sgemm(
                    out, i * f * l, l, wa, 0, kk, false, cols, 0, l, false, f, l, kk, 1f, 0f);
              }
              return Tensor.of(out, out.length);
            },
            reps);
    double gemmB =
        time(
            () -> {
              for (int i = 0; i < n; i++) {
                Gemm.sgemm(dw, 0, kk, da, i * f * l, l, false, cols, 0, l, true, f, kk, l, 1f, 1f);
                Gemm.sgemm(dcols, 0, l, wa, 0, kk, true, da, i * f * l, l, false, kk, l, f, 1f, 0f);
              }
              return Tensor.of(dcols, dcols.length);
            },
            reps);
    // The unrolling alone: im2col per image in forward; im2col and col2im per image in backward.
    float[] xa = x.floatStorage(), dx = new float[xa.length];
    int img = c * hw * hw;
    double unrollF =
        time(
            () -> {
              for (int i = 0; i < n; i++) {
                Im2col.im2col(cols, 0, xa, i * img, c, hw, hw, k, k, 1, 3, hw, hw);
              }
              return Tensor.of(cols, cols.length);
            },
            reps);
    double unrollB =
        time(
            () -> {
              for (int i = 0; i < n; i++) {
                Im2col.im2col(cols, 0, xa, i * img, c, hw, hw, k, k, 1, 3, hw, hw);
                Im2col.col2im(dx, i * img, dcols, 0, c, hw, hw, k, k, 1, 3, hw, hw);
              }
              return Tensor.of(dx, dx.length);
            },
            reps);
    String shape = String.format(Locale.ROOT, "x(%d,%d,%d,%d)", n, c, hw, hw);
    row("conv 7x7x32 pad 3, " + shape + " forward", fwd, gemmF, unrollF);
    row("conv 7x7x32 pad 3, " + shape + " backward", bwd, gemmB, unrollB);
    row("conv 7x7x32 pad 3, " + shape + " fwd+bwd", fwd + bwd, gemmF + gemmB, unrollF + unrollB);
  }

  /**
   * (C = F, H = W) of section (c): the U-Net's three levels (32 at 28x28, 64 at 14x14 and 7x7) and
   * the speedrun net's middle group (48 at 14x14).
   */
  static final int[][] SAME_3X3 = {{32, 32, 28}, {64, 64, 14}, {64, 64, 7}, {48, 48, 14}};

  private void same3x3(int n, int c, int f, int hw) {
    double[] t = timeConv(random(DType.FLOAT32, 21, n, c, hw, hw), f, 3, 1, 22);
    double fwd = t[0], bwd = t[1];
    String shape = String.format(Locale.ROOT, "x(%d,%d,%d,%d) w(%d,%d,3,3)", n, c, hw, hw, f, c);
    row(shape + " forward", fwd);
    row(shape + " backward", bwd);
    row(shape + " fwd+bwd", fwd + bwd);
  }

  /**
   * Median forward and backward times (ms) of a float32 stride-1 "same" conv of x (n, c, hw, hw)
   * with f random k x k filters, padding {@code pad}; w, b and dout from seeds {@code seed} to
   * {@code seed + 2}.
   */
  private double[] timeConv(Tensor x, int f, int k, int pad, long seed) {
    int n = x.shape(0), c = x.shape(1), hw = x.shape(2);
    Tensor w = random(DType.FLOAT32, seed, f, c, k, k);
    Tensor b = random(DType.FLOAT32, seed + 1, f);
    Tensor dout = random(DType.FLOAT32, seed + 2, n, f, hw, hw);
    ConvParam p = new ConvParam(1, pad);
    Conv.Cache cache = Conv.convForward(x, w, b, p).cache();
    return new double[] {
      time(() -> Conv.convForward(x, w, b, p).out(), reps),
      time(() -> Conv.convBackward(dout, cache).dx(), reps)
    };
  }

  /** (C, F, H = W) of section (e): the U-Net's layer shapes on both sides of the rule. */
  static final int[][] WINOGRAD_3X3 = {
    {32, 32, 28}, {96, 32, 28}, {64, 64, 28}, {64, 64, 14}, {128, 64, 14}, {64, 64, 7}
  };

  /**
   * The forward pass of one layer timed on both paths, im2col first, through {@link
   * Winograd#PROPERTY} (which {@link Winograd#enabled()} reads at every call).
   */
  private void winogradVersusIm2col(int n, int c, int f, int hw) {
    Tensor x = random(DType.FLOAT32, 31, n, c, hw, hw);
    Tensor w = random(DType.FLOAT32, 32, f, c, 3, 3);
    Tensor b = random(DType.FLOAT32, 33, f);
    ConvParam p = new ConvParam(1, 1);
    double[] ms = new double[2];
    String prior = System.getProperty(Winograd.PROPERTY);
    try {
      for (int i = 0; i < 2; i++) {
        System.setProperty(Winograd.PROPERTY, i == 0 ? "false" : "true");
        ms[i] = time(() -> Conv.convForward(x, w, b, p).out(), reps);
      }
    } finally {
      if (prior == null) {
        System.clearProperty(Winograd.PROPERTY);
      } else {
        System.setProperty(Winograd.PROPERTY, prior);
      }
    }
    System.out.printf(
        Locale.ROOT,
        "  x(%d,%d,%d,%d) w(%d,%d,3,3)   im2col %7.2f ms   Winograd %7.2f ms   %.2fx%n",
        n,
        c,
        hw,
        hw,
        f,
        c,
        ms[0],
        ms[1],
        ms[0] / ms[1]);
  }

  private void layout(int n, int c, int hw) {
    int f = 32, kk = c * 49, l = hw * hw;
    float[] w = randomArray(12, f * kk);
    float[] colsImage = randomArray(13, kk * l);
    float[] colsBatch = randomArray(14, kk * l * n);
    float[] out = new float[f * l * n];
    double perImage =
        time(
            () -> {
              for (int i = 0; i < n; i++) {
                Gemm.sgemm(
                    out, i * f * l, l, w, 0, kk, false, colsImage, 0, l, false, f, l, kk, 1f, 0f);
              }
              return Tensor.of(out, out.length);
            },
            reps);
    double batched =
        time(
            () -> {
              Gemm.sgemm(
                  out, 0, n * l, w, 0, kk, false, colsBatch, 0, n * l, false, f, n * l, kk, 1f, 0f);
              return Tensor.of(out, out.length);
            },
            reps);
    String shape = String.format(Locale.ROOT, "x(%d,%d,%d,%d) w(32,%d,7,7)", n, c, hw, hw, c);
    row(shape + " per image", perImage);
    row(shape + " one for batch", batched);
  }

  // ----------------------------------------------------------------------------- timing

  /**
   * Median wall time in ms of up to {@code runs} calls after untimed ones: at least {@code warmup}
   * calls and {@code warmupMs} of them. Slow cases (the scalar GEMM at the convnet shapes) stop
   * early: warm-up after 3 s (or warmupMs if longer), timing after 15 s, but always at least one
   * warm-up and three timed calls (unless runs < 3).
   */
  private double time(Supplier<Tensor> body, int runs) {
    long start = System.nanoTime();
    long minWarm = warmupMs * 1_000_000L;
    for (int i = 0;
        (i < warmup || System.nanoTime() - start < minWarm)
            && (i == 0 || System.nanoTime() - start < Math.max(3_000_000_000L, minWarm));
        i++) {
      consume(body.get());
    }
    double[] ms = new double[Math.max(1, runs)];
    int done = 0;
    start = System.nanoTime();
    while (done < ms.length && (done < 3 || System.nanoTime() - start < 15_000_000_000L)) {
      long t0 = System.nanoTime();
      Tensor r = body.get();
      ms[done++] = (System.nanoTime() - t0) / 1e6;
      consume(r);
    }
    double[] used = Arrays.copyOf(ms, done);
    Arrays.sort(used);
    return used[done / 2];
  }

  private void consume(Tensor t) {
    sink += t.getFlat(0) + t.getFlat(t.size() - 1);
  }

  private static void row(String name, double ms) {
    System.out.printf(Locale.ROOT, "  %-46s %9.2f ms%n", name, ms);
  }

  /** A layer row with the time of its GEMM calls alone (and their share) and of its unrolling. */
  private static void row(String name, double ms, double gemmMs, double unrollMs) {
    System.out.printf(
        Locale.ROOT,
        "  %-46s %9.2f ms   GEMM alone %9.2f ms (%3.0f%%)   im2col/col2im alone %6.2f ms%n",
        name,
        ms,
        gemmMs,
        100 * gemmMs / ms,
        unrollMs);
  }

  private static Tensor random(DType dtype, long seed, int... shape) {
    Tensor t = Tensor.of(randomArray(seed, Arrays.stream(shape).reduce(1, (a, b) -> a * b)), shape);
    return dtype == DType.FLOAT32 ? t : t.to(dtype);
  }

  /** Uniform values in [-1, 1) from a fixed seed. */
  private static float[] randomArray(long seed, int n) {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (2 * rng.nextDouble() - 1);
    }
    return a;
  }
}
