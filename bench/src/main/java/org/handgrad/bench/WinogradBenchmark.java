package org.handgrad.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.handgrad.kernels.Parallel;
import org.handgrad.kernels.Winograd;
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
 * JMH timing of {@link Winograd#forward}, {@link Winograd#backwardData} and {@link
 * Winograd#backwardFilter} (3x3, stride 1, pad 1, float32) on the U-Net's layers that take that
 * path: the kernel alone, without the layer's allocation, so that two builds of it can be compared
 * run against run.
 *
 * <pre>
 * mvn -B package -DskipTests
 * java -jar bench/target/benchmarks.jar WinogradBenchmark -p threads=1
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
public class WinogradBenchmark {
  /** {@code N x C -> F at HxW}: batch, input channels, filters, image size. */
  @Param({"64x64-64@28", "64x64-64@14", "64x128-64@14", "100x64-64@7"})
  public String shape;

  /** Kernel threads ({@link Parallel#setThreads}); 0 keeps the configured default. */
  @Param({"0"})
  public int threads;

  private int n;
  private int c;
  private int f;
  private int hw;
  private float[] x;
  private float[] w;
  private float[] b;
  private float[] out;
  private float[] dx;
  private float[] dw;

  /** Parses the shape and fills the operands with seeded Gaussians. */
  @Setup(Level.Trial)
  public void setUp() {
    if (threads > 0) {
      Parallel.setThreads(threads);
    }
    String[] batchRest = shape.split("x", 2);
    String[] cRest = batchRest[1].split("-", 2);
    String[] fHw = cRest[1].split("@", 2);
    n = Integer.parseInt(batchRest[0]);
    c = Integer.parseInt(cRest[0]);
    f = Integer.parseInt(fHw[0]);
    hw = Integer.parseInt(fHw[1]);
    Random rnd = new Random(42);
    x = gaussians(rnd, n * c * hw * hw);
    w = gaussians(rnd, f * c * 9);
    b = gaussians(rnd, f);
    out = new float[n * f * hw * hw];
    dx = new float[n * c * hw * hw];
    dw = new float[f * c * 9];
  }

  private static float[] gaussians(Random rnd, int count) {
    float[] a = new float[count];
    for (int i = 0; i < count; i++) {
      a[i] = (float) rnd.nextGaussian();
    }
    return a;
  }

  /**
   * Forward: out (N, F, H, W) from x (N, C, H, W).
   *
   * @return the output, so that the JIT keeps the work
   */
  @Benchmark
  public float[] forward() {
    Winograd.forward(out, 0, x, 0, w, 0, b, 0, n, c, hw, hw, f);
    return out;
  }

  /**
   * Input gradient: dx (N, C, H, W) from dout = the forward's output buffer (N, F, H, W).
   *
   * @return the input gradient
   */
  @Benchmark
  public float[] backwardData() {
    Winograd.backwardData(dx, 0, out, 0, w, 0, n, c, hw, hw, f);
    return dx;
  }

  /**
   * Filter gradient: dw (F, C, 3, 3) from x and dout = the forward's output buffer.
   *
   * @return the filter gradient
   */
  @Benchmark
  public float[] backwardFilter() {
    Winograd.backwardFilter(dw, 0, x, 0, out, 0, n, c, hw, hw, f);
    return dw;
  }
}
