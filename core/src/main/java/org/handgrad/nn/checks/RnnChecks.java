package org.handgrad.nn.checks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Gru;
import org.handgrad.nn.functional.Lstm;
import org.handgrad.nn.functional.Rnn;
import org.handgrad.nn.functional.TemporalAffine;
import org.handgrad.nn.functional.TemporalSoftmaxLoss;
import org.handgrad.nn.functional.WordEmbedding;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Float64 gradient checks of the sequence layers (CS231n assignment 3): every input and parameter
 * of RNN, LSTM and GRU (step and sequence), word embedding, temporal affine and the masked temporal
 * softmax loss, against centered differences.
 *
 * <p>Each check turns a layer into the scalar L = sum(out * dout) for a fixed random dout (plus
 * sum(cT * dcT) for the LSTM's final cell state), so one numerical gradient per tensor covers the
 * whole Jacobian. Inputs are seeded Gaussians scaled so that gates stay away from saturation. The
 * layers have no kinks, but the CS231n relative error is elementwise: an entry within ~1e-4 of zero
 * measures the O(h^2) finite-difference error (~1e-10 absolute), not the backward pass, so the
 * seeds are ones whose gradients have no such entry (seed 234 gave the LSTM a dwh entry of 3e-5
 * with a correct backward pass and relative error 1e-6).
 */
public final class RnnChecks {
  private RnnChecks() {}

  /** Relative error bound for every check (CS231n expects ~1e-8 and below for smooth layers). */
  public static final double TOLERANCE = 1e-7;

  // Small sizes: N batch, T time, D input, H hidden, V vocabulary, M output.
  private static final int N = 2;
  private static final int T = 4;
  private static final int D = 4;
  private static final int H = 5;

  /** The checks of this family, by layer name. */
  public static Map<String, Supplier<List<GradCheckResult>>> checks() {
    Map<String, Supplier<List<GradCheckResult>>> checks = new LinkedHashMap<>();
    checks.put("rnn_step", RnnChecks::rnnStep);
    checks.put("rnn", RnnChecks::rnn);
    checks.put("lstm_step", RnnChecks::lstmStep);
    checks.put("lstm", RnnChecks::lstm);
    checks.put("gru_step", RnnChecks::gruStep);
    checks.put("gru", RnnChecks::gru);
    checks.put("word_embedding", RnnChecks::wordEmbedding);
    checks.put("temporal_affine", RnnChecks::temporalAffine);
    checks.put("temporal_softmax_loss", RnnChecks::temporalSoftmaxLoss);
    return checks;
  }

  /** A float64 tensor of N(0, scale^2) values. */
  static Tensor randn(Random random, double scale, int... shape) {
    Tensor t = Tensor.zeros(DType.FLOAT64, shape);
    double[] s = t.doubleStorage();
    for (int i = 0; i < s.length; i++) {
      s[i] = scale * random.nextGaussian();
    }
    return t;
  }

  /** sum(a * b) over all elements. */
  static double dot(Tensor a, Tensor b) {
    double s = 0;
    for (int i = 0; i < a.size(); i++) {
      s += a.getFlat(i) * b.getFlat(i);
    }
    return s;
  }

  /** Checks one analytic gradient against the numerical gradient of {@code loss} at {@code x}. */
  private static GradCheckResult check(
      String layer, String name, ToDoubleFunction<Tensor> loss, Tensor x, Tensor analytic) {
    Tensor numeric = GradCheck.evalNumericalGradient(loss, x, GradCheck.DEFAULT_H);
    return new GradCheckResult(layer, name, GradCheck.relError(numeric, analytic), TOLERANCE);
  }

  private static List<GradCheckResult> rnnStep() {
    Random r = new Random(231);
    Tensor x = randn(r, 1.0, N, D);
    Tensor prevH = randn(r, 0.5, N, H);
    Tensor wx = randn(r, 0.4, D, H);
    Tensor wh = randn(r, 0.4, H, H);
    Tensor b = randn(r, 0.2, H);
    Tensor dout = randn(r, 1.0, N, H);
    ToDoubleFunction<Tensor> loss = t -> dot(Rnn.rnnStepForward(x, prevH, wx, wh, b).out(), dout);
    Rnn.StepGrads g = Rnn.rnnStepBackward(dout, Rnn.rnnStepForward(x, prevH, wx, wh, b).cache());
    String l = "rnn_step";
    return List.of(
        check(l, "dx", loss, x, g.dx()),
        check(l, "dprevH", loss, prevH, g.dprevH()),
        check(l, "dwx", loss, wx, g.dwx()),
        check(l, "dwh", loss, wh, g.dwh()),
        check(l, "db", loss, b, g.db()));
  }

  private static List<GradCheckResult> rnn() {
    Random r = new Random(232);
    Tensor x = randn(r, 1.0, N, T, D);
    Tensor h0 = randn(r, 0.5, N, H);
    Tensor wx = randn(r, 0.4, D, H);
    Tensor wh = randn(r, 0.4, H, H);
    Tensor b = randn(r, 0.2, H);
    Tensor dout = randn(r, 1.0, N, T, H);
    ToDoubleFunction<Tensor> loss = t -> dot(Rnn.rnnForward(x, h0, wx, wh, b).out(), dout);
    Rnn.Grads g = Rnn.rnnBackward(dout, Rnn.rnnForward(x, h0, wx, wh, b).cache());
    String l = "rnn";
    return List.of(
        check(l, "dx", loss, x, g.dx()),
        check(l, "dh0", loss, h0, g.dh0()),
        check(l, "dwx", loss, wx, g.dwx()),
        check(l, "dwh", loss, wh, g.dwh()),
        check(l, "db", loss, b, g.db()));
  }

  private static List<GradCheckResult> lstmStep() {
    Random r = new Random(233);
    Tensor x = randn(r, 1.0, N, D);
    Tensor prevH = randn(r, 0.5, N, H);
    Tensor prevC = randn(r, 0.5, N, H);
    Tensor wx = randn(r, 0.4, D, 4 * H);
    Tensor wh = randn(r, 0.4, H, 4 * H);
    Tensor b = randn(r, 0.2, 4 * H);
    Tensor dnextH = randn(r, 1.0, N, H);
    Tensor dnextC = randn(r, 1.0, N, H);
    ToDoubleFunction<Tensor> loss =
        t -> {
          Forward<Lstm.StepCache> f = Lstm.lstmStepForward(x, prevH, prevC, wx, wh, b);
          return dot(f.out(), dnextH) + dot(f.cache().nextC(), dnextC);
        };
    Lstm.StepGrads g =
        Lstm.lstmStepBackward(
            dnextH, dnextC, Lstm.lstmStepForward(x, prevH, prevC, wx, wh, b).cache());
    String l = "lstm_step";
    return List.of(
        check(l, "dx", loss, x, g.dx()),
        check(l, "dprevH", loss, prevH, g.dprevH()),
        check(l, "dprevC", loss, prevC, g.dprevC()),
        check(l, "dwx", loss, wx, g.dwx()),
        check(l, "dwh", loss, wh, g.dwh()),
        check(l, "db", loss, b, g.db()));
  }

  private static List<GradCheckResult> lstm() {
    Random r = new Random(238);
    Tensor x = randn(r, 1.0, N, T, D);
    Tensor h0 = randn(r, 0.5, N, H);
    Tensor c0 = randn(r, 0.5, N, H);
    Tensor wx = randn(r, 0.4, D, 4 * H);
    Tensor wh = randn(r, 0.4, H, 4 * H);
    Tensor b = randn(r, 0.2, 4 * H);
    Tensor dout = randn(r, 1.0, N, T, H);
    Tensor dcT = randn(r, 1.0, N, H);
    ToDoubleFunction<Tensor> loss =
        t -> {
          Forward<Lstm.Cache> f = Lstm.lstmForward(x, h0, c0, wx, wh, b);
          return dot(f.out(), dout) + dot(f.cache().finalC(), dcT);
        };
    Lstm.Grads g = Lstm.lstmBackward(dout, dcT, Lstm.lstmForward(x, h0, c0, wx, wh, b).cache());
    String l = "lstm";
    return List.of(
        check(l, "dx", loss, x, g.dx()),
        check(l, "dh0", loss, h0, g.dh0()),
        check(l, "dc0", loss, c0, g.dc0()),
        check(l, "dwx", loss, wx, g.dwx()),
        check(l, "dwh", loss, wh, g.dwh()),
        check(l, "db", loss, b, g.db()));
  }

  private static List<GradCheckResult> gruStep() {
    Random r = new Random(235);
    Tensor x = randn(r, 1.0, N, D);
    Tensor prevH = randn(r, 0.5, N, H);
    Tensor wx = randn(r, 0.4, D, 3 * H);
    Tensor wh = randn(r, 0.4, H, 3 * H);
    Tensor b = randn(r, 0.2, 3 * H);
    Tensor bhn = randn(r, 0.2, H);
    Tensor dout = randn(r, 1.0, N, H);
    ToDoubleFunction<Tensor> loss =
        t -> dot(Gru.gruStepForward(x, prevH, wx, wh, b, bhn).out(), dout);
    Gru.StepGrads g =
        Gru.gruStepBackward(dout, Gru.gruStepForward(x, prevH, wx, wh, b, bhn).cache());
    String l = "gru_step";
    return List.of(
        check(l, "dx", loss, x, g.dx()),
        check(l, "dprevH", loss, prevH, g.dprevH()),
        check(l, "dwx", loss, wx, g.dwx()),
        check(l, "dwh", loss, wh, g.dwh()),
        check(l, "db", loss, b, g.db()),
        check(l, "dbhn", loss, bhn, g.dbhn()));
  }

  private static List<GradCheckResult> gru() {
    Random r = new Random(236);
    Tensor x = randn(r, 1.0, N, T, D);
    Tensor h0 = randn(r, 0.5, N, H);
    Tensor wx = randn(r, 0.4, D, 3 * H);
    Tensor wh = randn(r, 0.4, H, 3 * H);
    Tensor b = randn(r, 0.2, 3 * H);
    Tensor bhn = randn(r, 0.2, H);
    Tensor dout = randn(r, 1.0, N, T, H);
    ToDoubleFunction<Tensor> loss = t -> dot(Gru.gruForward(x, h0, wx, wh, b, bhn).out(), dout);
    Gru.Grads g = Gru.gruBackward(dout, Gru.gruForward(x, h0, wx, wh, b, bhn).cache());
    String l = "gru";
    return List.of(
        check(l, "dx", loss, x, g.dx()),
        check(l, "dh0", loss, h0, g.dh0()),
        check(l, "dwx", loss, wx, g.dwx()),
        check(l, "dwh", loss, wh, g.dwh()),
        check(l, "db", loss, b, g.db()),
        check(l, "dbhn", loss, bhn, g.dbhn()));
  }

  private static List<GradCheckResult> wordEmbedding() {
    Random r = new Random(237);
    int v = 6;
    // Token 1 repeats (the scatter-add must accumulate) and token 5 is unused (its row stays 0).
    Tensor x = Tensor.of(new int[] {0, 1, 3, 1, 2, 1, 4, 0}, N, T);
    Tensor w = randn(r, 1.0, v, D);
    Tensor dout = randn(r, 1.0, N, T, D);
    ToDoubleFunction<Tensor> loss = t -> dot(WordEmbedding.wordEmbeddingForward(x, w).out(), dout);
    Tensor dw =
        WordEmbedding.wordEmbeddingBackward(dout, WordEmbedding.wordEmbeddingForward(x, w).cache());
    return List.of(check("word_embedding", "dw", loss, w, dw));
  }

  private static List<GradCheckResult> temporalAffine() {
    Random r = new Random(240);
    int m = 6;
    Tensor x = randn(r, 1.0, N, T, D);
    Tensor w = randn(r, 0.5, D, m);
    Tensor b = randn(r, 0.5, m);
    Tensor dout = randn(r, 1.0, N, T, m);
    ToDoubleFunction<Tensor> loss =
        t -> dot(TemporalAffine.temporalAffineForward(x, w, b).out(), dout);
    TemporalAffine.Grads g =
        TemporalAffine.temporalAffineBackward(
            dout, TemporalAffine.temporalAffineForward(x, w, b).cache());
    String l = "temporal_affine";
    return List.of(
        check(l, "dx", loss, x, g.dx()),
        check(l, "dw", loss, w, g.dw()),
        check(l, "db", loss, b, g.db()));
  }

  private static List<GradCheckResult> temporalSoftmaxLoss() {
    Random r = new Random(239);
    int v = 7;
    Tensor x = randn(r, 1.0, N, T, v);
    Tensor y = Tensor.of(new int[] {3, 0, 6, 2, 1, 5, 5, 4}, N, T);
    Tensor mask = Tensor.of(new int[] {1, 1, 1, 0, 1, 1, 0, 0}, N, T);
    ToDoubleFunction<Tensor> loss = t -> TemporalSoftmaxLoss.temporalSoftmaxLoss(x, y, mask).loss();
    Tensor dx = TemporalSoftmaxLoss.temporalSoftmaxLoss(x, y, mask).dx();
    return List.of(check("temporal_softmax_loss", "dx", loss, x, dx));
  }
}
