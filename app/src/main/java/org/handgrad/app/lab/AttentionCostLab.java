package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;
import static org.handgrad.app.lab.LabSummary.plain;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;
import org.handgrad.app.report.Plots;
import org.handgrad.kernels.Parallel;
import org.handgrad.nn.functional.Attention;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.init.Init;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The cost of self-attention against the sequence length (Vaswani et al. 2017, table 1: a
 * self-attention layer costs O(S^2 E) against a recurrent layer's O(S E^2); CS231n lecture
 * "Attention and Transformers"). Multi-head self-attention on N sequences of S tokens of size E
 * computes four E x E projections, linear in S, and per head an S x S matrix of weights, quadratic
 * in S: the weights' memory grows as S^2 from the start, the time once S passes about 2E, where the
 * S x S products (12 N S^2 E flops forward and backward: six products of S^2 Dh multiply-adds per
 * head) overtake the projections (24 N S E^2 flops: four E x E matrices, each used three times).
 *
 * <p>Times are the CPU time of the measuring thread with handgrad's kernels on one thread ({@link
 * Parallel#setThreads}): on a shared machine other processes then slow the run down but change the
 * numbers much less than they change wall-clock times (though not to nothing: they still share the
 * caches and the cores). Dimension letters as in {@link Attention}: N, H heads, S positions, E
 * embedding, Dh = E / H.
 */
final class AttentionCostLab implements Lab {
  /** Sequences per call. */
  static final int N = 1;

  /** The embedding size E. */
  static final int E = 64;

  /** Heads H (Dh = 16). */
  static final int HEADS = 4;

  /** Below this slope between the two largest lengths the quadratic term has not taken over. */
  static final double MIN_SLOPE = 1.4;

  @Override
  public String name() {
    return "attention-cost";
  }

  @Override
  public String description() {
    return "cost of multi-head self-attention against sequence length S: time and memory on"
        + " log-log axes, the S x S weights take over from the projections";
  }

  /** A piece of work to time. */
  @FunctionalInterface
  interface Job {
    /** Runs it once. */
    void run();
  }

  /**
   * What the forward pass of multi-head attention keeps for its backward pass, in values.
   *
   * @param attention the S x S part: the attention weights (N, H, S, S), and their dropout mask
   *     when there is one
   * @param projections the query, key and value projections and the merged heads, each (N, S, E)
   */
  record Memory(long attention, long projections) {}

  /** Counts the values held by a multi-head attention cache. */
  static Memory count(Attention.MhaCache c) {
    Attention.Cache a = c.attention();
    long attention = a.attn().size() + (a.dropMask() == null ? 0 : a.dropMask().size());
    long projections = (long) a.q().size() + a.k().size() + a.v().size() + c.proj().x().size();
    return new Memory(attention, projections);
  }

  /**
   * The median time per call of each job, in milliseconds. First every job is run for {@code
   * minMillis}, {@code warmups} times over (so that the JIT has compiled the code before anything
   * counts); then each job's loop count is doubled until one loop lasts {@code minMillis}; then the
   * loops of all jobs run in turn, {@code reps} rounds: a slow spell of a shared machine hits one
   * round of every job rather than every round of one job.
   *
   * @param clock nanoseconds, e.g. the thread's CPU time
   * @return one median per job
   */
  static double[] medianMillis(
      List<Job> jobs, int reps, double minMillis, int warmups, Clock clock) {
    for (int w = 0; w < warmups; w++) {
      for (Job job : jobs) {
        long t0 = clock.nanos();
        do {
          job.run();
        } while ((clock.nanos() - t0) / 1e6 < minMillis);
      }
    }
    int[] loops = new int[jobs.size()];
    for (int j = 0; j < jobs.size(); j++) {
      int k = 1;
      while (true) {
        long t0 = clock.nanos();
        for (int i = 0; i < k; i++) {
          jobs.get(j).run();
        }
        if ((clock.nanos() - t0) / 1e6 >= minMillis || k >= 1 << 20) {
          break;
        }
        k *= 2;
      }
      loops[j] = k;
    }
    double[][] t = new double[jobs.size()][reps];
    for (int r = 0; r < reps; r++) {
      for (int j = 0; j < jobs.size(); j++) {
        long t0 = clock.nanos();
        for (int i = 0; i < loops[j]; i++) {
          jobs.get(j).run();
        }
        t[j][r] = (clock.nanos() - t0) / 1e6 / loops[j];
      }
    }
    double[] med = new double[jobs.size()];
    for (int j = 0; j < jobs.size(); j++) {
      med[j] = median(t[j]);
    }
    return med;
  }

  /** A nanosecond clock. */
  @FunctionalInterface
  interface Clock {
    /** Now, in nanoseconds from an arbitrary origin. */
    long nanos();
  }

  /** The median (the mean of the two middle values for an even count). */
  static double median(double[] v) {
    if (v.length == 0) {
      throw new IllegalArgumentException("median: no values");
    }
    double[] s = v.clone();
    Arrays.sort(s);
    int m = s.length / 2;
    return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
  }

  /**
   * The least-squares slope of log y against log x over the last {@code k} points.
   *
   * @param k at least 2, at most the length
   */
  static double logLogSlope(double[] x, double[] y, int k) {
    if (k < 2 || k > x.length || x.length != y.length) {
      throw new IllegalArgumentException(
          "logLogSlope: need 2 <= k <= " + x.length + " and equal lengths, got k = " + k);
    }
    double[] lx = new double[k];
    double[] ly = new double[k];
    for (int i = 0; i < k; i++) {
      lx[i] = Math.log(x[x.length - k + i]);
      ly[i] = Math.log(y[y.length - k + i]);
    }
    return BatchSizeLab.slope(lx, ly);
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    int maxS = quick ? 512 : 4096;
    int reps = quick ? 5 : 9;
    double minMillis = quick ? 20 : 50;
    List<Integer> lengths = new ArrayList<>();
    for (int s = 16; s <= maxS; s *= 2) {
      lengths.add(s);
    }
    int k = lengths.size();
    ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    boolean cpu = bean.isCurrentThreadCpuTimeSupported() && bean.isThreadCpuTimeEnabled();
    Clock clock = cpu ? bean::getCurrentThreadCpuTime : System::nanoTime;
    String clockName = cpu ? "CPU time of the measuring thread" : "wall time (no thread CPU clock)";
    LabSummary s = ctx.summary();
    ctx.say(
        "multi-head self-attention, N = %d, E = %d, H = %d, float32, S = 16 .. %d; median of %d"
            + " repetitions of at least %s ms each; %s, kernels on one thread",
        N, E, HEADS, maxS, reps, plain(minMillis), clockName);

    RandomGenerator rng = Init.rng(ctx.seed());
    Tensor[] w = new Tensor[8];
    for (int i = 0; i < 8; i += 2) {
      w[i] = Init.normal(rng, DType.FLOAT32, 1 / Math.sqrt(E), E, E);
      w[i + 1] = Tensor.zeros(DType.FLOAT32, E);
    }
    Attention.Projections proj =
        new Attention.Projections(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]);
    double[] xs = new double[k];
    double[] total = new double[k];
    double[] core = new double[k];
    double[] share = new double[k];
    double[] attnBytes = new double[k];
    double[] projBytes = new double[k];
    boolean countsExact = true;
    List<List<String>> rows = new ArrayList<>();
    int threads = Parallel.threads();
    Parallel.setThreads(1);
    try {
      // Two jobs per length, the full layer and the S x S core, all timed in the same rounds.
      List<Job> jobs = new ArrayList<>();
      for (int sl : lengths) {
        jobs.addAll(jobs(sl, proj, rng));
      }
      double[] med = medianMillis(jobs, reps, minMillis, 2, clock);
      for (int i = 0; i < k; i++) {
        int sl = lengths.get(i);
        Tensor x = Init.normal(rng, DType.FLOAT32, 1, N, sl, E);
        Memory m =
            count(Attention.multiHeadAttentionForward(x, x, x, proj, HEADS, null, null).cache());
        xs[i] = sl;
        total[i] = med[2 * i];
        core[i] = med[2 * i + 1];
        share[i] = core[i] / total[i];
        attnBytes[i] = 4.0 * m.attention();
        projBytes[i] = 4.0 * m.projections();
        countsExact &=
            m.attention() == (long) N * HEADS * sl * sl && m.projections() == 4L * N * sl * E;
        s.number("S" + sl + "_ms", total[i]);
        s.number("S" + sl + "_core_ms", core[i]);
        s.number("S" + sl + "_core_share", share[i]);
        s.number("S" + sl + "_attention_values", m.attention());
        s.number("S" + sl + "_projection_values", m.projections());
        rows.add(
            List.of(
                Integer.toString(sl),
                fmt(total[i]),
                fmt(core[i]),
                fmt(share[i]),
                Long.toString(m.attention()),
                Long.toString(m.projections())));
        ctx.say(
            "  S = %4d: %s ms forward + backward (S x S part %s ms, share %s); values kept: %d"
                + " weights, %d projections",
            sl, fmt(total[i]), fmt(core[i]), fmt(share[i]), m.attention(), m.projections());
      }
    } finally {
      Parallel.setThreads(threads);
    }

    double slopeTop2 = logLogSlope(xs, total, 2);
    double slopeTop3 = logLogSlope(xs, total, 3);
    double slopeBottom3 = logLogSlope(Arrays.copyOf(xs, 3), Arrays.copyOf(total, 3), 3);
    double attnSlope = logLogSlope(xs, attnBytes, k);
    double projSlope = logLogSlope(xs, projBytes, k);
    s.number("time_slope_two_largest", slopeTop2);
    s.number("time_slope_three_largest", slopeTop3);
    s.number("time_slope_three_smallest", slopeBottom3);
    s.number("attention_memory_slope", attnSlope);
    s.number("projection_memory_slope", projSlope);
    s.number("clock", clockName);

    plots(xs, total, core, attnBytes, projBytes, ctx.file("attention-cost.png"));

    // Memory: counted, so the growth per doubling must be exactly 4 and 2.
    boolean ratiosExact = true;
    for (int i = 1; i < k; i++) {
      ratiosExact &= attnBytes[i] == 4 * attnBytes[i - 1] && projBytes[i] == 2 * projBytes[i - 1];
    }
    s.check(
        "The attention weights take memory quadratic in S (N*H*S*S values), the projections"
            + " linear (N*S*E each): doubling S multiplies the first by exactly 4, the second by 2",
        String.format(
            Locale.ROOT,
            "counted in the forward pass's cache: %d weights at S = %d, %d at S = %d; log-log"
                + " slopes %s (weights) and %s (projections)",
            (long) (attnBytes[k - 2] / 4),
            lengths.get(k - 2),
            (long) (attnBytes[k - 1] / 4),
            lengths.get(k - 1),
            fmt(attnSlope),
            fmt(projSlope)),
        countsExact && ratiosExact);
    s.check(
        "The time grows quadratically once S is large: the log-log slope of forward + backward"
            + " time between the two largest lengths is well above 1 (above "
            + plain(MIN_SLOPE)
            + ", a margin for a noisy shared machine; the quadratic term alone has slope 2)",
        String.format(
            Locale.ROOT,
            "slope %s between S = %d and %d (%s over the three largest; %s over the three"
                + " smallest)",
            fmt(slopeTop2),
            lengths.get(k - 2),
            lengths.get(k - 1),
            fmt(slopeTop3),
            fmt(slopeBottom3)),
        slopeTop2 > MIN_SLOPE);
    s.check(
        "The S x S part (scores, softmax, weights times values) takes a growing share of the time",
        String.format(
            Locale.ROOT,
            "share %s at S = %d, %s at S = %d",
            fmt(share[0]),
            lengths.get(0),
            fmt(share[k - 1]),
            lengths.get(k - 1)),
        share[k - 1] > share[0]);

    s.text(
        "Multi-head self-attention (handgrad's nn.functional.Attention.multiHeadAttentionForward"
            + " and its hand-written backward; query = key = value, no mask, no dropout) on N = "
            + N
            + " sequence of S Gaussian tokens, E = "
            + E
            + ", H = "
            + HEADS
            + " heads (Dh = "
            + E / HEADS
            + "), float32. A time is the median over "
            + reps
            + " repetitions of a loop of forward + backward calls lasting at least "
            + plain(minMillis)
            + " ms, measured as the "
            + clockName
            + " with the kernels on one thread: other processes on the machine slow the run"
            + " down but change this number much less than a wall-clock time (they still share"
            + " the caches and the cores). The S x S part is scaledDotProductAttention alone"
            + " (forward and backward) on (N, H, S, Dh) inputs, timed in turn with the full"
            + " layer; its share is the ratio of the two medians. By operation count the S x S"
            + " products (12 N S^2 E flops forward and backward) overtake the four projections"
            + " (24 N S E^2 flops) at S = 2E = "
            + 2 * E
            + ". Memory is counted, not measured: the values the forward pass keeps for the"
            + " backward pass, times 4 bytes; the backward pass allocates one more (N, H, S, S)"
            + " tensor for the gradient of the scores.");
    s.table(
        List.of(
            "S",
            "forward + backward (ms)",
            "S x S part (ms)",
            "share",
            "weights (values)",
            "projections (values)"),
        rows);
    s.figure("attention-cost.png", "Time and memory against S, log-log, with slopes 1 and 2");
  }

  /** The full layer and the S x S core, forward + backward, at length S. */
  private static List<Job> jobs(int s, Attention.Projections proj, RandomGenerator rng) {
    int dh = E / HEADS;
    Tensor x = Init.normal(rng, DType.FLOAT32, 1, N, s, E);
    Tensor dout = Init.normal(rng, DType.FLOAT32, 1, N, s, E);
    Tensor q = Init.normal(rng, DType.FLOAT32, 1, N, HEADS, s, dh);
    Tensor dq = Init.normal(rng, DType.FLOAT32, 1, N, HEADS, s, dh);
    Job layer =
        () -> {
          Forward<Attention.MhaCache> f =
              Attention.multiHeadAttentionForward(x, x, x, proj, HEADS, null, null);
          Attention.multiHeadAttentionBackward(dout, f.cache());
        };
    Job core =
        () -> {
          Forward<Attention.Cache> f =
              Attention.scaledDotProductAttentionForward(q, q, q, null, null);
          Attention.scaledDotProductAttentionBackward(dq, f.cache());
        };
    return List.of(layer, core);
  }

  /** Time (left) and memory (right) against S on log-log axes, with slope-1 and slope-2 lines. */
  private static void plots(
      double[] xs, double[] total, double[] core, double[] attnBytes, double[] projBytes, Path png)
      throws IOException {
    int k = xs.length;
    XYChart time =
        Plots.lines(
            "Forward + backward time",
            "sequence length S",
            "ms",
            List.of(
                new Plots.Series("multi-head attention", xs, total),
                new Plots.Series("S x S part alone", xs, core),
                new Plots.Series("slope 1 (from the smallest S)", xs, power(xs, total[0], 0, 1)),
                new Plots.Series(
                    "slope 2 (to the largest S)", xs, power(xs, total[k - 1], k - 1, 2))),
            true,
            true,
            720,
            440);
    XYChart memory =
        Plots.lines(
            "Memory kept for the backward pass",
            "sequence length S",
            "bytes (float32)",
            List.of(
                new Plots.Series("attention weights N*H*S*S", xs, attnBytes),
                new Plots.Series("projections 4*N*S*E", xs, projBytes),
                // guides a factor 4 below the counted curves, which they would hide
                new Plots.Series("slope 1", xs, power(xs, projBytes[0] / 4, 0, 1)),
                new Plots.Series("slope 2", xs, power(xs, attnBytes[0] / 4, 0, 2))),
            true,
            true,
            720,
            440);
    for (XYChart c : List.of(time, memory)) {
      c.getStyler().setXAxisLogarithmic(true);
      for (XYSeries line : c.getSeriesMap().values()) {
        if (line.getName().startsWith("slope")) {
          line.setLineStyle(SeriesLines.DASH_DASH);
          line.setMarker(SeriesMarkers.NONE);
        }
      }
    }
    Plots.grid(
        List.of(time, memory),
        2,
        "Self-attention cost against sequence length (E = " + E + ", H = " + HEADS + ")",
        png);
  }

  /** y = y0 * (x / x[i0])^p at every x: a reference line of slope p through point i0. */
  private static double[] power(double[] x, double y0, int i0, double p) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = y0 * Math.pow(x[i] / x[i0], p);
    }
    return y;
  }
}
