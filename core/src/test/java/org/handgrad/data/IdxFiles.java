package org.handgrad.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files for tests, in the exact format of the MNIST distribution. */
final class IdxFiles {
  private IdxFiles() {}

  /** The bytes of an unsigned-byte IDX file with the given dimensions and data. */
  static byte[] idx(int[] dims, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
    b.put((byte) 0).put((byte) 0).put((byte) Idx.UBYTE).put((byte) dims.length);
    for (int d : dims) {
      b.putInt(d);
    }
    b.put(data);
    return b.array();
  }

  static byte[] gzip(byte[] raw) throws IOException {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (OutputStream gz = new GZIPOutputStream(bos)) {
      gz.write(raw);
    }
    return bos.toByteArray();
  }

  /** n images of h x w with pixel (i, r, c) = (i * 7 + r * 3 + c) mod 256. */
  static byte[] images(int n, int h, int w) {
    byte[] px = new byte[n * h * w];
    for (int i = 0; i < n; i++) {
      for (int r = 0; r < h; r++) {
        for (int c = 0; c < w; c++) {
          px[(i * h + r) * w + c] = (byte) (i * 7 + r * 3 + c);
        }
      }
    }
    return idx(new int[] {n, h, w}, px);
  }

  /** n labels, label i = i mod 10. */
  static byte[] labels(int n) {
    byte[] y = new byte[n];
    for (int i = 0; i < n; i++) {
      y[i] = (byte) (i % 10);
    }
    return idx(new int[] {n}, y);
  }

  /** Writes an MNIST-format dataset folder: gzipped files, n train and m test images of 6x5. */
  static Path writeDataset(Path dir, int n, int m) throws IOException {
    Files.createDirectories(dir);
    Files.write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(images(n, 6, 5)));
    Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), gzip(labels(n)));
    Files.write(dir.resolve("t10k-images-idx3-ubyte.gz"), gzip(images(m, 6, 5)));
    Files.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), gzip(labels(m)));
    return dir;
  }
}
