package org.handgrad.app.ssl;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.handgrad.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The kNN monitor curve of a self-supervised run (accuracy against epoch, epoch 0 = random init).
 */
final class SslCharts {
  private SslCharts() {}

  /**
   * Writes the curve as a PNG (encoded in memory, written atomically).
   *
   * @param epochs the epoch of each evaluation
   * @param accuracy the kNN accuracy of each evaluation, same length, non-empty
   */
  static void knnCurve(List<Double> epochs, List<Double> accuracy, String title, Path png)
      throws IOException {
    if (epochs.isEmpty() || epochs.size() != accuracy.size()) {
      throw new IllegalArgumentException(
          "knnCurve: need equally long non-empty lists, got "
              + epochs.size()
              + " and "
              + accuracy.size());
    }
    XYChart chart =
        new XYChartBuilder()
            .width(900)
            .height(500)
            .title(title)
            .xAxisTitle("epoch")
            .yAxisTitle("kNN accuracy")
            .build();
    double[] x = epochs.stream().mapToDouble(Double::doubleValue).toArray();
    double[] y = accuracy.stream().mapToDouble(Double::doubleValue).toArray();
    XYSeries s = chart.addSeries(String.format(Locale.ROOT, "last %.4f", y[y.length - 1]), x, y);
    s.setLineColor(new Color(0x1f77b4));
    s.setMarkerColor(new Color(0x1f77b4));
    s.setMarker(SeriesMarkers.CIRCLE);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotBackgroundColor(Color.WHITE);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisMax(1.0);
    chart.getStyler().setXAxisDecimalPattern("0");
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    AtomicFiles.write(png, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
  }
}
