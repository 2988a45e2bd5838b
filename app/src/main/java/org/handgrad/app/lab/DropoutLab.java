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
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.Dropout;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;

/**
 * Dropout as a regularizer (CS231n notes "Regularization: Dropout", assignment 2's {@code
 * Dropout.ipynb}; Srivastava et al. 2014). The assignment trains the same net on 500 examples with
 * and without dropout and asks what the train and validation accuracies say: without dropout the
 * net memorises its small training set (train accuracy far above validation), with dropout the gap
 * between the two shrinks. {@code p} is the KEEP probability, as in CS231n.
 */
final class DropoutLab implements Lab {
  @Override
  public String name() {
    return "dropout";
  }

  @Override
  public String description() {
    return "train/validation gap of a net on a small training set, without dropout and at"
        + " several keep probabilities";
  }

  /** Linear, ReLU, Dropout(p), Linear, ReLU, Dropout(p), Linear; p = 1 is the plain net. */
  static LabNet net(int inputs, int hidden, int classes, double keep, long seed) {
    RandomGenerator rng = Init.rng(seed);
    WeightInit he = WeightInit.kaiming();
    Sequential s = new Sequential();
    s.add(new Linear(inputs, hidden, true, DType.FLOAT32, he, rng));
    s.add(new ReLU());
    s.add(new Dropout(keep, seed + 1));
    s.add(new Linear(hidden, hidden, true, DType.FLOAT32, he, rng));
    s.add(new ReLU());
    s.add(new Dropout(keep, seed + 2));
    s.add(new Linear(hidden, classes, true, DType.FLOAT32, he, rng));
    return new LabNet(s);
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    int numTrain = 500; // the assignment's small training set: small enough to memorise
    int hidden = quick ? 256 : 512;
    int epochs = quick ? 15 : 40;
    double[] keeps = quick ? new double[] {1.0, 0.5, 0.25} : new double[] {1.0, 0.75, 0.5, 0.25};
    LabData d = ctx.data(numTrain, 1000);
    LabSummary s = ctx.summary();
    ctx.say(
        "2 hidden layers of %d, %d training examples, Adam lr 5e-4, batch 100, %d epochs:",
        hidden, numTrain, epochs);
    List<Plots.Series> trainCurves = new ArrayList<>();
    List<Plots.Series> valCurves = new ArrayList<>();
    List<List<String>> rows = new ArrayList<>();
    List<String> names = new ArrayList<>();
    double[] gaps = new double[keeps.length];
    double[] vals = new double[keeps.length];
    double[] trains = new double[keeps.length];
    for (int i = 0; i < keeps.length; i++) {
      double p = keeps[i];
      String label = p == 1.0 ? "no dropout" : "keep p = " + p;
      SolverOptions options =
          SolverOptions.builder()
              .updateRule("adam", Map.of("learning_rate", 5e-4))
              .batchSize(100)
              .numEpochs(epochs)
              .numTrainSamples(null) // the whole (small) training set
              .seed(ctx.seed())
              .verbose(false)
              .build();
      LabContext.Trained t =
          ctx.train(label, net(d.features(), hidden, d.numClasses(), p, ctx.seed()), d, options);
      // The Solver measures both accuracies in eval mode (dropout off), as CS231n's check_accuracy.
      trains[i] = t.finalTrainAcc();
      vals[i] = t.finalValAcc();
      gaps[i] = trains[i] - vals[i];
      names.add(label);
      trainCurves.add(Plots.Series.of(label + " (train)", toArray(t.trainAcc())));
      valCurves.add(Plots.Series.of(label + " (val)", toArray(t.valAcc())));
      String key = "keep_" + p;
      s.number(key + "_train_acc", trains[i]);
      s.number(key + "_val_acc", vals[i]);
      s.number(key + "_gap", gaps[i]);
      rows.add(List.of(label, fmt(trains[i]), fmt(vals[i]), fmt(gaps[i])));
    }
    List<Plots.Series> curves = new ArrayList<>();
    for (int i = 0; i < keeps.length; i++) {
      curves.add(trainCurves.get(i));
      curves.add(valCurves.get(i));
    }
    Plots.save(
        Plots.lines(
            "Train and validation accuracy per epoch, by dropout keep probability",
            "epoch",
            "accuracy",
            curves,
            false,
            true,
            1000,
            500),
        ctx.file("accuracy.png"));
    Plots.bars(
        "Train minus validation accuracy at the end (the overfitting gap)",
        "train acc - val acc",
        names,
        gaps,
        ctx.file("gap.png"));

    int last = keeps.length - 1; // the strongest dropout
    s.check(
        "Without dropout a net memorises a small training set: train accuracy far above"
            + " validation accuracy (a gap of more than 0.1)",
        String.format(
            Locale.ROOT, "train %s, val %s, gap %s", fmt(trains[0]), fmt(vals[0]), fmt(gaps[0])),
        gaps[0] > 0.1);
    s.check(
        "Dropout regularizes: at the smallest keep probability the train/validation gap is"
            + " smaller than without dropout",
        String.format(
            Locale.ROOT,
            "gap %s without dropout, %s at keep p = %s",
            fmt(gaps[0]),
            fmt(gaps[last]),
            fmt(keeps[last])),
        gaps[last] < gaps[0]);
    double bestVal = vals[0];
    int best = 0;
    for (int i = 1; i < keeps.length; i++) {
      if (vals[i] > bestVal) {
        bestVal = vals[i];
        best = i;
      }
    }
    s.check(
        "With dropout the validation accuracy is at least as high as without: the gap closes"
            + " from the training side, not by losing accuracy on unseen data",
        String.format(
            Locale.ROOT,
            "val acc %s without dropout, best with dropout %s (keep p = %s)",
            fmt(vals[0]),
            fmt(maxFrom(vals, 1)),
            fmt(keeps[argmaxFrom(vals, 1)])),
        maxFrom(vals, 1) >= vals[0]);
    s.number("best_keep", keeps[best]);
    s.text(
        "The same net (two hidden layers of "
            + hidden
            + " ReLU units, a dropout layer after each) is trained from the same initialization on"
            + " the first "
            + numTrain
            + " training images, as in assignment 2's dropout experiment, with Adam (lr 5e-4,"
            + " batch 100) for "
            + epochs
            + " epochs, at each keep probability p (CS231n's p is the probability of KEEPING a"
            + " unit; PyTorch's nn.Dropout takes the drop probability 1 - p). Accuracies are"
            + " measured in eval mode, where inverted dropout is the identity.");
    s.table(List.of("dropout", "train acc", "val acc", "gap"), rows);
    s.figure("gap.png", "The overfitting gap by keep probability");
    s.figure("accuracy.png", "Train and validation accuracy per epoch");
  }

  private static double maxFrom(double[] v, int from) {
    return v[argmaxFrom(v, from)];
  }

  private static int argmaxFrom(double[] v, int from) {
    int best = from;
    for (int i = from + 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  private static double[] toArray(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
