package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.app.report.Plots;
import org.handgrad.app.train.Preprocessing;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.knowm.xchart.XYChart;

/**
 * Debug handbook, "missing mean subtraction" (CS231n notes "Neural Networks 2: Data preprocessing",
 * and the sigmoid's "not zero-centered" argument in "Neural Networks 1"). Pixels in [0, 1] are all
 * positive, so for one example the gradient on a first-layer unit's weights, {@code dL/dw_i = x_i *
 * dL/da}, has the sign of {@code dL/da} for every input i: each update can only move all of a
 * unit's weights up or all down, and reaching a mixed-sign weight vector takes a zig-zag of
 * updates. Seen as conditioning: for a model linear in x the curvature along a weight direction v
 * is about {@code E[(v.x)^2] = v' E[x x'] v}, and the uncentred second moment {@code E[x x'] = Cov
 * + mu mu'} has one large eigenvalue along the mean {@code mu}, which caps the stable learning rate
 * (about 2 / lambda_max for gradient descent) while the other directions learn slowly. The lab
 * measures both and then trains the same two-layer net on the raw and on the mean-subtracted pixels
 * over a grid of learning rates.
 */
final class MeanSubtractionLab implements Lab {
  @Override
  public String name() {
    return "mean-subtraction";
  }

  @Override
  public String description() {
    return "missing mean subtraction: all-positive pixels give single-signed weight gradients and"
        + " an ill-conditioned second moment; raw vs centred inputs over a grid of learning rates";
  }

  /**
   * The fraction of units whose weight gradient has a single sign: among the columns of {@code dw}
   * with at least one nonzero entry, those whose nonzero entries are all positive or all negative.
   * Zeros (a black pixel's input) count as neither sign.
   *
   * @param dw weight gradient, shape (D, M): one column per unit
   * @return the fraction in [0, 1], or NaN when every column is zero
   */
  static double singleSignedFraction(Tensor dw) {
    int d = dw.shape(0);
    int m = dw.shape(1);
    double[] g = dw.contiguous().toDoubleArray();
    int live = 0;
    int single = 0;
    for (int j = 0; j < m; j++) {
      boolean pos = false;
      boolean neg = false;
      for (int i = 0; i < d; i++) {
        double v = g[i * m + j];
        pos |= v > 0;
        neg |= v < 0;
      }
      if (pos || neg) {
        live++;
        single += pos != neg ? 1 : 0;
      }
    }
    return live == 0 ? Double.NaN : (double) single / live;
  }

  /**
   * The second-moment matrix of the rows of x, {@code E[x x'] = X'X / N}, or, centred, their
   * (population) covariance {@code E[(x - mu)(x - mu)']}, in float64.
   *
   * @param x examples, shape (N, D)
   * @param centre subtract the mean row first
   * @return the (D, D) matrix, row-major
   */
  static double[] secondMoment(Tensor x, boolean centre) {
    Tensor x64 = x.to(DType.FLOAT64).contiguous();
    if (centre) {
      x64 = x64.sub(x64.mean(0, true)).contiguous();
    }
    return x64.transpose().matmul(x64).mul(1.0 / x.shape(0)).contiguous().toDoubleArray();
  }

  /**
   * The largest eigenvalue of a symmetric positive semi-definite matrix and its eigenvector.
   *
   * @param value lambda_max
   * @param vector unit eigenvector, length n
   * @param iterations power iterations done
   */
  record Eigen(double value, double[] vector, int iterations) {}

  /**
   * Power iteration: {@code v <- A v / |A v|} from a random start until the Rayleigh quotient
   * {@code v' A v} changes by less than 1e-12 of itself (it converges as {@code (lambda_2 /
   * lambda_1)^(2k)}).
   *
   * @param a symmetric positive semi-definite (n, n) matrix, row-major
   * @param n its size
   * @param maxIterations at most this many products
   * @param seed seeds the start vector
   */
  static Eigen powerIteration(double[] a, int n, int maxIterations, long seed) {
    if (a.length != n * n) {
      throw new IllegalArgumentException(
          "power iteration: expected an (n, n) matrix with n = " + n + ", got " + a.length);
    }
    SplittableRandom rng = new SplittableRandom(seed);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = rng.nextDouble() - 0.5;
    }
    scale(v, 1 / norm(v));
    double lambda = 0;
    double[] w = new double[n];
    for (int it = 1; it <= maxIterations; it++) {
      for (int i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < n; k++) {
          s += a[i * n + k] * v[k];
        }
        w[i] = s;
      }
      double rq = dot(v, w); // v has unit length
      double len = norm(w);
      if (len == 0) {
        return new Eigen(0, v, it);
      }
      System.arraycopy(w, 0, v, 0, n);
      scale(v, 1 / len);
      boolean converged = Math.abs(rq - lambda) <= 1e-12 * Math.abs(rq);
      lambda = rq;
      if (converged) {
        return new Eigen(lambda, v, it);
      }
    }
    return new Eigen(lambda, v, maxIterations);
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static double norm(double[] a) {
    return Math.sqrt(dot(a, a));
  }

  private static void scale(double[] a, double f) {
    for (int i = 0; i < a.length; i++) {
      a[i] *= f;
    }
  }

  /** The lab's net: Linear(D, hidden), ReLU, Linear(hidden, K), PyTorch's default init. */
  static LabNet net(int inputs, int hidden, int classes, long seed) {
    var rng = Init.rng(seed);
    return new LabNet(
        new Sequential(
            new Linear(inputs, hidden, DType.FLOAT32, rng),
            new ReLU(),
            new Linear(hidden, classes, DType.FLOAT32, rng)));
  }

  /**
   * The mean single-signed fraction of the first layer's weight gradients over the first {@code
   * count} training examples in batches of {@code batch}, for one fixed net.
   */
  private static double meanSingleSigned(LabNet net, LabData d, int count, int batch) {
    Linear first = (Linear) net.body().get(0);
    double sum = 0;
    int batches = 0;
    for (int start = 0; start + batch <= count; start += batch) {
      Tensor x = d.xTrain().slice(0, start, start + batch).contiguous();
      int[] y = Arrays.copyOfRange(d.yTrain(), start, start + batch);
      net.loss(x, y); // zeroes, then fills the gradients
      double f = singleSignedFraction(first.weight().grad());
      if (!Double.isNaN(f)) {
        sum += f;
        batches++;
      }
    }
    return batches == 0 ? Double.NaN : sum / batches;
  }

  /** A rate is usable when its last-epoch loss is within this factor of the arm's best. */
  static final double USABLE = 1.25;

  /** One arm of the learning-rate sweep. */
  private record Arm(double lr, LabContext.Trained trained, double finalLoss) {}

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    int numTrain = quick ? 2000 : 10_000;
    int hidden = 100;
    int epochs = quick ? 4 : 10;
    int batch = 100;
    double[] lrs =
        quick
            ? new double[] {0.01, 0.03, 0.1, 0.3, 1.0}
            : new double[] {0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0};
    LabData raw = ctx.data(numTrain, 1000).pixels();
    int[] image = raw.imageShape();
    Preprocessing meanImage =
        Preprocessing.fit(
            Preprocessing.Kind.MEAN_IMAGE,
            raw.xTrain().reshape(numTrain, image[0], image[1], image[2]));
    LabData centred =
        new LabData(
            subtract(meanImage, raw.xTrain()),
            raw.yTrain(),
            subtract(meanImage, raw.xVal()),
            raw.yVal(),
            raw.numClasses(),
            raw.dataset(),
            raw.fellBack(),
            meanImage);
    LabSummary s = ctx.summary();
    int features = raw.features();
    int classes = raw.numClasses();
    double minPixel = raw.xTrain().min().item();

    // (a) The sign pattern of one example's first-layer weight gradient, on one fixed net.
    int probe = quick ? 200 : 1000;
    LabNet probeNet = net(features, hidden, classes, ctx.seed());
    double rawOne = meanSingleSigned(probeNet, raw, probe, 1);
    double centredOne = meanSingleSigned(probeNet, centred, probe, 1);
    double rawBatch = meanSingleSigned(probeNet, raw, probe, batch);
    double centredBatch = meanSingleSigned(probeNet, centred, probe, batch);
    ctx.say(
        "single-signed first-layer weight gradients: batch 1 raw %.3f, centred %.3f;"
            + " batch %d raw %.3f, centred %.3f",
        rawOne, centredOne, batch, rawBatch, centredBatch);

    // (b) Conditioning: the top eigenvalue of E[x x'] (raw) against that of the covariance.
    int rows = Math.min(numTrain, 5000);
    Tensor sample = raw.xTrain().slice(0, 0, rows);
    Eigen second = powerIteration(secondMoment(sample, false), features, 5000, ctx.seed());
    Eigen cov = powerIteration(secondMoment(sample, true), features, 5000, ctx.seed());
    double[] mu = sample.to(DType.FLOAT64).mean(0).toDoubleArray();
    double muNorm2 = dot(mu, mu);
    double cosine = Math.abs(dot(second.vector(), mu)) / Math.sqrt(muNorm2);
    double ratio = second.value() / cov.value();
    ctx.say(
        "lambda_max: E[x x'] %s (%d iterations), covariance %s (%d iterations), ratio %s;"
            + " |mu|^2 = %s, cos(v_max, mu) = %.4f",
        fmt(second.value()),
        second.iterations(),
        fmt(cov.value()),
        cov.iterations(),
        fmt(ratio),
        fmt(muNorm2),
        cosine);

    // (c) The same net, same initialization and minibatches, on raw and centred pixels.
    ctx.say(
        "two-layer net (%d-%d-%d), SGD, batch %d, %d epochs, per learning rate:",
        features, hidden, classes, batch, epochs);
    int itersPerEpoch = numTrain / batch;
    List<Arm> rawArms = new ArrayList<>();
    List<Arm> centredArms = new ArrayList<>();
    for (double lr : lrs) {
      SolverOptions options =
          SolverOptions.builder()
              .updateRule("sgd", Map.of("learning_rate", lr))
              .batchSize(batch)
              .numEpochs(epochs)
              .numTrainSamples(1000)
              .seed(ctx.seed())
              .verbose(false)
              .build();
      for (boolean c : new boolean[] {false, true}) {
        LabContext.Trained t =
            ctx.train(
                (c ? "centred" : "raw") + ", lr " + fmt(lr),
                net(features, hidden, classes, ctx.seed()),
                c ? centred : raw,
                options);
        Arm arm = new Arm(lr, t, t.diverged() != null ? Double.NaN : t.finalLoss(itersPerEpoch));
        (c ? centredArms : rawArms).add(arm);
      }
    }
    double chanceLoss = Math.log(classes);
    Arm rawBest = best(rawArms);
    Arm centredBest = best(centredArms);
    double rawMaxLr = largestUsable(rawArms, rawBest, chanceLoss);
    double centredMaxLr = largestUsable(centredArms, centredBest, chanceLoss);

    // Plots: the sweep (loss, accuracy) and the loss curves at the largest rate raw survives.
    List<XYChart> panels = new ArrayList<>();
    panels.add(
        Plots.lines(
            "Last-epoch training loss by learning rate",
            "log10 learning rate",
            "mean loss of the last epoch",
            List.of(
                sweep("raw pixels [0, 1]", rawArms, true),
                sweep("mean-subtracted", centredArms, true)),
            false,
            true,
            620,
            420));
    panels.add(
        Plots.lines(
            "Validation accuracy by learning rate",
            "log10 learning rate",
            "val acc after the last epoch",
            List.of(
                sweep("raw pixels [0, 1]", rawArms, false),
                sweep("mean-subtracted", centredArms, false)),
            false,
            true,
            620,
            420));
    int shown = indexOf(lrs, Double.isNaN(rawMaxLr) ? lrs[0] : rawMaxLr);
    shown = Math.min(shown + 1, lrs.length - 1); // one step above what raw tolerates
    panels.add(
        Plots.lines(
            "Training loss per iteration at lr "
                + fmt(lrs[shown])
                + (maxLoss(rawArms.get(shown)) > LOSS_CAP
                        || maxLoss(centredArms.get(shown)) > LOSS_CAP
                    ? " (drawn up to " + fmt(LOSS_CAP) + ")"
                    : ""),
            "iteration",
            "loss",
            List.of(
                Plots.Series.of("raw pixels [0, 1]", capped(rawArms.get(shown).trained().loss())),
                Plots.Series.of(
                    "mean-subtracted", capped(centredArms.get(shown).trained().loss()))),
            false,
            false,
            620,
            420));
    Plots.grid(
        panels,
        3,
        "Raw vs mean-subtracted pixels, same net, same initialization and minibatches",
        ctx.file("lr-sweep.png"));
    Plots.bars(
        "Units whose weight gradient has one sign for all inputs",
        "fraction of first-layer units",
        List.of(
            "raw, batch 1", "centred, batch 1", "raw, batch " + batch, "centred, batch " + batch),
        new double[] {rawOne, centredOne, rawBatch, centredBatch},
        ctx.file("single-sign.png"));

    // Numbers, checks, text.
    s.number("min_raw_pixel", minPixel);
    s.number("single_signed_raw_batch1", rawOne);
    s.number("single_signed_centred_batch1", centredOne);
    s.number("single_signed_raw_batch" + batch, rawBatch);
    s.number("single_signed_centred_batch" + batch, centredBatch);
    s.number("lambda_max_second_moment", second.value());
    s.number("lambda_max_covariance", cov.value());
    s.number("lambda_ratio", ratio);
    s.number("mean_norm_squared", muNorm2);
    s.number("cos_top_eigenvector_mean", cosine);
    s.number("raw_best_lr", rawBest.lr());
    s.number("raw_best_loss", rawBest.finalLoss());
    s.number("raw_best_val_acc", rawBest.trained().finalValAcc());
    s.number("centred_best_lr", centredBest.lr());
    s.number("centred_best_loss", centredBest.finalLoss());
    s.number("centred_best_val_acc", centredBest.trained().finalValAcc());
    s.number("raw_largest_usable_lr", rawMaxLr);
    s.number("centred_largest_usable_lr", centredMaxLr);

    s.check(
        "When every input of a unit is positive, one example's gradient on the unit's weights has"
            + " a single sign for all inputs; centred inputs break this",
        String.format(
            Locale.ROOT,
            "smallest raw pixel %s; units with single-signed weight gradient, batch 1: %s (raw) vs"
                + " %s (centred), mean over %d examples",
            fmt(minPixel),
            fmt(rawOne),
            fmt(centredOne),
            probe),
        minPixel >= 0 && rawOne == 1.0 && centredOne < 0.1);
    s.check(
        "Summed over a batch, the examples' gradients can have different signs, which mitigates"
            + " (but does not remove) the restriction",
        String.format(
            Locale.ROOT,
            "single-signed units with raw inputs: %s at batch 1, %s at batch %d",
            fmt(rawOne),
            fmt(rawBatch),
            batch),
        rawBatch < rawOne);
    s.check(
        "Uncentred inputs are ill-conditioned: the largest eigenvalue of E[x x'] lies along the"
            + " mean and is several times that of the covariance, so a learning rate the centred"
            + " problem takes overshoots the raw one",
        String.format(
            Locale.ROOT,
            "lambda_max %s (E[x x']) vs %s (covariance): %sx; |mu|^2 = %s; the top eigenvector's"
                + " cosine with mu: %s",
            fmt(second.value()),
            fmt(cov.value()),
            fmt(ratio),
            fmt(muNorm2),
            fmt(cosine)),
        ratio > 2 && cosine > 0.9);
    s.check(
        "Mean-subtracted inputs reach a lower training loss at their best learning rate than raw"
            + " inputs at theirs",
        String.format(
            Locale.ROOT,
            "last-epoch loss %s at lr %s (centred) vs %s at lr %s (raw); val acc %s vs %s",
            fmt(centredBest.finalLoss()),
            fmt(centredBest.lr()),
            fmt(rawBest.finalLoss()),
            fmt(rawBest.lr()),
            fmt(centredBest.trained().finalValAcc()),
            fmt(rawBest.trained().finalValAcc())),
        centredBest.finalLoss() < rawBest.finalLoss());
    s.check(
        "Mean-subtracted inputs tolerate larger learning rates: the largest rate of the grid that"
            + " still trains to within 25% of the arm's best loss is higher",
        String.format(
            Locale.ROOT,
            "largest such lr: %s (centred) vs %s (raw); at lr %s the loss is %s (centred) vs %s"
                + " (raw)",
            fmt(centredMaxLr),
            fmt(rawMaxLr),
            fmt(lrs[shown]),
            lossCell(centredArms.get(shown)),
            lossCell(rawArms.get(shown))),
        centredMaxLr > rawMaxLr || (Double.isNaN(rawMaxLr) && !Double.isNaN(centredMaxLr)));

    s.text(
        "Pixels in [0, 1] (the lab data with its normalisation undone) against the same pixels"
            + " minus the mean training image (CS231n's preprocessing for fully-connected nets;"
            + " the scale is unchanged, only the mean goes). (a) One net at initialization, a"
            + " 784-"
            + hidden
            + "-10 ReLU net, gets "
            + probe
            + " examples one at a time; for each, the first-layer weight gradient dW (784, "
            + hidden
            + ") is split into its "
            + hidden
            + " columns (one per unit) and a column counts as single-signed when its nonzero"
            + " entries share a sign. (b) Power iteration on the 784 x 784 matrices E[x x'] and"
            + " Cov(x) of "
            + rows
            + " training images. (c) The same net trained with plain SGD (batch "
            + batch
            + ", "
            + epochs
            + " epochs, same initialization and minibatch order for every arm); the loss is the"
            + " mean training loss of the last epoch, the accuracy the Solver's after the last"
            + " epoch.");
    List<List<String>> table = new ArrayList<>();
    for (int i = 0; i < lrs.length; i++) {
      table.add(
          List.of(
              fmt(lrs[i]),
              lossCell(rawArms.get(i)),
              fmt(rawArms.get(i).trained().finalValAcc()),
              lossCell(centredArms.get(i)),
              fmt(centredArms.get(i).trained().finalValAcc())));
    }
    s.table(
        List.of("learning rate", "raw: loss", "raw: val acc", "centred: loss", "centred: val acc"),
        table);
    s.figure("lr-sweep.png", "Raw vs mean-subtracted pixels over the learning-rate grid");
    s.figure("single-sign.png", "Single-signed weight gradients, raw vs centred");
  }

  private static Tensor subtract(Preprocessing meanImage, Tensor x) {
    int[] c = meanImage.shape();
    return meanImage
        .apply(x.reshape(x.shape(0), c[0], c[1], c[2]))
        .reshape(x.shape(0), -1)
        .contiguous();
  }

  /** The arm with the lowest last-epoch loss (diverged arms never win). */
  private static Arm best(List<Arm> arms) {
    Arm best = arms.get(0);
    for (Arm a : arms) {
      if (!(best.finalLoss() <= a.finalLoss()) && !Double.isNaN(a.finalLoss())) {
        best = a;
      }
    }
    return best;
  }

  /**
   * The largest learning rate whose last-epoch loss is below the chance loss and within {@link
   * #USABLE} times the arm's best; NaN when none is.
   */
  private static double largestUsable(List<Arm> arms, Arm best, double chanceLoss) {
    double lr = Double.NaN;
    for (Arm a : arms) {
      if (a.trained().diverged() == null
          && a.finalLoss() < chanceLoss
          && a.finalLoss() <= USABLE * best.finalLoss()) {
        lr = Double.isNaN(lr) ? a.lr() : Math.max(lr, a.lr());
      }
    }
    return lr;
  }

  private static int indexOf(double[] v, double x) {
    for (int i = 0; i < v.length; i++) {
      if (v[i] == x) {
        return i;
      }
    }
    return 0;
  }

  /** A sweep curve over log10 lr; diverged arms are left out (there is no loss to draw). */
  private static Plots.Series sweep(String name, List<Arm> arms, boolean loss) {
    List<double[]> pts = new ArrayList<>();
    for (Arm a : arms) {
      double y = loss ? a.finalLoss() : a.trained().finalValAcc();
      if (Double.isFinite(y)) {
        pts.add(new double[] {Math.log10(a.lr()), y});
      }
    }
    if (pts.isEmpty()) {
      pts.add(new double[] {Math.log10(arms.get(0).lr()), 0});
    }
    double[] x = new double[pts.size()];
    double[] y = new double[pts.size()];
    for (int i = 0; i < pts.size(); i++) {
      x[i] = pts.get(i)[0];
      y[i] = pts.get(i)[1];
    }
    return new Plots.Series(name, x, y);
  }

  /** Losses above this are drawn at it, so that one spike does not flatten the curves. */
  static final double LOSS_CAP = 10;

  /** The largest loss of an arm's history (infinite when one is not finite). */
  private static double maxLoss(Arm a) {
    double m = 0;
    for (double l : a.trained().loss()) {
      m = Double.isFinite(l) ? Math.max(m, l) : Double.POSITIVE_INFINITY;
    }
    return m;
  }

  /** A loss history as an array, values above {@link #LOSS_CAP} (or not finite) drawn at it. */
  private static double[] capped(List<Double> loss) {
    double[] v = new double[Math.max(1, loss.size())];
    for (int i = 0; i < loss.size(); i++) {
      double l = loss.get(i);
      v[i] = Double.isFinite(l) ? Math.min(l, LOSS_CAP) : LOSS_CAP;
    }
    return v;
  }

  private static String lossCell(Arm a) {
    return a.trained().diverged() != null
        ? "diverged (iteration " + a.trained().diverged().iteration() + ")"
        : fmt(a.finalLoss());
  }
}
