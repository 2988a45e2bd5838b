package org.handgrad.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.handgrad.kernels.Gemm;
import org.handgrad.kernels.Kernels;
import org.handgrad.kernels.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH timing of {@link Gemm#sgemm} and {@link Gemm#dgemm} on the shapes of {@code handgrad bench
 * gemm}: square sizes and the im2col GEMMs of the CS231n conv layers. Reports time per call; the
 * GFLOP/s figure is 2*m*n*k / time.
 *
 * <pre>
 * mvn -B package -DskipTests
 * java -jar bench/target/benchmarks.jar GemmBenchmark -p shape=square1024 -p threads=2
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmBenchmark {
  /**
   * Shape name: {@code squareN}, or {@code <conv>-<fwd|dW|dcols>} with conv one of {@code c3x31} (x
   * (100,3,31,31), w (25,3,3,3), stride 2, pad 1), {@code c1x28} (batch 64, 32 filters 7x7 on
   * 1x28x28) and {@code c3x32} (the same on 3x32x32).
   */
  @Param({
    "square256",
    "square512",
    "square1024",
    "square2048",
    "c3x31-fwd",
    "c3x31-dW",
    "c3x31-dcols",
    "c1x28-fwd",
    "c1x28-dW",
    "c1x28-dcols",
    "c3x32-fwd",
    "c3x32-dW",
    "c3x32-dcols"
  })
  public String shape;

  /** Kernel threads ({@link Parallel#setThreads}); 0 keeps the configured default. */
  @Param({"0"})
  public int threads;

  /** Force the scalar twin. */
  @Param({"false"})
  public boolean scalar;

  private int m;
  private int n;
  private int k;
  private boolean transA;
  private boolean transB;
  private float[] af;
  private float[] bf;
  private float[] cf;
  private double[] ad;
  private double[] bd;
  private double[] cd;

  /** Allocates and fills the operands for the chosen shape. */
  @Setup(Level.Trial)
  public void setUp() {
    if (threads > 0) {
      Parallel.setThreads(threads);
    }
    Kernels.forceScalar(scalar);
    if (shape.startsWith("square")) {
      int s = Integer.parseInt(shape.substring("square".length()));
      m = s;
      n = s;
      k = s;
    } else {
      String[] parts = shape.split("-");
      int[] fCkkNhw =
          switch (parts[0]) {
            case "c3x31" -> new int[] {25, 27, 100 * 16 * 16};
            case "c1x28" -> new int[] {32, 49, 64 * 28 * 28};
            case "c3x32" -> new int[] {32, 147, 64 * 32 * 32};
            default -> throw new IllegalArgumentException("unknown conv " + parts[0]);
          };
      int f = fCkkNhw[0];
      int ckk = fCkkNhw[1];
      int nhw = fCkkNhw[2];
      switch (parts[1]) {
        case "fwd" -> set(f, nhw, ckk, false, false); // W (F, ckk) * cols (ckk, nhw)
        case "dW" -> set(f, ckk, nhw, false, true); // dout (F, nhw) * cols^T
        case "dcols" -> set(ckk, nhw, f, true, false); // W^T * dout (F, nhw)
        default -> throw new IllegalArgumentException("unknown pass " + parts[1]);
      }
    }
    Random rnd = new Random(42);
    af = new float[m * k];
    bf = new float[k * n];
    cf = new float[m * n];
    ad = new double[m * k];
    bd = new double[k * n];
    cd = new double[m * n];
    for (int i = 0; i < af.length; i++) {
      ad[i] = rnd.nextGaussian();
      af[i] = (float) ad[i];
    }
    for (int i = 0; i < bf.length; i++) {
      bd[i] = rnd.nextGaussian();
      bf[i] = (float) bd[i];
    }
  }

  private void set(int m, int n, int k, boolean transA, boolean transB) {
    this.m = m;
    this.n = n;
    this.k = k;
    this.transA = transA;
    this.transB = transB;
  }

  /** float32 C = A B. */
  @Benchmark
  public float[] sgemm() {
    Gemm.sgemm(
        cf, 0, n, af, 0, transA ? m : k, transA, bf, 0, transB ? k : n, transB, m, n, k, 1f, 0f);
    return cf;
  }

  /** float64 C = A B. */
  @Benchmark
  public double[] dgemm() {
    Gemm.dgemm(
        cd, 0, n, ad, 0, transA ? m : k, transA, bd, 0, transB ? k : n, transB, m, n, k, 1, 0);
    return cd;
  }
}
