package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.handgrad.app.report.Plots;
import org.handgrad.models.Nets;
import org.handgrad.models.fc.TwoLayerNet;
import org.handgrad.nn.functional.Losses;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.knowm.xchart.XYChart;

/**
 * Debug handbook, "regularization too strong" (CS231n notes "Neural Networks 2: Regularization" and
 * "Neural Networks 3: babysitting the learning process"). The L2 penalty {@code 0.5 * reg *
 * sum(W^2)} trades fitting the data against small weights; past some strength the penalty wins: the
 * weights shrink, the net underfits (training accuracy falls far below what a moderate setting
 * reaches, and the train/validation gap closes because both are low), and the regularization term
 * outweighs the data term in the loss at the start, where the first updates go to shrinking the
 * initial weights. After training it need not: for a convex loss at its minimum the penalty is at
 * most half of what the data loss gained over W = 0, so it cannot outweigh a data loss that stays
 * above a third of its value at W = 0, which is what an underfitting net's does. The lab records
 * the penalty's share at every strength, and checks the start and the data loss. It trains
 * assignment 2's {@link TwoLayerNet} on a small training set from the same initialization at
 * strengths from 0 to one where the penalty wins.
 */
final class RegStrengthLab implements Lab {
  @Override
  public String name() {
    return "reg-strength";
  }

  @Override
  public String description() {
    return "L2 regularization from 0 to too strong: train/val accuracy, data loss vs"
        + " regularization loss, and the weight norm";
  }

  /**
   * What one strength gave, all measured on the parameters the Solver kept.
   *
   * @param reg the L2 strength
   * @param trainAcc accuracy on the whole training set
   * @param valAcc accuracy on the validation set
   * @param dataLoss softmax loss on the whole training set
   * @param regLoss {@code 0.5 * reg * (|W1|^2 + |W2|^2)}
   * @param weightNorm {@code sqrt(|W1|^2 + |W2|^2)}
   * @param initDataLoss the data loss at initialization
   * @param initRegLoss the regularization loss at initialization
   */
  record Point(
      double reg,
      double trainAcc,
      double valAcc,
      double dataLoss,
      double regLoss,
      double weightNorm,
      double initDataLoss,
      double initRegLoss) {
    double gap() {
      return trainAcc - valAcc;
    }

    /** The share of the regularization term in the total loss. */
    double regShare() {
      return regLoss / (regLoss + dataLoss);
    }
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    int numTrain = quick ? 1000 : 2000;
    int hidden = quick ? 100 : 200;
    int epochs = quick ? 20 : 50;
    double[] regs =
        quick
            ? new double[] {0, 1e-3, 1e-2, 0.03, 0.1, 0.3, 1}
            : new double[] {0, 1e-4, 1e-3, 3e-3, 1e-2, 0.03, 0.1, 0.3, 1, 3};
    LabData d = ctx.data(numTrain, 1000);
    LabSummary s = ctx.summary();
    ctx.say(
        "TwoLayerNet (%d-%d-%d, weights 1e-2 * randn), %d training images, Adam lr 1e-3, batch"
            + " 100, %d epochs, per L2 strength:",
        d.features(), hidden, d.numClasses(), numTrain, epochs);
    SolverOptions options =
        SolverOptions.builder()
            .updateRule("adam", Map.of("learning_rate", 1e-3))
            .batchSize(100)
            .numEpochs(epochs)
            .numTrainSamples(null)
            .seed(ctx.seed())
            .verbose(false)
            .build();
    List<Point> points = new ArrayList<>();
    for (double reg : regs) {
      TwoLayerNet net =
          new TwoLayerNet(
              new TwoLayerNet.Config(
                  d.features(), hidden, d.numClasses(), 1e-2, reg, DType.FLOAT32, ctx.seed()));
      double initData = Losses.softmaxLoss(net.loss(d.xTrain()), d.yTrain()).loss();
      double initReg = 0.5 * reg * squaredWeights(net);
      LabContext.Trained t = ctx.train("reg " + fmt(reg), net, d, options);
      if (t.diverged() != null) {
        throw new IllegalStateException("reg-strength: the run at reg " + reg + " diverged");
      }
      double w2 = squaredWeights(net);
      Point p =
          new Point(
              reg,
              Stats.accuracy(d.yTrain(), net.predict(d.xTrain())),
              Stats.accuracy(d.yVal(), net.predict(d.xVal())),
              Losses.softmaxLoss(net.loss(d.xTrain()), d.yTrain()).loss(),
              0.5 * reg * w2,
              Math.sqrt(w2),
              initData,
              initReg);
      points.add(p);
      ctx.say(
          "    train %.3f  val %.3f  data loss %s  reg loss %s  |W| %s",
          p.trainAcc(), p.valAcc(), fmt(p.dataLoss()), fmt(p.regLoss()), fmt(p.weightNorm()));
    }

    // The moderate setting: the best validation accuracy with reg > 0. The strongest: the last.
    Point moderate = points.get(1);
    for (Point p : points.subList(1, points.size())) {
      if (p.valAcc() > moderate.valAcc()) {
        moderate = p;
      }
    }
    Point none = points.get(0);
    Point strongest = points.get(points.size() - 1);

    // reg = 0 has no place on a log axis: it is drawn one decade left of the smallest positive.
    double[] x = new double[regs.length];
    for (int i = 0; i < regs.length; i++) {
      x[i] = regs[i] > 0 ? Math.log10(regs[i]) : Math.log10(regs[1]) - 1;
    }
    String xTitle = "log10 reg (leftmost point: reg = 0)";
    List<XYChart> panels = new ArrayList<>();
    panels.add(
        Plots.lines(
            "Accuracy by L2 strength",
            xTitle,
            "accuracy",
            List.of(
                new Plots.Series("train", x, column(points, Point::trainAcc)),
                new Plots.Series("validation", x, column(points, Point::valAcc))),
            false,
            true,
            620,
            420));
    panels.add(
        Plots.lines(
            "Data loss vs regularization loss",
            xTitle,
            "loss on the training set",
            List.of(
                new Plots.Series("data loss (softmax)", x, column(points, Point::dataLoss)),
                new Plots.Series("reg loss 0.5 reg |W|^2", x, column(points, Point::regLoss)),
                new Plots.Series("total", x, column(points, p -> p.dataLoss() + p.regLoss())),
                new Plots.Series(
                    "reg loss at initialization", x, column(points, Point::initRegLoss))),
            false,
            true,
            620,
            420));
    panels.add(
        Plots.lines(
            "Weight norm sqrt(|W1|^2 + |W2|^2)",
            xTitle,
            "norm",
            List.of(new Plots.Series("|W|", x, column(points, Point::weightNorm))),
            false,
            true,
            620,
            420));
    Plots.grid(
        panels,
        3,
        "TwoLayerNet on " + numTrain + " training images, the same run at each L2 strength",
        ctx.file("reg-sweep.png"));

    List<List<String>> rows = new ArrayList<>();
    for (Point p : points) {
      String key = "reg_" + fmt(p.reg());
      s.number(key + "_train_acc", p.trainAcc());
      s.number(key + "_val_acc", p.valAcc());
      s.number(key + "_data_loss", p.dataLoss());
      s.number(key + "_reg_loss", p.regLoss());
      s.number(key + "_weight_norm", p.weightNorm());
      rows.add(
          List.of(
              fmt(p.reg()),
              fmt(p.trainAcc()),
              fmt(p.valAcc()),
              fmt(p.gap()),
              fmt(p.dataLoss()),
              fmt(p.regLoss()),
              fmt(p.weightNorm())));
    }
    s.number("moderate_reg", moderate.reg());
    s.number("moderate_train_acc", moderate.trainAcc());
    s.number("moderate_val_acc", moderate.valAcc());
    s.number("strongest_reg", strongest.reg());
    s.number("strongest_train_acc", strongest.trainAcc());
    s.number("strongest_val_acc", strongest.valAcc());
    s.number("no_reg_gap", none.gap());
    s.number("strongest_gap", strongest.gap());
    s.number("strongest_reg_share", strongest.regShare());
    s.number("moderate_reg_share", moderate.regShare());
    Point largestShare = points.get(0);
    for (Point p : points) {
      if (p.regShare() > largestShare.regShare()) {
        largestShare = p;
      }
    }
    s.number("largest_reg_share", largestShare.regShare());
    s.number("largest_reg_share_reg", largestShare.reg());
    s.number("strongest_data_loss", strongest.dataLoss());
    s.number("moderate_data_loss", moderate.dataLoss());
    s.number("strongest_init_reg_loss", strongest.initRegLoss());
    s.number("strongest_init_data_loss", strongest.initDataLoss());
    s.number("no_reg_weight_norm", none.weightNorm());
    s.number("strongest_weight_norm", strongest.weightNorm());

    s.check(
        "Too strong a regularization underfits: training accuracy falls far (more than 0.1) below"
            + " that of the moderate setting (the best validation accuracy with reg > 0)",
        String.format(
            Locale.ROOT,
            "train acc %s at reg %s vs %s at reg %s",
            fmt(strongest.trainAcc()),
            fmt(strongest.reg()),
            fmt(moderate.trainAcc()),
            fmt(moderate.reg())),
        strongest.trainAcc() < moderate.trainAcc() - 0.1);
    s.check(
        "Underfitting closes the train/validation gap: both accuracies are low together",
        String.format(
            Locale.ROOT,
            "gap %s at reg %s vs %s without regularization",
            fmt(strongest.gap()),
            fmt(strongest.reg()),
            fmt(none.gap())),
        Math.abs(strongest.gap()) < none.gap() / 2);
    s.check(
        "Too strong, the regularization term dominates the loss: at initialization it is the"
            + " larger part (the first updates shrink the weights instead of fitting the data)",
        String.format(
            Locale.ROOT,
            "at reg %s, initial reg loss %s vs data loss %s (at reg %s: %s vs %s)",
            fmt(strongest.reg()),
            fmt(strongest.initRegLoss()),
            fmt(strongest.initDataLoss()),
            fmt(moderate.reg()),
            fmt(moderate.initRegLoss()),
            fmt(moderate.initDataLoss())),
        strongest.initRegLoss() > strongest.initDataLoss()
            && moderate.initRegLoss() < moderate.initDataLoss());
    s.check(
        "Too strong, the penalty, not the data, sets the weights: after training the data loss"
            + " stays high, more than 3 times that of the moderate setting",
        String.format(
            Locale.ROOT,
            "data loss %s at reg %s vs %s at reg %s (reg loss %s vs %s)",
            fmt(strongest.dataLoss()),
            fmt(strongest.reg()),
            fmt(moderate.dataLoss()),
            fmt(moderate.reg()),
            fmt(strongest.regLoss()),
            fmt(moderate.regLoss())),
        strongest.dataLoss() > 3 * moderate.dataLoss());
    s.check(
        "The penalty shrinks the weights: the weight norm falls as reg grows",
        String.format(
            Locale.ROOT,
            "|W| %s at reg 0, %s at reg %s, %s at reg %s",
            fmt(none.weightNorm()),
            fmt(moderate.weightNorm()),
            fmt(moderate.reg()),
            fmt(strongest.weightNorm()),
            fmt(strongest.reg())),
        strongest.weightNorm() < moderate.weightNorm()
            && moderate.weightNorm() <= none.weightNorm());

    s.text(
        "Assignment 2's TwoLayerNet (784-"
            + hidden
            + "-10, weights 1e-2 * randn, loss softmax + 0.5 * reg * (|W1|^2 + |W2|^2)) trained"
            + " with Adam (lr 1e-3, batch 100) for "
            + epochs
            + " epochs on "
            + numTrain
            + " training images, from the same initialization and minibatch order at every"
            + " strength. Everything is measured on the parameters the Solver keeps (those of the"
            + " best validation accuracy, as CS231n's Solver): accuracies on the whole training"
            + " and validation sets, the data loss on the whole training set. The penalty's"
            + " share of the final loss is largest at reg "
            + fmt(largestShare.reg())
            + " ("
            + fmt(largestShare.regShare())
            + "), not at the strongest setting ("
            + fmt(strongest.regShare())
            + "): a large regularization loss at the end is no sign of too much regularization"
            + " by itself; low training accuracy with a closed gap, small weights and a data loss"
            + " that stays high are.");
    s.table(
        List.of("reg", "train acc", "val acc", "gap", "data loss", "reg loss", "weight norm"),
        rows);
    s.figure("reg-sweep.png", "Accuracy, the two loss terms and the weight norm by L2 strength");
  }

  /** {@code |W1|^2 + |W2|^2}, the weights the penalty covers (not the biases). */
  private static double squaredWeights(TwoLayerNet net) {
    return Nets.sumOfSquares(net.parameter("W1").value())
        + Nets.sumOfSquares(net.parameter("W2").value());
  }

  private static double[] column(List<Point> points, ToDoubleFunction<Point> f) {
    return points.stream().mapToDouble(f).toArray();
  }
}
