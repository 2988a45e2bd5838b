package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;
import org.handgrad.app.report.Plots;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Lstm;
import org.handgrad.nn.functional.Rnn;
import org.handgrad.nn.init.Init;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Vanishing gradients through time (CS231n lecture "Recurrent Neural Networks": the vanilla RNN
 * gradient flow multiplies by W_h^T and tanh' at every step; Hochreiter and Schmidhuber 1997;
 * Bengio, Simard and Frasconi 1994). A gradient entering at the last of T = 50 steps reaches the
 * input of step t through T - 1 - t such products in a vanilla RNN, so it shrinks geometrically.
 * The LSTM's cell state is updated additively, c_t = f * c_{t-1} + i * g, so along that path the
 * gradient is only multiplied by the forget gates: with them open (a positive forget bias,
 * Jozefowicz et al. 2015) it survives many more steps.
 */
final class RnnGradientLab implements Lab {
  static final int STEPS = 50;

  @Override
  public String name() {
    return "rnn-gradients";
  }

  @Override
  public String description() {
    return "vanishing gradients through time: input-gradient norm over 50 steps, vanilla RNN vs"
        + " LSTM";
  }

  /**
   * ||d loss / d x_t|| for every step t, the loss's gradient entering only at the last step's
   * hidden state (a random direction), averaged over {@code nets} random initializations.
   *
   * @param lstm an LSTM (else a tanh RNN)
   * @param forgetBias the LSTM's forget-gate bias (ignored for the RNN)
   * @return length STEPS, divided by the value at the last step
   */
  static double[] gradientByStep(
      boolean lstm, double forgetBias, int n, int d, int h, int nets, long seed) {
    double[] norms = new double[STEPS];
    for (int k = 0; k < nets; k++) {
      RandomGenerator rng = Init.rng(seed + k);
      Tensor x = Init.normal(rng, DType.FLOAT64, 1.0, n, STEPS, d);
      Tensor h0 = Tensor.zeros(DType.FLOAT64, n, h);
      int gates = lstm ? 4 * h : h;
      // Weights N(0, 1/fan_in) (Xavier-like): the recurrent matrix has spectral radius about 1.
      Tensor wx = Init.normal(rng, DType.FLOAT64, 1.0 / Math.sqrt(d), d, gates);
      Tensor wh = Init.normal(rng, DType.FLOAT64, 1.0 / Math.sqrt(h), h, gates);
      Tensor b = Tensor.zeros(DType.FLOAT64, gates);
      Tensor dh = Tensor.zeros(DType.FLOAT64, n, STEPS, h);
      Tensor dLast = Init.normal(rng, DType.FLOAT64, 1.0, n, h);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < h; j++) {
          dh.set(dLast.get(i, j), i, STEPS - 1, j);
        }
      }
      Tensor dx;
      if (lstm) {
        for (int j = h; j < 2 * h; j++) {
          b.set(forgetBias, j); // gate blocks [i | f | o | g]: f is the second
        }
        Forward<Lstm.Cache> f = Lstm.lstmForward(x, h0, wx, wh, b);
        dx = Lstm.lstmBackward(dh, f.cache()).dx();
      } else {
        Forward<Rnn.Cache> f = Rnn.rnnForward(x, h0, wx, wh, b);
        dx = Rnn.rnnBackward(dh, f.cache()).dx();
      }
      for (int t = 0; t < STEPS; t++) {
        norms[t] += Stats.norm(dx.slice(1, t, t + 1)) / nets;
      }
    }
    double last = norms[STEPS - 1];
    for (int t = 0; t < STEPS; t++) {
      norms[t] /= last;
    }
    return norms;
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    int n = quick ? 4 : 16;
    int d = 32;
    int h = quick ? 32 : 64;
    int nets = quick ? 2 : 8;
    LabSummary s = ctx.summary();
    ctx.say(
        "%d steps, N = %d, D = %d, H = %d, %d random nets per arm, float64", STEPS, n, d, h, nets);
    record Arm(String label, String key, boolean lstm, double forgetBias) {}
    List<Arm> arms =
        List.of(
            new Arm("vanilla RNN (tanh)", "rnn", false, 0),
            new Arm("LSTM, forget bias 0", "lstm_bias0", true, 0),
            new Arm("LSTM, forget bias 1", "lstm_bias1", true, 1),
            new Arm("LSTM, forget bias 3", "lstm_bias3", true, 3));
    List<Plots.Series> curves = new ArrayList<>();
    List<List<String>> rows = new ArrayList<>();
    double[] first = new double[arms.size()];
    for (int a = 0; a < arms.size(); a++) {
      Arm arm = arms.get(a);
      double[] g = gradientByStep(arm.lstm(), arm.forgetBias(), n, d, h, nets, ctx.seed());
      first[a] = g[0];
      double[] floored = new double[STEPS];
      for (int t = 0; t < STEPS; t++) {
        floored[t] = Math.max(g[t], 1e-30); // the log axis needs y > 0
      }
      curves.add(Plots.Series.of(arm.label(), floored));
      s.number(arm.key() + "_ratio_first_over_last", g[0]);
      s.number(arm.key() + "_ratio_step40", g[STEPS - 11]);
      rows.add(List.of(arm.label(), fmt(g[STEPS - 11]), fmt(g[STEPS - 26]), fmt(g[0])));
      ctx.say("  %-22s ||dx_0|| / ||dx_49|| = %s", arm.label(), fmt(g[0]));
    }
    Plots.save(
        Plots.lines(
            "Gradient reaching the input of step t from the last step (relative)",
            "step t",
            "||dL/dx_t|| / ||dL/dx_49||",
            curves,
            true,
            false,
            1000,
            480),
        ctx.file("gradient-through-time.png"));
    s.check(
        "In a vanilla RNN the gradient vanishes through time: after 49 steps less than 1e-3 of"
            + " it reaches the first input",
        String.format(Locale.ROOT, "||dx_0|| / ||dx_49|| = %s", fmt(first[0])),
        first[0] < 1e-3);
    s.check(
        "The LSTM's additive cell path carries the gradient much further when the forget gates"
            + " are open: with forget bias 3, more than 100 times as much reaches the first input",
        String.format(
            Locale.ROOT,
            "||dx_0|| / ||dx_49||: LSTM forget bias 0 %s, 1 %s, 3 %s vs RNN %s",
            fmt(first[1]),
            fmt(first[2]),
            fmt(first[3]),
            fmt(first[0])),
        first[3] > 100 * first[0]);
    s.text(
        "Random sequences of "
            + STEPS
            + " Gaussian inputs (N = "
            + n
            + ", D = "
            + d
            + ") run through a tanh RNN and an LSTM with H = "
            + h
            + ", weights N(0, 1/fan_in), zero biases except the LSTM's forget gate. The backward"
            + " pass starts from a random gradient on the LAST hidden state only; the plot shows"
            + " the norm of the gradient reaching each step's input, relative to the last step's,"
            + " averaged over "
            + nets
            + " random nets. These are the hand-written rnnBackward and lstmBackward of"
            + " nn.functional, in float64. Along the cell path the gradient is multiplied by"
            + " the forget gate at each step: at bias 0 (f about 0.5) the LSTM loses it as fast"
            + " as the RNN; the LSTM only helps with its forget gates open.");
    s.table(List.of("cell", "10 steps back", "25 steps back", "49 steps back (t = 0)"), rows);
    s.figure("gradient-through-time.png", "Relative gradient norm per step (log scale)");
  }
}
