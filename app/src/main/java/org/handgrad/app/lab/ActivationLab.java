package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;
import org.handgrad.app.report.Plots;
import org.handgrad.nn.Module;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.GELU;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.nn.modules.Sigmoid;
import org.handgrad.nn.modules.Tanh;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Activation functions and vanishing gradients (CS231n notes, "Activation functions"): the
 * sigmoid's derivative is at most 1/4 and its outputs are not zero-centred, so in a deep net the
 * gradient shrinks by a constant factor at every layer on its way down and the first layers barely
 * learn; tanh is zero-centred with derivative up to 1 and vanishes more slowly; ReLU (and GELU,
 * Hendrycks and Gimpel 2016) pass the gradient through unchanged where active. The lab measures the
 * norm of dL/dW of every layer of one deep net per activation, at the same initialization.
 */
final class ActivationLab implements Lab {
  static final List<String> ACTIVATIONS = List.of("sigmoid", "tanh", "relu", "gelu");

  @Override
  public String name() {
    return "activations";
  }

  @Override
  public String description() {
    return "gradient norm per layer of a deep net for sigmoid, tanh, ReLU and GELU: vanishing"
        + " gradients";
  }

  private static Module activation(String name) {
    return switch (name) {
      case "sigmoid" -> new Sigmoid();
      case "tanh" -> new Tanh();
      case "relu" -> new ReLU();
      case "gelu" -> new GELU();
      default -> throw new IllegalArgumentException("activations lab: unknown activation " + name);
    };
  }

  /** depth x (Linear, activation), then the scores; Xavier weights for every activation. */
  static LabNet net(String act, int depth, int width, int inputs, int classes, long seed) {
    RandomGenerator rng = Init.rng(seed);
    Sequential s = new Sequential();
    int in = inputs;
    for (int l = 0; l < depth; l++) {
      s.add(new Linear(in, width, true, DType.FLOAT32, WeightInit.xavier(), rng));
      s.add(activation(act));
      in = width;
    }
    s.add(new Linear(in, classes, true, DType.FLOAT32, WeightInit.xavier(), rng));
    return new LabNet(s);
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    int depth = ctx.quick() ? 10 : 20;
    int width = 128;
    LabData d = ctx.data(ctx.quick() ? 1000 : 5000, 500);
    LabSummary s = ctx.summary();
    Tensor x = d.xTrain().slice(0, 0, 500).contiguous();
    int[] y = java.util.Arrays.copyOf(d.yTrain(), 500);
    List<Plots.Series> curves = new ArrayList<>();
    double[] ratio = new double[ACTIVATIONS.size()];
    List<List<String>> rows = new ArrayList<>();
    for (int a = 0; a < ACTIVATIONS.size(); a++) {
      String act = ACTIVATIONS.get(a);
      LabNet net = net(act, depth, width, d.features(), d.numClasses(), ctx.seed());
      net.loss(x, y);
      double[] norms = new double[depth];
      for (int l = 0; l < depth; l++) {
        // parameters: weight then bias of each Linear, in order
        norms[l] = Stats.norm(net.parameters().get(2 * l).grad());
      }
      ratio[a] = norms[0] / norms[depth - 1];
      double[] layers = new double[depth];
      for (int l = 0; l < depth; l++) {
        layers[l] = l + 1;
        norms[l] = Math.max(norms[l], 1e-30);
      }
      curves.add(new Plots.Series(act, layers, norms));
      rows.add(List.of(act, fmt(norms[0]), fmt(norms[depth - 1]), fmt(ratio[a])));
      s.number(act + "_grad_norm_first", norms[0]);
      s.number(act + "_grad_norm_last", norms[depth - 1]);
      s.number(act + "_ratio_first_over_last", ratio[a]);
      ctx.say(
          "  %-8s |dW| layer 1 %s, layer %d %s", act, fmt(norms[0]), depth, fmt(norms[depth - 1]));
    }
    Plots.save(
        Plots.lines(
            "Norm of dL/dW per layer at initialization, " + depth + "-layer net (input at layer 1)",
            "layer",
            "|dL/dW|",
            curves,
            true,
            true,
            1000,
            480),
        ctx.file("gradient-norms.png"));
    double sig = ratio[0];
    double tanh = ratio[1];
    double relu = ratio[2];
    double gelu = ratio[3];
    s.check(
        "Sigmoid gradients vanish toward the input layers",
        "|dW| first / last layer " + fmt(sig),
        sig < 1e-2);
    s.check(
        "tanh vanishes less than sigmoid (zero-centred, derivative up to 1)",
        String.format(Locale.ROOT, "ratio %s vs %s", fmt(tanh), fmt(sig)),
        tanh > 10 * sig);
    s.check(
        "ReLU and GELU keep the gradient flowing through depth",
        String.format(
            Locale.ROOT, "ratio relu %s, gelu %s (sigmoid %s)", fmt(relu), fmt(gelu), fmt(sig)),
        relu > 100 * sig && gelu > 100 * sig && relu > 0.05 && gelu > 0.05);
    s.text(
        "A "
            + depth
            + "-layer net of width "
            + width
            + " with Xavier weights and zero biases, one forward and backward pass on 500 training"
            + " images, per activation; the ratio is the first layer's |dL/dW| over the last"
            + " hidden layer's.");
    s.table(List.of("activation", "|dW| layer 1", "|dW| layer " + depth, "ratio"), rows);
    s.figure("gradient-norms.png", "Gradient norm per layer");
  }
}
