package org.handgrad.spark;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Png;

/**
 * The CS231n hyper-parameter picture: validation accuracy of a two-option grid as a table of
 * coloured cells (white to dark blue from the worst to the best finished configuration; failed ones
 * grey with "failed"), the first option down the rows, the second across the columns.
 */
final class HeatMap {
  private HeatMap() {}

  private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 16);
  private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
  private static final Color DARK_BLUE = new Color(0x08306b);
  private static final int CELL_W = 110;
  private static final int CELL_H = 56;

  /**
   * Writes the PNG.
   *
   * @param rowName the first option ("lr"), whose values label the rows
   * @param colName the second option ("reg"), whose values label the columns
   * @param acc validation accuracy per [row][col], NaN for a failed configuration
   */
  static void write(
      String rowName,
      List<String> rows,
      String colName,
      List<String> cols,
      double[][] acc,
      String title,
      Path png)
      throws IOException {
    int left = 120;
    int top = 80;
    Graphics2D probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
    int titleWidth = probe.getFontMetrics(TITLE).stringWidth(title);
    probe.dispose();
    int width = Math.max(left + cols.size() * CELL_W + 30, titleWidth + 40);
    int height = top + rows.size() * CELL_H + 40;
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double[] r : acc) {
      for (double a : r) {
        if (!Double.isNaN(a)) {
          lo = Math.min(lo, a);
          hi = Math.max(hi, a);
        }
      }
    }
    g.setColor(Color.BLACK);
    centered(g, TITLE, title, width / 2, 28);
    centered(g, LABEL, colName + " \u2192", left + cols.size() * CELL_W / 2, 56);
    g.setFont(LABEL);
    g.drawString(rowName + " \u2193", 12, 56);
    for (int j = 0; j < cols.size(); j++) {
      centered(g, LABEL, cols.get(j), left + j * CELL_W + CELL_W / 2, top - 6);
    }
    for (int i = 0; i < rows.size(); i++) {
      int y = top + i * CELL_H;
      g.setColor(Color.BLACK);
      g.setFont(LABEL);
      g.drawString(rows.get(i), 12, y + CELL_H / 2 + 5);
      for (int j = 0; j < cols.size(); j++) {
        int x = left + j * CELL_W;
        double a = acc[i][j];
        double f = Double.isNaN(a) ? 0 : hi > lo ? (a - lo) / (hi - lo) : 1;
        Color c = Double.isNaN(a) ? new Color(0xbdbdbd) : blend(Color.WHITE, DARK_BLUE, f);
        g.setColor(c);
        g.fillRect(x, y, CELL_W, CELL_H);
        g.setColor(Color.WHITE);
        g.drawRect(x, y, CELL_W, CELL_H);
        g.setColor(f > 0.5 ? Color.WHITE : Color.BLACK);
        String text = Double.isNaN(a) ? "failed" : String.format(Locale.ROOT, "%.4f", a);
        centered(g, LABEL, text, x + CELL_W / 2, y + CELL_H / 2 + 5);
      }
    }
    g.dispose();
    AtomicFiles.write(png, Png.toBytes(img));
  }

  private static void centered(Graphics2D g, Font font, String text, int x, int y) {
    g.setFont(font);
    g.drawString(text, x - g.getFontMetrics().stringWidth(text) / 2, y);
  }

  private static Color blend(Color a, Color b, double f) {
    return new Color(
        (int) Math.round(a.getRed() + (b.getRed() - a.getRed()) * f),
        (int) Math.round(a.getGreen() + (b.getGreen() - a.getGreen()) * f),
        (int) Math.round(a.getBlue() + (b.getBlue() - a.getBlue()) * f));
  }
}
