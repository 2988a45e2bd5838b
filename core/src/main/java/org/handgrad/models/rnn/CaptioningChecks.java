package org.handgrad.models.rnn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Float64 gradient checks of the whole captioning loss (CS231n checks {@code model.loss} of the
 * CaptioningRNN with {@code eval_numerical_gradient}): every decoder parameter and the features,
 * for the RNN and the LSTM cell, every parameter of the conv encoder + LSTM composite, and every
 * parameter of the encoder's word-detector pretraining objective.
 *
 * <p>Why a five-point stencil: the loss is a sum over timesteps of size ~10, so a two-point
 * difference with h = 1e-5 has a round-off floor of eps |L| / h ~ 2e-10, a relative error above
 * 1e-7 for any gradient entry below ~1e-3, right or wrong. {@code (-f(x+2h) + 8 f(x+h) - 8 f(x-h) +
 * f(x-2h)) / 12h} has truncation error O(h^4) and allows h = 1e-3 (measured: the worst entry of
 * every check moves from ~1e-10 at h = 1e-3 up to 1e-7..1e-5 at h = 1e-2 (truncation) and to ~1e-8
 * at 1e-4 (round-off)). Even so an entry below ~1e-5 sits at the round-off floor: the LSTM seed 32
 * gave a dWh entry of 6.8e-6 with relative error 9e-8 from a correct backward pass, so the seeds
 * are ones whose gradients have no entry that small (seed 34: smallest |dWx|, |dWh| 3.5e-4).
 *
 * <p>Inputs: every parameter is redrawn from a seeded normal (CS231n's initialisation makes {@code
 * W_embed} ~1e-2 and the biases exactly 0, which leaves gradient entries near the round-off floor);
 * captions are random words with {@code <END>} and {@code <NULL>} padding at varying lengths, so
 * the mask matters. The composite's ReLU and max-pool kinks are not crossed by the steps (float64
 * inputs without ties; had a step crossed one, the error at h = 1e-4 would differ from that at 1e-3
 * by orders of magnitude, which it does not).
 *
 * <p>These live with the model, not in {@code nn.checks}: models sit above nn.
 */
public final class CaptioningChecks {
  private CaptioningChecks() {}

  /** Relative error bound for every check. */
  public static final double TOLERANCE = 1e-7;

  /** Step of the five-point stencil (see the class comment). */
  private static final double STEP = 1e-3;

  // Tiny sizes: N batch, T caption length, D features, W word vectors, H hidden, V vocabulary.
  private static final int N = 3;
  private static final int T = 6;
  private static final int D = 4;
  private static final int W = 3;
  private static final int H = 5;
  private static final int V = 8;

  /** The checks, by name. */
  public static Map<String, Supplier<List<GradCheckResult>>> checks() {
    Map<String, Supplier<List<GradCheckResult>>> m = new LinkedHashMap<>();
    m.put("captioning_rnn", () -> decoder("captioning_rnn", CellType.RNN, 31));
    m.put("captioning_lstm", () -> decoder("captioning_lstm", CellType.LSTM, 34));
    m.put("captioning_conv_lstm", CaptioningChecks::convLstm);
    m.put("captioning_word_detector", CaptioningChecks::wordDetector);
    return m;
  }

  /** A float64 decoder with redrawn parameters. */
  static CaptioningRnn tinyDecoder(CellType cell, long seed) {
    CaptioningRnn rnn =
        new CaptioningRnn(
            new CaptioningRnn.Config(
                V, D, W, H, cell, DType.FLOAT64, seed, SpecialTokens.cs231n()));
    redraw(rnn.parameters(), seed + 1000, 0.5);
    return rnn;
  }

  /**
   * Random captions (N, T): {@code <START>}, 1..T-2 words from [3, V), {@code <END>}, then {@code
   * <NULL>}; row 0 uses the full length.
   */
  public static Tensor randomCaptions(long seed, int n, int t, int v) {
    SplittableRandom r = new SplittableRandom(seed);
    SpecialTokens s = SpecialTokens.cs231n();
    int[] c = new int[n * t];
    for (int i = 0; i < n; i++) {
      int words = i == 0 ? t - 2 : 1 + r.nextInt(t - 2);
      c[i * t] = s.startIdx();
      for (int j = 1; j < t; j++) {
        c[i * t + j] =
            j <= words ? 3 + r.nextInt(v - 3) : j == words + 1 ? s.endIdx() : s.nullIdx();
      }
    }
    return Tensor.of(c, n, t);
  }

  private static List<GradCheckResult> decoder(String name, CellType cell, long seed) {
    CaptioningRnn rnn = tinyDecoder(cell, seed);
    Tensor features = normal(seed + 1, 1.0, N, D);
    Tensor captions = randomCaptions(seed + 2, N, T, V);
    CaptioningRnn.Loss analytic = rnn.loss(features, captions);
    Map<String, Tensor> grads = new LinkedHashMap<>();
    rnn.parameters().forEach(p -> grads.put(p.name(), p.grad().copy())); // later calls overwrite
    List<GradCheckResult> out = new ArrayList<>();
    DoubleSupplier loss = () -> rnn.loss(features, captions).loss();
    for (Parameter p : rnn.parameters()) {
      out.add(result(name, "d" + p.name(), fivePoint(loss, p.value(), STEP), grads.get(p.name())));
    }
    out.add(result(name, "dfeatures", fivePoint(loss, features, STEP), analytic.dfeatures()));
    return out;
  }

  private static List<GradCheckResult> convLstm() {
    String name = "captioning_conv_lstm";
    long seed = 41;
    ConvEncoder enc =
        new ConvEncoder(new ConvEncoder.Config(2, 4, List.of(3), D, DType.FLOAT64, seed));
    redraw(enc.parameters(), seed + 1000, 0.5);
    CaptioningModel model = new CaptioningModel(enc, tinyDecoder(CellType.LSTM, seed));
    Tensor images = normal(seed + 1, 1.0, N, 2, 4, 4);
    Tensor captions = randomCaptions(seed + 2, N, T, V);
    model.loss(images, captions);
    Map<String, Tensor> analytic = new LinkedHashMap<>();
    model.parameters().forEach(p -> analytic.put(p.name(), p.grad().copy()));
    DoubleSupplier loss = () -> model.loss(images, captions);
    List<GradCheckResult> out = new ArrayList<>();
    for (Parameter p : model.parameters()) {
      out.add(
          result(name, "d" + p.name(), fivePoint(loss, p.value(), STEP), analytic.get(p.name())));
    }
    return out;
  }

  /** The encoder pretraining objective: conv encoder, detector head, sigmoid cross-entropy. */
  private static List<GradCheckResult> wordDetector() {
    String name = "captioning_word_detector";
    long seed = 43;
    ConvEncoder enc =
        new ConvEncoder(new ConvEncoder.Config(2, 4, List.of(3), D, DType.FLOAT64, seed));
    WordDetector det = new WordDetector(enc, V, DType.FLOAT64, seed);
    redraw(det.parameters(), seed + 1000, 0.5);
    Tensor images = normal(seed + 1, 1.0, N, 2, 4, 4);
    Tensor captions = randomCaptions(seed + 2, N, T, V);
    Tensor targets =
        WordDetector.bagOfWords(
            CaptionData.paired(images, captions), V, SpecialTokens.cs231n(), DType.FLOAT64);
    det.loss(images, targets);
    Map<String, Tensor> analytic = new LinkedHashMap<>();
    det.parameters().forEach(p -> analytic.put(p.name(), p.grad().copy()));
    DoubleSupplier loss = () -> det.loss(images, targets);
    List<GradCheckResult> out = new ArrayList<>();
    for (Parameter p : det.parameters()) {
      out.add(
          result(name, "d" + p.name(), fivePoint(loss, p.value(), STEP), analytic.get(p.name())));
    }
    return out;
  }

  private static GradCheckResult result(
      String layer, String input, Tensor numeric, Tensor analytic) {
    return new GradCheckResult(layer, input, GradCheck.relError(numeric, analytic), TOLERANCE);
  }

  /**
   * Numerical gradient by the five-point stencil {@code (8 (f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h)))
   * / 12h}, perturbing x in place (restored).
   */
  public static Tensor fivePoint(DoubleSupplier loss, Tensor x, double h) {
    Tensor grad = Tensor.zeros(DType.FLOAT64, x.shape());
    double[] steps = {2 * h, h, -h, -2 * h};
    double[] f = new double[4];
    for (int i = 0; i < x.size(); i++) {
      double old = x.getFlat(i);
      for (int s = 0; s < 4; s++) {
        x.setFlat(i, old + steps[s]);
        f[s] = loss.getAsDouble();
      }
      x.setFlat(i, old);
      // Differences first: a parameter with no effect on the loss gets exactly 0.
      grad.setFlat(i, (8 * (f[1] - f[2]) - (f[0] - f[3])) / (12 * h));
    }
    return grad;
  }

  /** Redraws every parameter from N(0, std^2), gammas (names ending "gamma") around 1. */
  static void redraw(List<Parameter> params, long seed, double std) {
    SplittableRandom r = new SplittableRandom(seed);
    for (Parameter p : params) {
      boolean gamma = p.name().endsWith("gamma");
      for (int i = 0; i < p.size(); i++) {
        double z = r.nextGaussian();
        p.value().setFlat(i, gamma ? 1 + 0.2 * z : std * z);
      }
    }
  }

  /** A seeded float64 tensor of N(0, std^2) values. */
  public static Tensor normal(long seed, double std, int... shape) {
    SplittableRandom r = new SplittableRandom(seed);
    Tensor t = Tensor.zeros(DType.FLOAT64, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, std * r.nextGaussian());
    }
    return t;
  }
}
