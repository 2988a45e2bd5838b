package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;
import static org.handgrad.app.lab.LabSummary.plain;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;
import org.handgrad.app.report.ExplainFigures;
import org.handgrad.app.report.Plots;
import org.handgrad.models.diffusion.BetaSchedule;
import org.handgrad.models.diffusion.GaussianDiffusion;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.init.Init;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;

/**
 * The DDPM noise schedules (Ho et al. 2020; Nichol and Dhariwal 2021, "Improved Denoising Diffusion
 * Probabilistic Models", section 3.2; the sigmoid schedule of Jabri, Fleet and Chen 2022), on real
 * images. q_sample draws x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, so on images of unit
 * variance the correlation of x_t with x0 over many pixels is sqrt(abar_t): the lab measures it
 * through {@link GaussianDiffusion#qSample} for every step of the linear, cosine and sigmoid
 * schedules. Nichol and Dhariwal's point: the linear schedule of Ho et al. drives abar to nearly 0
 * well before the last step, so the last part of the chain is spent on images that are already pure
 * noise; their cosine schedule, abar = cos^2(((t/T + s)/(1 + s)) pi/2), turns x0 into noise at a
 * constant rate. Writing x_t = cos(phi) x0 + sin(phi) eps, phi = arccos(sqrt(abar)) is the angle
 * from the image to the noise: it grows linearly in t for the cosine schedule.
 *
 * <p>Steps are 1-based here, as in the papers: step t is {@code qSample}'s index t - 1.
 */
final class DdpmScheduleLab implements Lab {
  /** T, the number of diffusion steps (Ho et al.'s). */
  static final int T = 1000;

  /** Below this correlation with x0, x_t counts as destroyed (pure noise to the eye). */
  static final double DESTROYED = 0.05;

  /** Standard errors allowed between the measured correlation and sqrt(abar). */
  static final double SIGMAS = 5;

  private static final List<String> SCHEDULES = List.of("linear", "cosine", "sigmoid");

  @Override
  public String name() {
    return "ddpm-schedules";
  }

  @Override
  public String description() {
    return "DDPM noise schedules (linear, cosine, sigmoid): alpha_bar, log SNR, Fashion-MNIST"
        + " noised by q_sample; the linear one destroys the image early (Nichol and Dhariwal"
        + " 2021)";
  }

  /**
   * The angle from x0 to the noise, phi = arccos(r), as a fraction of pi/2 (0: the image, 1: pure
   * noise); r is clamped to [0, 1] first.
   */
  static double angle(double r) {
    return Math.acos(Math.max(0, Math.min(1, r))) / (Math.PI / 2);
  }

  /**
   * The largest distance of the angle curve from the straight line t / T over the steps: 0 for a
   * schedule that turns the image into noise at a constant rate.
   *
   * @param r correlation at steps 1..T (index t - 1)
   */
  static double angleDeviation(double[] r) {
    double worst = 0;
    for (int i = 0; i < r.length; i++) {
      worst = Math.max(worst, Math.abs(angle(r[i]) - (i + 1.0) / r.length));
    }
    return worst;
  }

  /** The elements of a tensor as doubles: its own array when it is a whole float64 array. */
  private static double[] values(Tensor t) {
    if (t.dtype() == DType.FLOAT64
        && t.isContiguous()
        && t.offset() == 0
        && t.doubleStorage().length == t.size()) {
      return t.doubleStorage();
    }
    return t.toDoubleArray();
  }

  /** The fraction of the values below the threshold. */
  static double fractionBelow(double[] v, double threshold) {
    int c = 0;
    for (double x : v) {
      c += x < threshold ? 1 : 0;
    }
    return (double) c / v.length;
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    int m = quick ? 128 : 1000;
    LabData d = ctx.data(m, 100);
    LabSummary s = ctx.summary();
    int side = (int) Math.round(Math.sqrt(d.features()));
    if (side * side != d.features()) {
      throw new IllegalStateException(
          "ddpm-schedules: expected square one-channel images, got " + d.features() + " values");
    }
    // x0: the images made exactly zero-mean and unit-variance over all their pixels, so that
    // corr(x_t, x0) = sqrt(abar_t) in expectation (the lab data are already normalised with the
    // training set's statistics; this removes the small remainder).
    double[] raw = d.xTrain().toDoubleArray();
    double mean = Arrays.stream(raw).average().orElseThrow();
    double var = 0;
    for (double v : raw) {
      var += (v - mean) * (v - mean) / raw.length;
    }
    double sd = Math.sqrt(var);
    Tensor x0 = Tensor.zeros(DType.FLOAT64, m, 1, side, side);
    double[] x0v = x0.doubleStorage();
    for (int i = 0; i < raw.length; i++) {
      x0v[i] = (raw[i] - mean) / sd;
    }
    int pixels = raw.length;
    double tolerance = SIGMAS / Math.sqrt(pixels);
    ctx.say(
        "T = %d, %d images x %d pixels = %d values, float64; tolerance %s (%s standard errors)",
        T, m, d.features(), pixels, fmt(tolerance), plain(SIGMAS));

    RandomGenerator rng = Init.rng(ctx.seed());
    int sch = SCHEDULES.size();
    double[][] alphaBar = new double[sch][];
    double[][] corr = new double[sch][T];
    double[] maxDev = new double[sch];
    double[] destroyed = new double[sch];
    double[] destroyedFormula = new double[sch];
    double[] deviation = new double[sch];
    double[] x0flat = x0v.clone();
    int[] steps = new int[m];
    for (int a = 0; a < sch; a++) {
      GaussianDiffusion diffusion = new GaussianDiffusion(BetaSchedule.of(SCHEDULES.get(a)), T);
      alphaBar[a] = diffusion.alphasCumprod();
      // One noise draw per schedule, reused across the steps: each x_t is still a draw of
      // q(x_t | x0), and the curves of one schedule are not jagged by fresh noise at every step.
      Tensor eps = Init.normal(rng, DType.FLOAT64, 1.0, m, 1, side, side);
      double[] sqrtAbar = new double[T];
      for (int t = 0; t < T; t++) {
        Arrays.fill(steps, t);
        Tensor xt = diffusion.qSample(x0, steps, eps);
        corr[a][t] = Metrics.pearson(values(xt), x0flat);
        sqrtAbar[t] = Math.sqrt(alphaBar[a][t]);
        maxDev[a] = Math.max(maxDev[a], Math.abs(corr[a][t] - sqrtAbar[t]));
      }
      destroyed[a] = fractionBelow(corr[a], DESTROYED);
      destroyedFormula[a] = fractionBelow(sqrtAbar, DESTROYED);
      deviation[a] = angleDeviation(corr[a]);
      String key = SCHEDULES.get(a);
      s.number(key + "_max_abs_corr_minus_sqrt_alpha_bar", maxDev[a]);
      s.number(key + "_fraction_destroyed", destroyed[a]);
      s.number(key + "_fraction_destroyed_formula", destroyedFormula[a]);
      s.number(key + "_angle_deviation", deviation[a]);
      for (int q = 1; q <= 4; q++) {
        s.number(key + "_alpha_bar_at_" + q + "_4", alphaBar[a][q * T / 4 - 1]);
      }
      ctx.say(
          "  %-8s max |corr - sqrt(abar)| %s; steps with corr < %s: %s (formula %s); angle off"
              + " a straight line by %s",
          key,
          fmt(maxDev[a]),
          plain(DESTROYED),
          fmt(destroyed[a]),
          fmt(destroyedFormula[a]),
          fmt(deviation[a]));
    }
    s.number("tolerance", tolerance);
    s.number("pixels", pixels);

    curves(alphaBar, corr, tolerance, ctx);
    grid(x0, side, rng, ctx);

    int lin = SCHEDULES.indexOf("linear");
    int cos = SCHEDULES.indexOf("cosine");
    int sig = SCHEDULES.indexOf("sigmoid");
    boolean agree = true;
    for (double dev : maxDev) {
      agree &= dev <= tolerance;
    }
    s.check(
        "q_sample draws x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps: on unit-variance images the"
            + " correlation of x_t with x0 is sqrt(abar_t), at every step of all three schedules"
            + " (within "
            + plain(SIGMAS)
            + " standard errors, "
            + plain(SIGMAS)
            + "/sqrt(pixels))",
        String.format(
            Locale.ROOT,
            "largest |corr - sqrt(abar)| over the %d steps: linear %s, cosine %s, sigmoid %s"
                + " (tolerance %s)",
            T,
            fmt(maxDev[lin]),
            fmt(maxDev[cos]),
            fmt(maxDev[sig]),
            fmt(tolerance)),
        agree);
    s.check(
        "The linear schedule destroys the image early (Nichol and Dhariwal 2021): the share of"
            + " steps where x_t keeps less than "
            + plain(DESTROYED)
            + " correlation with x0 is more than 3 times the cosine schedule's",
        String.format(
            Locale.ROOT,
            "steps with corr < %s: linear %s, cosine %s, sigmoid %s",
            plain(DESTROYED),
            fmt(destroyed[lin]),
            fmt(destroyed[cos]),
            fmt(destroyed[sig])),
        destroyed[lin] > 3 * destroyed[cos]);
    s.check(
        "The cosine schedule degrades the image evenly: the angle arccos(corr) from x0 to the"
            + " noise grows at a nearly constant rate (within 0.05 of a straight line in t, as a"
            + " fraction of pi/2), the linear schedule's does not (more than 0.2 off)",
        String.format(
            Locale.ROOT,
            "largest distance of the measured angle from t/T: cosine %s, linear %s, sigmoid %s",
            fmt(deviation[cos]),
            fmt(deviation[lin]),
            fmt(deviation[sig])),
        deviation[cos] < 0.05 && deviation[lin] > 0.2);

    List<List<String>> rows = new ArrayList<>();
    for (int k = 1; k <= 8; k++) {
      int t = k * T / 8;
      List<String> row = new ArrayList<>();
      row.add(Integer.toString(t));
      for (int a = 0; a < sch; a++) {
        row.add(fmt(Math.sqrt(alphaBar[a][t - 1])) + " / " + fmt(corr[a][t - 1]));
      }
      rows.add(row);
    }
    s.text(
        m
            + " Fashion-MNIST training images (the lab data: normalised, then made exactly zero-mean"
            + " and unit-variance over all their "
            + pixels
            + " pixels) are noised by GaussianDiffusion.qSample at every step t = 1.."
            + T
            + " of each schedule (BetaSchedule.of(name) with its defaults: linear 1e-4..0.02,"
            + " cosine s = 0.008, sigmoid -3..3, tau 1), with one Gaussian noise draw per"
            + " schedule. corr is the Pearson correlation of x_t with x0 over all pixels of all"
            + " images; its standard error is at most 1/sqrt(pixels). 'Destroyed' is corr < "
            + plain(DESTROYED)
            + " (abar < "
            + BigDecimal.valueOf(DESTROYED).pow(2).toPlainString()
            + "). On images scaled to [-1, 1], as a DDPM is trained (standard deviation about"
            + " 0.7 for Fashion-MNIST, not 1), the correlation is a little lower: sqrt(abar) sd"
            + " / sqrt(abar sd^2 + 1 - abar).");
    s.table(List.of("step t", "linear sqrt(abar) / corr", "cosine", "sigmoid"), rows);
    s.figure(
        "noising.png",
        "One image noised by q_sample at t = 0, T/8, ..., T (same noise in every panel)");
    s.figure("schedules.png", "alpha_bar, log SNR, measured angle, and corr - sqrt(abar)");
  }

  /**
   * schedules.png: abar, log SNR and the measured angle and error against the step, drawn every
   * T/100 steps (XChart puts a tick label at every few data points: 1000 points would crowd them).
   */
  private static void curves(double[][] alphaBar, double[][] corr, double tolerance, LabContext ctx)
      throws IOException {
    int every = T / 100;
    int p = T / every;
    double[] steps = new double[p];
    double[] steps0 = new double[p + 1]; // with step 0, the clean image (abar = 1)
    for (int i = 0; i < p; i++) {
      steps[i] = (i + 1) * every;
      steps0[i + 1] = steps[i];
    }
    List<Plots.Series> abar = new ArrayList<>();
    List<Plots.Series> snr = new ArrayList<>();
    List<Plots.Series> angle = new ArrayList<>();
    List<Plots.Series> error = new ArrayList<>();
    for (int a = 0; a < SCHEDULES.size(); a++) {
      double[] ab = new double[p + 1];
      double[] logSnr = new double[p];
      double[] phi = new double[p];
      double[] err = new double[p];
      ab[0] = 1;
      for (int i = 0; i < p; i++) {
        int t = (i + 1) * every - 1; // the index of step (i + 1) * every
        ab[i + 1] = alphaBar[a][t];
        logSnr[i] = Math.log(alphaBar[a][t] / (1 - alphaBar[a][t]));
        phi[i] = angle(corr[a][t]);
        err[i] = corr[a][t] - Math.sqrt(alphaBar[a][t]);
      }
      String name = SCHEDULES.get(a);
      abar.add(new Plots.Series(name, steps0, ab));
      snr.add(new Plots.Series(name, steps, logSnr));
      angle.add(new Plots.Series(name + " (measured)", steps, phi));
      error.add(new Plots.Series(name, steps, err));
    }
    double[] ends = {0, T};
    angle.add(new Plots.Series("constant rate t/T", ends, new double[] {0, 1}));
    error.add(new Plots.Series("+ tolerance", ends, new double[] {tolerance, tolerance}));
    error.add(new Plots.Series("- tolerance", ends, new double[] {-tolerance, -tolerance}));
    List<XYChart> charts =
        List.of(
            Plots.lines("alpha_bar(t)", "step t", "alpha_bar", abar, false, false, 640, 400),
            Plots.lines(
                "log SNR(t) = log(abar / (1 - abar))",
                "step t",
                "log SNR",
                snr,
                false,
                false,
                640,
                400),
            Plots.lines(
                "Angle from x0 to noise, arccos(corr) / (pi/2)",
                "step t",
                "fraction of pi/2",
                angle,
                false,
                false,
                640,
                400),
            Plots.lines(
                "Measured corr(x_t, x0) - sqrt(abar_t)",
                "step t",
                "difference",
                error,
                false,
                false,
                640,
                400));
    for (XYChart c : charts) {
      for (XYSeries line : c.getSeriesMap().values()) {
        if (line.getName().contains("tolerance") || line.getName().startsWith("constant")) {
          line.setLineStyle(SeriesLines.DASH_DASH); // references, not measurements
        }
      }
    }
    Plots.grid(charts, 2, "DDPM schedules at T = " + T, ctx.file("schedules.png"));
  }

  /** noising.png: the first image in [-1, 1], noised at t = 0, T/8, ..., T by each schedule. */
  private static void grid(Tensor x0, int side, RandomGenerator rng, LabContext ctx)
      throws IOException {
    // The first image mapped to [-1, 1], the range a DDPM is trained on (Ho et al. 2020, 3.3): the
    // lab data are an affine map of the pixels, so mapping the images' minimum and maximum to -1
    // and 1 undoes it exactly when the images contain black and white pixels.
    double[] all = x0.toDoubleArray();
    double lo = Arrays.stream(all).min().orElseThrow();
    double hi = Arrays.stream(all).max().orElseThrow();
    Tensor img = Tensor.zeros(DType.FLOAT64, 1, 1, side, side);
    for (int i = 0; i < side * side; i++) {
      img.doubleStorage()[i] = 2 * (all[i] - lo) / (hi - lo) - 1;
    }
    Tensor eps = Init.normal(rng, DType.FLOAT64, 1.0, 1, 1, side, side);
    List<List<ExplainFigures.Panel>> rows = new ArrayList<>();
    for (String name : SCHEDULES) {
      GaussianDiffusion diffusion = new GaussianDiffusion(BetaSchedule.of(name), T);
      List<ExplainFigures.Panel> row = new ArrayList<>();
      for (int k = 0; k <= 8; k++) {
        int t = k * T / 8;
        Tensor xt = k == 0 ? img : diffusion.qSample(img, new int[] {t - 1}, eps);
        Tensor shown = xt.reshape(1, side, side).add(1).mul(0.5);
        row.add(new ExplainFigures.Panel(k == 0 ? name + " x0" : "t=" + t, shown, null));
      }
      rows.add(row);
    }
    ExplainFigures.write(
        ctx.file("noising.png"),
        "One image noised by q_sample; rows: linear, cosine, sigmoid; T = " + T,
        rows,
        3);
  }
}
