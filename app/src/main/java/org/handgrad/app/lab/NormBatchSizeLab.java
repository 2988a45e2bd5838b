package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.random.RandomGenerator;
import org.handgrad.app.report.Plots;
import org.handgrad.nn.Module;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.BatchNorm1d;
import org.handgrad.nn.modules.GroupNorm;
import org.handgrad.nn.modules.LayerNorm;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * BatchNorm, LayerNorm and GroupNorm across batch sizes (Wu and He 2018, "Group Normalization",
 * Figure 1; CS231n assignment 2's normalization section). BatchNorm normalises each feature over
 * the batch, so its statistics, and the running averages used at test time, get noisy as the batch
 * shrinks; LayerNorm and GroupNorm normalise each example over its own features and do not look at
 * the batch at all. The paper's finding: BatchNorm's error rises sharply at small batches,
 * GroupNorm (and LayerNorm) stay flat.
 */
final class NormBatchSizeLab implements Lab {
  static final int HIDDEN = 128;

  /** Wu and He's default: 32 groups (here of 4 features each). */
  static final int GROUPS = 32;

  @Override
  public String name() {
    return "norm-batch-size";
  }

  @Override
  public String description() {
    return "BatchNorm vs LayerNorm vs GroupNorm validation accuracy across batch sizes 2 to 128"
        + " (Wu and He 2018)";
  }

  /**
   * GroupNorm of feature vectors: (N, D) is seen as (N, D, 1, 1), D channels of one pixel, so each
   * example's features are normalised in G groups of D / G. G = 1 is LayerNorm; G = D would
   * normalise every feature on its own, a single value, and output only the bias.
   */
  static final class VectorGroupNorm extends Module {
    private final GroupNorm norm;

    /**
     * @param groups G, dividing features
     * @param features D
     */
    VectorGroupNorm(int groups, int features) {
      this.norm = registerModule("norm", new GroupNorm(groups, features, DType.FLOAT32));
    }

    /**
     * @param x shape (N, D)
     * @return shape (N, D)
     */
    @Override
    public Tensor forward(Tensor x) {
      if (x.ndim() != 2) {
        throw new IllegalArgumentException(
            "VectorGroupNorm: expected input (N, D), got " + x.shapeString());
      }
      return norm.forward(x.reshape(x.shape(0), x.shape(1), 1, 1)).reshape(x.shape(0), -1);
    }

    /**
     * @param dout shape (N, D)
     * @return dx, shape (N, D)
     */
    @Override
    public Tensor backward(Tensor dout) {
      return norm.backward(dout.reshape(dout.shape(0), dout.shape(1), 1, 1))
          .reshape(dout.shape(0), -1);
    }
  }

  /** (Linear without bias, norm, ReLU) x 2, then the scores. */
  static LabNet net(int inputs, int classes, IntFunction<Module> norm, long seed) {
    RandomGenerator rng = Init.rng(seed);
    WeightInit he = WeightInit.kaiming();
    return new LabNet(
        new Sequential(
            new Linear(inputs, HIDDEN, false, DType.FLOAT32, he, rng),
            norm.apply(HIDDEN),
            new ReLU(),
            new Linear(HIDDEN, HIDDEN, false, DType.FLOAT32, he, rng),
            norm.apply(HIDDEN),
            new ReLU(),
            new Linear(HIDDEN, classes, true, DType.FLOAT32, he, rng)));
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    int[] batches = quick ? new int[] {2, 8, 32, 128} : new int[] {2, 4, 8, 16, 32, 64, 128};
    int epochs = quick ? 3 : 5;
    LabData d = ctx.data(quick ? 2000 : 10_000, 1000);
    LabSummary s = ctx.summary();
    List<String> names = List.of("batchnorm", "layernorm", "groupnorm");
    List<IntFunction<Module>> norms =
        List.of(
            f -> new BatchNorm1d(f, DType.FLOAT32),
            f -> new LayerNorm(f, DType.FLOAT32),
            f -> new VectorGroupNorm(GROUPS, f));
    ctx.say(
        "2 x (Linear, norm, ReLU), width %d, Adam lr 1e-3, %d epochs, batch sizes %s:",
        HIDDEN, epochs, java.util.Arrays.toString(batches));
    double[][] acc = new double[names.size()][batches.length];
    double[] logB = new double[batches.length];
    for (int b = 0; b < batches.length; b++) {
      logB[b] = Math.log(batches[b]) / Math.log(2);
    }
    List<Plots.Series> curves = new ArrayList<>();
    for (int m = 0; m < names.size(); m++) {
      for (int b = 0; b < batches.length; b++) {
        SolverOptions options =
            SolverOptions.builder()
                .updateRule("adam", Map.of("learning_rate", 1e-3))
                .batchSize(batches[b])
                .numEpochs(epochs)
                .numTrainSamples(1000)
                .seed(ctx.seed())
                .verbose(false)
                .build();
        LabNet net = net(d.features(), d.numClasses(), norms.get(m), ctx.seed());
        LabContext.Trained t = ctx.train(names.get(m) + ", batch " + batches[b], net, d, options);
        // Eval mode: BatchNorm with its running statistics, as at test time.
        acc[m][b] = t.diverged() != null ? 1.0 / d.numClasses() : t.finalValAcc();
        s.number(names.get(m) + "_b" + batches[b] + "_val_acc", acc[m][b]);
      }
      curves.add(new Plots.Series(names.get(m), logB, acc[m]));
    }
    Plots.save(
        Plots.lines(
            "Validation accuracy by batch size (same epochs, Adam lr 1e-3)",
            "log2 of the batch size",
            "val accuracy",
            curves,
            false,
            true,
            1000,
            460),
        ctx.file("accuracy.png"));

    double[] drop = new double[names.size()];
    List<List<String>> rows = new ArrayList<>();
    for (int m = 0; m < names.size(); m++) {
      double best = 0;
      for (double a : acc[m]) {
        best = Math.max(best, a);
      }
      drop[m] = best - acc[m][0];
      s.number(names.get(m) + "_drop_at_b" + batches[0], drop[m]);
      List<String> row = new ArrayList<>();
      row.add(names.get(m));
      for (double a : acc[m]) {
        row.add(fmt(a));
      }
      row.add(fmt(drop[m]));
      rows.add(row);
    }
    s.check(
        "BatchNorm degrades at small batches; LayerNorm and GroupNorm, which do not use the"
            + " batch, degrade less: BatchNorm loses the most accuracy at batch "
            + batches[0],
        String.format(
            Locale.ROOT,
            "accuracy lost at batch %d vs the best batch size: batchnorm %s, layernorm %s,"
                + " groupnorm %s",
            batches[0],
            fmt(drop[0]),
            fmt(drop[1]),
            fmt(drop[2])),
        drop[0] > drop[1] && drop[0] > drop[2]);
    s.check(
        "At batch " + batches[0] + ", GroupNorm and LayerNorm beat BatchNorm",
        String.format(
            Locale.ROOT,
            "val acc at batch %d: batchnorm %s, layernorm %s, groupnorm %s",
            batches[0],
            fmt(acc[0][0]),
            fmt(acc[1][0]),
            fmt(acc[2][0])),
        acc[1][0] > acc[0][0] && acc[2][0] > acc[0][0]);
    s.text(
        "The same net, two (Linear, norm, ReLU) blocks of width "
            + HIDDEN
            + ", with BatchNorm, LayerNorm or GroupNorm ("
            + GROUPS
            + " groups of "
            + HIDDEN / GROUPS
            + " features; the features of a fully-connected layer are read as channels of one"
            + " pixel), trained from the same initialization with Adam (lr 1e-3) for "
            + epochs
            + " epochs at each batch size and evaluated in eval mode (BatchNorm with its running"
            + " statistics). Same epochs means small batches take more steps: Wu and He instead"
            + " scale the SGD rate with the batch; with Adam at a fixed rate the small batches"
            + " are, if anything, favoured, so BatchNorm's loss at batch 2 is its own.");
    List<String> header = new ArrayList<>();
    header.add("norm");
    for (int b : batches) {
      header.add("B = " + b);
    }
    header.add("lost at B = " + batches[0]);
    s.table(header, rows);
    s.figure("accuracy.png", "Validation accuracy by batch size for the three normalizations");
  }
}
