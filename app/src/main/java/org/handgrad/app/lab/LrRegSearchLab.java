package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.handgrad.app.report.ScatterMap;
import org.handgrad.models.linear.LinearClassifier;
import org.handgrad.models.linear.Softmax;
import org.handgrad.tensor.DType;

/**
 * CS231n's hyperparameter search (notes "Hyperparameter optimization"; assignment 1's softmax
 * tuning): learning rate and regularization strength sampled at random on a log scale (Bergstra and
 * Bengio 2012: random search beats a grid when few hyperparameters matter), each trial trained
 * briefly and scored on the validation set. The notes' picture: a region of good values spanning
 * orders of magnitude, bordered by a rate too small to learn in the budget, and by a regularization
 * so strong that the model underfits (or, times a large rate, blows the weights up).
 */
final class LrRegSearchLab implements Lab {
  /** log10 of the learning rate is drawn uniformly from this range. */
  static final double[] LOG_LR = {-5, 0};

  /** log10 of the L2 strength is drawn uniformly from this range. */
  static final double[] LOG_REG = {-4, 2};

  @Override
  public String name() {
    return "lr-reg-search";
  }

  @Override
  public String description() {
    return "random search over learning rate x regularization on a log scale for a softmax"
        + " classifier, as a heat map";
  }

  /** One trial. */
  record Trial(double logLr, double logReg, double trainAcc, double valAcc) {}

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    int trials = quick ? 20 : 60;
    int iters = quick ? 200 : 1000;
    int batch = 200;
    LabData d = ctx.data(quick ? 2000 : 10_000, 1000);
    LabSummary s = ctx.summary();
    ctx.say(
        "%d trials: softmax classifier, SGD %d iterations of batch %d; log10 lr in [%s, %s],"
            + " log10 reg in [%s, %s]",
        trials, iters, batch, fmt(LOG_LR[0]), fmt(LOG_LR[1]), fmt(LOG_REG[0]), fmt(LOG_REG[1]));
    SplittableRandom rng = new SplittableRandom(ctx.seed());
    List<Trial> all = new ArrayList<>();
    for (int i = 0; i < trials; i++) {
      double logLr = LOG_LR[0] + (LOG_LR[1] - LOG_LR[0]) * rng.nextDouble();
      double logReg = LOG_REG[0] + (LOG_REG[1] - LOG_REG[0]) * rng.nextDouble();
      double lr = Math.pow(10, logLr);
      double reg = Math.pow(10, logReg);
      LinearClassifier c =
          new Softmax(
              new LinearClassifier.Config(
                  d.features(), d.numClasses(), reg, 1e-3, false, DType.FLOAT32, ctx.seed() + i));
      c.train(d.xTrain(), d.yTrain(), lr, reg, iters, batch, ctx.seed() + i, false);
      // A blown-up model (lr * reg too large: the weight decay step overshoots) has NaN scores;
      // Stats.argmax never picks NaN, so it scores as a constant guess, which is what it is.
      double trainAcc = Stats.accuracy(d.yTrain(), Stats.argmax(c.loss(d.xTrain())));
      double valAcc = Stats.accuracy(d.yVal(), Stats.argmax(c.loss(d.xVal())));
      all.add(new Trial(logLr, logReg, trainAcc, valAcc));
      ctx.say("  lr %s  reg %s  train %.3f  val %.3f", fmt(lr), fmt(reg), trainAcc, valAcc);
    }
    Trial best = all.get(0);
    Trial worst = all.get(0);
    for (Trial t : all) {
      if (t.valAcc() > best.valAcc()) {
        best = t;
      }
      if (t.valAcc() < worst.valAcc()) {
        worst = t;
      }
    }
    double[] x = new double[trials];
    double[] y = new double[trials];
    double[] v = new double[trials];
    List<List<String>> rows = new ArrayList<>();
    for (int i = 0; i < trials; i++) {
      Trial t = all.get(i);
      x[i] = t.logLr();
      y[i] = t.logReg();
      v[i] = t.valAcc();
    }
    List<Trial> sorted = new ArrayList<>(all);
    sorted.sort((a, b) -> Double.compare(b.valAcc(), a.valAcc()));
    for (Trial t : sorted) {
      rows.add(
          List.of(
              fmt(Math.pow(10, t.logLr())),
              fmt(Math.pow(10, t.logReg())),
              fmt(t.trainAcc()),
              fmt(t.valAcc())));
    }
    ScatterMap.write(
        "Random search: validation accuracy of each trial",
        "log10 learning rate",
        "log10 regularization strength",
        x,
        y,
        v,
        "val acc",
        ctx.file("search.png"));

    double chance = 1.0 / d.numClasses();
    s.number("best_val_acc", best.valAcc());
    s.number("best_lr", Math.pow(10, best.logLr()));
    s.number("best_reg", Math.pow(10, best.logReg()));
    s.number("worst_val_acc", worst.valAcc());
    s.check(
        "The result depends on the hyperparameters over orders of magnitude: the best trial is"
            + " far better than the worst (by more than 0.3)",
        String.format(
            Locale.ROOT,
            "val acc best %s (lr %s, reg %s), worst %s (lr %s, reg %s)",
            fmt(best.valAcc()),
            fmt(Math.pow(10, best.logLr())),
            fmt(Math.pow(10, best.logReg())),
            fmt(worst.valAcc()),
            fmt(Math.pow(10, worst.logLr())),
            fmt(Math.pow(10, worst.logReg()))),
        best.valAcc() - worst.valAcc() > 0.3);
    groupCheck(
        s,
        "lowest_lr",
        "A learning rate too small does not get far within the budget: the trials with lr < 1e-4"
            + " stay well below the best (by more than 0.1)",
        all.stream().filter(t -> t.logLr() < -4).toList(),
        best);
    groupCheck(
        s,
        "strongest_reg",
        "Regularization too strong makes the model underfit: the trials with reg > 10 stay well"
            + " below the best (by more than 0.1)",
        all.stream().filter(t -> t.logReg() > 1).toList(),
        best);
    s.text(
        trials
            + " trials of a softmax classifier (weights N(0, 1e-3^2), CS231n's loss: mean"
            + " cross-entropy + reg * sum W^2), each trained with plain SGD for "
            + iters
            + " iterations of batch "
            + batch
            + " (sampled with replacement, as assignment 1), log10 lr drawn uniformly from ["
            + fmt(LOG_LR[0])
            + ", "
            + fmt(LOG_LR[1])
            + "] and log10 reg from ["
            + fmt(LOG_REG[0])
            + ", "
            + fmt(LOG_REG[1])
            + "]; chance is "
            + fmt(chance)
            + ". A grid of the same size would try only "
            + (int) Math.floor(Math.sqrt(trials))
            + " distinct values of each; the random search tries "
            + trials
            + " of each.");
    s.figure("search.png", "Each trial at (log10 lr, log10 reg), coloured by validation accuracy");
    s.table(List.of("learning rate", "reg", "train acc", "val acc"), rows);
  }

  /**
   * A check that a group of trials stays well below the best; disagrees when the group is empty.
   */
  private static void groupCheck(
      LabSummary s, String key, String claim, List<Trial> group, Trial best) {
    if (group.isEmpty()) {
      s.check(claim, "no trial fell in that range (run more trials)", false);
      return;
    }
    double bestInGroup = group.stream().mapToDouble(Trial::valAcc).max().orElseThrow();
    s.number(key + "_trials", group.size());
    s.number(key + "_best_val_acc", bestInGroup);
    s.check(
        claim,
        String.format(
            Locale.ROOT,
            "%d such trials, the best of them %s vs the overall best %s",
            group.size(),
            fmt(bestInGroup),
            fmt(best.valAcc())),
        bestInGroup < best.valAcc() - 0.1);
  }
}
