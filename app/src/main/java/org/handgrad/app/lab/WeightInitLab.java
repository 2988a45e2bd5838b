package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.handgrad.app.report.Plots;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.knowm.xchart.XYChart;

/**
 * Weight initialization in a deep ReLU net (CS231n notes, "Weight Initialization", and the
 * assignment 2 debug handbook): with weights drawn at a fixed small scale the activations shrink
 * layer by layer to nothing, at scale 1.0 they blow up and training stays at chance, zero weights
 * keep every unit of a layer identical forever, and He's std = sqrt(2 / fan_in) (He et al. 2015,
 * "Delving Deep into Rectifiers") keeps the scale of the signal through the layers, so the net
 * trains. Xavier's sqrt(1 / fan_in)-like scale (Glorot and Bengio 2010) ignores the ReLU's halving
 * and shrinks it slowly.
 */
final class WeightInitLab implements Lab {
  /** Hidden layers: deep enough for the per-layer factors to compound. */
  static final int DEPTH = 8;

  /** The arms, in plot order. */
  static final List<String> ARMS = List.of("zero", "0.01", "1.0", "xavier", "he");

  @Override
  public String name() {
    return "weight-init";
  }

  @Override
  public String description() {
    return "zero, 0.01, 1.0, Xavier and He initialization of an 8-layer ReLU net: per-layer"
        + " activation and gradient histograms, and accuracy";
  }

  private static WeightInit init(String arm) {
    return switch (arm) {
      case "zero" -> WeightInit.normal(0.0);
      case "0.01" -> WeightInit.normal(0.01);
      case "1.0" -> WeightInit.normal(1.0);
      case "xavier" -> WeightInit.xavier();
      case "he" -> WeightInit.kaiming();
      default -> throw new IllegalArgumentException("weight-init lab: unknown arm " + arm);
    };
  }

  /**
   * The net: DEPTH x (Linear, tap, ReLU), then the class scores; every Linear initialized the arm's
   * way. The taps sit on the pre-activations, whose scale is what the initialization sets.
   */
  static LabNet net(
      String arm, int inputs, int width, int classes, long seed, List<LabNet.Tap> taps) {
    RandomGenerator rng = Init.rng(seed);
    WeightInit w = init(arm);
    Sequential s = new Sequential();
    int in = inputs;
    for (int l = 0; l < DEPTH; l++) {
      s.add("fc" + (l + 1), new Linear(in, width, true, DType.FLOAT32, w, rng));
      LabNet.Tap tap = new LabNet.Tap();
      taps.add(tap);
      s.add("tap" + (l + 1), tap);
      s.add("relu" + (l + 1), new ReLU());
      in = width;
    }
    s.add("scores", new Linear(in, classes, true, DType.FLOAT32, w, rng));
    return new LabNet(s);
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    int width = quick ? 128 : 256;
    int epochs = quick ? 3 : 10;
    LabData d = ctx.data(quick ? 2000 : 10_000, 1000);
    LabSummary s = ctx.summary();
    Tensor probeX = d.xTrain().slice(0, 0, 500).contiguous();
    int[] probeY = java.util.Arrays.copyOf(d.yTrain(), 500);

    List<Plots.Series> actStd = new ArrayList<>();
    List<Plots.Series> gradStd = new ArrayList<>();
    List<XYChart> actHist = new ArrayList<>();
    List<XYChart> gradHist = new ArrayList<>();
    List<Plots.Series> valCurves = new ArrayList<>();
    List<List<String>> rows = new ArrayList<>();
    double[] ratio = new double[ARMS.size()];
    double[] acc = new double[ARMS.size()];
    double[] spread = new double[ARMS.size()];
    boolean[] diverged = new boolean[ARMS.size()];
    ctx.say("8-layer ReLU net, width %d, SGD+momentum lr 1e-2, %d epochs:", width, epochs);
    for (int a = 0; a < ARMS.size(); a++) {
      String arm = ARMS.get(a);
      List<LabNet.Tap> taps = new ArrayList<>();
      LabNet net = net(arm, d.features(), width, d.numClasses(), ctx.seed(), taps);
      // One forward-backward at initialization: the statistics of the notes' plots.
      net.loss(probeX, probeY);
      double[] as = new double[DEPTH];
      double[] gs = new double[DEPTH];
      List<Plots.Series> ah = new ArrayList<>();
      List<Plots.Series> gh = new ArrayList<>();
      double aRange = 0;
      double gRange = 0;
      for (int l = 0; l < DEPTH; l++) {
        as[l] = Stats.std(taps.get(l).activation());
        gs[l] = Stats.std(taps.get(l).gradient());
        aRange = Math.max(aRange, 3 * as[l]);
        gRange = Math.max(gRange, 3 * gs[l]);
      }
      aRange = aRange > 0 && Double.isFinite(aRange) ? aRange : 1;
      gRange = gRange > 0 && Double.isFinite(gRange) ? gRange : 1;
      for (int l = 0; l < DEPTH; l += DEPTH / 4) {
        double[][] h = Stats.histogram(taps.get(l).activation(), -aRange, aRange, 41);
        ah.add(new Plots.Series("layer " + (l + 1), h[0], h[1]));
        double[][] g = Stats.histogram(taps.get(l).gradient(), -gRange, gRange, 41);
        gh.add(new Plots.Series("layer " + (l + 1), g[0], g[1]));
      }
      ah.add(lastLayer(taps, true, aRange));
      gh.add(lastLayer(taps, false, gRange));
      actHist.add(Plots.lines(arm, "pre-activation", "fraction", ah, false, false, 520, 300));
      gradHist.add(Plots.lines(arm, "gradient", "fraction", gh, false, false, 520, 300));
      actStd.add(Plots.Series.of(arm, floor(as)));
      gradStd.add(Plots.Series.of(arm, floor(gs)));
      ratio[a] = as[DEPTH - 1] / as[0];

      SolverOptions options =
          SolverOptions.builder()
              .updateRule("sgd_momentum", Map.of("learning_rate", 1e-2))
              .batchSize(100)
              .numEpochs(epochs)
              .numTrainSamples(1000)
              .seed(ctx.seed())
              .verbose(false)
              .build();
      LabContext.Trained t = ctx.train(arm, net, d, options);
      diverged[a] = t.diverged() != null;
      acc[a] = Stats.accuracy(d.yVal(), Stats.argmax(net.loss(d.xVal())));
      spread[a] = unitSpread(net.parameters().get(0).value());
      if (!t.valAcc().isEmpty()) {
        valCurves.add(Plots.Series.of(arm, t.valAcc().stream().mapToDouble(v -> v).toArray()));
      }
      rows.add(
          List.of(
              arm,
              fmt(as[0]),
              fmt(as[DEPTH - 1]),
              fmt(gs[0]),
              fmt(gs[DEPTH - 1]),
              diverged[a] ? "NaN at it. " + t.diverged().iteration() : fmt(t.finalLoss(10)),
              fmt(acc[a]),
              fmt(spread[a])));
      s.number(arm + "_act_std_first", as[0]);
      s.number(arm + "_act_std_last", as[DEPTH - 1]);
      s.number(arm + "_grad_std_first", gs[0]);
      s.number(arm + "_grad_std_last", gs[DEPTH - 1]);
      s.number(arm + "_val_acc", acc[a]);
      s.number(arm + "_diverged", diverged[a]);
      s.number(arm + "_unit_spread_layer1", spread[a]);
    }

    Plots.save(
        Plots.lines(
            "Std of the pre-activations per layer, at initialization (0 drawn at 1e-12)",
            "layer",
            "std",
            shiftToLayers(actStd),
            true,
            true,
            1000,
            480),
        ctx.file("activation-std.png"));
    Plots.save(
        Plots.lines(
            "Std of dL/d(pre-activation) per layer, at initialization (0 drawn at 1e-12)",
            "layer",
            "std",
            shiftToLayers(gradStd),
            true,
            true,
            1000,
            480),
        ctx.file("gradient-std.png"));
    Plots.grid(
        actHist,
        3,
        "Pre-activation histograms at initialization, per init",
        ctx.file("activation-histograms.png"));
    Plots.grid(
        gradHist,
        3,
        "Gradient histograms at initialization, per init",
        ctx.file("gradient-histograms.png"));
    if (!valCurves.isEmpty()) {
      Plots.save(
          Plots.lines(
              "Validation accuracy (check 0 = after the first iteration)",
              "epoch",
              "val accuracy",
              valCurves,
              false,
              true,
              1000,
              480),
          ctx.file("val-accuracy.png"));
    }

    int zero = ARMS.indexOf("zero");
    int small = ARMS.indexOf("0.01");
    int big = ARMS.indexOf("1.0");
    int xavier = ARMS.indexOf("xavier");
    int he = ARMS.indexOf("he");
    double chance = 1.0 / d.numClasses();
    s.check(
        "He initialization keeps the activation scale through 8 ReLU layers and trains",
        String.format(
            java.util.Locale.ROOT,
            "std ratio last/first layer %s; val acc %s (chance %s)",
            fmt(ratio[he]),
            fmt(acc[he]),
            fmt(chance)),
        ratio[he] > 0.1 && ratio[he] < 10 && acc[he] > 4 * chance);
    s.check(
        "Weight scale 1.0: activations explode and accuracy stays near chance",
        String.format(
            java.util.Locale.ROOT,
            "std ratio last/first %s; val acc %s%s",
            fmt(ratio[big]),
            fmt(acc[big]),
            diverged[big] ? " (loss went NaN)" : ""),
        ratio[big] > 1e3 && acc[big] < 2 * chance);
    s.check(
        "Small weights (0.01): activations collapse toward zero with depth",
        "std ratio last/first layer " + fmt(ratio[small]),
        ratio[small] < 1e-3);
    s.check(
        "Zero initialization keeps symmetry: every unit of a layer stays identical, no learning",
        "largest difference between two units' incoming weights after training "
            + fmt(spread[zero])
            + "; val acc "
            + fmt(acc[zero]),
        spread[zero] == 0 && acc[zero] < 2 * chance);
    s.check(
        "Xavier's scale ignores the ReLU's halving: the signal shrinks with depth faster than with He",
        "std ratio last/first " + fmt(ratio[xavier]) + " (He: " + fmt(ratio[he]) + ")",
        ratio[xavier] < ratio[he]);

    s.text(
        "An "
            + DEPTH
            + "-layer ReLU net of width "
            + width
            + " is initialized five ways. One forward and backward pass on 500 training images at"
            + " initialization gives the per-layer statistics; then each net trains for "
            + epochs
            + " epochs with SGD + momentum (lr 1e-2, batch 100). \"unit spread\" is the largest"
            + " difference between the incoming weights of two units of the first layer after"
            + " training: 0 means the units are still copies of each other.");
    s.table(
        List.of(
            "init",
            "act std layer 1",
            "act std layer " + DEPTH,
            "grad std layer 1",
            "grad std layer " + DEPTH,
            "final loss",
            "val acc",
            "unit spread"),
        rows);
    s.figure("activation-std.png", "Activation scale per layer at initialization");
    s.figure("gradient-std.png", "Gradient scale per layer at initialization");
    s.figure("activation-histograms.png", "Pre-activation histograms per layer");
    s.figure("gradient-histograms.png", "Gradient histograms per layer");
    if (!valCurves.isEmpty()) {
      s.figure("val-accuracy.png", "Validation accuracy while training");
    }
  }

  private static Plots.Series lastLayer(List<LabNet.Tap> taps, boolean activation, double range) {
    LabNet.Tap t = taps.get(DEPTH - 1);
    double[][] h = Stats.histogram(activation ? t.activation() : t.gradient(), -range, range, 41);
    return new Plots.Series("layer " + DEPTH, h[0], h[1]);
  }

  /** Largest |W[:, j] - W[:, 0]| over units j: 0 when all units are the same function. */
  static double unitSpread(Tensor w) {
    int rows = w.shape(0);
    int cols = w.shape(1);
    double[] v = w.toDoubleArray();
    double m = 0;
    for (int i = 0; i < rows; i++) {
      for (int j = 1; j < cols; j++) {
        m = Math.max(m, Math.abs(v[i * cols + j] - v[i * cols]));
      }
    }
    return m;
  }

  /** Floors zeros (and non-finite values) for a log axis; the titles say so. */
  private static double[] floor(double[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] > 1e-12 && Double.isFinite(v[i]) ? v[i] : 1e-12;
    }
    return out;
  }

  /** Layers are numbered from 1 on the plots. */
  private static List<Plots.Series> shiftToLayers(List<Plots.Series> series) {
    List<Plots.Series> out = new ArrayList<>();
    for (Plots.Series c : series) {
      double[] x = new double[c.x().length];
      for (int i = 0; i < x.length; i++) {
        x[i] = c.x()[i] + 1;
      }
      out.add(new Plots.Series(c.name(), x, c.y()));
    }
    return out;
  }
}
