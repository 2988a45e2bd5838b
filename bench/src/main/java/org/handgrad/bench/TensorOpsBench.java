package org.handgrad.bench;

import java.util.concurrent.TimeUnit;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Tensor ops on the shapes of a softmax classifier step over a (64, 784) batch, next to a plain
 * array loop ({@link #rawAddLoop}) that shows the cost floor of one pass over the data.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar
 * TensorOpsBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class TensorOpsBench {
  static final int N = 64;
  static final int D = 784;

  Tensor x; // (N, D)
  Tensor y; // (N, D)
  Tensor bias; // (D,)
  Tensor rowMax; // (N, 1)
  Tensor xT; // (D, N) transposed view
  float[] a;
  float[] b;
  float[] c;

  @Setup
  public void setup() {
    Rng rng = new Rng(0);
    x = rng.randn(N, D);
    y = rng.randn(N, D);
    bias = rng.randn(D);
    rowMax = x.max(1, true);
    xT = rng.randn(D, N).transpose();
    a = x.toFloatArray();
    b = y.toFloatArray();
    c = new float[N * D];
  }

  @Benchmark
  public float[] rawAddLoop() {
    for (int i = 0; i < c.length; i++) {
      c[i] = a[i] + b[i];
    }
    return c;
  }

  @Benchmark
  public Tensor addSameShape() {
    return x.add(y);
  }

  @Benchmark
  public Tensor addBias() {
    return x.add(bias);
  }

  @Benchmark
  public Tensor subRowMax() {
    return x.sub(rowMax);
  }

  @Benchmark
  public Tensor addTransposedView() {
    return x.add(xT);
  }

  @Benchmark
  public Tensor mulScalar() {
    return x.mul(0.5);
  }

  @Benchmark
  public Tensor addScaledInPlace() {
    return y.addScaledi(-1e-3, x);
  }

  @Benchmark
  public Tensor exp() {
    return x.exp();
  }

  @Benchmark
  public Tensor sumRows() {
    return x.sum(1, true);
  }

  @Benchmark
  public Tensor sumColumns() {
    return x.sum(0);
  }

  @Benchmark
  public Tensor maxRows() {
    return x.max(1, true);
  }

  @Benchmark
  public Tensor softmax() {
    Tensor e = x.sub(x.max(1, true)).exp();
    return e.div(e.sum(1, true));
  }

  @Benchmark
  public Tensor randn() {
    return new Rng(1).randn(DType.FLOAT32, N, D);
  }
}
