package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import org.handgrad.app.report.Plots;
import org.handgrad.app.train.DivergenceWatch;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Debug handbook, "NaN loss": a softmax computed as exp(s) / sum exp(s) overflows as soon as a
 * score passes ln(FLT_MAX) = 88.7 in float32 (exp gives Infinity, Infinity / Infinity is NaN),
 * while subtracting each row's maximum first (CS231n notes, "Practical issues: Numeric stability")
 * gives the same probabilities and never overflows. The lab trains one two-layer net twice on
 * inputs left 255 times too large (pixels in [0, 255] instead of normalised), once with each
 * softmax, and shows handgrad's Solver stopping at the NaN with its diagnosis.
 */
final class SoftmaxNanLab implements Lab {
  /** ln(Float.MAX_VALUE): exp of anything larger is Infinity in float32. */
  static final double EXP_OVERFLOW = Math.log(Float.MAX_VALUE);

  /** How much too large the inputs are: pixels left in [0, 255]. */
  static final double INPUT_SCALE = 255;

  @Override
  public String name() {
    return "softmax-nan";
  }

  @Override
  public String description() {
    return "softmax without max-subtraction turns the loss into NaN, and the Solver's diagnosis"
        + " of it; the stable softmax on the same run stays finite";
  }

  /**
   * The softmax loss as a first attempt writes it, without max-subtraction, in float32 like a
   * float32 numpy array: correct for small scores, NaN once a score passes {@link #EXP_OVERFLOW}.
   * Deliberately broken; the library's {@link Losses#softmaxLoss} is the correct one.
   *
   * @param scores (N, K)
   * @param y labels, length N
   * @return the mean loss and d loss / d scores, (N, K) float32
   */
  static Losses.Loss naiveSoftmaxLoss(Tensor scores, int[] y) {
    int n = scores.shape(0);
    int k = scores.shape(1);
    float[] s = scores.to(DType.FLOAT32).toFloatArray();
    float[] dx = new float[n * k];
    float loss = 0;
    for (int i = 0; i < n; i++) {
      float sum = 0;
      for (int j = 0; j < k; j++) {
        dx[i * k + j] = (float) Math.exp(s[i * k + j]); // no "- max": the bug
        sum += dx[i * k + j];
      }
      for (int j = 0; j < k; j++) {
        dx[i * k + j] /= sum; // Infinity / Infinity = NaN
      }
      loss -= (float) Math.log(dx[i * k + y[i]]) / n;
      dx[i * k + y[i]] -= 1;
      for (int j = 0; j < k; j++) {
        dx[i * k + j] /= n;
      }
    }
    return new Losses.Loss(loss, Tensor.of(dx, n, k).to(scores.dtype()));
  }

  private static LabNet net(
      int inputs, int classes, long seed, BiFunction<Tensor, int[], Losses.Loss> loss) {
    var rng = Init.rng(seed);
    return new LabNet(
        new Sequential(
            new Linear(inputs, 100, DType.FLOAT32, rng),
            new ReLU(),
            new Linear(100, classes, DType.FLOAT32, rng)),
        loss);
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    LabData d = ctx.data(quick ? 2000 : 10_000, 1000);
    LabData raw =
        new LabData(
            d.xTrain().mul(INPUT_SCALE),
            d.yTrain(),
            d.xVal().mul(INPUT_SCALE),
            d.yVal(),
            d.numClasses(),
            d.dataset(),
            d.fellBack(),
            d.preprocessing());
    LabSummary s = ctx.summary();
    SolverOptions options =
        SolverOptions.builder()
            .updateRule("adam", Map.of("learning_rate", 1e-3))
            .batchSize(100)
            .numEpochs(quick ? 2 : 5)
            .numTrainSamples(1000)
            .seed(ctx.seed())
            .verbose(false)
            .build();

    // 1. On one batch of normalised inputs the two are the same function.
    Tensor x = d.xTrain().slice(0, 0, 100).contiguous();
    int[] y = java.util.Arrays.copyOf(d.yTrain(), 100);
    Tensor scores = net(d.features(), d.numClasses(), ctx.seed(), Losses::softmaxLoss).loss(x);
    double stableSmall = Losses.softmaxLoss(scores, y).loss();
    double naiveSmall = naiveSoftmaxLoss(scores, y).loss();
    Tensor rawScores =
        net(d.features(), d.numClasses(), ctx.seed(), Losses::softmaxLoss).loss(x.mul(INPUT_SCALE));
    double stableRaw = Losses.softmaxLoss(rawScores, y).loss();
    double naiveRaw = naiveSoftmaxLoss(rawScores, y).loss();

    // 2. Training on the too-large inputs, with each loss; the stable run records its scores.
    ctx.say("two-layer net, Adam lr 1e-3, inputs %.0fx too large:", INPUT_SCALE);
    List<DivergenceWatch.Finding> naiveWatch = new ArrayList<>();
    LabContext.Trained naive =
        ctx.train(
            "no max-subtraction",
            net(d.features(), d.numClasses(), ctx.seed(), SoftmaxNanLab::naiveSoftmaxLoss),
            raw,
            options,
            new DivergenceWatch(d.numClasses(), false, naiveWatch::add));
    List<Double> maxScore = new ArrayList<>();
    List<DivergenceWatch.Finding> stableWatch = new ArrayList<>();
    LabContext.Trained stable =
        ctx.train(
            "max-subtraction",
            net(
                d.features(),
                d.numClasses(),
                ctx.seed(),
                (sc, labels) -> {
                  maxScore.add(Stats.maxAbs(sc));
                  return Losses.softmaxLoss(sc, labels);
                }),
            raw,
            options,
            new DivergenceWatch(d.numClasses(), false, stableWatch::add));
    // 3. The naive loss on normalised inputs: the bug hides while the scores stay small.
    LabContext.Trained hidden =
        ctx.train(
            "no max-sub., normalised",
            net(d.features(), d.numClasses(), ctx.seed(), SoftmaxNanLab::naiveSoftmaxLoss),
            d,
            options);

    double[] ms = maxScore.stream().mapToDouble(v -> v).toArray();
    double[] line = new double[ms.length];
    java.util.Arrays.fill(line, EXP_OVERFLOW);
    Plots.save(
        Plots.lines(
            "Largest |score| per iteration vs the float32 exp overflow",
            "iteration",
            "max |score|",
            List.of(
                Plots.Series.of("max |score|, stable run", ms),
                Plots.Series.of("ln(FLT_MAX) = 88.7: exp overflows above", line)),
            false,
            false,
            1000,
            460),
        ctx.file("scores.png"));
    List<Plots.Series> losses = new ArrayList<>();
    losses.add(Plots.Series.of("max-subtraction, inputs 255x", toArray(stable.loss())));
    losses.add(Plots.Series.of("no max-subtraction, normalised inputs", toArray(hidden.loss())));
    Plots.save(
        Plots.lines(
            "Training loss (the run without max-subtraction on large inputs is NaN at iteration "
                + (naive.diverged() != null ? naive.diverged().iteration() : "-")
                + ")",
            "iteration",
            "loss",
            losses,
            false,
            false,
            1000,
            460),
        ctx.file("loss.png"));

    String diagnosis = naive.diverged() != null ? naive.diverged().getMessage() : "(none)";
    s.number("naive_loss_normalised_batch", naiveSmall);
    s.number("stable_loss_normalised_batch", stableSmall);
    s.number("naive_loss_large_batch", naiveRaw);
    s.number("stable_loss_large_batch", stableRaw);
    s.number(
        "naive_diverged_iteration", naive.diverged() != null ? naive.diverged().iteration() : -1);
    s.number("stable_final_loss", stable.finalLoss(10));
    s.number("stable_val_acc", stable.finalValAcc());
    s.number("max_score_first_iteration", ms.length > 0 ? ms[0] : Double.NaN);
    s.number("diagnosis", diagnosis);

    s.check(
        "Without max-subtraction, exp overflows once scores pass ~88 (float32): the loss turns NaN or"
            + " infinite",
        String.format(
            Locale.ROOT,
            "largest |score| at iteration 1: %s; loss on that batch %s without, %s with"
                + " max-subtraction; training stopped at iteration %s",
            fmt(ms.length > 0 ? ms[0] : Double.NaN),
            fmt(naiveRaw),
            fmt(stableRaw),
            naive.diverged() != null ? naive.diverged().iteration() : "- (no NaN)"),
        !Double.isFinite(naiveRaw) && Double.isFinite(stableRaw) && naive.diverged() != null);
    s.check(
        "handgrad's Solver stops at the first non-finite loss and names exp without"
            + " max-subtraction as a likely cause",
        "`" + diagnosis.lines().findFirst().orElse("") + "`",
        diagnosis.contains("max-subtraction"));
    s.check(
        "Subtracting the max changes nothing mathematically: same loss on small scores, and the"
            + " same run trains to a finite loss",
        String.format(
            Locale.ROOT,
            "normalised batch: %s vs %s; stable run's final loss %s, val acc %s",
            fmt(naiveSmall),
            fmt(stableSmall),
            fmt(stable.finalLoss(10)),
            fmt(stable.finalValAcc())),
        Math.abs(naiveSmall - stableSmall) < 1e-4 * Math.abs(stableSmall)
            && stable.diverged() == null
            && Double.isFinite(stable.finalLoss(10)));
    s.check(
        "The bug hides while scores stay small: on normalised inputs the naive loss trains",
        hidden.diverged() == null
            ? "no NaN in "
                + hidden.loss().size()
                + " iterations, val acc "
                + fmt(hidden.finalValAcc())
            : "NaN at iteration " + hidden.diverged().iteration(),
        hidden.diverged() == null);

    s.text(
        "A two-layer net (784-100-10) is trained with Adam on inputs 255 times too large, as when"
            + " the pixels are left in [0, 255]. The softmax without max-subtraction computes"
            + " `exp(s) / sum(exp(s))` in float32; the stable one `exp(s - max s) / sum(...)`,"
            + " the same function. handgrad's DivergenceWatch also ran on both runs and found "
            + naiveWatch.size()
            + " and "
            + stableWatch.size()
            + " finite divergence(s): the NaN is caught by the Solver itself.");
    s.text("The Solver's diagnosis, verbatim:\n\n    " + diagnosis.replace("\n", "\n    "));
    s.figure("scores.png", "Scores pass the float32 exp overflow at once");
    s.figure("loss.png", "Loss of the runs that stay finite");
  }

  private static double[] toArray(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
