package org.handgrad.app.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.handgrad.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Comparison plots: several named curves on one set of axes (the runs of an index page, the arms of
 * a lab), and a grid of small panels in one PNG (per-layer histograms of a lab).
 */
public final class Plots {
  private Plots() {}

  /** matplotlib's tab10 colours, so overlays look like the notebooks' plots. */
  private static final Color[] TAB10 = {
    new Color(0x1f77b4),
    new Color(0xff7f0e),
    new Color(0x2ca02c),
    new Color(0xd62728),
    new Color(0x9467bd),
    new Color(0x8c564b),
    new Color(0xe377c2),
    new Color(0x7f7f7f),
    new Color(0xbcbd22),
    new Color(0x17becf)
  };

  /**
   * One curve.
   *
   * @param name legend entry
   * @param x abscissae, length L
   * @param y ordinates, length L
   */
  public record Series(String name, double[] x, double[] y) {
    /** Validates equal, non-zero lengths. */
    public Series {
      if (x.length != y.length || x.length == 0) {
        throw new IllegalArgumentException(
            "plot series '"
                + name
                + "': need equally long non-empty x and y, got "
                + x.length
                + " and "
                + y.length);
      }
    }

    /** A curve over 0, 1, ..., L-1 (iterations, epochs, layers). */
    public static Series of(String name, double[] y) {
      double[] x = new double[y.length];
      for (int i = 0; i < x.length; i++) {
        x[i] = i;
      }
      return new Series(name, x, y);
    }
  }

  /**
   * A line chart of several curves in tab10 colours, ready to save or to tile with {@link #grid}.
   *
   * @param logY logarithmic y axis: every y must then be &gt; 0 (callers floor zeros and say so)
   * @param markers draw a marker at every point (short curves such as per-epoch accuracy)
   */
  public static XYChart lines(
      String title,
      String xTitle,
      String yTitle,
      List<Series> series,
      boolean logY,
      boolean markers,
      int width,
      int height) {
    if (series.isEmpty()) {
      throw new IllegalArgumentException("plot '" + title + "': no series to draw");
    }
    XYChart chart =
        new XYChartBuilder()
            .width(width)
            .height(height)
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
    s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, width < 600 ? 14 : 18));
    s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    s.setLegendPosition(Styler.LegendPosition.OutsideE);
    s.setAntiAlias(true);
    s.setMarkerSize(6);
    s.setYAxisLogarithmic(logY);
    for (int i = 0; i < series.size(); i++) {
      Series c = series.get(i);
      if (logY) {
        for (double v : c.y()) {
          if (!(v > 0)) {
            throw new IllegalArgumentException(
                "plot '" + title + "': log axis needs y > 0, series '" + c.name() + "' has " + v);
          }
        }
      }
      XYSeries xy = chart.addSeries(c.name(), c.x(), c.y());
      Color colour = TAB10[i % TAB10.length];
      xy.setLineColor(colour);
      xy.setMarkerColor(colour);
      xy.setLineWidth(2f);
      xy.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }
    s.setXAxisDecimalPattern(pattern(series, true));
    if (!logY) {
      s.setYAxisDecimalPattern(pattern(series, false));
    }
    return chart;
  }

  /**
   * Tick labels: plain with up to 3 decimals, scientific when the values are huge or tiny (XChart's
   * default prints every digit of a double, e.g. 0.999999999999087).
   */
  private static String pattern(List<Series> series, boolean x) {
    double max = 0;
    for (Series c : series) {
      for (double v : x ? c.x() : c.y()) {
        if (Double.isFinite(v)) {
          max = Math.max(max, Math.abs(v));
        }
      }
    }
    return max >= 1e4 || (max > 0 && max < 1e-2) ? "0.0E0" : "0.###";
  }

  /**
   * A bar chart of one value per named category (the arms of a lab), y from 0, values printed on
   * the bars.
   *
   * @param categories bar labels, length B
   * @param values bar heights, length B
   */
  public static void bars(
      String title, String yTitle, List<String> categories, double[] values, Path png)
      throws IOException {
    if (categories.isEmpty() || categories.size() != values.length) {
      throw new IllegalArgumentException(
          "bar chart '"
              + title
              + "': need one value per category, got "
              + categories.size()
              + " categories and "
              + values.length
              + " values");
    }
    CategoryChart chart =
        new CategoryChartBuilder().width(1000).height(460).title(title).yAxisTitle(yTitle).build();
    var s = chart.getStyler();
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setPlotGridLinesColor(new Color(0xe5e5e5));
    s.setChartTitleBoxVisible(false);
    s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    s.setLegendVisible(false);
    s.setYAxisMin(0.0);
    s.setYAxisDecimalPattern("0.###");
    s.setLabelsVisible(true);
    s.setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    s.setSeriesColors(new Color[] {TAB10[0]});
    List<Double> v = new java.util.ArrayList<>();
    for (double x : values) {
      v.add(x);
    }
    chart.addSeries(yTitle, categories, v);
    AtomicFiles.write(png, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
  }

  /** Writes a chart as PNG. */
  public static void save(XYChart chart, Path png) throws IOException {
    AtomicFiles.write(png, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
  }

  /**
   * Tiles charts row by row into one PNG with a title band on top; every chart keeps its size, the
   * cell being the largest chart.
   *
   * @param columns panels per row, &gt; 0
   */
  public static void grid(List<XYChart> charts, int columns, String title, Path png)
      throws IOException {
    if (charts.isEmpty() || columns <= 0) {
      throw new IllegalArgumentException(
          "plot grid '"
              + title
              + "': need charts and columns > 0, got "
              + charts.size()
              + ", "
              + columns);
    }
    int cw = 0;
    int ch = 0;
    for (XYChart c : charts) {
      cw = Math.max(cw, c.getWidth());
      ch = Math.max(ch, c.getHeight());
    }
    int rows = (charts.size() + columns - 1) / columns;
    int band = 40;
    BufferedImage img =
        new BufferedImage(
            cw * Math.min(columns, charts.size()), band + ch * rows, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, img.getWidth(), img.getHeight());
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
      g.drawString(title, 12, 27);
      for (int i = 0; i < charts.size(); i++) {
        BufferedImage panel = BitmapEncoder.getBufferedImage(charts.get(i));
        g.drawImage(panel, (i % columns) * cw, band + (i / columns) * ch, null);
      }
    } finally {
      g.dispose();
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageIO.write(img, "png", bytes);
    AtomicFiles.write(png, bytes.toByteArray());
  }
}
