package org.handgrad.app.caption;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Png;
import org.handgrad.tensor.Tensor;

/**
 * A PNG grid of images with their generated caption (green when it equals a reference, red when
 * not) and one reference caption beneath, drawn with java.awt in headless mode.
 */
public final class CaptionGrid {
  private CaptionGrid() {}

  private static final int COLUMNS = 4;
  private static final int SCALE = 4;
  private static final int CELL_WIDTH = 280;
  private static final int PAD = 8;
  private static final int LINES = 6;
  private static final Color OK = new Color(0, 120, 40);
  private static final Color WRONG = new Color(180, 20, 20);

  /**
   * Writes the grid.
   *
   * @param images shape (N, C, S, S), values in [0, 1]
   * @param generated per image the generated caption
   * @param references per image one reference caption
   * @param exact per image whether the generated caption equals one of its references
   * @param title drawn above the grid
   */
  public static void write(
      Path png,
      Tensor images,
      List<String> generated,
      List<String> references,
      List<Boolean> exact,
      String title)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    int n = images.shape(0);
    int side = images.shape(2) * SCALE;
    Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    int lineHeight = 15;
    int cellHeight = PAD + side + PAD + LINES * lineHeight + PAD;
    int rows = (n + COLUMNS - 1) / COLUMNS;
    int header = 28;
    BufferedImage canvas =
        new BufferedImage(
            COLUMNS * CELL_WIDTH, header + rows * cellHeight, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas.createGraphics();
    try {
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, canvas.getWidth(), canvas.getHeight());
      g.setColor(Color.BLACK);
      g.setFont(font.deriveFont(Font.BOLD, 14f));
      g.drawString(title, PAD, 19);
      g.setFont(font);
      FontMetrics fm = g.getFontMetrics();
      for (int i = 0; i < n; i++) {
        int x0 = (i % COLUMNS) * CELL_WIDTH;
        int y0 = header + (i / COLUMNS) * cellHeight;
        BufferedImage img = Png.toImage(images.select(0, i).mul(255)); // Png wants 0..255
        g.drawImage(img, x0 + (CELL_WIDTH - side) / 2, y0 + PAD, side, side, null);
        int y = y0 + PAD + side + PAD + fm.getAscent();
        List<String> lines = new ArrayList<>();
        List<Color> colours = new ArrayList<>();
        for (String l : wrap(fm, "gen: " + generated.get(i), CELL_WIDTH - 2 * PAD)) {
          lines.add(l);
          colours.add(exact.get(i) ? OK : WRONG);
        }
        for (String l : wrap(fm, "ref: " + references.get(i), CELL_WIDTH - 2 * PAD)) {
          lines.add(l);
          colours.add(Color.GRAY);
        }
        for (int k = 0; k < Math.min(LINES, lines.size()); k++) {
          g.setColor(colours.get(k));
          g.drawString(lines.get(k), x0 + PAD, y + k * lineHeight);
        }
      }
    } finally {
      g.dispose();
    }
    AtomicFiles.write(png, Png.toBytes(canvas));
  }

  /** Greedy word wrap to a pixel width. */
  static List<String> wrap(FontMetrics fm, String text, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      String candidate = line.length() == 0 ? word : line + " " + word;
      if (fm.stringWidth(candidate) > width && line.length() > 0) {
        lines.add(line.toString());
        line = new StringBuilder("  " + word);
      } else {
        line = new StringBuilder(candidate);
      }
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }
}
