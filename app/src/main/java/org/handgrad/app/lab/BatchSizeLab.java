package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.handgrad.app.report.Charts;
import org.handgrad.app.report.Plots;
import org.handgrad.nn.Parameter;
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
 * Batch size, gradient noise and the linear scaling rule. A minibatch gradient is an average of B
 * per-example gradients drawn from the training set, so it is an unbiased estimate of the full
 * gradient whose squared error falls as 1/B (CS231n notes, "Mini-batch gradient descent": the
 * minibatch gradient is "a good approximation" of the full one). Goyal et al. 2017 ("Accurate,
 * Large Minibatch SGD") turn this into a rule: when the batch grows k times, multiply the learning
 * rate by k and the same number of epochs gives about the same loss; keeping the rate makes the
 * large batch take k times fewer steps of the same size, and it falls behind.
 */
final class BatchSizeLab implements Lab {
  @Override
  public String name() {
    return "batch-size";
  }

  @Override
  public String description() {
    return "gradient noise versus batch size (1/B), and the linear scaling of the learning rate"
        + " with the batch";
  }

  /** Two hidden ReLU layers of width 128, He initialization. */
  static LabNet net(int inputs, int classes, long seed) {
    RandomGenerator rng = Init.rng(seed);
    WeightInit he = WeightInit.kaiming();
    return new LabNet(
        new Sequential(
            new Linear(inputs, 128, true, DType.FLOAT32, he, rng),
            new ReLU(),
            new Linear(128, 128, true, DType.FLOAT32, he, rng),
            new ReLU(),
            new Linear(128, classes, true, DType.FLOAT32, he, rng)));
  }

  /** All parameter gradients of the net after a loss call, as one vector. */
  static double[] gradient(LabNet net, Tensor x, int[] y) {
    net.loss(x, y);
    List<double[]> parts = new ArrayList<>();
    int n = 0;
    for (Parameter p : net.parameters()) {
      double[] g = p.grad().toDoubleArray();
      parts.add(g);
      n += g.length;
    }
    double[] out = new double[n];
    int at = 0;
    for (double[] g : parts) {
      System.arraycopy(g, 0, out, at, g.length);
      at += g.length;
    }
    return out;
  }

  /** Least-squares slope of y on x. */
  static double slope(double[] x, double[] y) {
    double mx = 0;
    double my = 0;
    for (int i = 0; i < x.length; i++) {
      mx += x[i] / x.length;
      my += y[i] / y.length;
    }
    double sxy = 0;
    double sxx = 0;
    for (int i = 0; i < x.length; i++) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
    }
    return sxy / sxx;
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    LabData d = ctx.data(quick ? 2000 : 10_000, 1000);
    LabSummary s = ctx.summary();

    // Part 1: the error of minibatch gradients at the initialization, against the full gradient.
    int[] sizes = {1, 4, 16, 64, 256};
    int draws = quick ? 30 : 200;
    LabNet probe = net(d.features(), d.numClasses(), ctx.seed());
    double[] full = gradient(probe, d.xTrain(), d.yTrain());
    double fullNorm2 = 0;
    for (double v : full) {
      fullNorm2 += v * v;
    }
    SplittableRandom rng = new SplittableRandom(ctx.seed());
    int n = d.yTrain().length;
    double[] noise = new double[sizes.length];
    double[] logB = new double[sizes.length];
    double[] logNoise = new double[sizes.length];
    List<List<String>> noiseRows = new ArrayList<>();
    ctx.say(
        "gradient noise: %d minibatches per size, drawn with replacement from %d examples",
        draws, n);
    for (int i = 0; i < sizes.length; i++) {
      int b = sizes[i];
      double sum = 0;
      for (int r = 0; r < draws; r++) {
        // With replacement: the B draws are independent, so E||g_B - g||^2 = tr(Cov) / B exactly.
        int[] idx = new int[b];
        int[] yb = new int[b];
        for (int j = 0; j < b; j++) {
          idx[j] = rng.nextInt(n);
          yb[j] = d.yTrain()[idx[j]];
        }
        double[] g = gradient(probe, d.xTrain().take(0, idx), yb);
        double e = 0;
        for (int k = 0; k < g.length; k++) {
          e += (g[k] - full[k]) * (g[k] - full[k]);
        }
        sum += e;
      }
      noise[i] = sum / draws;
      logB[i] = Math.log(b);
      logNoise[i] = Math.log(noise[i]);
      s.number("noise_b" + b, noise[i]);
      noiseRows.add(
          List.of(
              Integer.toString(b),
              fmt(noise[i]),
              fmt(noise[i] / fullNorm2),
              fmt(noise[i] * b / noise[0])));
      ctx.say("  B = %3d: E||g_B - g||^2 = %s", b, fmt(noise[i]));
    }
    double noiseSlope = slope(logB, logNoise);
    s.number("noise_slope", noiseSlope);
    s.number("full_gradient_norm2", fullNorm2);
    double[] ideal = new double[sizes.length];
    double[] bs = new double[sizes.length];
    for (int i = 0; i < sizes.length; i++) {
      ideal[i] = noise[0] / sizes[i];
      bs[i] = Math.log(sizes[i]) / Math.log(2); // a log x axis: XChart's lines() has none
    }
    Plots.save(
        Plots.lines(
            "Squared error of the minibatch gradient against the batch size",
            "log2 of the batch size B",
            "E ||g_B - g||^2",
            List.of(
                new Plots.Series("measured", bs, noise),
                new Plots.Series("1/B from B = 1", bs, ideal)),
            true,
            true,
            1000,
            460),
        ctx.file("gradient-noise.png"));

    // Part 2: the linear scaling rule, for the same number of epochs.
    int epochs = quick ? 3 : 10;
    int small = 32;
    int k = 8;
    double lr = 0.01;
    ctx.say("linear scaling: SGD + momentum 0.9, %d epochs:", epochs);
    record Arm(String label, int batch, double lr) {}
    List<Arm> arms =
        List.of(
            new Arm("B = " + small + ", lr " + fmt(lr), small, lr),
            new Arm("B = " + small * k + ", lr " + fmt(lr * k) + " (scaled)", small * k, lr * k),
            new Arm("B = " + small * k + ", lr " + fmt(lr) + " (not scaled)", small * k, lr));
    double[] finalLoss = new double[arms.size()];
    List<Plots.Series> curves = new ArrayList<>();
    List<List<String>> scaleRows = new ArrayList<>();
    String[] keys = {"base", "scaled", "unscaled"};
    for (int a = 0; a < arms.size(); a++) {
      Arm arm = arms.get(a);
      LabNet net = net(d.features(), d.numClasses(), ctx.seed());
      SolverOptions options =
          SolverOptions.builder()
              .updateRule("sgd_momentum", Map.of("learning_rate", arm.lr(), "momentum", 0.9))
              .batchSize(arm.batch())
              .numEpochs(epochs)
              .numTrainSamples(1000)
              .seed(ctx.seed())
              .verbose(false)
              .build();
      LabContext.Trained t = ctx.train(arm.label(), net, d, options);
      // The loss on the whole training set in eval mode: the minibatch losses of different batch
      // sizes are not comparable (the smaller the batch, the noisier).
      finalLoss[a] = Losses.softmaxLoss(net.loss(d.xTrain()), d.yTrain()).loss();
      // x in epochs, so that the three arms share the axis.
      double[] x = new double[t.loss().size()];
      double[] y = new double[t.loss().size()];
      int perEpoch = Math.max(1, n / arm.batch());
      int window = Math.max(1, perEpoch / 4) | 1;
      double[] smooth = Charts.movingAverage(t.loss(), window);
      for (int i = 0; i < x.length; i++) {
        x[i] = (i + 1.0) / perEpoch;
        y[i] = smooth[i];
      }
      curves.add(new Plots.Series(arm.label(), x, y));
      s.number(keys[a] + "_train_loss", finalLoss[a]);
      s.number(keys[a] + "_val_acc", t.finalValAcc());
      scaleRows.add(
          List.of(
              arm.label(),
              Integer.toString(t.loss().size()),
              fmt(finalLoss[a]),
              fmt(t.finalValAcc())));
    }
    Plots.save(
        Plots.lines(
            "Training loss per epoch: small batch, large batch with and without scaled lr",
            "epoch",
            "loss (moving average)",
            curves,
            false,
            false,
            1000,
            460),
        ctx.file("linear-scaling.png"));

    s.check(
        "The squared error of a minibatch gradient falls as 1/B: slope -1 on a log-log plot",
        String.format(
            Locale.ROOT,
            "fitted slope %s over B = 1 ... 256 (%d draws each)",
            fmt(noiseSlope),
            draws),
        noiseSlope > -1.15 && noiseSlope < -0.85);
    double gapScaled = Math.abs(finalLoss[1] - finalLoss[0]);
    double gapUnscaled = finalLoss[2] - finalLoss[0];
    s.check(
        "Linear scaling rule (Goyal et al.): a batch "
            + k
            + " times larger with a "
            + k
            + " times larger rate gets closer to the small batch's loss in the same epochs than"
            + " with the rate unchanged",
        String.format(
            Locale.ROOT,
            "training loss after %d epochs: B = %d %s; B = %d scaled %s, not scaled %s",
            epochs,
            small,
            fmt(finalLoss[0]),
            small * k,
            fmt(finalLoss[1]),
            fmt(finalLoss[2])),
        gapScaled < gapUnscaled);

    s.heading("Gradient noise");
    s.text(
        "A 2-layer ReLU net (width 128, He initialization) at its initialization: the full"
            + " gradient g of the mean loss over all "
            + n
            + " training examples, then "
            + draws
            + " minibatch gradients g_B per batch size, each batch drawn with replacement so that"
            + " its examples are independent. Then E||g_B - g||^2 = tr(Cov) / B exactly; without"
            + " replacement it would carry a finite-population factor (N - B) / (N - 1).");
    s.table(
        List.of("B", "E ||g_B - g||^2", "relative to ||g||^2", "B x error / error(B = 1)"),
        noiseRows);
    s.figure("gradient-noise.png", "Gradient noise against batch size (log-log)");
    s.heading("Linear scaling of the learning rate");
    s.text(
        "The same net trained from the same initialization for "
            + epochs
            + " epochs with SGD + momentum 0.9: batch "
            + small
            + " at lr "
            + fmt(lr)
            + ", and batch "
            + small * k
            + " at lr "
            + fmt(lr * k)
            + " (scaled) and at lr "
            + fmt(lr)
            + " (not scaled). Same epochs means the large batch takes "
            + k
            + " times fewer steps. In a few epochs the scaled large batch still lags the small"
            + " one: Goyal et al. found the rule breaks down early in training, where the"
            + " gradient changes fast, and add a warm-up for it.");
    s.table(List.of("run", "iterations", "training loss", "val acc"), scaleRows);
    s.figure("linear-scaling.png", "Loss per epoch for the three runs");
  }
}
