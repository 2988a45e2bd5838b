package org.handgrad.bench;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.handgrad.kernels.Gemm;
import org.handgrad.kernels.RecurrentCells;
import org.handgrad.kernels.RowOps;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Lstm;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * LSTM forward + backward, float32, N=64, T=20, D=H=512: the shape of PyTorch's {@code nn.LSTM(512,
 * 512, batch_first=True)} case in {@code shared/bench/torch_layers.py} (which backpropagates ones
 * through the output, as here).
 *
 * <p>JMH: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar Lstm}.
 * Quick figure with the share of time spent in GEMM: {@code java --add-modules jdk.incubator.vector
 * -cp bench/target/benchmarks.jar org.handgrad.bench.LstmBenchmark [reps]}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@Warmup(iterations = 2)
@Measurement(iterations = 5)
public class LstmBenchmark {
  static final int N = 64;
  static final int T = 20;
  static final int D = 512;
  static final int H = 512;

  Tensor x;
  Tensor h0;
  Tensor wx;
  Tensor wh;
  Tensor b;
  Tensor dout;

  /** Seeded inputs with PyTorch's default LSTM init scale, U(-1/sqrt(H), 1/sqrt(H)). */
  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom r = new SplittableRandom(0);
    double k = 1 / Math.sqrt(H);
    x = uniform(r, 1.0, N, T, D);
    h0 = Tensor.zeros(DType.FLOAT32, N, H);
    wx = uniform(r, k, D, 4 * H);
    wh = uniform(r, k, H, 4 * H);
    b = uniform(r, k, 4 * H);
    dout = Tensor.ones(DType.FLOAT32, N, T, H);
  }

  private static Tensor uniform(SplittableRandom r, double scale, int... shape) {
    Tensor t = Tensor.zeros(DType.FLOAT32, shape);
    float[] s = t.floatStorage();
    for (int i = 0; i < s.length; i++) {
      s[i] = (float) (scale * (2 * r.nextDouble() - 1));
    }
    return t;
  }

  /** One training step's worth of LSTM work: forward over T steps, then BPTT. */
  @Benchmark
  public Lstm.Grads forwardBackward() {
    Forward<Lstm.Cache> f = Lstm.lstmForward(x, h0, wx, wh, b);
    return Lstm.lstmBackward(dout, f.cache());
  }

  /** Forward only. */
  @Benchmark
  public Tensor forward() {
    return Lstm.lstmForward(x, h0, wx, wh, b).out();
  }

  /**
   * The GEMM calls that {@link #forwardBackward()} makes, with the same shapes, transposes and
   * leading dimensions, on buffers of the same sizes: subtracting this from the total leaves the
   * time spent in the cell kernels, copies and allocation.
   */
  float gemmOnly(float[][] ws) {
    float[] xs = ws[0];
    float[] gates = ws[1];
    float[] hs = ws[2];
    float[] w1 = ws[3];
    float[] w2 = ws[4];
    float[] dh = ws[5];
    float[] dx = ws[6];
    float[] dw1 = ws[7];
    float[] dw2 = ws[8];
    int g4 = 4 * H;
    int rows = N * T;
    // Forward: input projection for all steps, then h_{t-1} Wh per step.
    Gemm.sgemm(gates, 0, g4, xs, 0, D, false, w1, 0, g4, false, rows, g4, D, 1f, 0f);
    for (int t = 0; t < T; t++) {
      Gemm.sgemm(gates, t * g4, T * g4, hs, 0, T * H, false, w2, 0, g4, false, N, g4, H, 1f, 1f);
    }
    // Backward: da_t Wh^T per step, then dx, dWx, dWh over all rows.
    for (int t = T - 1; t >= 0; t--) {
      Gemm.sgemm(dh, 0, H, gates, t * g4, T * g4, false, w2, 0, g4, true, N, H, g4, 1f, 0f);
    }
    Gemm.sgemm(dx, 0, D, gates, 0, g4, false, w1, 0, g4, true, rows, D, g4, 1f, 0f);
    Gemm.sgemm(dw1, 0, g4, xs, 0, D, true, gates, 0, g4, false, D, g4, rows, 1f, 0f);
    Gemm.sgemm(dw2, 0, g4, hs, 0, H, true, gates, 0, g4, false, H, g4, rows, 1f, 0f);
    return dx[0] + dw1[0] + dw2[0];
  }

  /**
   * Everything {@link #forwardBackward()} does besides GEMM, replayed with the same shapes: the
   * buffer allocations, the cell kernels of every step, the row additions, the shifted copy of h
   * for dWh and the bias-gradient sum. Measured directly, since with a slow GEMM the difference
   * "total - GEMM" is lost in the noise.
   */
  float outsideGemm(float[] xsTemplate) {
    int g4 = 4 * H;
    int rows = N * T;
    float[] gates = new float[rows * g4];
    float[] c = new float[rows * H];
    float[] tc = new float[rows * H];
    float[] h = new float[rows * H];
    float[] c0 = new float[N * H];
    float[] bias = b.floatStorage();
    System.arraycopy(xsTemplate, 0, gates, 0, Math.min(xsTemplate.length, gates.length));
    for (int t = 0; t < T; t++) {
      float[] cp = t == 0 ? c0 : c;
      int cpOff = t == 0 ? 0 : (t - 1) * H;
      int ldcp = t == 0 ? H : T * H;
      RecurrentCells.slstmForward(
          N, H, gates, t * g4, T * g4, bias, 0, cp, cpOff, ldcp, c, tc, h, t * H, T * H);
    }
    float[] da = new float[rows * g4];
    float[] dhNext = new float[N * H];
    float[] dcNext = new float[N * H];
    float[] d = dout.floatStorage();
    for (int t = T - 1; t >= 0; t--) {
      RowOps.saddRows(N, H, dhNext, 0, H, d, t * H, T * H);
      float[] cp = t == 0 ? c0 : c;
      int cpOff = t == 0 ? 0 : (t - 1) * H;
      int ldcp = t == 0 ? H : T * H;
      RecurrentCells.slstmBackward(
          N, H, da, t * g4, T * g4, gates, t * g4, T * g4, cp, cpOff, ldcp, tc, t * H, T * H,
          dhNext, dcNext, 0, H);
    }
    float[] dx = new float[rows * D];
    float[] dwx = new float[D * g4];
    float[] dwh = new float[H * g4];
    float[] hPrev = new float[rows * H];
    for (int n = 0; n < N; n++) {
      System.arraycopy(h, n * T * H, hPrev, n * T * H + H, (T - 1) * H);
    }
    float[] db = new float[g4];
    RowOps.ssumRows(rows, g4, db, 0, da, 0, g4);
    return db[0] + dx[0] + dwx[0] + dwh[0] + hPrev[0];
  }

  /** Floating-point operations of the GEMMs in one forward + backward. */
  static double gemmFlops() {
    double rows = (double) N * T;
    return 2 * rows * 4 * H * (3.0 * D + 3.0 * H);
  }

  /**
   * Prints the median forward+backward time, the median of the same GEMM calls alone, and their
   * share, so the figure can be projected onto a faster GEMM.
   *
   * @param args optional repetition count (default 5)
   */
  public static void main(String[] args) {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    LstmBenchmark bench = new LstmBenchmark();
    bench.setUp();
    float[][] ws = {
      new float[N * T * D],
      new float[N * T * 4 * H],
      new float[N * T * H],
      new float[D * 4 * H],
      new float[H * 4 * H],
      new float[N * H],
      new float[N * T * D],
      new float[D * 4 * H],
      new float[H * 4 * H]
    };
    bench.forwardBackward(); // warm-up (JIT)
    bench.gemmOnly(ws);
    float[] preact = ws[1].clone(); // realistic pre-activations for the cell kernels
    for (int i = 0; i < 20; i++) {
      bench.outsideGemm(preact); // cheap: warm it up properly
    }
    double[] total = new double[reps];
    double[] fwd = new double[reps];
    double[] gemm = new double[reps];
    double[] outside = new double[reps];
    float sink = 0;
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      Forward<Lstm.Cache> f = Lstm.lstmForward(bench.x, bench.h0, bench.wx, bench.wh, bench.b);
      long t1 = System.nanoTime();
      Lstm.Grads g = Lstm.lstmBackward(bench.dout, f.cache());
      long t2 = System.nanoTime();
      sink += g.db().floatStorage()[0];
      sink += bench.gemmOnly(ws);
      long t3 = System.nanoTime();
      sink += bench.outsideGemm(preact);
      long t4 = System.nanoTime();
      outside[i] = (t4 - t3) / 1e6;
      fwd[i] = (t1 - t0) / 1e6;
      total[i] = (t2 - t0) / 1e6;
      gemm[i] = (t3 - t2) / 1e6;
    }
    double tot = median(total);
    double gm = median(gemm);
    double out = median(outside);
    System.out.printf(
        "LSTM N=%d T=%d D=%d H=%d float32, %d reps (medians)%n"
            + "  forward+backward %.1f ms (min %.1f), of which forward %.1f ms%n"
            + "  outside GEMM (cell kernels, copies, allocation; measured alone) %.1f ms:"
            + " GEMM share %.1f%%%n"
            + "  the same GEMM calls alone %.1f ms: %.2f GFLOP at %.1f GFLOP/s%n"
            + "  projection: %.1f ms + %.2f GFLOP / GEMM rate, e.g. %.0f ms at 50 GFLOP/s%n",
        N,
        T,
        D,
        H,
        reps,
        tot,
        Arrays.stream(total).min().orElse(0),
        median(fwd),
        out,
        100 * (tot - out) / tot,
        gm,
        gemmFlops() / 1e9,
        gemmFlops() / 1e9 / (gm / 1e3),
        out,
        gemmFlops() / 1e9,
        out + gemmFlops() / 50e9 * 1e3);
    if (sink == 42) {
      System.out.println();
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
