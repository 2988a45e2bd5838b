package org.handgrad.app;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.handgrad.kernels.Gemm;
import org.handgrad.kernels.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code handgrad bench gemm}: GFLOP/s of {@link Gemm#sgemm} and {@link Gemm#dgemm} on square
 * matrices and on the im2col GEMMs of the CS231n conv layers (forward, dW and dcols).
 */
@Command(
    name = "gemm",
    mixinStandardHelpOptions = true,
    description = {
      "GEMM throughput, float32 and float64: square sizes and the im2col GEMMs of CS231n convs.",
      "GFLOP/s = 2*m*n*k / median time. op: N = as stored, T = transposed (A then B)."
    })
final class GemmBenchCommand implements Runnable {
  @Mixin BenchCommand.Options options;

  @Option(
      names = "--sizes",
      split = ",",
      paramLabel = "N",
      defaultValue = "256,512,1024,2048",
      description = "Square sizes m = n = k (default: ${DEFAULT-VALUE}).")
  List<Integer> sizes;

  @Option(
      names = "--conv",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Also time the conv-layer im2col shapes (default: on; --no-conv to skip).")
  boolean conv;

  @Option(
      names = "--cpu-time",
      description =
          "Time the calling thread's CPU time instead of wall time (needs --threads 1): the speed"
              + " per core on a busy machine; pairs with scripts/bench_gemm_numpy.py --cpu-time.")
  boolean cpuTime;

  @Option(
      names = "--dtype",
      paramLabel = "f32|f64|both",
      defaultValue = "both",
      description = "Which precision to time (default: ${DEFAULT-VALUE}).")
  String dtype;

  /** One GEMM shape: C (m, n) = op(A) (m, k) * op(B) (k, n). */
  record Case(String name, int m, int n, int k, boolean transA, boolean transB) {
    String op() {
      return (transA ? "T" : "N") + (transB ? "T" : "N");
    }

    double flops() {
      return 2.0 * m * n * k;
    }
  }

  @Override
  public void run() {
    options.apply();
    boolean f32 = !dtype.equals("f64");
    boolean f64 = !dtype.equals("f32");
    if (!List.of("f32", "f64", "both").contains(dtype)) {
      throw new IllegalArgumentException("bench gemm: --dtype must be f32, f64 or both: " + dtype);
    }
    if (cpuTime && Parallel.threads() != 1) {
      throw new IllegalArgumentException(
          "bench gemm: --cpu-time measures the calling thread only; add --threads 1 (have "
              + Parallel.threads()
              + ")");
    }
    options.printHeader(System.out, "handgrad bench gemm");
    if (cpuTime) {
      System.out.println("(times are the calling thread's CPU time, not wall time)");
    }
    warmUp(f32, f64);
    BenchCommand.Table table =
        new BenchCommand.Table(
            "case", "m", "n", "k", "op", "f32 GFLOP/s", "f32 ms", "f64 GFLOP/s", "f64 ms");
    for (Case cs : cases()) {
      double t32 = f32 ? timeFloat(cs) : Double.NaN;
      double t64 = f64 ? timeDouble(cs) : Double.NaN;
      table.add(
          cs.name(),
          Integer.toString(cs.m()),
          Integer.toString(cs.n()),
          Integer.toString(cs.k()),
          cs.op(),
          gflops(cs, t32),
          millis(t32),
          gflops(cs, t64),
          millis(t64));
    }
    table.print(System.out);
  }

  /**
   * Runs every code path once the JIT cares about (the four transpose combinations, edge tiles,
   * several K blocks, beta 0 and 1, and a thin NT product for the dot-product kernel) for about a
   * second, so that the first timed case is not measured while C2 is still compiling or recompiling
   * the kernels after a new branch was taken.
   */
  private static void warmUp(boolean f32, boolean f64) {
    int m = 97;
    int n = 131;
    int k = 300;
    float[] af = new float[m * k];
    float[] bf = new float[k * n];
    float[] cf = new float[m * n];
    double[] ad = new double[m * k];
    double[] bd = new double[k * n];
    double[] cd = new double[m * n];
    // 7 x 11 NT: every register block and edge of the dot-product kernel, several k blocks; k
    // alternates between 3001 (run directly) and 30011 (parallel, split-k with dot-product chunks).
    int dm = 7;
    int dn = 11;
    int dk = 30011;
    float[] daf = new float[dm * dk];
    float[] dbf = new float[dn * dk];
    double[] dad = new double[dm * dk];
    double[] dbd = new double[dn * dk];
    long start = System.nanoTime();
    while (System.nanoTime() - start < 1_000_000_000L) {
      for (int kk : new int[] {3001, dk}) {
        if (f32) {
          Gemm.sgemm(cf, 0, dn, daf, 0, dk, false, dbf, 0, dk, true, dm, dn, kk, 1f, 0f);
        }
        if (f64) {
          Gemm.dgemm(cd, 0, dn, dad, 0, dk, false, dbd, 0, dk, true, dm, dn, kk, 1, 0);
        }
      }
      for (int v = 0; v < 8; v++) {
        boolean ta = (v & 1) != 0;
        boolean tb = (v & 2) != 0;
        float beta = (v & 4) != 0 ? 1f : 0f;
        if (f32) {
          Gemm.sgemm(cf, 0, n, af, 0, ta ? m : k, ta, bf, 0, tb ? k : n, tb, m, n, k, 1f, beta);
        }
        if (f64) {
          Gemm.dgemm(cd, 0, n, ad, 0, ta ? m : k, ta, bd, 0, tb ? k : n, tb, m, n, k, 1, beta);
        }
      }
    }
  }

  /** The square sizes, then forward / dW / dcols of each conv layer. */
  List<Case> cases() {
    List<Case> list = new ArrayList<>();
    for (int s : sizes) {
      if (s < 1) {
        throw new IllegalArgumentException("bench gemm: --sizes must be positive: " + s);
      }
      list.add(new Case("square " + s, s, s, s, false, false));
    }
    if (conv) {
      // CS231n conv check: x (100, 3, 31, 31), w (25, 3, 3, 3), stride 2, pad 1 -> 16 x 16 outputs.
      addConv(list, "conv 3x31x31 F25 3x3 s2", 25, 3 * 3 * 3, 100 * 16 * 16);
      // Three-layer convnet, batch 64, 32 filters 7x7, pad 3 (same size output).
      addConv(list, "conv 1x28x28 F32 7x7", 32, 1 * 7 * 7, 64 * 28 * 28);
      addConv(list, "conv 3x32x32 F32 7x7", 32, 3 * 7 * 7, 64 * 32 * 32);
    }
    return list;
  }

  /**
   * Adds the three im2col GEMMs of a conv layer with F filters, C*KH*KW = ckk and N*H'*W' = nhw:
   * out (F, nhw) = W (F, ckk) * cols (ckk, nhw); dW (F, ckk) = dout (F, nhw) * cols^T; dcols (ckk,
   * nhw) = W^T * dout.
   */
  private static void addConv(List<Case> list, String name, int f, int ckk, int nhw) {
    list.add(new Case(name + " fwd", f, nhw, ckk, false, false));
    list.add(new Case(name + " dW", f, ckk, nhw, false, true));
    list.add(new Case(name + " dcols", ckk, nhw, f, true, false));
  }

  private double timeFloat(Case cs) {
    int m = cs.m();
    int n = cs.n();
    int k = cs.k();
    Random rnd = new Random(42);
    float[] a = new float[m * k];
    float[] b = new float[k * n];
    float[] c = new float[m * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) rnd.nextGaussian();
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) rnd.nextGaussian();
    }
    int lda = cs.transA() ? m : k;
    int ldb = cs.transB() ? k : n;
    return BenchCommand.medianSeconds(
        () -> Gemm.sgemm(c, 0, n, a, 0, lda, cs.transA(), b, 0, ldb, cs.transB(), m, n, k, 1f, 0f),
        options.warmup,
        options.runs,
        cpuTime);
  }

  private double timeDouble(Case cs) {
    int m = cs.m();
    int n = cs.n();
    int k = cs.k();
    Random rnd = new Random(42);
    double[] a = new double[m * k];
    double[] b = new double[k * n];
    double[] c = new double[m * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = rnd.nextGaussian();
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = rnd.nextGaussian();
    }
    int lda = cs.transA() ? m : k;
    int ldb = cs.transB() ? k : n;
    return BenchCommand.medianSeconds(
        () -> Gemm.dgemm(c, 0, n, a, 0, lda, cs.transA(), b, 0, ldb, cs.transB(), m, n, k, 1, 0),
        options.warmup,
        options.runs,
        cpuTime);
  }

  private static String gflops(Case cs, double seconds) {
    return Double.isNaN(seconds) ? "-" : String.format("%.1f", cs.flops() / seconds * 1e-9);
  }

  private static String millis(double seconds) {
    return Double.isNaN(seconds) ? "-" : String.format("%.2f", seconds * 1e3);
  }
}
