package org.handgrad.app.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Png;

/**
 * A scatter plot whose points are coloured by a value, with a colour bar: CS231n's picture of a
 * hyperparameter search (each trial a dot at (log10 learning rate, log10 regularization), its
 * colour the validation accuracy). Drawn with Java2D, colours from matplotlib's viridis.
 */
public final class ScatterMap {
  private ScatterMap() {}

  /** viridis at 0, 1/4, 1/2, 3/4, 1 (matplotlib's default colour map), linearly interpolated. */
  private static final Color[] VIRIDIS = {
    new Color(0x440154),
    new Color(0x3b528b),
    new Color(0x21918c),
    new Color(0x5ec962),
    new Color(0xfde725)
  };

  private static final int W = 900;
  private static final int H = 640;
  private static final int LEFT = 90;
  private static final int RIGHT = 150;
  private static final int TOP = 60;
  private static final int BOTTOM = 70;

  /**
   * Writes the plot as PNG.
   *
   * @param x horizontal positions, length T (e.g. log10 of the learning rate)
   * @param y vertical positions, length T
   * @param value the colour of each point, length T; NaN points are drawn as grey crosses
   * @param valueTitle names the colour bar
   */
  public static void write(
      String title,
      String xTitle,
      String yTitle,
      double[] x,
      double[] y,
      double[] value,
      String valueTitle,
      Path png)
      throws IOException {
    if (x.length == 0 || x.length != y.length || x.length != value.length) {
      throw new IllegalArgumentException(
          "scatter map '"
              + title
              + "': need as many x, y and values, got "
              + x.length
              + ", "
              + y.length
              + ", "
              + value.length);
    }
    double[] xr = range(x);
    double[] yr = range(y);
    double[] vr = range(value);
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, W, H);
    int pw = W - LEFT - RIGHT;
    int ph = H - TOP - BOTTOM;
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    g.drawString(title, (W - g.getFontMetrics().stringWidth(title)) / 2, 35);
    g.setColor(new Color(0x606060));
    g.drawRect(LEFT, TOP, pw, ph);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    for (int i = 0; i <= 4; i++) {
      double fx = xr[0] + (xr[1] - xr[0]) * i / 4;
      int px = LEFT + pw * i / 4;
      String lx = String.format(Locale.ROOT, "%.2g", fx);
      g.drawLine(px, TOP + ph, px, TOP + ph + 5);
      g.drawString(lx, px - g.getFontMetrics().stringWidth(lx) / 2, TOP + ph + 20);
      double fy = yr[0] + (yr[1] - yr[0]) * i / 4;
      int py = TOP + ph - ph * i / 4;
      String ly = String.format(Locale.ROOT, "%.2g", fy);
      g.drawLine(LEFT - 5, py, LEFT, py);
      g.drawString(ly, LEFT - 8 - g.getFontMetrics().stringWidth(ly), py + 4);
    }
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    g.drawString(xTitle, LEFT + (pw - g.getFontMetrics().stringWidth(xTitle)) / 2, H - 20);
    AffineTransform saved = g.getTransform();
    g.rotate(-Math.PI / 2);
    g.drawString(yTitle, -(TOP + (ph + g.getFontMetrics().stringWidth(yTitle)) / 2), 30);
    g.setTransform(saved);

    int r = 9;
    g.setStroke(new BasicStroke(1.5f));
    for (int i = 0; i < x.length; i++) {
      int px = LEFT + (int) Math.round(pw * frac(x[i], xr));
      int py = TOP + ph - (int) Math.round(ph * frac(y[i], yr));
      if (Double.isNaN(value[i])) {
        g.setColor(Color.GRAY);
        g.drawLine(px - r, py - r, px + r, py + r);
        g.drawLine(px - r, py + r, px + r, py - r);
      } else {
        g.setColor(viridis(frac(value[i], vr)));
        g.fillOval(px - r, py - r, 2 * r, 2 * r);
        g.setColor(new Color(0x303030));
        g.drawOval(px - r, py - r, 2 * r, 2 * r);
      }
    }

    // The colour bar, low values at the bottom.
    int bx = W - RIGHT + 40;
    for (int py = 0; py < ph; py++) {
      g.setColor(viridis(1.0 - (double) py / (ph - 1)));
      g.drawLine(bx, TOP + py, bx + 20, TOP + py);
    }
    g.setColor(new Color(0x606060));
    g.setStroke(new BasicStroke(1f));
    g.drawRect(bx, TOP, 20, ph);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.setColor(Color.BLACK);
    for (int i = 0; i <= 4; i++) {
      double v = vr[0] + (vr[1] - vr[0]) * i / 4;
      g.drawString(String.format(Locale.ROOT, "%.3g", v), bx + 26, TOP + ph - ph * i / 4 + 4);
    }
    g.drawString(valueTitle, bx - 10, TOP - 10);
    g.dispose();
    AtomicFiles.write(png, Png.toBytes(img));
  }

  /** The finite range of v, widened when it is a single value so that fractions stay defined. */
  private static double[] range(double[] v) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double a : v) {
      if (Double.isFinite(a)) {
        lo = Math.min(lo, a);
        hi = Math.max(hi, a);
      }
    }
    if (lo > hi) {
      return new double[] {0, 1};
    }
    if (hi - lo < 1e-12) {
      return new double[] {lo - 0.5, hi + 0.5};
    }
    return new double[] {lo, hi};
  }

  private static double frac(double v, double[] r) {
    return Math.max(0, Math.min(1, (v - r[0]) / (r[1] - r[0])));
  }

  /** viridis at t in [0, 1]. */
  static Color viridis(double t) {
    double p = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
    int i = Math.min((int) p, VIRIDIS.length - 2);
    double f = p - i;
    Color a = VIRIDIS[i];
    Color b = VIRIDIS[i + 1];
    return new Color(
        (int) Math.round(a.getRed() + (b.getRed() - a.getRed()) * f),
        (int) Math.round(a.getGreen() + (b.getGreen() - a.getGreen()) * f),
        (int) Math.round(a.getBlue() + (b.getBlue() - a.getBlue()) * f));
  }
}
