package org.handgrad.app.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.handgrad.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Line charts of a run as PNG files, drawn with XChart: the loss per iteration (raw and averaged)
 * and the train / validation accuracy per epoch, the two plots of CS231n's notebooks, and the kNN
 * cross-validation plot of assignment 1.
 */
public final class Charts {
  private Charts() {}

  /** matplotlib's default colours (tab10), so the plots look familiar. */
  static final Color BLUE = new Color(0x1f77b4);

  static final Color ORANGE = new Color(0xff7f0e);
  static final Color GREEN = new Color(0x2ca02c);
  static final Color GREY = new Color(0xb0b0b0);

  /** Chart size in pixels. */
  public static final int WIDTH = 900;

  public static final int HEIGHT = 500;

  /**
   * Centred moving average: point i becomes the mean of the points within {@code window / 2} of it
   * (fewer at the ends). Unlike an exponential average it does not lag behind a falling loss.
   *
   * @param window width in points, odd and &gt; 0; 1 returns the data unchanged
   */
  public static double[] movingAverage(List<Double> values, int window) {
    if (window <= 0 || window % 2 == 0) {
      throw new IllegalArgumentException(
          "movingAverage: window must be odd and > 0, got " + window);
    }
    int n = values.size();
    // Prefix sums make each mean O(1).
    double[] prefix = new double[n + 1];
    for (int i = 0; i < n; i++) {
      prefix[i + 1] = prefix[i] + values.get(i);
    }
    double[] out = new double[n];
    int half = window / 2;
    for (int i = 0; i < n; i++) {
      int lo = Math.max(0, i - half);
      int hi = Math.min(n, i + half + 1);
      out[i] = (prefix[hi] - prefix[lo]) / (hi - lo);
    }
    return out;
  }

  /** An odd window of about 2% of the run, so the curve is smooth but keeps its shape. */
  static int windowFor(int n) {
    return Math.max(1, n / 50) | 1;
  }

  /**
   * Writes the loss curve: every iteration's loss in grey and the smoothed loss on top.
   *
   * @param loss the Solver's loss history, one value per iteration (at least one)
   */
  public static void lossCurve(List<Double> loss, String title, Path png) throws IOException {
    if (loss.isEmpty()) {
      throw new IllegalArgumentException("lossCurve: no losses to plot");
    }
    XYChart chart = chart(title, "iteration", "loss");
    double[] x = new double[loss.size()];
    double[] y = new double[loss.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = i + 1;
      y[i] = loss.get(i);
    }
    XYSeries raw = chart.addSeries("loss per iteration", x, y);
    raw.setMarker(SeriesMarkers.NONE);
    int window = windowFor(x.length);
    if (window == 1) {
      // Too few points to average: the raw curve is the curve.
      raw.setLineColor(BLUE);
      raw.setLineWidth(2f);
    } else {
      raw.setLineColor(GREY);
      raw.setLineWidth(1f);
      XYSeries averaged =
          chart.addSeries(
              String.format(Locale.ROOT, "moving average (%d iterations)", window),
              x,
              movingAverage(loss, window));
      averaged.setMarker(SeriesMarkers.NONE);
      averaged.setLineColor(BLUE);
      averaged.setLineWidth(2.5f);
    }
    chart.getStyler().setYAxisDecimalPattern("0.0##");
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setXAxisDecimalPattern("#,##0");
    // A round axis end gives evenly spaced ticks (see axisEnd).
    chart.getStyler().setXAxisMin(0.0);
    chart.getStyler().setXAxisMax(axisEnd(x.length));
    save(chart, png);
  }

  /**
   * Writes several loss histories of one run on shared axes (the GAN's discriminator and generator
   * losses): each history's moving average in its own colour, over its raw values in grey.
   *
   * @param losses histories by legend name, one value per iteration, all of the same length (at
   *     least one)
   */
  public static void lossCurves(Map<String, List<Double>> losses, String title, Path png)
      throws IOException {
    int n = losses.isEmpty() ? 0 : losses.values().iterator().next().size();
    for (List<Double> l : losses.values()) {
      if (l.size() != n || n == 0) {
        throw new IllegalArgumentException(
            "lossCurves: expected non-empty histories of one length, got " + losses.keySet());
      }
    }
    XYChart chart = chart(title, "iteration", "loss");
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = i + 1;
    }
    int window = windowFor(n);
    Color[] colours = {BLUE, ORANGE, GREEN};
    int c = 0;
    for (Map.Entry<String, List<Double>> e : losses.entrySet()) {
      double[] y = new double[n];
      for (int i = 0; i < n; i++) {
        y[i] = e.getValue().get(i);
      }
      if (window > 1) {
        XYSeries raw = chart.addSeries(e.getKey() + " per iteration", x, y);
        raw.setMarker(SeriesMarkers.NONE);
        raw.setLineColor(GREY);
        raw.setLineWidth(1f);
        raw.setShowInLegend(false);
        y = movingAverage(e.getValue(), window);
      }
      String name =
          window > 1
              ? String.format(Locale.ROOT, "%s (moving average, %d iterations)", e.getKey(), window)
              : e.getKey();
      XYSeries line = chart.addSeries(name, x, y);
      line.setMarker(SeriesMarkers.NONE);
      line.setLineColor(colours[c++ % colours.length]);
      line.setLineWidth(2.5f);
    }
    chart.getStyler().setYAxisDecimalPattern("0.0##");
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setXAxisDecimalPattern("#,##0");
    chart.getStyler().setXAxisMin(0.0);
    chart.getStyler().setXAxisMax(axisEnd(n));
    save(chart, png);
  }

  /**
   * Writes train and validation accuracy per check, CS231n's "Classification accuracy history":
   * check k is plotted at epoch k (the first check follows the first iteration, then one per
   * epoch). The best validation accuracy is marked.
   *
   * @param trainAcc the Solver's train accuracy history
   * @param valAcc the validation accuracy history, same length
   */
  public static void accuracyCurve(
      List<Double> trainAcc, List<Double> valAcc, String title, Path png) throws IOException {
    if (trainAcc.isEmpty() || trainAcc.size() != valAcc.size()) {
      throw new IllegalArgumentException(
          "accuracyCurve: need equally long non-empty histories, got "
              + trainAcc.size()
              + " and "
              + valAcc.size());
    }
    XYChart chart = chart(title, "epoch", "accuracy");
    double[] x = new double[trainAcc.size()];
    int best = 0;
    for (int i = 0; i < x.length; i++) {
      x[i] = i;
      if (valAcc.get(i) > valAcc.get(best)) {
        best = i;
      }
    }
    XYSeries train = chart.addSeries("train", x, toArray(trainAcc));
    train.setLineColor(BLUE);
    train.setMarkerColor(BLUE);
    train.setMarker(SeriesMarkers.CIRCLE);
    train.setLineWidth(2f);
    XYSeries val = chart.addSeries("val", x, toArray(valAcc));
    val.setLineColor(ORANGE);
    val.setMarkerColor(ORANGE);
    val.setMarker(SeriesMarkers.CIRCLE);
    val.setLineWidth(2f);
    XYSeries mark =
        chart.addSeries(
            String.format(Locale.ROOT, "best val %.3f (epoch %d)", valAcc.get(best), best),
            new double[] {best},
            new double[] {valAcc.get(best)});
    mark.setMarker(SeriesMarkers.DIAMOND);
    mark.setMarkerColor(GREEN);
    mark.setLineColor(GREEN);
    mark.setLineStyle(new BasicStroke(0f));
    chart.getStyler().setMarkerSize(9);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisMax(1.0);
    chart.getStyler().setYAxisDecimalPattern("0.0");
    chart.getStyler().setXAxisDecimalPattern("0");
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    save(chart, png);
  }

  /**
   * Writes the alpha-bar curves of diffusion schedules, abar_t against the step t (Nichol and
   * Dhariwal 2021, figure 5): how much of the signal survives at each step.
   *
   * @param curves schedule name to abar_t for t in [0, T), in plotting order (at most four)
   */
  public static void alphaBarCurves(Map<String, double[]> curves, String title, Path png)
      throws IOException {
    if (curves.isEmpty() || curves.size() > 4) {
      throw new IllegalArgumentException(
          "alphaBarCurves: need one to four curves, got " + curves.size());
    }
    XYChart chart = chart(title, "step t", "alpha-bar (signal fraction)");
    Color[] colours = {BLUE, ORANGE, GREEN, GREY};
    int c = 0;
    for (Map.Entry<String, double[]> e : curves.entrySet()) {
      double[] abar = e.getValue();
      double[] x = new double[abar.length];
      for (int t = 0; t < x.length; t++) {
        x[t] = t + 1; // abar_t is the signal left after step t + 1 (1-based) of T
      }
      XYSeries s = chart.addSeries(e.getKey(), x, abar);
      s.setMarker(SeriesMarkers.NONE);
      s.setLineColor(colours[c++]);
      s.setLineWidth(2.5f);
    }
    int steps = curves.values().iterator().next().length;
    chart.getStyler().setXAxisMin(0.0);
    chart.getStyler().setXAxisMax(axisEnd(steps)); // a round end gives evenly spaced ticks
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisMax(1.0);
    chart.getStyler().setYAxisDecimalPattern("0.0#");
    chart.getStyler().setXAxisDecimalPattern("#,##0");
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    save(chart, png);
  }

  /**
   * Writes the speedrun plot: the test accuracy measured at the end of each epoch against the wall
   * time at which it was reached, one line per run, and dashed lines at the given targets.
   *
   * @param runs run label to {seconds, accuracy} points in time order, at most ten runs
   * @param targets accuracies to mark (e.g. 0.93 and 0.94)
   */
  public static void accuracyOverTime(
      Map<String, double[][]> runs, double[] targets, String title, Path png) throws IOException {
    if (runs.isEmpty() || runs.size() > 10) {
      throw new IllegalArgumentException(
          "accuracyOverTime: need one to ten runs, got " + runs.size());
    }
    XYChart chart = chart(title, "wall time (s), data loading included", "test accuracy");
    double maxT = 1;
    double minAcc = 1;
    for (Map.Entry<String, double[][]> e : runs.entrySet()) {
      double[][] pts = e.getValue();
      if (pts.length == 0) {
        continue;
      }
      double[] t = new double[pts.length];
      double[] a = new double[pts.length];
      for (int i = 0; i < pts.length; i++) {
        t[i] = pts[i][0];
        a[i] = pts[i][1];
        maxT = Math.max(maxT, t[i]);
        minAcc = Math.min(minAcc, a[i]);
      }
      XYSeries s = chart.addSeries(e.getKey(), t, a);
      s.setMarker(SeriesMarkers.CIRCLE);
    }
    for (double target : targets) {
      XYSeries s =
          chart.addSeries(
              String.format(Locale.ROOT, "%.0f%%", 100 * target),
              new double[] {0, maxT},
              new double[] {target, target});
      s.setMarker(SeriesMarkers.NONE);
      s.setLineColor(GREY);
      s.setLineStyle(
          new BasicStroke(
              1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
    }
    chart.getStyler().setXAxisMin(0.0);
    chart.getStyler().setYAxisMin(Math.max(0, Math.floor(minAcc * 50) / 50));
    chart.getStyler().setYAxisMax(1.0);
    chart.getStyler().setYAxisDecimalPattern("0.00");
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    save(chart, png);
  }

  /**
   * Writes CS231n's k-nearest-neighbour cross-validation plot: every fold's accuracy as a dot per
   * k, and the mean over folds with the standard deviation as error bars ("Cross-validation on k").
   *
   * @param ks candidate k, length K, increasing
   * @param accuracies accuracies[c][f]: accuracy of ks[c] on fold f, shape (K, folds)
   */
  public static void crossValidation(int[] ks, double[][] accuracies, String title, Path png)
      throws IOException {
    if (ks.length == 0 || accuracies.length != ks.length) {
      throw new IllegalArgumentException(
          "crossValidation: need one accuracy row per k, got "
              + ks.length
              + " ks and "
              + accuracies.length
              + " rows");
    }
    XYChart chart = chart(title, "k", "cross-validation accuracy");
    int folds = accuracies[0].length;
    double[] x = new double[ks.length];
    double[] mean = new double[ks.length];
    double[] std = new double[ks.length];
    for (int c = 0; c < ks.length; c++) {
      x[c] = ks[c];
      for (double a : accuracies[c]) {
        mean[c] += a / folds;
      }
      for (double a : accuracies[c]) {
        std[c] += (a - mean[c]) * (a - mean[c]) / folds; // np.std: population (ddof 0)
      }
      std[c] = Math.sqrt(std[c]);
    }
    double[] fx = new double[ks.length * folds];
    double[] fy = new double[ks.length * folds];
    for (int c = 0, i = 0; c < ks.length; c++) {
      for (int f = 0; f < folds; f++, i++) {
        fx[i] = ks[c];
        fy[i] = accuracies[c][f];
      }
    }
    XYSeries dots = chart.addSeries("fold accuracy", fx, fy);
    dots.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    dots.setMarker(SeriesMarkers.CIRCLE);
    dots.setMarkerColor(GREY);
    XYSeries trend =
        chart.addSeries(
            String.format(Locale.ROOT, "mean +- std over %d folds", folds), x, mean, std);
    trend.setLineColor(BLUE);
    trend.setMarkerColor(BLUE);
    trend.setMarker(SeriesMarkers.CIRCLE);
    trend.setLineWidth(2f);
    chart.getStyler().setErrorBarsColorSeriesColor(true);
    chart.getStyler().setMarkerSize(7);
    chart.getStyler().setXAxisDecimalPattern("0");
    chart.getStyler().setYAxisDecimalPattern("0.00");
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    save(chart, png);
  }

  private static XYChart chart(String title, String xTitle, String yTitle) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle(xTitle)
            .yAxisTitle(yTitle)
            .build();
    var s = chart.getStyler();
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setPlotBorderColor(new Color(0x606060));
    s.setPlotGridLinesColor(new Color(0xe5e5e5));
    s.setLegendBorderColor(new Color(0xcccccc));
    s.setChartTitleBoxVisible(false);
    s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    s.setAntiAlias(true);
    return chart;
  }

  /**
   * A round axis end for n iterations: a multiple of the 1-2-5 step nearest above n / 8, so the
   * axis gets about eight evenly spaced ticks, and at least 2 past n: XChart places a tick at every
   * data point (and crowds their labels) when the axis ends at n or n + 1, because the data then
   * look equally spaced to it.
   */
  static double axisEnd(int n) {
    double target = Math.max(n, 1) / 8.0;
    double p = Math.pow(10, Math.floor(Math.log10(target)));
    double step = 10 * p;
    for (double m : new double[] {1, 2, 5}) {
      if (m * p >= target) {
        step = m * p;
        break;
      }
    }
    step = Math.max(step, 1); // iterations are whole numbers
    double end = Math.ceil(Math.max(n, 1) / step) * step;
    return end - n < 2 ? end + step : end;
  }

  private static double[] toArray(List<Double> values) {
    double[] out = new double[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  private static void save(XYChart chart, Path png) throws IOException {
    AtomicFiles.write(png, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
  }
}
