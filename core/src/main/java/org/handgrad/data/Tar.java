package org.handgrad.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Extracts regular files from a tar archive, gzipped or not (detected by the gzip magic), such as
 * {@code cifar-10-binary.tar.gz}.
 *
 * <p>Format facts from POSIX.1-1988 ustar (and GNU tar's extensions): 512-byte header blocks with
 * the name at offset 0 (100 bytes), the size in octal at 124 (12 bytes), the header checksum at
 * 148, the type flag at 156, a name prefix at 345 (155 bytes); file data padded to 512 bytes; two
 * zero blocks at the end. GNU long names (type 'L') and pax {@code path} records (type 'x') are
 * honoured; other entry types (directories, links, devices) are skipped.
 *
 * <p>Safety: entries with absolute paths or ".." components are refused, so an archive cannot write
 * outside the destination; each file is written to a {@code .part} file and renamed when complete.
 */
public final class Tar {
  private Tar() {}

  private static final int BLOCK = 512;

  /**
   * Extracts the regular files whose archive path satisfies {@code wanted}.
   *
   * @param archive the .tar or .tar.gz file
   * @param destDir where paths inside the archive are resolved
   * @return the extracted files, in archive order
   * @throws IOException on a truncated or corrupt archive or an unsafe entry name
   */
  public static List<Path> extract(Path archive, Path destDir, Predicate<String> wanted)
      throws IOException {
    List<Path> out = new ArrayList<>();
    byte[] header = new byte[BLOCK];
    String longName = null;
    try (InputStream in = DataFiles.open(archive)) {
      while (true) {
        int got = in.readNBytes(header, 0, BLOCK);
        if (got == 0) {
          break; // archives without the two end blocks exist; the stream ended cleanly
        }
        if (got < BLOCK) {
          throw new IOException(archive + ": truncated tar header (" + got + " of 512 bytes)");
        }
        if (isZero(header)) {
          break;
        }
        checkChecksum(archive, header);
        String name = longName != null ? longName : entryName(header);
        longName = null;
        long size = parseSize(archive, header);
        char type = (char) header[156];
        if (type == 'L' || type == 'x') {
          byte[] meta = readPadded(in, size, archive, name);
          String text = new String(meta, StandardCharsets.UTF_8);
          longName = type == 'L' ? cString(meta) : paxPath(text);
          continue;
        }
        boolean regular = type == '0' || type == '\0' || type == '7';
        if (!regular || !wanted.test(name)) {
          skip(in, padded(size), archive, name);
          continue;
        }
        Path target = safeResolve(archive, destDir, name);
        Files.createDirectories(target.getParent());
        Path part = target.resolveSibling(target.getFileName() + ".part");
        try (OutputStream os = Files.newOutputStream(part)) {
          copy(in, os, size, archive, name);
        }
        skip(in, padded(size) - size, archive, name);
        Files.move(
            part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        out.add(target);
      }
    }
    return out;
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  /** The header checksum: the sum of all header bytes with the checksum field taken as spaces. */
  private static void checkChecksum(Path archive, byte[] h) throws IOException {
    long sum = 0;
    for (int i = 0; i < BLOCK; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
    }
    long stored = parseOctal(h, 148, 8);
    if (stored != sum) {
      throw new IOException(
          archive + ": corrupt tar header (checksum " + stored + ", computed " + sum + ")");
    }
  }

  private static String entryName(byte[] h) {
    String name = cString(java.util.Arrays.copyOfRange(h, 0, 100));
    boolean ustar =
        h[257] == 'u' && h[258] == 's' && h[259] == 't' && h[260] == 'a' && h[261] == 'r';
    if (ustar) {
      String prefix = cString(java.util.Arrays.copyOfRange(h, 345, 500));
      if (!prefix.isEmpty()) {
        name = prefix + "/" + name;
      }
    }
    return name;
  }

  private static String cString(byte[] b) {
    int n = 0;
    while (n < b.length && b[n] != 0) {
      n++;
    }
    return new String(b, 0, n, StandardCharsets.UTF_8);
  }

  /** The {@code path} value of a pax extended header ("LEN path=VALUE\n" records), or null. */
  private static String paxPath(String text) {
    for (String rec : text.split("\n")) {
      int sp = rec.indexOf(' ');
      if (sp > 0 && rec.startsWith("path=", sp + 1)) {
        return rec.substring(sp + 6);
      }
    }
    return null;
  }

  private static long parseSize(Path archive, byte[] h) throws IOException {
    if ((h[124] & 0x80) != 0) {
      // GNU base-256 encoding for sizes >= 8 GiB: big-endian in the remaining bytes.
      long v = 0;
      for (int i = 125; i < 136; i++) {
        v = (v << 8) | (h[i] & 0xff);
      }
      return v;
    }
    long size = parseOctal(h, 124, 12);
    if (size < 0) {
      throw new IOException(archive + ": corrupt tar header (bad size field)");
    }
    return size;
  }

  private static long parseOctal(byte[] h, int off, int len) {
    long v = 0;
    boolean any = false;
    for (int i = off; i < off + len; i++) {
      int c = h[i];
      if (c == 0 || c == ' ') {
        if (any) {
          break;
        }
        continue;
      }
      if (c < '0' || c > '7') {
        return -1;
      }
      v = v * 8 + (c - '0');
      any = true;
    }
    return v;
  }

  private static long padded(long size) {
    return (size + BLOCK - 1) / BLOCK * BLOCK;
  }

  private static Path safeResolve(Path archive, Path destDir, String name) throws IOException {
    Path rel = Path.of(name).normalize();
    if (name.startsWith("/") || rel.isAbsolute() || rel.startsWith("..") || name.contains("\\")) {
      throw new IOException(archive + ": refusing unsafe entry name " + name);
    }
    return destDir.resolve(rel);
  }

  private static byte[] readPadded(InputStream in, long size, Path archive, String name)
      throws IOException {
    if (size > 1 << 20) {
      throw new IOException(archive + ": implausible metadata entry of " + size + " bytes");
    }
    byte[] b = in.readNBytes((int) size);
    if (b.length < size) {
      throw new IOException(archive + ": truncated in entry " + name);
    }
    skip(in, padded(size) - size, archive, name);
    return b;
  }

  private static void copy(InputStream in, OutputStream os, long size, Path archive, String name)
      throws IOException {
    byte[] buf = new byte[1 << 16];
    long left = size;
    while (left > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (r < 0) {
        throw new IOException(
            archive
                + ": truncated in entry "
                + name
                + " ("
                + (size - left)
                + " of "
                + size
                + " bytes)");
      }
      os.write(buf, 0, r);
      left -= r;
    }
  }

  private static void skip(InputStream in, long n, Path archive, String name) throws IOException {
    long left = n;
    while (left > 0) {
      long s = in.skip(left);
      if (s <= 0) {
        if (in.read() < 0) {
          throw new IOException(archive + ": truncated in entry " + name);
        }
        s = 1;
      }
      left -= s;
    }
  }
}
