package org.handgrad.app;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.handgrad.data.Mnist;

/** Writes a tiny MNIST-format dataset: the four gzipped IDX files of s x s grey images. */
final class TinyIdx {
  private TinyIdx() {}

  /**
   * Writes {@code train} + {@code test} images into {@code dir}: image i has pixels (i % 10) * 25
   * plus a small pattern, label i % 10.
   */
  static void write(Path dir, int train, int test, int s) throws IOException {
    Files.createDirectories(dir);
    int[] counts = {train, train, test, test};
    for (int i = 0; i < 4; i++) {
      String f = Mnist.FILES.get(i);
      Files.write(dir.resolve(f), idx(f.contains("images"), counts[i], s));
    }
  }

  private static byte[] idx(boolean images, int n, int s) throws IOException {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    int[] shape = images ? new int[] {n, s, s} : new int[] {n};
    raw.write(new byte[] {0, 0, 8, (byte) shape.length});
    for (int d : shape) {
      raw.write(new byte[] {(byte) (d >>> 24), (byte) (d >>> 16), (byte) (d >>> 8), (byte) d});
    }
    for (int i = 0; i < n; i++) {
      if (images) {
        for (int p = 0; p < s * s; p++) {
          raw.write((i % 10) * 25 + (p % 3));
        }
      } else {
        raw.write(i % 10);
      }
    }
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (OutputStream g = new GZIPOutputStream(gz)) {
      g.write(raw.toByteArray());
    }
    return gz.toByteArray();
  }
}
