package org.handgrad.app.caption;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Png;
import org.handgrad.tensor.Tensor;

/**
 * A PNG of where each generated word looks: one row per image, the image first, then one panel per
 * word (up to and including {@code <END>}) showing the image under that word's cross-attention
 * weights over the s x s grid of regions (the captioning transformer's last layer, averaged over
 * heads). Bright = attended; each panel is scaled to its own largest weight, and the largest weight
 * is printed under the word.
 */
public final class AttentionGrid {
  private AttentionGrid() {}

  private static final int SCALE = 3;
  private static final int PAD = 6;
  private static final int LABEL = 30;

  /**
   * Writes the grid.
   *
   * @param images shape (N, C, S, S), values in [0, 1]
   * @param words per image the generated words, {@code <END>} included when produced
   * @param attention weights, shape (N, L, R) with R = s*s a square number, L at least each row's
   *     word count
   * @param title drawn above the grid
   */
  public static void write(
      Path png, Tensor images, List<List<String>> words, Tensor attention, String title)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    int n = images.shape(0);
    int side = images.shape(2) * SCALE;
    int r = attention.shape(2);
    int s = (int) Math.round(Math.sqrt(r));
    if (s * s != r) {
      throw new IllegalArgumentException(
          "AttentionGrid: expected a square number of regions, got R = " + r);
    }
    int cols = 1;
    for (List<String> w : words) {
      cols = Math.max(cols, 1 + w.size());
    }
    int cell = side + PAD;
    int header = 26;
    BufferedImage canvas =
        new BufferedImage(
            PAD + cols * cell, header + n * (cell + LABEL), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas.createGraphics();
    try {
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, canvas.getWidth(), canvas.getHeight());
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
      g.drawString(title, PAD, 18);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      for (int i = 0; i < n; i++) {
        int y0 = header + i * (cell + LABEL);
        BufferedImage img = Png.toImage(images.select(0, i).mul(255));
        g.drawImage(img, PAD, y0, side, side, null);
        List<String> w = words.get(i);
        for (int j = 0; j < w.size(); j++) {
          int x0 = PAD + (j + 1) * cell;
          double[] a = new double[r];
          double max = 0;
          for (int k = 0; k < r; k++) {
            a[k] = attention.get(i, j, k);
            max = Math.max(max, a[k]);
          }
          g.drawImage(overlay(img, a, max, s), x0, y0, side, side, null);
          g.setColor(Color.BLACK);
          g.drawString(w.get(j), x0, y0 + side + 12);
          g.setColor(Color.GRAY);
          g.drawString(String.format(java.util.Locale.ROOT, "max %.2f", max), x0, y0 + side + 24);
        }
      }
    } finally {
      g.dispose();
    }
    AtomicFiles.write(png, Png.toBytes(canvas));
  }

  /** The image dimmed to 25% and lit in proportion to each region's weight / max. */
  private static BufferedImage overlay(BufferedImage img, double[] a, double max, int s) {
    int w = img.getWidth();
    int h = img.getHeight();
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int region = (y * s / h) * s + (x * s / w); // row-major, as the encoder flattens the map
        double lit = 0.25 + 0.75 * (max > 0 ? a[region] / max : 0);
        int rgb = img.getRGB(x, y);
        int rr = (int) (((rgb >> 16) & 255) * lit);
        int gg = (int) (((rgb >> 8) & 255) * lit);
        int bb = (int) ((rgb & 255) * lit);
        out.setRGB(x, y, (rr << 16) | (gg << 8) | bb);
      }
    }
    return out;
  }
}
