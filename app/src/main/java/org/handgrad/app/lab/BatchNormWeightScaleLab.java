package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.handgrad.app.report.Plots;
import org.handgrad.nn.Module;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.BatchNorm1d;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.knowm.xchart.XYChart;

/**
 * BatchNorm against the plain net across weight-initialization scales (CS231n assignment 2, "Batch
 * Normalization", the experiment on batch normalization and initialization; Ioffe and Szegedy
 * 2015). A deep fully-connected ReLU net initialized with {@code weight_scale * randn} only trains
 * in a narrow window of scales: below it the signal shrinks by about the same factor at every layer
 * and vanishes (and so does the gradient), above it the scores explode. With BatchNorm after every
 * hidden affine layer each layer's output is rescaled to zero mean and unit variance whatever its
 * weights' scale, so the same net trains over most of the range.
 *
 * <p>Each scale of a log-spaced grid trains both nets from the same seed (Adam, lr 1e-3, batch 50,
 * 1,000 training images); the lab plots the best validation accuracy and the final training loss
 * against the scale and counts the scales at which each net learns.
 */
final class BatchNormWeightScaleLab implements Lab {
  /** Hidden layers of the net: seven of width 50, deep enough for the scale to compound. */
  static final int[] HIDDEN = {50, 50, 50, 50, 50, 50, 50};

  /** A net "learns" at a scale when its best validation accuracy reaches this (chance: 0.1). */
  static final double LEARNS = 0.5;

  @Override
  public String name() {
    return "batchnorm-weight-scale";
  }

  @Override
  public String description() {
    return "BatchNorm vs the plain net across weight-initialization scales 1e-4 .. 1: where each"
        + " deep net trains";
  }

  /**
   * (Linear, [BatchNorm], ReLU) for each hidden width, then the scores, every weight drawn as
   * {@code scale * N(0, 1)} and every bias zero (CS231n's {@code FullyConnectedNet}).
   */
  static LabNet net(int inputs, int classes, double scale, boolean batchNorm, long seed) {
    RandomGenerator rng = Init.rng(seed);
    WeightInit init = WeightInit.normal(scale);
    List<Module> layers = new ArrayList<>();
    int in = inputs;
    for (int h : HIDDEN) {
      layers.add(new Linear(in, h, true, DType.FLOAT32, init, rng));
      if (batchNorm) {
        layers.add(new BatchNorm1d(h, DType.FLOAT32));
      }
      layers.add(new ReLU());
      in = h;
    }
    layers.add(new Linear(in, classes, true, DType.FLOAT32, init, rng));
    return new LabNet(new Sequential(layers.toArray(Module[]::new)));
  }

  /**
   * {@code n} scales spaced evenly in log10 from 10^lo to 10^hi, both included.
   *
   * @param n at least 2
   */
  static double[] logspace(double lo, double hi, int n) {
    double[] s = new double[n];
    for (int i = 0; i < n; i++) {
      s[i] = Math.pow(10, lo + (hi - lo) * i / (n - 1));
    }
    return s;
  }

  /** The best of a validation-accuracy history; 0 when there is none (diverged at once). */
  static double best(List<Double> valAcc) {
    double b = 0;
    for (double v : valAcc) {
      b = Math.max(b, v);
    }
    return b;
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    double[] scales = logspace(-4, 0, quick ? 5 : 20);
    int epochs = quick ? 4 : 10;
    LabData d = ctx.data(1000, 1000);
    LabSummary s = ctx.summary();
    ctx.say(
        "%d hidden layers of 50, weight_scale * randn, Adam lr 1e-3, batch 50, %d epochs, %d"
            + " scales:",
        HIDDEN.length, epochs, scales.length);

    double[] bestBase = new double[scales.length];
    double[] bestBn = new double[scales.length];
    double[] lossBase = new double[scales.length];
    double[] lossBn = new double[scales.length];
    List<List<String>> rows = new ArrayList<>();
    SolverOptions o =
        SolverOptions.builder()
            .updateRule("adam", Map.of("learning_rate", 1e-3))
            .batchSize(50)
            .numEpochs(epochs)
            .numTrainSamples(1000)
            .seed(ctx.seed())
            .verbose(false)
            .build();
    for (int i = 0; i < scales.length; i++) {
      String label = String.format(Locale.ROOT, "%.1e", scales[i]);
      LabContext.Trained base =
          ctx.train(
              "baseline " + label,
              net(d.features(), d.numClasses(), scales[i], false, ctx.seed()),
              d,
              o);
      LabContext.Trained bn =
          ctx.train(
              "batchnorm " + label,
              net(d.features(), d.numClasses(), scales[i], true, ctx.seed()),
              d,
              o);
      bestBase[i] = best(base.valAcc());
      bestBn[i] = best(bn.valAcc());
      lossBase[i] = base.diverged() != null ? Double.NaN : base.finalLoss(20);
      lossBn[i] = bn.diverged() != null ? Double.NaN : bn.finalLoss(20);
      rows.add(
          List.of(
              label,
              fmt(bestBase[i]),
              base.diverged() != null ? "diverged" : fmt(lossBase[i]),
              fmt(bestBn[i]),
              bn.diverged() != null ? "diverged" : fmt(lossBn[i])));
      s.number("scale_" + label + "_baseline_best_val", bestBase[i]);
      s.number("scale_" + label + "_batchnorm_best_val", bestBn[i]);
    }

    List<Plots.Series> acc = new ArrayList<>();
    acc.add(new Plots.Series("baseline", scales, bestBase));
    acc.add(new Plots.Series("batchnorm", scales, bestBn));
    // A diverged run has no final loss: it is left out of the loss panel (the table says so).
    List<Plots.Series> loss = new ArrayList<>();
    finite("baseline", scales, lossBase).ifPresent(loss::add);
    finite("batchnorm", scales, lossBn).ifPresent(loss::add);
    List<XYChart> panels = new ArrayList<>();
    panels.add(
        logX(
            Plots.lines(
                "Best validation accuracy",
                "weight scale",
                "accuracy",
                acc,
                false,
                true,
                620,
                420)));
    if (!loss.isEmpty()) {
      panels.add(
          logX(
              Plots.lines(
                  "Final training loss (last 20 iterations)",
                  "weight scale",
                  "loss",
                  loss,
                  true,
                  true,
                  620,
                  420)));
    }
    Plots.grid(
        panels,
        2,
        "BatchNorm vs baseline across weight-initialization scales",
        ctx.file("weight-scale.png"));

    int learnsBase = 0;
    int learnsBn = 0;
    for (int i = 0; i < scales.length; i++) {
      learnsBase += bestBase[i] >= LEARNS ? 1 : 0;
      learnsBn += bestBn[i] >= LEARNS ? 1 : 0;
    }
    int last = scales.length - 1;
    s.number("scales_where_baseline_learns", learnsBase);
    s.number("scales_where_batchnorm_learns", learnsBn);
    s.number("scales", scales.length);
    s.check(
        "BatchNorm makes the deep net far less sensitive to the initial weight scale: it learns at"
            + " more of the scales than the plain net",
        String.format(
            Locale.ROOT,
            "best validation accuracy >= %.1f at %d of %d scales with BatchNorm, %d without",
            LEARNS,
            learnsBn,
            scales.length,
            learnsBase),
        learnsBn > learnsBase);
    s.check(
        "At a tiny scale (1e-4) the plain net's signal vanishes with depth and it stays near"
            + " chance; the BatchNorm net trains",
        "best validation accuracy " + fmt(bestBase[0]) + " without, " + fmt(bestBn[0]) + " with",
        bestBase[0] < 0.25 && bestBn[0] >= LEARNS);
    s.number("scale_1_baseline_final_loss", lossBase[last]);
    s.number("scale_1_batchnorm_final_loss", lossBn[last]);
    s.check(
        "At scale 1 the plain net's scores explode: its training loss ends orders of magnitude"
            + " above ln 10 = 2.3 (or goes NaN), while BatchNorm keeps the loss of order 1",
        "final training loss "
            + (Double.isNaN(lossBase[last]) ? "NaN (diverged)" : fmt(lossBase[last]))
            + " without, "
            + fmt(lossBn[last])
            + " with",
        !(lossBase[last] < 100) && lossBn[last] < 10);
    s.text(
        "A net of "
            + HIDDEN.length
            + " hidden layers of width 50 (ReLU), every weight drawn as weight_scale * N(0, 1),"
            + " trained with and without a BatchNorm layer after each hidden affine layer, from the"
            + " same seed, on 1,000 training images (Adam, learning rate 1e-3, batch 50, "
            + epochs
            + " epochs) and validated on 1,000 others; a net 'learns' when its best validation"
            + " accuracy reaches "
            + LEARNS
            + " (chance is 0.1). He initialization for width 50 would be sqrt(2 / 50) = 0.2."
            + " At the largest scales BatchNorm keeps the hidden layers in range but not the"
            + " last affine layer, which has no BatchNorm after it: its scores start with a"
            + " standard deviation of about sqrt(50) = 7 times the scale, and Adam at 1e-3 needs"
            + " many steps to shrink weights of size 1, so the BatchNorm net learns slowly there"
            + " too; its loss stays finite and falls.");
    s.table(
        List.of(
            "weight scale",
            "baseline best val",
            "baseline final loss",
            "batchnorm best val",
            "batchnorm final loss"),
        rows);
    s.figure(
        "weight-scale.png",
        "Best validation accuracy and final training loss against the initial weight scale");
  }

  private static XYChart logX(XYChart c) {
    c.getStyler().setXAxisLogarithmic(true);
    c.getStyler().setXAxisDecimalPattern("0E0");
    return c;
  }

  /** The points of a curve with a finite y (losses of diverged runs dropped); empty if none. */
  private static Optional<Plots.Series> finite(String name, double[] x, double[] y) {
    List<double[]> keep = new ArrayList<>();
    for (int i = 0; i < x.length; i++) {
      if (Double.isFinite(y[i]) && y[i] > 0) {
        keep.add(new double[] {x[i], y[i]});
      }
    }
    if (keep.isEmpty()) {
      return Optional.empty();
    }
    double[] kx = new double[keep.size()];
    double[] ky = new double[keep.size()];
    for (int i = 0; i < kx.length; i++) {
      kx[i] = keep.get(i)[0];
      ky[i] = keep.get(i)[1];
    }
    return Optional.of(new Plots.Series(name, kx, ky));
  }
}
