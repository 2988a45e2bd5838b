package org.handgrad.io;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
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

  /** The default pixel limit of {@link #read(Path)}: 16.7 M pixels (4096 x 4096). */
  public static final long DEFAULT_MAX_PIXELS = 1L << 24;

  /** The largest image file read (1 GiB). */
  static final long MAX_FILE_BYTES = 1L << 30;

  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  /**
   * Reads an image of at most {@link #DEFAULT_MAX_PIXELS} pixels; see {@link #read(Path, long)}.
   */
  public static Tensor read(Path file) throws IOException {
    return read(file, DEFAULT_MAX_PIXELS);
  }

  /**
   * Reads a PNG (or any format ImageIO knows) as a float32 tensor on the 0..255 scale.
   *
   * <p>Nothing in the file is trusted before it is checked: a PNG's chunk structure (lengths, CRCs,
   * IHDR first, IEND exactly at the end of the file) is verified, and the declared width and height
   * (of any format) are compared with {@code maxPixels} before a pixel is decoded, so neither a
   * truncated file nor a decompression bomb gets through.
   *
   * @param maxPixels the largest width x height accepted
   * @return shape (1, H, W) for grey images, (3, H, W) otherwise (alpha is dropped)
   * @throws IOException naming the file, what was expected and what was found, when the file is not
   *     a readable image, is truncated or corrupt, or is larger than {@code maxPixels}
   */
  public static Tensor read(Path file, long maxPixels) throws IOException {
    long size = Files.size(file);
    if (size > MAX_FILE_BYTES) {
      throw new IOException(
          file + ": too large: expected an image file of at most 1 GiB, found " + size + " bytes");
    }
    byte[] bytes = Files.readAllBytes(file);
    if (startsWith(bytes, SIGNATURE)) {
      checkPngStructure(bytes, file);
    }
    BufferedImage img;
    try (ImageInputStream iis = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(iis);
      if (!readers.hasNext()) {
        throw new IOException(
            file + ": not an image: expected a PNG (or another format ImageIO reads), found none");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(iis, true, true);
        long w = reader.getWidth(0);
        long h = reader.getHeight(0);
        if (w <= 0 || h <= 0 || w * h > maxPixels) {
          throw new IOException(
              file
                  + ": image size refused: expected at most "
                  + maxPixels
                  + " pixels, found "
                  + w
                  + " x "
                  + h);
        }
        img = reader.read(0);
      } finally {
        reader.dispose();
      }
    } catch (IOException e) {
      String msg = e.getMessage();
      if (msg != null && msg.contains(file.toString())) {
        throw e;
      }
      throw new IOException(file + ": corrupt image: " + describe(e), e);
    } catch (RuntimeException e) { // ImageIO's decoders signal some corrupt data this way
      throw new IOException(file + ": corrupt image: " + describe(e), e);
    }
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

  private static String describe(Exception e) {
    String msg = e.getMessage();
    Throwable cause = e.getCause();
    String why = cause != null && cause.getMessage() != null ? " (" + cause.getMessage() + ")" : "";
    return (msg == null ? e.getClass().getSimpleName() : msg) + why;
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    if (bytes.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (bytes[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static int int32(byte[] b, int p) {
    return (b[p] & 0xff) << 24
        | (b[p + 1] & 0xff) << 16
        | (b[p + 2] & 0xff) << 8
        | (b[p + 3] & 0xff);
  }

  /**
   * Walks the chunks of a PNG (PNG specification, section 5): each length fits the file, each CRC
   * matches, IHDR comes first with a non-zero size, and IEND ends the file exactly. ImageIO alone
   * decodes a file cut after its image data without complaint.
   */
  private static void checkPngStructure(byte[] b, Path file) throws IOException {
    int p = SIGNATURE.length;
    boolean first = true;
    CRC32 crc = new CRC32();
    while (true) {
      if (p + 12 > b.length) {
        throw new IOException(
            file
                + ": truncated PNG: expected a chunk (at least 12 bytes) at byte "
                + p
                + ", found "
                + (b.length - p)
                + " bytes");
      }
      long len = Integer.toUnsignedLong(int32(b, p));
      if (len > b.length - p - 12) {
        throw new IOException(
            file
                + ": truncated or corrupt PNG: chunk at byte "
                + p
                + " declares "
                + len
                + " data bytes, the file has "
                + (b.length - p - 12)
                + " after its header");
      }
      String type = new String(b, p + 4, 4, StandardCharsets.ISO_8859_1);
      crc.reset();
      crc.update(b, p + 4, 4 + (int) len);
      long stored = Integer.toUnsignedLong(int32(b, p + 8 + (int) len));
      if (crc.getValue() != stored) {
        throw new IOException(
            String.format(
                "%s: corrupt PNG: chunk at byte %d: expected CRC %08x, found %08x",
                file, p, crc.getValue(), stored));
      }
      if (first) {
        if (!type.equals("IHDR") || len != 13) {
          throw new IOException(
              file + ": corrupt PNG: expected a 13-byte IHDR chunk first, found '" + type + "'");
        }
        if (int32(b, p + 8) <= 0 || int32(b, p + 12) <= 0) {
          throw new IOException(
              file
                  + ": corrupt PNG: expected width and height in 1..2^31-1, found "
                  + Integer.toUnsignedLong(int32(b, p + 8))
                  + " x "
                  + Integer.toUnsignedLong(int32(b, p + 12)));
        }
        first = false;
      }
      p += 12 + (int) len;
      if (type.equals("IEND")) {
        if (p != b.length) {
          throw new IOException(
              file
                  + ": corrupt PNG: expected the file to end with IEND at byte "
                  + p
                  + ", found "
                  + (b.length - p)
                  + " more bytes");
        }
        return;
      }
    }
  }
}
