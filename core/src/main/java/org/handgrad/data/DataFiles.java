package org.handgrad.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** File helpers shared by the dataset readers: gzip detection and exact-size reads. */
final class DataFiles {
  private DataFiles() {}

  /** First two bytes of every gzip member (RFC 1952, section 2.3.1). */
  static final int GZIP_MAGIC_0 = 0x1f;

  static final int GZIP_MAGIC_1 = 0x8b;

  /** True when the file starts with the gzip magic bytes 1f 8b (the name is not consulted). */
  static boolean isGzip(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return in.read() == GZIP_MAGIC_0 && in.read() == GZIP_MAGIC_1;
    }
  }

  /**
   * Opens a file for reading, decompressing it when it starts with the gzip magic. Detection by
   * content, not by name: mirrors and package managers rename and recompress files.
   */
  static InputStream open(Path file) throws IOException {
    boolean gz = isGzip(file);
    InputStream raw = Files.newInputStream(file);
    try {
      return gz
          ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16)
          : new BufferedInputStream(raw, 1 << 16);
    } catch (IOException e) {
      raw.close();
      throw new IOException(file + ": corrupt gzip header (" + e.getMessage() + ")", e);
    }
  }

  /** Initial buffer of {@link #readExactly}, grown by doubling as data arrives. */
  static final int FIRST_CHUNK = 1 << 20;

  /**
   * Reads exactly {@code n} bytes, then checks that the stream ends there.
   *
   * @param consumed bytes already read from the (decompressed) stream, for the size message
   * @param layout what the header promised, e.g. "16-byte header + 60000x28x28 pixels"
   * @throws IOException naming the file, the expected and the found size when the data is short,
   *     too long, or the gzip stream is corrupt
   */
  static byte[] readExactly(InputStream in, int n, Path file, long consumed, String layout)
      throws IOException {
    // Never allocate what the header promises before the data is there: start small and grow
    // as bytes arrive, so a crafted header over a tiny (or gzipped) file costs at most twice the
    // bytes actually present.
    byte[] data = new byte[Math.min(n, FIRST_CHUNK)];
    int got = 0;
    try {
      while (got < n) {
        if (got == data.length) {
          data = Arrays.copyOf(data, (int) Math.min(n, 2L * data.length));
        }
        int r = in.read(data, got, data.length - got);
        if (r < 0) {
          break;
        }
        got += r;
      }
    } catch (EOFException | ZipException e) {
      throw new IOException(
          file
              + ": truncated or corrupt: expected "
              + (consumed + n)
              + " bytes ("
              + layout
              + "), the compressed stream broke after "
              + (consumed + got)
              + " ("
              + e.getMessage()
              + ")",
          e);
    }
    if (got < n) {
      throw new IOException(
          file
              + ": truncated: expected "
              + (consumed + n)
              + " bytes ("
              + layout
              + "), found "
              + (consumed + got));
    }
    long extra = drain(in, file);
    if (extra > 0) {
      throw new IOException(
          file
              + ": wrong size: expected "
              + (consumed + n)
              + " bytes ("
              + layout
              + "), found "
              + (consumed + n + extra));
    }
    return data;
  }

  /** Reads to the end (which also makes GZIPInputStream verify its CRC and length trailer). */
  private static long drain(InputStream in, Path file) throws IOException {
    byte[] buf = new byte[8192];
    long extra = 0;
    try {
      for (int r; (r = in.read(buf)) >= 0; ) {
        extra += r;
      }
    } catch (EOFException | ZipException e) {
      throw new IOException(file + ": corrupt gzip trailer (" + e.getMessage() + ")", e);
    }
    return extra;
  }

  /**
   * An IOException that names the file: {@code e} itself when its message already does, else a
   * wrapper saying what broke (a corrupt gzip stream, a short read).
   */
  static IOException named(Path file, IOException e) {
    String msg = e.getMessage();
    if (msg != null && msg.contains(file.toString())) {
      return e;
    }
    String what = e instanceof ZipException ? "corrupt gzip stream" : "cannot read";
    return new IOException(
        file + ": " + what + ": " + (msg == null ? e.getClass().getSimpleName() : msg), e);
  }

  /** The file name with ".gz" removed, if present. */
  static String stripGz(String name) {
    return name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
  }

  /**
   * {@code dir/name} if it exists, else the same name without (or with) ".gz", else null: IDX files
   * are found both as distributed (gzipped) and unpacked.
   */
  static Path findVariant(Path dir, String name) {
    Path p = dir.resolve(name);
    if (Files.isRegularFile(p)) {
      return p;
    }
    Path alt = dir.resolve(name.endsWith(".gz") ? stripGz(name) : name + ".gz");
    return Files.isRegularFile(alt) ? alt : null;
  }
}
