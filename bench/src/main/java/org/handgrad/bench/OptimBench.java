package org.handgrad.bench;

import java.util.concurrent.TimeUnit;
import org.handgrad.optim.ParamState;
import org.handgrad.optim.UpdateRule;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One optimizer update of a 1M-element parameter (single thread), the per-step cost every training
 * loop pays. Side by side with PyTorch: scripts/bench/optim_torch.py.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class OptimBench {
  @Param({"sgd", "sgd_momentum", "rmsprop", "adam", "adamw"})
  public String rule;

  @Param({"FLOAT32", "FLOAT64"})
  public String dtype;

  @Param({"1048576"})
  public int n;

  private UpdateRule r;
  private Tensor w;
  private Tensor dw;
  private ParamState state;

  @Setup
  public void setup() {
    DType d = DType.valueOf(dtype);
    r = UpdateRule.byName(rule);
    w = Tensor.zeros(d, n);
    dw = Tensor.zeros(d, n);
    for (int i = 0; i < n; i++) {
      w.setFlat(i, Math.sin(i));
      dw.setFlat(i, Math.cos(i) * 1e-3);
    }
    state = r.newState(w);
  }

  @Benchmark
  public Tensor update() {
    r.update(w, dw, state);
    return w;
  }
}
