package org.handgrad.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.handgrad.tensor.Tensor;

/**
 * Reader for the IDX format of MNIST and Fashion-MNIST, gzipped or not (detected by the gzip magic
 * bytes, not by the file name).
 *
 * <p>Format (from the MNIST page, yann.lecun.com/exdb/mnist): a 4-byte magic number {@code 00 00 TT
 * DD} where TT is the element type (0x08 = unsigned byte) and DD the number of dimensions, then DD
 * big-endian int32 sizes, then the elements in row-major order. Images are {@code idx3} (N, H, W),
 * labels {@code idx1} (N). Only unsigned bytes are supported: every MNIST-family file uses them.
 *
 * <p>Every read is strict: a bad magic number, an unsupported type, a truncated or over-long file,
 * or a corrupt gzip stream is an IOException naming the file and the expected and found sizes.
 */
public final class Idx {
  private Idx() {}

  /** The most elements an IDX file may declare (a Java array's limit, with headroom). */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  /** IDX element type code for unsigned bytes. */
  public static final int UBYTE = 0x08;

  /**
   * A raw IDX array: its dimensions and unsigned-byte elements in row-major order.
   *
   * @param dims sizes, e.g. (60000, 28, 28)
   * @param data elements as stored (interpret as unsigned: {@code data[i] & 0xff})
   */
  public record Array(int[] dims, byte[] data) {}

  /**
   * Reads an IDX file of unsigned bytes.
   *
   * @throws IOException on a bad header, unsupported element type, or wrong data size
   */
  public static Array read(Path file) throws IOException {
    try {
      return readUnchecked(file);
    } catch (IOException e) {
      throw DataFiles.named(file, e);
    }
  }

  private static Array readUnchecked(Path file) throws IOException {
    try (InputStream in = DataFiles.open(file)) {
      DataInputStream din = new DataInputStream(in);
      byte[] magic = new byte[4];
      if (in.readNBytes(magic, 0, 4) < 4) {
        throw new IOException(file + ": truncated: expected at least a 4-byte IDX header");
      }
      int magicValue =
          ((magic[0] & 0xff) << 24)
              | ((magic[1] & 0xff) << 16)
              | ((magic[2] & 0xff) << 8)
              | (magic[3] & 0xff);
      int type = magic[2] & 0xff;
      int ndim = magic[3] & 0xff;
      if (magic[0] != 0 || magic[1] != 0 || ndim < 1 || ndim > 8) {
        throw new IOException(
            String.format(
                "%s: bad IDX magic number 0x%08X: expected 0x0000TTDD (TT element type, DD 1..8"
                    + " dimensions), e.g. 0x00000803 for images, 0x00000801 for labels",
                file, magicValue));
      }
      if (type != UBYTE) {
        throw new IOException(
            String.format(
                "%s: unsupported IDX element type 0x%02X (magic 0x%08X): only 0x08 (unsigned"
                    + " byte) is supported",
                file, type, magicValue));
      }
      int[] dims = new int[ndim];
      long count = 1;
      for (int d = 0; d < ndim; d++) {
        try {
          dims[d] = din.readInt();
        } catch (EOFException e) {
          throw new IOException(
              file
                  + ": truncated: expected a "
                  + (4 + 4 * ndim)
                  + "-byte header for "
                  + ndim
                  + " dimensions, found "
                  + (4 + 4 * d),
              e);
        }
        if (dims[d] < 0) {
          throw new IOException(
              file
                  + ": bad IDX header: expected sizes >= 0, found "
                  + Integer.toUnsignedLong(dims[d])
                  + " (negative as int32) for dimension "
                  + d);
        }
        // count <= 2^31 and dims[d] < 2^31 here, so the product fits a long: check every step.
        count *= dims[d];
        if (count > MAX_ELEMENTS) {
          throw new IOException(
              file
                  + ": bad IDX header: expected at most "
                  + MAX_ELEMENTS
                  + " elements, the sizes "
                  + Arrays.toString(Arrays.copyOf(dims, d + 1))
                  + (d + 1 < ndim ? "..." : "")
                  + " declare more");
        }
      }
      long header = 4 + 4L * ndim;
      if (!DataFiles.isGzip(file) && Files.size(file) != header + count) {
        // Plain file: compare the promised size with the file before allocating anything.
        throw new IOException(
            file
                + ": "
                + (Files.size(file) < header + count ? "truncated" : "wrong size")
                + ": expected "
                + (header + count)
                + " bytes ("
                + header
                + "-byte header + "
                + join(dims)
                + " bytes), found "
                + Files.size(file));
      }
      String layout = header + "-byte header + " + join(dims) + " bytes";
      byte[] data = DataFiles.readExactly(in, (int) count, file, header, layout);
      return new Array(dims, data);
    }
  }

  /**
   * Reads an {@code idx3} image file as float32 images in [0, 1].
   *
   * @return images, shape (N, 1, H, W), value = byte / 255
   * @throws IOException when the file is not a valid 3-D unsigned-byte IDX file
   */
  public static Tensor readImages(Path file) throws IOException {
    Array a = read(file);
    if (a.dims.length != 3) {
      throw new IOException(
          file + ": expected an idx3 image file (N, H, W), got " + a.dims.length + " dimensions");
    }
    int n = a.dims[0];
    int h = a.dims[1];
    int w = a.dims[2];
    return Tensor.of(toUnitFloats(a.data), n, 1, h, w);
  }

  /**
   * Reads an {@code idx1} label file.
   *
   * @param numClasses labels must lie in [0, numClasses)
   * @return labels, length N
   * @throws IOException when the file is not a valid 1-D file or a label is out of range
   */
  public static int[] readLabels(Path file, int numClasses) throws IOException {
    Array a = read(file);
    if (a.dims.length != 1) {
      throw new IOException(
          file + ": expected an idx1 label file (N), got " + a.dims.length + " dimensions");
    }
    int[] y = new int[a.data.length];
    for (int i = 0; i < y.length; i++) {
      y[i] = a.data[i] & 0xff;
      if (y[i] >= numClasses) {
        throw new IOException(
            file + ": label " + y[i] + " at index " + i + " is outside 0.." + (numClasses - 1));
      }
    }
    return y;
  }

  /**
   * Reads one split from an image file and a label file and checks that their counts agree.
   *
   * @return images (N, 1, H, W) float32 in [0, 1] with labels
   */
  public static Split readSplit(Path images, Path labels, List<String> classNames)
      throws IOException {
    Tensor x = readImages(images);
    int[] y = readLabels(labels, classNames.size());
    if (x.shape(0) != y.length) {
      throw new IOException(
          images
              + " holds "
              + x.shape(0)
              + " images but "
              + labels
              + " holds "
              + y.length
              + " labels");
    }
    return new Split(x, y, classNames);
  }

  /** Unsigned bytes to float32 in [0, 1]: value / 255. */
  static float[] toUnitFloats(byte[] data) {
    float[] out = new float[data.length];
    for (int i = 0; i < data.length; i++) {
      out[i] = (data[i] & 0xff) / 255f;
    }
    return out;
  }

  private static String join(int[] dims) {
    StringBuilder sb = new StringBuilder();
    for (int d = 0; d < dims.length; d++) {
      sb.append(d == 0 ? "" : "x").append(dims[d]);
    }
    return sb.toString();
  }
}
