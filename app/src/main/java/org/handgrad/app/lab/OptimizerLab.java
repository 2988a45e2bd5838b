package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.handgrad.app.report.Charts;
import org.handgrad.app.report.Plots;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;

/**
 * The update rules of the notes ("Parameter updates") on one net from one initialization: vanilla
 * SGD, momentum, Nesterov momentum, RMSProp, Adam and AdamW, each at the learning rate CS231n's
 * assignment 2 uses for it. The notes' conclusion: momentum and the adaptive methods reduce the
 * loss much faster than vanilla SGD; Adam is the recommended default.
 */
final class OptimizerLab implements Lab {
  /** Update rule and its learning rate (assignment 2's choices). */
  static final Map<String, Double> RULES = new LinkedHashMap<>();

  static {
    RULES.put("sgd", 1e-2);
    RULES.put("sgd_momentum", 1e-2);
    RULES.put("nesterov", 1e-2);
    RULES.put("rmsprop", 1e-4);
    RULES.put("adam", 1e-3);
    RULES.put("adamw", 1e-3);
  }

  @Override
  public String name() {
    return "optimizers";
  }

  @Override
  public String description() {
    return "SGD, momentum, Nesterov, RMSProp, Adam and AdamW loss curves on the same net";
  }

  /** A 5-layer ReLU net of width 100, identical for every rule (same seed). */
  static LabNet net(int inputs, int classes, long seed) {
    RandomGenerator rng = Init.rng(seed);
    WeightInit w = WeightInit.normal(5e-2); // assignment 2's weight_scale for this comparison
    Sequential s = new Sequential();
    int in = inputs;
    for (int l = 0; l < 4; l++) {
      s.add(new Linear(in, 100, true, DType.FLOAT32, w, rng));
      s.add(new ReLU());
      in = 100;
    }
    s.add(new Linear(in, classes, true, DType.FLOAT32, w, rng));
    return new LabNet(s);
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    int epochs = quick ? 3 : 10;
    LabData d = ctx.data(quick ? 2000 : 10_000, 1000);
    LabSummary s = ctx.summary();
    ctx.say("5-layer ReLU net, width 100, weight scale 5e-2, batch 100, %d epochs:", epochs);
    List<Plots.Series> losses = new ArrayList<>();
    List<Plots.Series> accs = new ArrayList<>();
    List<List<String>> rows = new ArrayList<>();
    Map<String, Double> finalLoss = new LinkedHashMap<>();
    for (Map.Entry<String, Double> r : RULES.entrySet()) {
      SolverOptions options =
          SolverOptions.builder()
              .updateRule(r.getKey(), Map.of("learning_rate", r.getValue()))
              .batchSize(100)
              .numEpochs(epochs)
              .numTrainSamples(1000)
              .seed(ctx.seed())
              .verbose(false)
              .build();
      LabContext.Trained t =
          ctx.train(r.getKey(), net(d.features(), d.numClasses(), ctx.seed()), d, options);
      int window = Math.max(1, t.loss().size() / 25) | 1;
      losses.add(Plots.Series.of(r.getKey(), Charts.movingAverage(t.loss(), window)));
      accs.add(Plots.Series.of(r.getKey(), t.valAcc().stream().mapToDouble(v -> v).toArray()));
      // Over the last epoch: one iteration's loss is noisy.
      double last = t.finalLoss(Math.max(1, t.loss().size() / epochs));
      finalLoss.put(r.getKey(), last);
      rows.add(
          List.of(
              r.getKey(),
              fmt(r.getValue()),
              fmt(last),
              fmt(t.finalTrainAcc()),
              fmt(t.finalValAcc())));
      s.number(r.getKey() + "_final_loss", last);
      s.number(r.getKey() + "_val_acc", t.finalValAcc());
    }
    Plots.save(
        Plots.lines(
            "Training loss (moving average) by update rule, same net and initialization",
            "iteration",
            "loss",
            losses,
            false,
            false,
            1000,
            480),
        ctx.file("loss.png"));
    Plots.save(
        Plots.lines(
            "Validation accuracy by update rule",
            "epoch",
            "val accuracy",
            accs,
            false,
            true,
            1000,
            480),
        ctx.file("val-accuracy.png"));
    double sgd = finalLoss.get("sgd");
    s.check(
        "Momentum (and Nesterov) reduce the loss faster than vanilla SGD at the same learning rate",
        String.format(
            Locale.ROOT,
            "last-epoch loss: sgd %s, momentum %s, nesterov %s",
            fmt(sgd),
            fmt(finalLoss.get("sgd_momentum")),
            fmt(finalLoss.get("nesterov"))),
        finalLoss.get("sgd_momentum") < sgd && finalLoss.get("nesterov") < sgd);
    s.check(
        "The adaptive methods (RMSProp, Adam, AdamW) reduce the loss faster than vanilla SGD",
        String.format(
            Locale.ROOT,
            "last-epoch loss: rmsprop %s, adam %s, adamw %s vs sgd %s",
            fmt(finalLoss.get("rmsprop")),
            fmt(finalLoss.get("adam")),
            fmt(finalLoss.get("adamw")),
            fmt(sgd)),
        finalLoss.get("rmsprop") < sgd
            && finalLoss.get("adam") < sgd
            && finalLoss.get("adamw") < sgd);
    s.text(
        "One 5-layer ReLU net (width 100, weights N(0, 0.05^2) as in assignment 2's optimizer"
            + " comparison) is trained from the same initialization and minibatch order with each"
            + " rule at the learning rate assignment 2 uses for it, for "
            + epochs
            + " epochs of batch 100.");
    s.table(
        List.of("update rule", "learning rate", "last-epoch loss", "train acc", "val acc"), rows);
    s.figure("loss.png", "Training loss by update rule");
    s.figure("val-accuracy.png", "Validation accuracy by update rule");
  }
}
