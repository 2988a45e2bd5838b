package org.handgrad.app.report;

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
 * PNG grids for {@code ./handgrad explain}: rows of labelled panels, each an image, a heat map
 * (saliency, Grad-CAM) or the heat map laid over the image, enlarged with nearest-neighbour pixels
 * so that 28 x 28 inputs stay readable.
 */
public final class ExplainFigures {
  private ExplainFigures() {}

  private static final int PAD = 6;
  private static final int LABEL = 16;
  private static final int HEADER = 26;

  /**
   * One panel.
   *
   * @param label drawn under the panel
   * @param image shape (C, H, W) with C = 1 or 3, values in [0, 1]; null for a bare heat map
   * @param heat shape (H, W), values in [0, 1]; null for a bare image
   */
  public record Panel(String label, Tensor image, Tensor heat) {
    /** Checks that there is something to draw. */
    public Panel {
      if (image == null && heat == null) {
        throw new IllegalArgumentException("explain figure: a panel needs an image or a heat map");
      }
    }
  }

  /**
   * Writes the grid.
   *
   * @param png the file (written atomically)
   * @param title drawn above the grid
   * @param rows rows of panels; every panel is drawn at {@code scale} times its size
   * @param scale enlargement factor, >= 1
   */
  public static void write(Path png, String title, List<List<Panel>> rows, int scale)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    int cols = 0;
    int cell = 0;
    for (List<Panel> r : rows) {
      cols = Math.max(cols, r.size());
      for (Panel p : r) {
        cell = Math.max(cell, scale * size(p)[1]);
      }
    }
    int width = Math.max(PAD + cols * (cell + PAD), 8 * title.length());
    BufferedImage canvas =
        new BufferedImage(
            width, HEADER + rows.size() * (cell + LABEL + PAD), BufferedImage.TYPE_INT_RGB);
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
      for (int i = 0; i < rows.size(); i++) {
        int y0 = HEADER + i * (cell + LABEL + PAD);
        List<Panel> r = rows.get(i);
        for (int j = 0; j < r.size(); j++) {
          int x0 = PAD + j * (cell + PAD);
          Panel p = r.get(j);
          int[] hw = size(p);
          g.drawImage(render(p), x0, y0, hw[1] * scale, hw[0] * scale, null);
          g.drawString(p.label(), x0, y0 + hw[0] * scale + 12);
        }
      }
    } finally {
      g.dispose();
    }
    AtomicFiles.write(png, Png.toBytes(canvas));
  }

  private static int[] size(Panel p) {
    Tensor t = p.heat() != null ? p.heat() : p.image();
    return new int[] {t.shape(t.ndim() - 2), t.shape(t.ndim() - 1)};
  }

  /** The panel at its own size: the image, the heat colours, or half of each. */
  private static BufferedImage render(Panel p) {
    BufferedImage img = p.image() == null ? null : Png.toImage(p.image().clip(0, 1).mul(255));
    if (p.heat() == null) {
      return img;
    }
    int h = p.heat().shape(0);
    int w = p.heat().shape(1);
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int heat = hot(p.heat().get(y, x));
        if (img != null) {
          heat = blend(img.getRGB(x, y), heat);
        }
        out.setRGB(x, y, heat);
      }
    }
    return out;
  }

  /**
   * The "hot" colour map: black, red, yellow, white as v goes 0, 1/3, 2/3, 1 (values outside [0, 1]
   * are clamped).
   */
  static int hot(double v) {
    double t = Math.max(0, Math.min(1, v));
    int r = (int) Math.round(255 * Math.min(1, 3 * t));
    int g = (int) Math.round(255 * Math.max(0, Math.min(1, 3 * t - 1)));
    int b = (int) Math.round(255 * Math.max(0, Math.min(1, 3 * t - 2)));
    return (r << 16) | (g << 8) | b;
  }

  /** Half the image, half the heat colour, per channel. */
  private static int blend(int a, int b) {
    int r = (((a >> 16) & 255) + ((b >> 16) & 255)) / 2;
    int g = (((a >> 8) & 255) + ((b >> 8) & 255)) / 2;
    int bl = ((a & 255) + (b & 255)) / 2;
    return (r << 16) | (g << 8) | bl;
  }
}
