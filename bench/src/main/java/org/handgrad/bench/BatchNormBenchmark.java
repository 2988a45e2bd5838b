package org.handgrad.bench;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.handgrad.nn.functional.BatchNorm;
import org.handgrad.nn.functional.BatchNormParam;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.SpatialBatchNorm;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
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
 * Timing of the batch normalization layers: spatial BatchNorm forward+backward at the shapes of
 * {@code /work/shared/bench/torch_layers.py} (x (64, 32, 28, 28), and 32x32), and the (N, D)
 * BatchNorm's two backward passes (staged graph vs closed form).
 *
 * <p>JMH: {@code java -jar bench/target/benchmarks.jar BatchNormBenchmark}. The {@link #main}
 * instead times like torch_layers.py (a few warm-up calls, then the median of 20), for a
 * side-by-side figure: {@code java -cp bench/target/benchmarks.jar
 * org.handgrad.bench.BatchNormBenchmark} next to {@code /usr/bin/python3
 * scripts/bench/batchnorm_torch.py}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class BatchNormBenchmark {
  /** Spatial size H = W of x (64, 32, H, W). */
  @Param({"28", "32"})
  public int size;

  /** float32 or float64. */
  @Param({"FLOAT32"})
  public DType dtype;

  private Tensor x;
  private Tensor gamma;
  private Tensor beta;
  private Tensor dout;
  private Tensor x2;
  private Tensor gamma2;
  private Tensor beta2;
  private Tensor dout2;
  private BatchNorm.Cache cache2;

  /** Allocates seeded inputs; dout is all ones, as in torch_layers.py. */
  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom rng = new SplittableRandom(0);
    x = randn(rng, dtype, 64, 32, size, size);
    gamma = randn(rng, dtype, 32);
    beta = randn(rng, dtype, 32);
    dout = Tensor.ones(dtype, 64, 32, size, size);
    x2 = randn(rng, dtype, 256, 1024);
    gamma2 = randn(rng, dtype, 1024);
    beta2 = randn(rng, dtype, 1024);
    dout2 = randn(rng, dtype, 256, 1024);
    cache2 = BatchNorm.batchnormForward(x2, gamma2, beta2, param(1024)).cache();
  }

  private BatchNormParam param(int d) {
    return BatchNormParam.create(dtype, d);
  }

  /** Spatial BatchNorm, TRAIN mode, forward then backward. */
  @Benchmark
  public SpatialBatchNorm.Grads spatialForwardBackward() {
    Forward<SpatialBatchNorm.Cache> f =
        SpatialBatchNorm.spatialBatchnormForward(x, gamma, beta, param(32));
    return SpatialBatchNorm.spatialBatchnormBackward(dout, f.cache());
  }

  /** BatchNorm (256, 1024): backward through the staged graph. */
  @Benchmark
  public BatchNorm.Grads batchnormBackwardGraph() {
    return BatchNorm.batchnormBackward(dout2, cache2);
  }

  /** BatchNorm (256, 1024): closed-form backward. */
  @Benchmark
  public BatchNorm.Grads batchnormBackwardClosedForm() {
    return BatchNorm.batchnormBackwardAlt(dout2, cache2);
  }

  private static Tensor randn(SplittableRandom rng, DType dtype, int... shape) {
    Tensor t = Tensor.zeros(dtype, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, rng.nextGaussian());
    }
    return t;
  }

  /**
   * Median-of-20 timings in the format of torch_layers.py, for both spatial sizes and dtypes, and
   * the graph vs closed-form backward speed-up.
   *
   * @param args optional repetition count (default 20)
   */
  public static void main(String[] args) {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      for (int s : new int[] {28, 32}) {
        BatchNormBenchmark b = new BatchNormBenchmark();
        b.size = s;
        b.dtype = dt;
        b.setUp();
        time(
            "spatial batchnorm, x(64,32," + s + "," + s + ") fwd+bwd " + dt.numpyName(),
            b::spatialForwardBackward,
            reps);
      }
    }
    for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      BatchNormBenchmark b = new BatchNormBenchmark();
      b.size = 28;
      b.dtype = dt;
      b.setUp();
      double graph =
          time("batchnorm (256,1024) bwd graph " + dt.numpyName(), b::batchnormBackwardGraph, reps);
      double closed =
          time(
              "batchnorm (256,1024) bwd closed form " + dt.numpyName(),
              b::batchnormBackwardClosedForm,
              reps);
      System.out.printf("  closed form speed-up: %.1fx%n", graph / closed);
    }
  }

  /** Prints and returns the median time in ms; warms the JIT up first. */
  private static double time(String name, Supplier<?> fn, int reps) {
    long warmUntil = System.nanoTime() + 2_000_000_000L; // C2 needs more than torch's 3 calls
    for (int i = 0; i < 5 || System.nanoTime() < warmUntil; i++) {
      fn.get();
    }
    double[] ts = new double[reps];
    for (int r = 0; r < reps; r++) {
      long t = System.nanoTime();
      fn.get();
      ts[r] = (System.nanoTime() - t) / 1e6;
    }
    Arrays.sort(ts);
    double median = ts[reps / 2];
    System.out.printf("%s: median %.2f ms (min %.2f)%n", name, median, ts[0]);
    return median;
  }
}
