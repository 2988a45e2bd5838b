package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.handgrad.app.report.Plots;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The sanity checks before a long training run (CS231n notes "Learning: Before learning: sanity
 * checks Tips/Tricks"): with small weights the initial loss of a softmax classifier is ln(C), and
 * the net must be able to overfit a tiny training set (here 50 images) to 100% train accuracy.
 * Failing that, "things are definitely not going well": here the same net with a classic
 * hand-written-backward bug, the softmax gradient with its sign flipped ({@code 1 - p} for the true
 * class instead of {@code p - 1}), which turns descent into ascent.
 */
final class OverfitSmallLab implements Lab {
  static final int EXAMPLES = 50;

  @Override
  public String name() {
    return "overfit-small";
  }

  @Override
  public String description() {
    return "sanity checks: initial loss ln(10), a net overfits 50 images to 100% train accuracy,"
        + " a bug-injected one cannot";
  }

  /** The softmax loss with the bug: d loss / d scores negated. */
  static Losses.Loss flippedSoftmaxLoss(Tensor scores, int[] y) {
    Losses.Loss l = Losses.softmaxLoss(scores, y);
    return new Losses.Loss(l.loss(), l.dx().mul(-1.0));
  }

  /**
   * Assignment 2's three-layer net for this check: two hidden layers of 100, weights N(0, 1e-2).
   */
  static LabNet net(int inputs, int classes, long seed, boolean buggy) {
    RandomGenerator rng = Init.rng(seed);
    WeightInit w = WeightInit.normal(1e-2);
    Sequential s =
        new Sequential(
            new Linear(inputs, 100, true, DType.FLOAT32, w, rng),
            new ReLU(),
            new Linear(100, 100, true, DType.FLOAT32, w, rng),
            new ReLU(),
            new Linear(100, classes, true, DType.FLOAT32, w, rng));
    return buggy ? new LabNet(s, OverfitSmallLab::flippedSoftmaxLoss) : new LabNet(s);
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    int epochs = quick ? 50 : 100;
    LabData d = ctx.data(EXAMPLES, quick ? 500 : 1000);
    LabSummary s = ctx.summary();
    int classes = d.numClasses();

    // Check 1: the loss at initialization.
    double initial = net(d.features(), classes, ctx.seed(), false).loss(d.xTrain(), d.yTrain());
    double lnC = Math.log(classes);
    ctx.say("initial loss %s (ln %d = %s)", fmt(initial), classes, fmt(lnC));

    // Check 2: overfit the 50 images, with and without the bug.
    ctx.say(
        "%d training images, 2 x 100 ReLU net, Adam lr 1e-3, batch 25, %d epochs:",
        EXAMPLES, epochs);
    List<Plots.Series> losses = new ArrayList<>();
    List<Plots.Series> accs = new ArrayList<>();
    double[] trainAcc = new double[2];
    double[] valAcc = new double[2];
    double[] firstLoss = new double[2];
    double[] lastLoss = new double[2];
    String[] labels = {"correct backward", "softmax gradient sign flipped"};
    for (int b = 0; b < 2; b++) {
      SolverOptions options =
          SolverOptions.builder()
              .updateRule("adam", Map.of("learning_rate", 1e-3))
              .batchSize(25)
              .numEpochs(epochs)
              .numTrainSamples(null)
              .seed(ctx.seed())
              .verbose(false)
              .build();
      LabNet net = net(d.features(), classes, ctx.seed(), b == 1);
      LabContext.Trained t = ctx.train(labels[b], net, d, options);
      // Accuracy on all 50 images at the end, in eval mode.
      trainAcc[b] = Stats.accuracy(d.yTrain(), Stats.argmax(net.loss(d.xTrain())));
      valAcc[b] = t.finalValAcc();
      firstLoss[b] = t.loss().get(0);
      lastLoss[b] = t.finalLoss(2);
      losses.add(Plots.Series.of(labels[b], toArray(t.loss())));
      accs.add(Plots.Series.of(labels[b], toArray(t.trainAcc())));
    }
    s.number("initial_loss", initial);
    s.number("ln_c", lnC);
    s.number("correct_train_acc", trainAcc[0]);
    s.number("correct_val_acc", valAcc[0]);
    s.number("correct_final_loss", lastLoss[0]);
    s.number("buggy_train_acc", trainAcc[1]);
    s.number("buggy_first_loss", firstLoss[1]);
    s.number("buggy_final_loss", lastLoss[1]);
    Plots.save(
        Plots.lines(
            "Training loss on " + EXAMPLES + " images: correct vs buggy backward",
            "iteration",
            "loss",
            losses,
            true,
            false,
            1000,
            460),
        ctx.file("loss.png"));
    Plots.save(
        Plots.lines(
            "Train accuracy on the " + EXAMPLES + " images, per epoch",
            "epoch",
            "train accuracy",
            accs,
            false,
            true,
            1000,
            460),
        ctx.file("train-accuracy.png"));

    s.check(
        "With small weights every class gets probability about 1/C, so the initial loss is ln C",
        String.format(Locale.ROOT, "initial loss %s, ln %d = %s", fmt(initial), classes, fmt(lnC)),
        Math.abs(initial - lnC) < 0.05);
    s.check(
        "A correct net overfits " + EXAMPLES + " training images: 100% train accuracy",
        String.format(
            Locale.ROOT,
            "train accuracy %s, loss %s (validation %s: memorised, not learned)",
            fmt(trainAcc[0]),
            fmt(lastLoss[0]),
            fmt(valAcc[0])),
        trainAcc[0] == 1.0);
    s.check(
        "A net that cannot overfit a tiny set has a bug: with the softmax gradient's sign flipped"
            + " the loss rises and train accuracy stays far from 100%",
        String.format(
            Locale.ROOT,
            "loss %s at the start, %s at the end; train accuracy %s",
            fmt(firstLoss[1]),
            fmt(lastLoss[1]),
            fmt(trainAcc[1])),
        lastLoss[1] > firstLoss[1] && trainAcc[1] < 0.5);
    s.text(
        "Assignment 2's check: a net with two hidden layers of 100 ReLU units and weights"
            + " N(0, 0.01^2) is trained on the first "
            + EXAMPLES
            + " training images only, with Adam (lr 1e-3, batch 25) for "
            + epochs
            + " epochs. The bug-injected copy differs in one line of its loss backward: it returns"
            + " -(p - onehot(y)) / N instead of (p - onehot(y)) / N, so every update climbs the"
            + " loss. A gradient check would catch it at once (relative error 2); this check"
            + " catches it without one.");
    s.table(
        List.of("net", "train acc (50 images)", "loss at start", "loss at end"),
        List.of(
            List.of(labels[0], fmt(trainAcc[0]), fmt(initial), fmt(lastLoss[0])),
            List.of(labels[1], fmt(trainAcc[1]), fmt(firstLoss[1]), fmt(lastLoss[1]))));
    s.figure("loss.png", "Training loss (log scale)");
    s.figure("train-accuracy.png", "Train accuracy per epoch");
  }

  private static double[] toArray(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
