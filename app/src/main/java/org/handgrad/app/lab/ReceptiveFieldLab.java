package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;
import org.handgrad.app.report.ExplainFigures;
import org.handgrad.app.report.Plots;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Receptive fields of stacked convolutions (CS231n notes "Convolutional Networks": three stacked
 * 3x3 layers see 7x7 of the input), computed and measured, and the effective receptive field of
 * Luo, Li, Urtasun and Zemel 2016 ("Understanding the Effective Receptive Field in Deep
 * Convolutional Neural Networks"). L stacked 3x3 convolutions of stride 1 reach 2L + 1 pixels, and
 * the gradient of one output pixel with respect to the input is exactly zero outside that square.
 * Inside it, the gradient is concentrated in a roughly Gaussian blob whose width grows as sqrt(L),
 * not L: the effective receptive field is a shrinking fraction of the theoretical one.
 */
final class ReceptiveFieldLab implements Lab {
  @Override
  public String name() {
    return "receptive-field";
  }

  @Override
  public String description() {
    return "receptive field of stacked 3x3 convolutions: computed (2L+1) and measured by input"
        + " gradients; the effective one grows as sqrt(L) (Luo et al. 2016)";
  }

  /** L (3x3 conv, stride 1, pad 1, no bias; ReLU) layers, He initialization. */
  static Sequential stack(int depth, int channels, RandomGenerator rng) {
    Sequential s = new Sequential();
    int in = 1;
    for (int l = 0; l < depth; l++) {
      s.add(
          new Conv2d(
              in,
              channels,
              3,
              3,
              new ConvParam(1, 1),
              false,
              DType.FLOAT32,
              WeightInit.kaiming(),
              rng));
      s.add(new ReLU());
      in = channels;
    }
    return s;
  }

  /**
   * |d (centre output pixel, summed over channels) / d input|, averaged over images and nets.
   *
   * @return shape (S, S)
   */
  static double[][] inputGradient(
      int depth, int channels, int size, int images, int nets, long seed) {
    double[][] g = new double[size][size];
    int c = size / 2;
    for (int k = 0; k < nets; k++) {
      RandomGenerator rng = Init.rng(seed + 1000L * depth + k);
      Sequential net = stack(depth, channels, rng);
      net.train();
      Tensor x = Init.normal(rng, DType.FLOAT32, 1.0, images, 1, size, size);
      Tensor out = net.forward(x);
      Tensor dout = Tensor.zeros(DType.FLOAT32, out.shape());
      for (int n = 0; n < images; n++) {
        for (int ch = 0; ch < channels; ch++) {
          dout.set(1.0, n, ch, c, c);
        }
      }
      Tensor dx = net.backward(dout);
      for (int n = 0; n < images; n++) {
        for (int i = 0; i < size; i++) {
          for (int j = 0; j < size; j++) {
            g[i][j] += Math.abs(dx.get(n, 0, i, j)) / (images * nets);
          }
        }
      }
    }
    return g;
  }

  /** The largest Chebyshev distance from the centre of a pixel with a nonzero gradient. */
  static int supportRadius(double[][] g) {
    int c = g.length / 2;
    int r = -1;
    for (int i = 0; i < g.length; i++) {
      for (int j = 0; j < g.length; j++) {
        if (g[i][j] != 0) {
          r = Math.max(r, Math.max(Math.abs(i - c), Math.abs(j - c)));
        }
      }
    }
    return r;
  }

  /** The root-mean-square distance from the centre along one axis, weighting pixels by g. */
  static double spread(double[][] g) {
    int c = g.length / 2;
    double m = 0;
    double total = 0;
    for (int i = 0; i < g.length; i++) {
      for (int j = 0; j < g.length; j++) {
        m += g[i][j] * ((i - c) * (i - c) + (j - c) * (j - c)) / 2.0;
        total += g[i][j];
      }
    }
    return Math.sqrt(m / total);
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    int[] depths = quick ? new int[] {1, 2, 3, 4, 8} : new int[] {1, 2, 3, 4, 8, 16, 32};
    int channels = quick ? 8 : 16;
    int images = quick ? 4 : 8;
    int nets = quick ? 2 : 4;
    int maxDepth = depths[depths.length - 1];
    int size = 2 * maxDepth + 1 + 8; // a margin of 4 pixels shows the zeros outside the field
    LabSummary s = ctx.summary();
    ctx.say(
        "stacks of 3x3 convolutions (%d channels, ReLU, He init), %dx%d Gaussian inputs, %d"
            + " images x %d nets per depth",
        channels, size, size, images, nets);
    List<ExplainFigures.Panel> panels = new ArrayList<>();
    List<List<String>> rows = new ArrayList<>();
    double[] logL = new double[depths.length];
    double[] logSpread = new double[depths.length];
    double[] xs = new double[depths.length];
    double[] theory = new double[depths.length];
    double[] measured = new double[depths.length];
    double[] effective = new double[depths.length];
    boolean allMatch = true;
    StringBuilder supports = new StringBuilder();
    for (int i = 0; i < depths.length; i++) {
      int l = depths[i];
      double[][] g = inputGradient(l, channels, size, images, nets, ctx.seed());
      int radius = supportRadius(g);
      double sigma = spread(g);
      int rf = 2 * l + 1;
      allMatch &= 2 * radius + 1 == rf;
      supports
          .append(i == 0 ? "" : ", ")
          .append(String.format(Locale.ROOT, "L=%d: %d", l, 2 * radius + 1));
      logL[i] = Math.log(l);
      logSpread[i] = Math.log(sigma);
      xs[i] = l;
      theory[i] = rf;
      measured[i] = 2 * radius + 1;
      effective[i] = 4 * sigma; // +-2 sigma: about 95% of a Gaussian's mass along each axis
      s.number("L" + l + "_measured_rf", 2 * radius + 1);
      s.number("L" + l + "_erf_sigma", sigma);
      rows.add(
          List.of(
              Integer.toString(l),
              Integer.toString(rf),
              Integer.toString(2 * radius + 1),
              fmt(sigma),
              fmt(sigma / rf)));
      ctx.say(
          "  L = %2d: computed %d, measured %d, ERF sigma %s", l, rf, 2 * radius + 1, fmt(sigma));
      double max = 0;
      for (double[] row : g) {
        for (double v : row) {
          max = Math.max(max, v);
        }
      }
      Tensor heat = Tensor.zeros(DType.FLOAT32, size, size);
      for (int a = 0; a < size; a++) {
        for (int b = 0; b < size; b++) {
          heat.set(g[a][b] / max, a, b);
        }
      }
      panels.add(new ExplainFigures.Panel("L = " + l, null, heat));
    }
    double slope = BatchSizeLab.slope(logL, logSpread);
    s.number("erf_growth_exponent", slope);
    ExplainFigures.write(
        ctx.file("gradients.png"),
        "|d output centre / d input| for L stacked 3x3 convolutions",
        List.of(panels),
        Math.max(2, 200 / size));
    Plots.save(
        Plots.lines(
            "Receptive field size by depth",
            "layers L",
            "pixels",
            List.of(
                new Plots.Series("computed 2L + 1", xs, theory),
                new Plots.Series("measured: nonzero input gradient", xs, measured),
                new Plots.Series("effective: 4 sigma of the gradient", xs, effective)),
            false,
            true,
            1000,
            460),
        ctx.file("growth.png"));

    s.check(
        "L stacked 3x3 convolutions of stride 1 see 2L + 1 input pixels (three see 7x7): the"
            + " input gradient of one output pixel is nonzero exactly on that square",
        "support of the measured gradient: " + supports,
        allMatch);
    s.check(
        "The effective receptive field grows as sqrt(L), slower than the theoretical 2L + 1"
            + " (Luo et al. 2016): its width grows with an exponent near 0.5",
        String.format(
            Locale.ROOT,
            "fitted exponent of sigma against L: %s (theoretical field: 1)",
            fmt(slope)),
        slope > 0.3 && slope < 0.75);
    s.text(
        "For each depth L, random stacks of L 3x3 convolutions (stride 1, zero padding 1, "
            + channels
            + " channels, no bias, He initialization) each followed by a ReLU are run on "
            + size
            + "x"
            + size
            + " images of Gaussian noise; the backward pass starts from 1 at the centre pixel of"
            + " every output channel and 0 elsewhere, and the absolute input gradient is averaged"
            + " over "
            + images
            + " images and "
            + nets
            + " nets. The computed field is 2L + 1 (each layer adds kernel - 1 = 2 pixels at"
            + " stride 1; with strides s_i it would add 2 * s_1 * ... * s_{i-1}). sigma is the"
            + " root-mean-square distance from the centre along one axis, weighting each pixel by"
            + " its gradient.");
    s.table(
        List.of("L", "computed field", "measured field", "ERF sigma (pixels)", "sigma / field"),
        rows);
    s.figure("gradients.png", "Input gradient magnitude (each panel scaled to its maximum)");
    s.figure("growth.png", "Computed, measured and effective receptive field by depth");
  }
}
