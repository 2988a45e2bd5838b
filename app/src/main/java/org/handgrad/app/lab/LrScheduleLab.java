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
import org.handgrad.optim.LrSchedule;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;

/**
 * Learning-rate schedules (CS231n notes "Annealing the learning rate"; Loshchilov and Hutter 2017
 * for cosine; Goyal et al. 2017 for warm-up). The notes: with a constant rate the loss stops
 * falling at a level set by the rate ("the system has too much kinetic energy"), and decaying it,
 * in steps or along a cosine, lets the loss settle lower. Warm-up starts small so that the large
 * early gradients of a fresh net do not kick it into a bad region.
 */
final class LrScheduleLab implements Lab {
  /** The base learning rate: large enough that a constant rate keeps the loss noisy. */
  static final double BASE_LR = 0.1;

  /** A rate too high for a cold start of this net, for the warm-up experiment. */
  static final double HIGH_LR = 0.3;

  /** Length of the warm-up ramp, in iterations, the same in the quick and the full run. */
  static final int WARM_UP_STEPS = 100;

  @Override
  public String name() {
    return "lr-schedules";
  }

  @Override
  public String description() {
    return "constant, step, cosine and warm-up + cosine learning rates: loss curves on the same"
        + " net";
  }

  /** Three hidden ReLU layers of width 256, He initialization, identical for every arm. */
  static LabNet net(int inputs, int classes, long seed) {
    RandomGenerator rng = Init.rng(seed);
    WeightInit he = WeightInit.kaiming();
    Sequential s = new Sequential();
    int in = inputs;
    for (int l = 0; l < 3; l++) {
      s.add(new Linear(in, 256, true, DType.FLOAT32, he, rng));
      s.add(new ReLU());
      in = 256;
    }
    s.add(new Linear(in, classes, true, DType.FLOAT32, he, rng));
    return new LabNet(s);
  }

  /**
   * The schedules compared, per iteration over a run of {@code total} iterations.
   *
   * @param total iterations of the run
   */
  static Map<String, LrSchedule> schedules(int total) {
    Map<String, LrSchedule> m = new LinkedHashMap<>();
    m.put("constant", new LrSchedule.Constant(BASE_LR));
    // One decay by 10x at half-time (PyTorch StepLR with step_size = total / 2).
    m.put("step (x0.1 at half-time)", new LrSchedule.StepDecay(BASE_LR, (total + 1) / 2, 0.1));
    m.put("cosine", new LrSchedule.Cosine(BASE_LR, 0.0, total));
    int warm = Math.max(1, total / 10);
    m.put(
        "warm-up 10% + cosine",
        new LrSchedule.WarmUp(warm, 0.01, new LrSchedule.Cosine(BASE_LR, 0.0, total - warm)));
    return m;
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    int epochs = quick ? 4 : 15;
    int batch = 100;
    LabData d = ctx.data(quick ? 2000 : 10_000, 1000);
    int total = epochs * Math.max(1, d.yTrain().length / batch);
    LabSummary s = ctx.summary();
    ctx.say(
        "3 x 256 ReLU net, SGD + momentum 0.9, base lr %s, batch %d, %d epochs (%d iterations):",
        fmt(BASE_LR), batch, epochs, total);
    Map<String, LrSchedule> schedules = schedules(total);
    List<Plots.Series> lrCurves = new ArrayList<>();
    List<Plots.Series> lossCurves = new ArrayList<>();
    List<List<String>> rows = new ArrayList<>();
    Map<String, Double> lastLoss = new LinkedHashMap<>();
    for (Map.Entry<String, LrSchedule> e : schedules.entrySet()) {
      SolverOptions options =
          SolverOptions.builder()
              .updateRule("sgd_momentum", Map.of("learning_rate", BASE_LR, "momentum", 0.9))
              .lrSchedule(e.getValue())
              .batchSize(batch)
              .numEpochs(epochs)
              .numTrainSamples(1000)
              .seed(ctx.seed())
              .verbose(false)
              .build();
      LabContext.Trained t =
          ctx.train(e.getKey(), net(d.features(), d.numClasses(), ctx.seed()), d, options);
      double[] lr = new double[total];
      for (int i = 0; i < total; i++) {
        lr[i] = e.getValue().lr(i);
      }
      lrCurves.add(Plots.Series.of(e.getKey(), lr));
      int window = Math.max(1, t.loss().size() / 30) | 1;
      lossCurves.add(Plots.Series.of(e.getKey(), Charts.movingAverage(t.loss(), window)));
      // The last epoch's mean: one minibatch's loss is too noisy to rank schedules by.
      double last = t.diverged() != null ? Double.NaN : t.finalLoss(total / epochs);
      lastLoss.put(e.getKey(), last);
      String key = e.getKey().split(" ")[0];
      s.number(key + "_final_loss", last);
      s.number(key + "_val_acc", t.finalValAcc());
      rows.add(List.of(e.getKey(), fmt(last), fmt(t.finalValAcc())));
    }
    Plots.save(
        Plots.lines(
            "Learning rate per iteration",
            "iteration",
            "learning rate",
            lrCurves,
            false,
            false,
            1000,
            400),
        ctx.file("schedules.png"));
    Plots.save(
        Plots.lines(
            "Training loss (moving average) by schedule, same net and minibatches",
            "iteration",
            "loss",
            lossCurves,
            false,
            false,
            1000,
            480),
        ctx.file("loss.png"));

    double constant = lastLoss.get("constant");
    double step = lastLoss.get("step (x0.1 at half-time)");
    double cosine = lastLoss.get("cosine");
    s.check(
        "Annealing the learning rate (step decay or cosine) ends at a lower loss than keeping it"
            + " constant",
        String.format(
            Locale.ROOT,
            "last-epoch loss: constant %s, step %s, cosine %s",
            fmt(constant),
            fmt(step),
            fmt(cosine)),
        step < constant && cosine < constant);
    WarmUpResult w = warmUpExperiment(ctx, d, HIGH_LR, batch);
    s.number("cold_diverged", w.coldDiverged());
    s.number("warm_diverged", w.warmDiverged());
    s.number("warm_jump", w.warmJump());
    s.number("cold_final_loss", w.coldFinal());
    s.number("warm_final_loss", w.warmFinal());
    s.check(
        "Warm-up lets a net reach a rate that a cold start cannot take: at lr "
            + fmt(HIGH_LR)
            + " the full rate from the first update diverges, a linear ramp from 1% gets"
            + " through the same iterations",
        String.format(
            Locale.ROOT,
            "without warm-up: %s; with warm-up: %s (loss %s at the end, largest loss %s x the"
                + " first)",
            w.coldDiverged() ? "diverged" : "no divergence, loss " + fmt(w.coldFinal()),
            w.warmDiverged() ? "diverged" : "no divergence",
            fmt(w.warmFinal()),
            fmt(w.warmJump())),
        w.coldDiverged() && !w.warmDiverged());
    s.text(
        "The same 3-layer ReLU net (width 256, He initialization) is trained from the same"
            + " initialization and minibatch order with SGD + momentum 0.9 at base rate "
            + fmt(BASE_LR)
            + " for "
            + epochs
            + " epochs of batch "
            + batch
            + ", the rate set per iteration by each schedule. Step decay divides it by 10 at"
            + " half-time (PyTorch StepLR); cosine anneals it to 0 (SGDR without"
            + " restarts); warm-up ramps it linearly from 1% over the first 10% of the"
            + " iterations, then follows the cosine.");
    s.table(List.of("schedule", "last-epoch loss", "val acc"), rows);
    s.figure("schedules.png", "The learning rate of each schedule");
    s.figure("loss.png", "Training loss by schedule");
    s.heading("Warm-up at a high learning rate");
    s.text(
        "The same net and minibatches at lr "
            + fmt(HIGH_LR)
            + " for "
            + w.window()
            + " iterations: once at the full rate from the first update, once with a linear"
            + " warm-up from 1% over those iterations (Goyal et al. ramp over 5 epochs)."
            + " The jump is the largest loss of iterations 1.."
            + w.window()
            + " divided by the loss of iteration 0 (above 1: the loss went up; infinite: it"
            + " diverged). The ramp is long on purpose: ramped over 20 iterations to lr 0.5 the"
            + " net got through, over 100 it diverged at iteration 83 (lr 0.41): lr 0.5 is"
            + " beyond what this net can take even warmed up, and a short ramp only hides it.");
    s.table(
        List.of("run", "jump", "loss at the end"),
        List.of(
            List.of("no warm-up", fmt(w.coldJump()), fmt(w.coldFinal())),
            List.of("warm-up", fmt(w.warmJump()), fmt(w.warmFinal()))));
    s.figure("warm-up.png", "The first iterations at a high rate, with and without warm-up");
  }

  /**
   * What the first iterations at a high rate did.
   *
   * @param window iterations watched (the warm-up's length)
   * @param coldJump largest loss of iterations 1..window over the loss of iteration 0, full rate
   * @param warmJump the same with the warm-up
   * @param coldFinal mean loss of the last 5 iterations, full rate (NaN when it diverged: the
   *     Solver stops at the first non-finite loss)
   * @param warmFinal the same with the warm-up
   */
  record WarmUpResult(
      int window, double coldJump, double warmJump, double coldFinal, double warmFinal) {
    /** Whether the full rate from the first update diverged. */
    boolean coldDiverged() {
      return Double.isNaN(coldFinal);
    }

    /** Whether the warmed-up run diverged. */
    boolean warmDiverged() {
      return Double.isNaN(warmFinal);
    }
  }

  /** Trains the net for one warm-up length at {@code lr}, with and without the ramp. */
  static WarmUpResult warmUpExperiment(LabContext ctx, LabData d, double lr, int batch)
      throws IOException {
    // Whole epochs covering the ramp: the quick run's 2,000 images give 20 iterations an epoch.
    int perEpoch = Math.max(1, d.yTrain().length / batch);
    int epochs = (WARM_UP_STEPS + perEpoch - 1) / perEpoch;
    int window = epochs * perEpoch;
    ctx.say("warm-up at lr %s, %d iterations:", fmt(lr), window);
    double[] jump = new double[2];
    double[] last = new double[2];
    List<Plots.Series> curves = new ArrayList<>();
    String[] labels = {"no warm-up", "linear warm-up from 1%"};
    for (int a = 0; a < 2; a++) {
      LrSchedule schedule =
          a == 0
              ? new LrSchedule.Constant(lr)
              : new LrSchedule.WarmUp(window, 0.01, new LrSchedule.Constant(lr));
      SolverOptions options =
          SolverOptions.builder()
              .updateRule("sgd_momentum", Map.of("learning_rate", lr, "momentum", 0.9))
              .lrSchedule(schedule)
              .batchSize(batch)
              .numEpochs(epochs)
              .numTrainSamples(1000)
              .seed(ctx.seed())
              .verbose(false)
              .build();
      LabContext.Trained t =
          ctx.train(labels[a], net(d.features(), d.numClasses(), ctx.seed()), d, options);
      List<Double> loss = t.loss();
      double max = Double.NEGATIVE_INFINITY;
      List<Double> finite = new ArrayList<>();
      for (int i = 0; i < loss.size(); i++) {
        double v = loss.get(i);
        if (i > 0) {
          max = Double.isFinite(v) ? Math.max(max, v) : Double.POSITIVE_INFINITY;
        }
        if (Double.isFinite(v)) {
          finite.add(v);
        }
      }
      if (t.diverged() != null) {
        max = Double.POSITIVE_INFINITY; // a NaN loss is the largest jump of all
      }
      jump[a] = max / loss.get(0);
      last[a] = t.diverged() != null ? Double.NaN : t.finalLoss(5);
      curves.add(Plots.Series.of(labels[a], finite.stream().mapToDouble(v -> v).toArray()));
    }
    Plots.save(
        Plots.lines(
            "First iterations at lr " + fmt(lr) + " (SGD + momentum 0.9)",
            "iteration",
            "loss",
            curves,
            true,
            false,
            1000,
            440),
        ctx.file("warm-up.png"));
    return new WarmUpResult(window, jump[0], jump[1], last[0], last[1]);
  }
}
