package org.handgrad.app.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Png;
import org.handgrad.nn.Visualize;
import org.handgrad.tensor.Tensor;

/**
 * Image figures drawn with Java2D and written with {@code javax.imageio}: a weight grid (CS231n's
 * first-layer filters picture) and a labelled confusion matrix.
 */
public final class Figures {
  private Figures() {}

  private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 18);
  private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
  private static final Font AXIS = new Font(Font.SANS_SERIF, Font.PLAIN, 14);

  /** matplotlib's "Blues" end points: the confusion matrix goes from white to this. */
  private static final Color DARK_BLUE = new Color(0x08306b);

  // ---------------------------------------------------------------- weights

  /**
   * Weights as an image grid: 4-d conv filters (F, C, HH, WW) directly, or the columns of a 2-d
   * affine weight (D, M) read as images of {@code imageShape} (C, H, W). Each filter is rescaled on
   * its own ({@link Visualize#visualizeGrid}), the grid is enlarged with crisp pixels to about 600
   * pixels and titled.
   *
   * @param weights (F, C, HH, WW) or (D, M) with D = C * H * W; C must be 1 or 3
   * @param imageShape (C, H, W) for 2-d weights; ignored for 4-d ones
   */
  public static void weightsGrid(Tensor weights, int[] imageShape, String title, Path png)
      throws IOException {
    Tensor images;
    if (weights.ndim() == 4) {
      images = weights;
    } else if (weights.ndim() == 2 && imageShape != null && imageShape.length == 3) {
      images = Visualize.affineWeightImages(weights, imageShape[0], imageShape[1], imageShape[2]);
    } else {
      throw new IllegalArgumentException(
          "weightsGrid: expected weights (F, C, HH, WW), or (D, M) with an image shape (C, H, W);"
              + " got "
              + weights.shapeString());
    }
    int c = images.shape(1);
    if (c != 1 && c != 3) {
      throw new IllegalArgumentException(
          "weightsGrid: filters must have 1 or 3 channels to be shown, got " + c);
    }
    BufferedImage grid =
        whiteGaps(
            Png.toImage(Visualize.visualizeGrid(images, Visualize.Layout.NCHW)),
            images.shape(0),
            images.shape(2),
            images.shape(3));
    int scale = Math.max(1, 600 / Math.max(grid.getWidth(), grid.getHeight()));
    int margin = 20;
    int top = 50;
    int w = grid.getWidth() * scale;
    int h = grid.getHeight() * scale;
    BufferedImage out =
        new BufferedImage(w + 2 * margin, h + top + margin, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(out);
    g.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
    g.drawImage(grid, margin, top, w, h, null);
    g.setColor(Color.BLACK);
    centered(g, TITLE, title, out.getWidth() / 2, 32);
    g.dispose();
    AtomicFiles.write(png, Png.toBytes(out));
  }

  /**
   * An RGB copy of a {@code visualizeGrid} image (padding 1) with the padding and the unused tiles
   * white instead of CS231n's 0, so the tiles stand apart on the white page, and without the grid's
   * empty last rows (10 tiles fill 3 of the 4 rows of a 4 x 4 grid).
   */
  private static BufferedImage whiteGaps(BufferedImage grid, int n, int h, int w) {
    int side = (int) Math.ceil(Math.sqrt(n));
    int rows = (n + side - 1) / side;
    BufferedImage rgb =
        new BufferedImage(grid.getWidth(), rows * (h + 1) - 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = rgb.createGraphics();
    g.drawImage(grid, 0, 0, null);
    g.dispose();
    for (int y = 0; y < rgb.getHeight(); y++) {
      for (int x = 0; x < rgb.getWidth(); x++) {
        boolean gap = y % (h + 1) == h || x % (w + 1) == w;
        boolean unused = (y / (h + 1)) * side + x / (w + 1) >= n;
        if (gap || unused) {
          rgb.setRGB(x, y, 0xffffff);
        }
      }
    }
    return rgb;
  }

  // ---------------------------------------------------------------- confusion matrix

  /**
   * A confusion matrix as a heat map: rows are true classes, columns predicted ones; each cell
   * shows its count, coloured by the fraction of its row (so classes of different sizes compare),
   * and the title gives the overall accuracy.
   *
   * @param counts int32 (K, K), rows = true class (as {@code Metrics.confusionMatrix})
   * @param classNames K names, or null for 0 .. K-1
   */
  public static void confusionMatrix(Tensor counts, List<String> classNames, String title, Path png)
      throws IOException {
    if (counts.ndim() != 2 || counts.shape(0) != counts.shape(1) || counts.shape(0) == 0) {
      throw new IllegalArgumentException(
          "confusionMatrix: expected counts (K, K), got " + counts.shapeString());
    }
    int k = counts.shape(0);
    if (classNames != null && classNames.size() != k) {
      throw new IllegalArgumentException(
          "confusionMatrix: " + classNames.size() + " class names for " + k + " classes");
    }
    String[] names = new String[k];
    for (int i = 0; i < k; i++) {
      names[i] = classNames == null ? Integer.toString(i) : classNames.get(i);
    }
    long total = 0;
    long correct = 0;
    long[] rowSums = new long[k];
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < k; j++) {
        long v = (long) counts.get(i, j);
        rowSums[i] += v;
        total += v;
        correct += i == j ? v : 0;
      }
    }

    int cell = Math.max(28, Math.min(64, 640 / k));
    BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D pg = probe.createGraphics();
    FontMetrics fm = pg.getFontMetrics(LABEL);
    int labelWidth = 0;
    for (String n : names) {
      labelWidth = Math.max(labelWidth, fm.stringWidth(n));
    }
    int titleWidth = pg.getFontMetrics(TITLE).stringWidth(title) + 260; // + the accuracy part
    pg.dispose();
    int left = 40 + labelWidth + 12; // axis title, row labels
    int top = 64;
    int bottom = 24 + (int) Math.ceil((labelWidth + fm.getAscent()) * Math.sqrt(0.5)) + 34;
    int size = k * cell;
    int right = Math.max(30, titleWidth - left - size);
    BufferedImage out =
        new BufferedImage(left + size + right, top + size + bottom, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(out);

    Font cellFont = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(10, Math.min(14, cell / 4)));
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < k; j++) {
        long v = (long) counts.get(i, j);
        double f = rowSums[i] == 0 ? 0 : (double) v / rowSums[i];
        int x = left + j * cell;
        int y = top + i * cell;
        g.setColor(blend(Color.WHITE, DARK_BLUE, f));
        g.fillRect(x, y, cell, cell);
        g.setColor(f > 0.5 ? Color.WHITE : Color.BLACK);
        centered(g, cellFont, Long.toString(v), x + cell / 2, y + cell / 2 + 5);
      }
    }
    g.setColor(new Color(0x606060));
    g.setStroke(new BasicStroke(1f));
    g.drawRect(left, top, size, size);

    g.setColor(Color.BLACK);
    g.setFont(LABEL);
    FontMetrics lm = g.getFontMetrics();
    for (int i = 0; i < k; i++) {
      // Row labels, right-aligned against the matrix.
      g.drawString(
          names[i],
          left - 8 - lm.stringWidth(names[i]),
          top + i * cell + cell / 2 + lm.getAscent() / 2 - 2);
      // Column labels under the matrix, turned 45 degrees and ending at their column, as
      // matplotlib's rotation=45, ha="right" ticks.
      AffineTransform saved = g.getTransform();
      g.translate(left + i * cell + cell / 2, top + size + 8);
      g.rotate(-Math.PI / 4);
      g.drawString(names[i], -lm.stringWidth(names[i]), lm.getAscent());
      g.setTransform(saved);
    }
    centered(g, AXIS, "predicted class", left + size / 2, out.getHeight() - 14);
    AffineTransform saved = g.getTransform();
    g.translate(20, top + size / 2);
    g.rotate(-Math.PI / 2);
    centered(g, AXIS, "true class", 0, 0);
    g.setTransform(saved);
    String full =
        String.format(
            Locale.ROOT,
            "%s (accuracy %.1f%%, %d examples)",
            title,
            total == 0 ? 0.0 : 100.0 * correct / total,
            total);
    centered(g, TITLE, full, out.getWidth() / 2, 36);
    g.dispose();
    AtomicFiles.write(png, Png.toBytes(out));
  }

  // ---------------------------------------------------------------- drawing helpers

  private static Graphics2D canvas(BufferedImage img) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    return g;
  }

  /** Draws text centred horizontally on x with its baseline at y. */
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
