package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.handgrad.app.report.Plots;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.BatchNorm1d;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * BatchNorm's two modes and its batch-size dependence (CS231n notes and assignment 2, "Batch
 * Normalization"; Ioffe and Szegedy 2015). At test time a BatchNorm layer must use the running
 * statistics (eval mode); left in train mode it normalises each test batch by that batch's own
 * statistics, so a prediction depends on the other images in the batch, and on batches of one class
 * (a test folder read class by class) accuracy collapses. In training, its batch statistics are
 * estimates: from 2 images they are so noisy that the net trains worse than with 64 (Wu and He
 * 2018, "Group Normalization", Figure 1), and with 1 image there are none at all.
 */
final class BatchNormLab implements Lab {
  static final int HIDDEN = 100;

  @Override
  public String name() {
    return "batchnorm";
  }

  @Override
  public String description() {
    return "BatchNorm evaluated in train mode vs eval mode, and trained with batch size 2 vs 64"
        + " (and 1: the error)";
  }

  /** (Linear without bias, BatchNorm, ReLU) x 2, then the scores. */
  static LabNet net(int inputs, int classes, long seed) {
    RandomGenerator rng = Init.rng(seed);
    WeightInit he = WeightInit.kaiming();
    return new LabNet(
        new Sequential(
            new Linear(inputs, HIDDEN, false, DType.FLOAT32, he, rng),
            new BatchNorm1d(HIDDEN, DType.FLOAT32),
            new ReLU(),
            new Linear(HIDDEN, HIDDEN, false, DType.FLOAT32, he, rng),
            new BatchNorm1d(HIDDEN, DType.FLOAT32),
            new ReLU(),
            new Linear(HIDDEN, classes, true, DType.FLOAT32, he, rng)));
  }

  private static SolverOptions options(int batch, int epochs, long seed) {
    return SolverOptions.builder()
        .updateRule("adam", Map.of("learning_rate", 1e-3))
        .batchSize(batch)
        .numEpochs(epochs)
        .numTrainSamples(1000)
        .seed(seed)
        .verbose(false)
        .build();
  }

  /**
   * Accuracy of the net run in TRAIN mode on consecutive batches of {@code batch} examples taken in
   * the given order (the mistake: BatchNorm normalises each batch by its own statistics).
   */
  static double trainModeAccuracy(LabNet net, Tensor x, int[] y, int[] order, int batch) {
    net.body().train();
    int[] pred = new int[y.length];
    int[] labels = new int[y.length];
    for (int start = 0; start + batch <= order.length; start += batch) {
      int[] idx = Arrays.copyOfRange(order, start, start + batch);
      int[] p = Stats.argmax(net.body().forward(x.take(0, idx)));
      for (int i = 0; i < batch; i++) {
        pred[start + i] = p[i];
        labels[start + i] = y[idx[i]];
      }
    }
    int n = order.length / batch * batch;
    return Stats.accuracy(Arrays.copyOf(labels, n), Arrays.copyOf(pred, n));
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    int epochs = quick ? 3 : 10;
    LabData d = ctx.data(quick ? 2000 : 10_000, 1000);
    LabSummary s = ctx.summary();
    ctx.say("2 x (Linear, BatchNorm, ReLU), width %d, Adam lr 1e-3, %d epochs:", HIDDEN, epochs);

    // Part 1: one net trained with batch 64, evaluated three ways.
    LabNet net = net(d.features(), d.numClasses(), ctx.seed());
    LabContext.Trained t64 = ctx.train("batch 64", net, d, options(64, epochs, ctx.seed()));
    double evalAcc = Stats.accuracy(d.yVal(), Stats.argmax(net.loss(d.xVal())));
    int n = d.yVal().length;
    int[] shuffled = new int[n];
    for (int i = 0; i < n; i++) {
      shuffled[i] = i;
    }
    Integer[] byClass = new Integer[n];
    for (int i = 0; i < n; i++) {
      byClass[i] = i;
    }
    int[] yv = d.yVal();
    Arrays.sort(byClass, (a, b) -> Integer.compare(yv[a], yv[b]));
    int[] sorted = Arrays.stream(byClass).mapToInt(Integer::intValue).toArray();
    // Train-mode forwards also overwrite the running statistics: measure them last.
    double trainModeMixed = trainModeAccuracy(net, d.xVal(), yv, shuffled, 10);
    double trainModeSorted = trainModeAccuracy(net, d.xVal(), yv, sorted, 10);
    ctx.say(
        "  eval mode %.3f; train mode, batches of 10 mixed %.3f, of one class %.3f",
        evalAcc, trainModeMixed, trainModeSorted);

    // Part 2: the same net trained with batches of 2.
    LabNet net2 = net(d.features(), d.numClasses(), ctx.seed());
    LabContext.Trained t2 = ctx.train("batch 2", net2, d, options(2, epochs, ctx.seed()));
    double acc2 = Stats.accuracy(d.yVal(), Stats.argmax(net2.loss(d.xVal())));

    // Part 3: batch size 1 in train mode has no batch statistics; handgrad says so.
    String batchOfOne;
    try {
      net(d.features(), d.numClasses(), ctx.seed())
          .loss(d.xTrain().slice(0, 0, 1).contiguous(), new int[] {d.yTrain()[0]});
      batchOfOne = "(no error)";
    } catch (IllegalArgumentException e) {
      batchOfOne = e.getMessage();
    }

    List<Plots.Series> curves = new ArrayList<>();
    curves.add(Plots.Series.of("batch 64", toArray(t64.valAcc())));
    curves.add(Plots.Series.of("batch 2", toArray(t2.valAcc())));
    Plots.save(
        Plots.lines(
            "BatchNorm net: validation accuracy (eval mode) by training batch size",
            "epoch",
            "val accuracy",
            curves,
            false,
            true,
            1000,
            460),
        ctx.file("batch-size.png"));
    Plots.bars(
        "Validation accuracy by how BatchNorm runs at test time, and by training batch size",
        "val accuracy",
        List.of(
            "batch 64, eval mode",
            "batch 64, train mode, mixed batches",
            "batch 64, train mode, one-class batches",
            "batch 2, eval mode"),
        new double[] {evalAcc, trainModeMixed, trainModeSorted, acc2},
        ctx.file("eval-mode.png"));

    s.number("eval_mode_acc", evalAcc);
    s.number("train_mode_mixed_batches_acc", trainModeMixed);
    s.number("train_mode_one_class_batches_acc", trainModeSorted);
    s.number("batch64_val_acc", evalAcc);
    s.number("batch2_val_acc", acc2);
    s.number("batch1_error", batchOfOne);
    double chance = 1.0 / d.numClasses();
    s.check(
        "Left in train mode at test time, BatchNorm makes predictions depend on the batch: on"
            + " batches of one class accuracy collapses",
        String.format(
            Locale.ROOT,
            "eval mode %s; train mode on mixed batches of 10 %s, on one-class batches of 10 %s"
                + " (chance %s)",
            fmt(evalAcc),
            fmt(trainModeMixed),
            fmt(trainModeSorted),
            fmt(chance)),
        trainModeSorted < evalAcc - 0.2);
    s.check(
        "BatchNorm trained with batches of 2 is worse than with batches of 64",
        String.format(Locale.ROOT, "val acc (eval mode) %s vs %s", fmt(acc2), fmt(evalAcc)),
        acc2 < evalAcc);
    s.check(
        "With a batch of 1 there is no batch variance: train-mode BatchNorm cannot run",
        "`" + batchOfOne + "`",
        batchOfOne.contains("more than one value"));

    s.text(
        "A net with two (Linear, BatchNorm, ReLU) blocks of width "
            + HIDDEN
            + " is trained with Adam (lr 1e-3) for "
            + epochs
            + " epochs with batches of 64, then evaluated on the validation set in eval mode"
            + " (running statistics) and in train mode on batches of 10, once shuffled and once"
            + " sorted by class. The same net is trained again with batches of 2 for the same"
            + " number of epochs.");
    s.table(
        List.of("evaluation", "val accuracy"),
        List.of(
            List.of("eval mode (running statistics)", fmt(evalAcc)),
            List.of("train mode, mixed batches of 10", fmt(trainModeMixed)),
            List.of("train mode, one-class batches of 10", fmt(trainModeSorted)),
            List.of("trained with batch 2, eval mode", fmt(acc2))));
    s.figure(
        "eval-mode.png", "The same net evaluated three ways, and the net trained with batch 2");
    s.figure("batch-size.png", "Batch size 2 vs 64");
  }

  private static double[] toArray(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
