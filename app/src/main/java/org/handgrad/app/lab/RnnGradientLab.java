package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;
import static org.handgrad.app.lab.LabSummary.plain;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;
import org.handgrad.app.report.Plots;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Lstm;
import org.handgrad.nn.functional.Rnn;
import org.handgrad.nn.init.Init;
import org.handgrad.optim.GradClip;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.knowm.xchart.XYChart;

/**
 * Vanishing and exploding gradients through time (CS231n lecture "Recurrent Neural Networks": the
 * vanilla RNN gradient flow multiplies by W_h^T and tanh' at every step; Bengio, Simard and
 * Frasconi 1994; Hochreiter and Schmidhuber 1997; Pascanu, Mikolov and Bengio 2013). A gradient
 * entering at the last of T = 50 steps reaches the input of step t through T - 1 - t such products
 * in a vanilla RNN, so it shrinks geometrically when W_h is small and grows geometrically when W_h
 * is large. The LSTM's cell state is updated additively, c_t = f * c_{t-1} + i * g, so along that
 * path the gradient is only multiplied by the forget gates: with them open (a positive forget bias,
 * Jozefowicz et al. 2015) it survives many more steps, and since a gate is at most 1 that path
 * cannot blow up. The fix the notes give for the exploding side is clipping the gradient by its
 * norm.
 */
final class RnnGradientLab implements Lab {
  static final int STEPS = 50;

  /** The recurrent gain of the exploding arm: W_h ~ N(0, gain^2 / H), spectral radius ~ gain. */
  static final double EXPLODING_GAIN = 3;

  /** The SGD learning rate of the update-size comparison (CS231n's default for sgd). */
  static final double LR = 1e-2;

  /** The clipping threshold on the global gradient norm. */
  static final double MAX_NORM = 1;

  @Override
  public String name() {
    return "rnn-gradients";
  }

  @Override
  public String description() {
    return "vanishing (W_h gain 1) and exploding (gain 3) gradients through 50 steps, vanilla RNN"
        + " vs LSTM, and clipping by norm";
  }

  /**
   * What one cell at one setting does to a gradient entering at its last hidden state (a random
   * direction), averaged over random initializations.
   *
   * @param relative ||d loss / d x_t|| for every step t, divided by the value at the last step
   *     (length STEPS)
   * @param gradNorm the global norm of the weight gradients (W_x, W_h, b) before clipping
   * @param clippedNorm the same after {@link GradClip#clipByGlobalNorm} at {@link #MAX_NORM}
   * @param weightNorm the global norm of the weights themselves
   * @param radius the spectral radius of W_h measured by {@link #spectralRadius} (RNN only; NaN for
   *     the LSTM, whose W_h is not square)
   */
  record Probe(
      double[] relative, double gradNorm, double clippedNorm, double weightNorm, double radius) {}

  /**
   * Runs the cell forward over random inputs and backward from a random gradient on the last hidden
   * state only.
   *
   * @param lstm an LSTM (else a tanh RNN)
   * @param forgetBias the LSTM's forget-gate bias (ignored for the RNN)
   * @param gain W_h's entries are N(0, gain^2 / H): gain 1 is the Xavier-like scale
   * @param nets random initializations averaged over
   */
  static Probe probe(
      boolean lstm, double forgetBias, double gain, int n, int d, int h, int nets, long seed) {
    double[] norms = new double[STEPS];
    double gradNorm = 0;
    double clippedNorm = 0;
    double weightNorm = 0;
    double radius = 0;
    for (int k = 0; k < nets; k++) {
      RandomGenerator rng = Init.rng(seed + k);
      Tensor x = Init.normal(rng, DType.FLOAT64, 1.0, n, STEPS, d);
      Tensor h0 = Tensor.zeros(DType.FLOAT64, n, h);
      int gates = lstm ? 4 * h : h;
      // W_x ~ N(0, 1/D); W_h ~ N(0, gain^2/H): by the circular law the eigenvalues of an H x H
      // matrix with iid entries of variance gain^2/H fill a disc of radius about gain.
      Tensor wx = Init.normal(rng, DType.FLOAT64, 1.0 / Math.sqrt(d), d, gates);
      Tensor wh = Init.normal(rng, DType.FLOAT64, gain / Math.sqrt(h), h, gates);
      Tensor b = Tensor.zeros(DType.FLOAT64, gates);
      Tensor dh = Tensor.zeros(DType.FLOAT64, n, STEPS, h);
      Tensor dLast = Init.normal(rng, DType.FLOAT64, 1.0, n, h);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < h; j++) {
          dh.set(dLast.get(i, j), i, STEPS - 1, j);
        }
      }
      Tensor dx;
      Tensor dwx;
      Tensor dwh;
      Tensor db;
      if (lstm) {
        for (int j = h; j < 2 * h; j++) {
          b.set(forgetBias, j); // gate blocks [i | f | o | g]: f is the second
        }
        Forward<Lstm.Cache> f = Lstm.lstmForward(x, h0, wx, wh, b);
        Lstm.Grads g = Lstm.lstmBackward(dh, f.cache());
        dx = g.dx();
        dwx = g.dwx();
        dwh = g.dwh();
        db = g.db();
      } else {
        Forward<Rnn.Cache> f = Rnn.rnnForward(x, h0, wx, wh, b);
        Rnn.Grads g = Rnn.rnnBackward(dh, f.cache());
        dx = g.dx();
        dwx = g.dwx();
        dwh = g.dwh();
        db = g.db();
        radius += spectralRadius(wh, 1000, seed + k) / nets;
      }
      for (int t = 0; t < STEPS; t++) {
        norms[t] += Stats.norm(dx.slice(1, t, t + 1)) / nets;
      }
      List<Parameter> params =
          List.of(new Parameter("wx", wx), new Parameter("wh", wh), new Parameter("b", b));
      params.get(0).accumulateGrad(dwx);
      params.get(1).accumulateGrad(dwh);
      params.get(2).accumulateGrad(db);
      gradNorm += GradClip.clipByGlobalNorm(params, MAX_NORM) / nets;
      clippedNorm += GradClip.globalNorm(params) / nets;
      weightNorm +=
          Math.sqrt(
                  Math.pow(Stats.norm(wx), 2)
                      + Math.pow(Stats.norm(wh), 2)
                      + Math.pow(Stats.norm(b), 2))
              / nets;
    }
    double last = norms[STEPS - 1];
    for (int t = 0; t < STEPS; t++) {
      norms[t] /= last;
    }
    return new Probe(norms, gradNorm, clippedNorm, weightNorm, lstm ? Double.NaN : radius);
  }

  /**
   * The spectral radius (largest |eigenvalue|) of a square matrix by Gelfand's formula, rho = lim
   * ||W^k v||^(1/k): the mean log growth of a vector multiplied by W over the second half of {@code
   * iters} steps (the first half lets the leading eigenvalues take over). It works when the leading
   * eigenvalues are a complex pair, where plain power iteration does not settle.
   *
   * @param w shape (H, H)
   * @param iters multiplications, at least 2
   * @param seed draws the start vector
   */
  static double spectralRadius(Tensor w, int iters, long seed) {
    if (w.ndim() != 2 || w.shape(0) != w.shape(1) || iters < 2) {
      throw new IllegalArgumentException(
          "spectralRadius: expected a square matrix (H, H) and iters >= 2, got "
              + w.shapeString()
              + " and "
              + iters);
    }
    int h = w.shape(0);
    double[] a = w.toDoubleArray();
    RandomGenerator rng = Init.rng(seed);
    double[] v = new double[h];
    for (int i = 0; i < h; i++) {
      v[i] = rng.nextGaussian();
    }
    double logGrowth = 0;
    int counted = 0;
    for (int k = 0; k < iters; k++) {
      double[] next = new double[h];
      for (int i = 0; i < h; i++) {
        for (int j = 0; j < h; j++) {
          next[j] += v[i] * a[i * h + j]; // v W: W and W^T have the same eigenvalues
        }
      }
      double norm = 0;
      for (double x : next) {
        norm += x * x;
      }
      norm = Math.sqrt(norm);
      if (norm == 0) {
        return 0; // nilpotent on this start vector
      }
      for (int j = 0; j < h; j++) {
        v[j] = next[j] / norm;
      }
      if (k >= iters / 2) {
        logGrowth += Math.log(norm);
        counted++;
      }
    }
    return Math.exp(logGrowth / counted);
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
    vanishing(ctx, n, d, h, nets);
    exploding(
        ctx,
        quick ? new double[] {1, 1.5, 2, 3, 4} : new double[] {0.5, 1, 1.5, 2, 2.5, 3, 4, 5},
        n,
        d,
        h,
        nets);
    s.figure("gradient-through-time.png", "Relative gradient norm per step at gain 1 (log scale)");
    s.figure("exploding.png", "Gain 3 through time; growth and SGD step size against the gain");
  }

  /** Part 1: at gain 1, the RNN's gradient vanishes; the LSTM's survives with open forget gates. */
  private static void vanishing(LabContext ctx, int n, int d, int h, int nets) throws IOException {
    LabSummary s = ctx.summary();
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
      double[] g = probe(arm.lstm(), arm.forgetBias(), 1, n, d, h, nets, ctx.seed()).relative();
      first[a] = g[0];
      curves.add(Plots.Series.of(arm.label(), floored(g)));
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
    s.heading("Vanishing: recurrent gain 1");
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
  }

  /**
   * Part 2: W_h scaled up by the gain. The RNN's gradient grows through time, the LSTM's (forget
   * bias 1) much less; clipping by the global norm bounds the SGD step whatever the gain.
   */
  private static void exploding(LabContext ctx, double[] gains, int n, int d, int h, int nets)
      throws IOException {
    LabSummary s = ctx.summary();
    int k = gains.length;
    double[] rnnGrowth = new double[k];
    double[] lstmGrowth = new double[k];
    double[] update = new double[k];
    double[] clipped = new double[k];
    double[] lstmUpdate = new double[k];
    double largestClippedStep = 0;
    List<List<String>> rows = new ArrayList<>();
    Probe rnnAtGain = null;
    Probe lstmAtGain = null;
    Probe rnnAtOne = null;
    for (int i = 0; i < k; i++) {
      double gain = gains[i];
      Probe rnn = probe(false, 0, gain, n, d, h, nets, ctx.seed());
      Probe lstm = probe(true, 1, gain, n, d, h, nets, ctx.seed());
      rnnGrowth[i] = rnn.relative()[0];
      lstmGrowth[i] = lstm.relative()[0];
      update[i] = LR * rnn.gradNorm() / rnn.weightNorm();
      clipped[i] = LR * rnn.clippedNorm() / rnn.weightNorm();
      lstmUpdate[i] = LR * lstm.gradNorm() / lstm.weightNorm();
      largestClippedStep = Math.max(largestClippedStep, LR * rnn.clippedNorm());
      String key = "gain" + plain(gain);
      s.number(key + "_rnn_spectral_radius", rnn.radius());
      s.number(key + "_rnn_ratio_first_over_last", rnnGrowth[i]);
      s.number(key + "_lstm_ratio_first_over_last", lstmGrowth[i]);
      s.number(key + "_rnn_grad_norm", rnn.gradNorm());
      s.number(key + "_rnn_update_over_weights", update[i]);
      s.number(key + "_rnn_clipped_update_over_weights", clipped[i]);
      s.number(key + "_rnn_clipped_update_norm", LR * rnn.clippedNorm());
      s.number(key + "_lstm_grad_norm", lstm.gradNorm());
      rows.add(
          List.of(
              plain(gain),
              fmt(rnn.radius()),
              fmt(rnnGrowth[i]),
              fmt(lstmGrowth[i]),
              fmt(rnn.gradNorm()),
              fmt(lstm.gradNorm()),
              fmt(update[i]),
              fmt(clipped[i])));
      ctx.say(
          "  gain %-4s radius %s: ||dx_0|| / ||dx_49|| RNN %s, LSTM %s; ||grad|| RNN %s, LSTM %s",
          plain(gain),
          fmt(rnn.radius()),
          fmt(rnnGrowth[i]),
          fmt(lstmGrowth[i]),
          fmt(rnn.gradNorm()),
          fmt(lstm.gradNorm()));
      if (gain == EXPLODING_GAIN) {
        rnnAtGain = rnn;
        lstmAtGain = lstm;
      }
      if (gain == 1) {
        rnnAtOne = rnn;
      }
    }
    if (rnnAtGain == null || rnnAtOne == null) {
      throw new IllegalStateException("rnn-gradients: the gains must include 1 and 3");
    }
    String g = plain(EXPLODING_GAIN);
    XYChart time =
        Plots.lines(
            "Through time at gain " + g,
            "step t",
            "||dL/dx_t|| / ||dL/dx_49||",
            List.of(
                Plots.Series.of("RNN, gain " + g, floored(rnnAtGain.relative())),
                Plots.Series.of("LSTM (forget bias 1), gain " + g, floored(lstmAtGain.relative())),
                Plots.Series.of("RNN, gain 1", floored(rnnAtOne.relative()))),
            true,
            false,
            640,
            420);
    XYChart growth =
        Plots.lines(
            "Growth over 49 steps back",
            "gain of W_h (about its spectral radius)",
            "||dL/dx_0|| / ||dL/dx_49||",
            List.of(
                new Plots.Series("RNN", gains, floored(rnnGrowth)),
                new Plots.Series("LSTM, forget bias 1", gains, floored(lstmGrowth))),
            true,
            true,
            640,
            420);
    XYChart step =
        Plots.lines(
            "SGD step (lr " + plain(LR) + ") / weights",
            "gain of W_h",
            "||lr * grad|| / ||weights||",
            List.of(
                new Plots.Series("RNN", gains, floored(update)),
                new Plots.Series(
                    "RNN, clipped at norm " + plain(MAX_NORM), gains, floored(clipped)),
                new Plots.Series("LSTM, forget bias 1", gains, floored(lstmUpdate))),
            true,
            true,
            640,
            420);
    Plots.grid(
        List.of(time, growth, step),
        3,
        "Exploding gradients: W_h ~ N(0, gain^2 / H)",
        ctx.file("exploding.png"));

    int at = indexOf(gains, EXPLODING_GAIN);
    s.check(
        "With recurrent weights of spectral radius about "
            + g
            + " (W_h ~ N(0, "
            + g
            + "^2 / H)) the vanilla RNN's gradient explodes: more than 1000 times as much reaches"
            + " the first input as the last",
        String.format(
            Locale.ROOT,
            "||dx_0|| / ||dx_49|| = %s (measured spectral radius %s)",
            fmt(rnnGrowth[at]),
            fmt(rnnAtGain.radius())),
        rnnGrowth[at] > 1e3);
    s.check(
        "An LSTM with the same weight scale (forget bias 1) does not explode like it: its"
            + " gradient grows at least 100 times less over the 49 steps",
        String.format(
            Locale.ROOT,
            "||dx_0|| / ||dx_49||: LSTM %s vs RNN %s",
            fmt(lstmGrowth[at]),
            fmt(rnnGrowth[at])),
        100 * lstmGrowth[at] < rnnGrowth[at]);
    s.check(
        "Clipping the gradient by its global norm (Pascanu et al. 2013) bounds the update: at gain "
            + g
            + " an unclipped SGD step (lr "
            + plain(LR)
            + ") is larger than the weights themselves, clipped at norm "
            + plain(MAX_NORM)
            + " it never exceeds lr x "
            + plain(MAX_NORM)
            + " at any gain",
        String.format(
            Locale.ROOT,
            "step / weights at gain %s: %s unclipped, %s clipped; largest clipped step %s"
                + " (lr x max norm = %s)",
            g,
            fmt(update[at]),
            fmt(clipped[at]),
            fmt(largestClippedStep),
            fmt(LR * MAX_NORM)),
        update[at] > 1 && largestClippedStep <= LR * MAX_NORM * (1 + 1e-9));
    s.number("largest_clipped_step", largestClippedStep);
    s.heading("Exploding: recurrent gain above 1");
    s.text(
        "The same cells with W_h drawn N(0, gain^2 / H) for the gains of the table (the LSTM with"
            + " forget bias 1, all four gate blocks of W_h scaled alike). For an H x H matrix of"
            + " iid entries of variance gain^2 / H the eigenvalues fill a disc of radius about"
            + " gain (the circular law); the table's radius is measured on the RNN's W_h by"
            + " Gelfand's formula (the growth rate of ||W^k v||^(1/k)). The weight gradient is"
            + " that of the same loss (the random gradient on the last hidden state); its global"
            + " norm over W_x, W_h and b is what an SGD step multiplies by the learning rate"
            + " (lr = "
            + plain(LR)
            + "). Clipping is optim.GradClip.clipByGlobalNorm at "
            + plain(MAX_NORM)
            + ", PyTorch's clip_grad_norm_: it rescales the whole gradient, so the step keeps"
            + " its direction. tanh saturates, so the RNN's growth is far below the gain^49 of a linear RNN; the"
            + " LSTM's gates are sigmoids bounded by 1, and its cell path has no matrix in it.");
    s.table(
        List.of(
            "gain",
            "spectral radius of W_h (RNN)",
            "RNN growth 49 steps back",
            "LSTM growth",
            "RNN gradient norm",
            "LSTM gradient norm",
            "RNN step / weights",
            "clipped step / weights"),
        rows);
  }

  /** Copies with zeros and tiny values floored at 1e-30 for a log axis. */
  private static double[] floored(double[] v) {
    double[] f = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = Math.max(v[i], 1e-30);
    }
    return f;
  }

  private static int indexOf(double[] a, double v) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == v) {
        return i;
      }
    }
    throw new IllegalArgumentException("rnn-gradients: gain " + v + " is not among the gains");
  }
}
