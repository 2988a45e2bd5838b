package org.handgrad.io;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.handgrad.tensor.Tensor;

/**
 * PNG images in and out of tensors, through {@code javax.imageio} (part of the JDK).
 *
 * <p>Pixel values are on the 0..255 scale of {@code uint8} images (what {@link
 * org.handgrad.nn.Visualize#visualizeGrid} produces): they are clipped to [0, 255] and rounded to
 * the nearest integer, halves to even, as {@code np.clip(x, 0, 255).round().astype(np.uint8)}
 * would. NaN is an error rather than a silent black pixel.
 *
 * <p>Layouts: {@code (H, W)} grey, {@code (C, H, W)} channels first with C = 1 (grey) or 3 (RGB),
 * or {@code (H, W, C)} channels last (matplotlib's {@code imshow} layout) through {@link
 * #writeChannelsLast}.
 */
public final class Png {
  private Png() {}

  /**
   * Writes an image atomically (temporary file and rename).
   *
   * @param image shape (H, W) or (C, H, W) with C = 1 or 3; values on the 0..255 scale
   * @throws IllegalArgumentException on another shape, a NaN value or an empty image
   */
  public static void write(Path file, Tensor image) throws IOException {
    AtomicFiles.write(file, toBytes(toImage(image)));
  }

  /**
   * Writes a channels-last image atomically.
   *
   * @param image shape (H, W, C) with C = 1 or 3; values on the 0..255 scale
   */
  public static void writeChannelsLast(Path file, Tensor image) throws IOException {
    AtomicFiles.write(file, toBytes(toImageChannelsLast(image)));
  }

  /** PNG-encodes an image in memory. */
  public static byte[] toBytes(BufferedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, "png", out)) {
        throw new IllegalStateException("png: no ImageIO writer for PNG");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("png: encoding to memory failed", e); // cannot happen
    }
    return out.toByteArray();
  }

  /**
   * Converts a channels-first tensor to an 8-bit image ({@code TYPE_BYTE_GRAY} or {@code
   * TYPE_INT_RGB}).
   *
   * @param image shape (H, W) or (C, H, W) with C = 1 or 3; values on the 0..255 scale
   */
  public static BufferedImage toImage(Tensor image) {
    int nd = image.ndim();
    if (nd == 2 || (nd == 3 && (image.shape(0) == 1 || image.shape(0) == 3))) {
      int c = nd == 2 ? 1 : image.shape(0);
      int h = image.shape(nd - 2);
      int w = image.shape(nd - 1);
      // Element (ch, y, x) sits at ch*h*w + y*w + x of the contiguous storage.
      return pixels(image, c, h, w, h * w, w, 1);
    }
    throw new IllegalArgumentException(
        "png: expected image (H, W) or (C, H, W) with C = 1 or 3, got " + image.shapeString());
  }

  /**
   * Converts a channels-last tensor to an 8-bit image.
   *
   * @param image shape (H, W, C) with C = 1 or 3; values on the 0..255 scale
   */
  public static BufferedImage toImageChannelsLast(Tensor image) {
    if (image.ndim() != 3 || (image.shape(2) != 1 && image.shape(2) != 3)) {
      throw new IllegalArgumentException(
          "png: expected image (H, W, C) with C = 1 or 3, got " + image.shapeString());
    }
    int h = image.shape(0);
    int w = image.shape(1);
    int c = image.shape(2);
    return pixels(image, c, h, w, 1, w * c, c);
  }

  /** Builds the image walking the contiguous storage with strides cs (channel), ys, xs. */
  private static BufferedImage pixels(Tensor image, int c, int h, int w, int cs, int ys, int xs) {
    if (h == 0 || w == 0) {
      throw new IllegalArgumentException("png: empty image " + image.shapeString());
    }
    double[] a = image.contiguous().toDoubleArray();
    BufferedImage img =
        new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int base = y * ys + x * xs;
        if (c == 1) {
          int v = toByte(a[base], image, base);
          img.getRaster().setSample(x, y, 0, v);
        } else {
          int r = toByte(a[base], image, base);
          int g = toByte(a[base + cs], image, base + cs);
          int b = toByte(a[base + 2 * cs], image, base + 2 * cs);
          img.setRGB(x, y, r << 16 | g << 8 | b);
        }
      }
    }
    return img;
  }

  private static int toByte(double v, Tensor image, int flat) {
    if (Double.isNaN(v)) {
      throw new IllegalArgumentException(
          "png: image " + image.shapeString() + " holds NaN at flat index " + flat);
    }
    // rint rounds halves to even, as NumPy's round does.
    return (int) Math.rint(Math.min(255.0, Math.max(0.0, v)));
  }

  /**
   * Reads a PNG (or any format ImageIO knows) as a float32 tensor on the 0..255 scale.
   *
   * @return shape (1, H, W) for grey images, (3, H, W) otherwise (alpha is dropped)
   * @throws IOException when the file is not a readable image
   */
  public static Tensor read(Path file) throws IOException {
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(Files.readAllBytes(file)));
    if (img == null) {
      throw new IOException(file + ": not an image ImageIO can decode");
    }
    int h = img.getHeight();
    int w = img.getWidth();
    boolean grey = img.getColorModel().getNumColorComponents() == 1;
    int c = grey ? 1 : 3;
    // 16-bit grey PNGs hold 0..65535; bring them to the 0..255 scale of 8-bit images.
    double greyScale = grey ? 255.0 / ((1 << img.getSampleModel().getSampleSize(0)) - 1) : 1;
    float[] out = new float[c * h * w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = y * w + x;
        if (grey) {
          out[i] = (float) (img.getRaster().getSample(x, y, 0) * greyScale);
        } else {
          int rgb = img.getRGB(x, y);
          out[i] = (rgb >>> 16) & 0xff;
          out[h * w + i] = (rgb >>> 8) & 0xff;
          out[2 * h * w + i] = rgb & 0xff;
        }
      }
    }
    return Tensor.of(out, c, h, w);
  }
}
