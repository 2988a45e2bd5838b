package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.handgrad.app.report.Plots;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.functional.BatchNorm;
import org.handgrad.nn.functional.BatchNormParam;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * Debug handbook, "gradient check fails at 1e-3": a BatchNorm backward that forgets one of the
 * paths by which x reaches the output. In the staged graph of the CS231n notebook x reaches out
 * directly, through the mean mu and through the variance var; summing the three paths gives the
 * closed form
 *
 * <pre>
 *   dx = gamma * ivar / N * (N * dout - sum(dout) - xhat * sum(dout * xhat))
 * </pre>
 *
 * where {@code - sum(dout)} is the path through mu and {@code - xhat * sum(dout * xhat)} the path
 * through var. Dropping either gives a gradient that looks plausible (right shape, right order of
 * magnitude) but fails the float64 numerical gradient check, whose relative error CS231n reads as:
 * about 1e-7 or less is right, above 1e-3 is probably wrong.
 */
final class BrokenBackwardLab implements Lab {
  @Override
  public String name() {
    return "broken-backward";
  }

  @Override
  public String description() {
    return "a BatchNorm backward missing the path through the mean or the variance, caught by"
        + " the float64 gradient check";
  }

  /** Which backward. */
  enum Variant {
    CORRECT("handgrad's closed form"),
    NO_MEAN_PATH("missing the path through the mean"),
    NO_VAR_PATH("missing the path through the variance");

    final String label;

    Variant(String label) {
      this.label = label;
    }
  }

  /**
   * dx of the batch normalization in train mode, correct or with one path left out.
   *
   * @param dout (N, D) float64
   * @param cache from {@link BatchNorm#batchnormForward} in TRAIN mode
   * @return dx (N, D) float64
   */
  static Tensor dx(Tensor dout, BatchNorm.Cache cache, Variant v) {
    if (v == Variant.CORRECT) {
      return BatchNorm.batchnormBackwardAlt(dout, cache).dx();
    }
    int n = cache.x().shape(0);
    int d = cache.x().shape(1);
    double[] x = cache.x().toDoubleArray();
    double[] dy = dout.toDoubleArray();
    double[] gamma = cache.gamma().toDoubleArray();
    double[] mu = cache.mean().toDoubleArray();
    double[] ivar = cache.invStd().toDoubleArray();
    double[] sumDy = new double[d];
    double[] sumDyXhat = new double[d];
    double[] xhat = new double[n * d];
    for (int i = 0; i < n * d; i++) {
      int j = i % d;
      xhat[i] = (x[i] - mu[j]) * ivar[j];
      sumDy[j] += dy[i];
      sumDyXhat[j] += dy[i] * xhat[i];
    }
    double[] dx = new double[n * d];
    for (int i = 0; i < n * d; i++) {
      int j = i % d;
      double meanPath = v == Variant.NO_MEAN_PATH ? 0 : sumDy[j];
      double varPath = v == Variant.NO_VAR_PATH ? 0 : xhat[i] * sumDyXhat[j];
      dx[i] = gamma[j] * ivar[j] / n * (n * dy[i] - meanPath - varPath);
    }
    return Tensor.of(dx, n, d);
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    int n = ctx.quick() ? 8 : 16;
    int d = ctx.quick() ? 5 : 10;
    Rng rng = new Rng(ctx.seed());
    // The notebook's test input: shifted and scaled so that mean and variance matter.
    Tensor x = rng.randn(DType.FLOAT64, n, d).mul(5).add(12);
    Tensor gamma = rng.randn(DType.FLOAT64, d);
    Tensor beta = rng.randn(DType.FLOAT64, d);
    Tensor dout = rng.randn(DType.FLOAT64, n, d);
    BatchNorm.Cache cache =
        BatchNorm.batchnormForward(x, gamma, beta, BatchNormParam.create(DType.FLOAT64, d)).cache();
    double[] hs = {1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9};
    LabSummary s = ctx.summary();
    List<Plots.Series> curves = new ArrayList<>();
    double[] atDefault = new double[Variant.values().length];
    List<List<String>> rows = new ArrayList<>();
    for (Variant v : Variant.values()) {
      Tensor analytic = dx(dout, cache, v);
      double[] err = new double[hs.length];
      for (int k = 0; k < hs.length; k++) {
        Tensor numeric =
            GradCheck.evalNumericalGradientArray(
                xi ->
                    BatchNorm.batchnormForward(
                            xi, gamma, beta, BatchNormParam.create(DType.FLOAT64, d))
                        .out(),
                x,
                dout,
                hs[k]);
        err[k] = GradCheck.relError(analytic, numeric);
      }
      atDefault[v.ordinal()] = err[4]; // h = 1e-5, GradCheck.DEFAULT_H
      curves.add(new Plots.Series(v.label, hs, err));
      rows.add(List.of(v.label, fmt(err[4]), fmt(min(err))));
      s.number(v.name().toLowerCase(Locale.ROOT) + "_rel_error", err[4]);
      ctx.say("  %-36s relative error %s at h = 1e-5", v.label, fmt(err[4]));
    }
    var chart =
        Plots.lines(
            "BatchNorm dx: relative error vs the numerical gradient, by step h",
            "h",
            "relative error",
            curves,
            true,
            true,
            1000,
            480);
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setXAxisDecimalPattern("0E0");
    Plots.save(chart, ctx.file("gradcheck.png"));

    double ok = atDefault[Variant.CORRECT.ordinal()];
    double noMean = atDefault[Variant.NO_MEAN_PATH.ordinal()];
    double noVar = atDefault[Variant.NO_VAR_PATH.ordinal()];
    s.check(
        "The correct backward passes the float64 gradient check (relative error ~1e-7 or less)",
        "relative error " + fmt(ok) + " at h = 1e-5",
        ok < 1e-7);
    s.check(
        "A backward missing the path through the mean is caught: relative error above 1e-3",
        "relative error " + fmt(noMean),
        noMean > 1e-3);
    s.check(
        "A backward missing the path through the variance is caught: relative error above 1e-3",
        "relative error " + fmt(noVar),
        noVar > 1e-3);
    s.text(
        "Input x of shape ("
            + n
            + ", "
            + d
            + ") drawn as 12 + 5 N(0, 1) (so the mean and variance are far from 0 and 1), random"
            + " gamma, beta and upstream gradient dout, float64. Each dx is compared with the"
            + " centered difference (f(x + h) - f(x - h)) / 2h of sum(out * dout), for h from 1e-1"
            + " to 1e-9; the CS231n relative error is max |a - n| / max(1e-8, |a| + |n|)."
            + " The correct gradient reaches ~1e-10 where the difference is accurate and rises"
            + " again for tiny h (float64 rounding); a broken one stays high at every h: the"
            + " error is in the formula, not in the check.");
    s.table(List.of("backward", "rel. error at h = 1e-5", "best over h"), rows);
    s.figure(
        "gradcheck.png",
        "Relative error against the step h (the two broken variants overlap when both are at 1)");
  }

  private static double min(double[] v) {
    double m = Double.POSITIVE_INFINITY;
    for (double x : v) {
      m = Math.min(m, x);
    }
    return m;
  }
}
