package org.handgrad.io;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;

/**
 * Reads and writes NumPy's {@code .npy} arrays and {@code .npz} archives (a zip of {@code .npy}
 * entries, stored or deflated, as written by {@code np.savez} and {@code np.savez_compressed}).
 *
 * <p>Format facts from the NumPy format specification (NEP 1): a magic string {@code \x93NUMPY}, a
 * version byte pair, a little-endian header length (2 bytes in version 1, 4 bytes in 2 and 3), and
 * an ASCII Python dict literal with {@code descr}, {@code fortran_order} and {@code shape}, padded
 * so the data starts on a 64-byte boundary.
 *
 * <p>Read dtypes: {@code <f4}, {@code <f8}, {@code <i4}, {@code <i8} (narrowed to int32 with a
 * range check), {@code |b1}/{@code |u1}/{@code |i1} (to int32); big-endian variants too.
 * Fortran-order arrays are read and returned in row-major order. Written dtypes: float32, float64,
 * int32.
 */
public final class Npy {
  private Npy() {}

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR =
      Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d{1,2})'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  /** The largest file or archive entry read (a Java array's limit, with headroom). */
  static final long MAX_BYTES = Integer.MAX_VALUE - 8;

  /**
   * Reads one {@code .npy} file.
   *
   * @throws IOException naming the file, what was expected and what was found, for any invalid,
   *     truncated or unsupported file
   */
  public static Tensor read(Path file) throws IOException {
    return read(readFile(file), file.toString());
  }

  /** The bytes of a file, refusing (before allocating) one too large for an array. */
  private static byte[] readFile(Path file) throws IOException {
    long size = Files.size(file);
    if (size > MAX_BYTES) {
      throw new IOException(
          file + ": too large: expected at most " + MAX_BYTES + " bytes, found " + size);
    }
    try (InputStream in = Files.newInputStream(file)) {
      return in.readNBytes((int) size);
    }
  }

  /**
   * Parses {@code .npy} bytes.
   *
   * @param source a name for error messages (file or archive entry)
   * @throws IOException when the bytes are not a valid or supported npy array
   */
  public static Tensor read(byte[] bytes, String source) throws IOException {
    try {
      return parse(bytes, source);
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      // Defence in depth: every check below should come first; never let one escape unnamed.
      throw new IOException(source + ": invalid npy data (" + e.getMessage() + ")", e);
    }
  }

  private static Tensor parse(byte[] bytes, String source) throws IOException {
    if (bytes.length < 10) {
      throw new IOException(source + ": too short for an npy header (" + bytes.length + " bytes)");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (bytes[i] != MAGIC[i]) {
        throw new IOException(source + ": not an npy file (bad magic string)");
      }
    }
    int major = bytes[6];
    ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLen;
    int headerStart;
    if (major == 1) {
      headerLen = Short.toUnsignedInt(bb.getShort(8));
      headerStart = 10;
    } else if ((major == 2 || major == 3) && bytes.length >= 12) {
      headerLen = Integer.toUnsignedLong(bb.getInt(8));
      headerStart = 12;
    } else {
      throw new IOException(
          source + ": unsupported npy version: expected 1, 2 or 3, found " + major);
    }
    if (headerStart + headerLen > bytes.length) {
      throw new IOException(
          source
              + ": truncated header: expected "
              + (headerStart + headerLen)
              + " bytes for the header, found "
              + bytes.length);
    }
    String header = new String(bytes, headerStart, (int) headerLen, StandardCharsets.ISO_8859_1);
    Matcher d = DESCR.matcher(header);
    Matcher f = FORTRAN.matcher(header);
    Matcher s = SHAPE.matcher(header);
    if (!d.find() || !f.find() || !s.find()) {
      throw new IOException(
          source
              + ": cannot parse npy header: expected a dict with 'descr', 'fortran_order' and"
              + " 'shape', found "
              + printable(header.trim()));
    }
    ByteOrder order = d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    char kind = d.group(2).charAt(0);
    int width = Integer.parseInt(d.group(3)); // at most two digits (the pattern)
    if (!supported(kind, width)) {
      throw new IOException(
          source
              + ": unsupported dtype: expected f4, f8, i1, i4, i8, u1, u4 or b1, found "
              + kind
              + width);
    }
    boolean fortran = f.group(1).equals("True");
    int[] shape = parseShape(s.group(1), source);
    int n;
    try {
      n = Shapes.size(shape);
    } catch (IllegalArgumentException e) {
      throw new IOException(
          source
              + ": bad shape: expected sizes >= 0 with at most 2^31-1 elements, found "
              + Shapes.str(shape),
          e);
    }
    long dataStart = headerStart + headerLen;
    long expected = (long) n * width;
    long found = bytes.length - dataStart;
    if (found != expected) {
      throw new IOException(
          source
              + (found < expected ? ": truncated data" : ": wrong size")
              + ": expected "
              + expected
              + " data bytes for shape "
              + Shapes.str(shape)
              + " of "
              + kind
              + width
              + ", found "
              + found);
    }
    ByteBuffer data = ByteBuffer.wrap(bytes, (int) dataStart, (int) expected).slice().order(order);
    // A Fortran-order array is the row-major array of the reversed shape, transposed back.
    int[] storedShape = fortran ? reversed(shape) : shape;
    Tensor t = decode(data, kind, width, n, storedShape, source);
    return fortran ? reverseAxes(t, shape) : t;
  }

  private static boolean supported(char kind, int width) {
    return (kind == 'f' && (width == 4 || width == 8))
        || ((kind == 'i' || kind == 'u' || kind == 'b')
            && (width == 1 || width == 4 || width == 8));
  }

  /** A header excerpt fit for an error message: control characters escaped, at most 120 chars. */
  private static String printable(String header) {
    StringBuilder sb = new StringBuilder("'");
    for (int i = 0; i < header.length() && i < 120; i++) {
      char c = header.charAt(i);
      sb.append(c >= 32 && c < 127 ? String.valueOf(c) : String.format("\\x%02x", (int) c));
    }
    return sb.append(header.length() > 120 ? "...'" : "'").toString();
  }

  private static Tensor decode(
      ByteBuffer data, char kind, int width, int n, int[] shape, String source) throws IOException {
    if (kind == 'f' && width == 4) {
      float[] a = new float[n];
      data.asFloatBuffer().get(a);
      return Tensor.of(a, shape);
    }
    if (kind == 'f' && width == 8) {
      double[] a = new double[n];
      data.asDoubleBuffer().get(a);
      return Tensor.of(a, shape);
    }
    if ((kind == 'i' || kind == 'u' || kind == 'b') && (width == 1 || width == 4 || width == 8)) {
      int[] a = new int[n];
      for (int i = 0; i < n; i++) {
        long v =
            switch (width) {
              case 1 -> kind == 'i' ? data.get(i) : Byte.toUnsignedInt(data.get(i));
              case 4 ->
                  kind == 'u' ? Integer.toUnsignedLong(data.getInt(4 * i)) : data.getInt(4 * i);
              default -> data.getLong(8 * i);
            };
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
          throw new IOException(source + ": value " + v + " at " + i + " does not fit in int32");
        }
        a[i] = (int) v;
      }
      return Tensor.of(a, shape);
    }
    throw new IOException(source + ": unsupported dtype kind '" + kind + "' width " + width);
  }

  private static int[] parseShape(String body, String source) throws IOException {
    String[] parts = body.split(",");
    int count = 0;
    int[] tmp = new int[parts.length];
    for (String p : parts) {
      String q = p.trim();
      if (q.isEmpty()) {
        continue;
      }
      try {
        tmp[count++] = Integer.parseInt(q.endsWith("L") ? q.substring(0, q.length() - 1) : q);
      } catch (NumberFormatException e) {
        throw new IOException(
            source + ": bad shape: expected integers, found '" + printable(q) + "'", e);
      }
    }
    int[] shape = new int[count];
    System.arraycopy(tmp, 0, shape, 0, count);
    return shape;
  }

  private static int[] reversed(int[] shape) {
    int[] r = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      r[i] = shape[shape.length - 1 - i];
    }
    return r;
  }

  /** Copies a row-major tensor of the reversed shape into a row-major tensor of {@code shape}. */
  private static Tensor reverseAxes(Tensor stored, int[] shape) {
    Tensor out = Tensor.zeros(stored.dtype(), shape);
    int[] idx = new int[shape.length];
    int[] ridx = new int[shape.length];
    for (int i = 0; i < out.size(); i++) {
      int rem = i;
      for (int a = shape.length - 1; a >= 0; a--) {
        idx[a] = rem % shape[a];
        rem /= shape[a];
      }
      for (int a = 0; a < shape.length; a++) {
        ridx[a] = idx[shape.length - 1 - a];
      }
      out.setFlat(i, stored.get(ridx));
    }
    return out;
  }

  /** Serializes a tensor as version-1 {@code .npy} bytes (little-endian, row-major). */
  public static byte[] toBytes(Tensor t) {
    Tensor c = t.contiguous();
    String descr =
        switch (c.dtype()) {
          case FLOAT32 -> "<f4";
          case FLOAT64 -> "<f8";
          case INT32 -> "<i4";
        };
    int[] shape = c.shape();
    StringBuilder sh = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      sh.append(shape[i]).append(shape.length == 1 ? "," : (i + 1 < shape.length ? ", " : ""));
    }
    sh.append(')');
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + sh + ", }";
    // Pad with spaces so that magic(6) + version(2) + length(2) + header is a multiple of 64,
    // and end the header with a newline, as the specification asks.
    int unpadded = 10 + dict.length() + 1;
    int pad = (64 - unpadded % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    int n = c.size();
    int width = c.dtype().bytes();
    ByteBuffer bb =
        ByteBuffer.allocate(10 + header.length() + n * width).order(ByteOrder.LITTLE_ENDIAN);
    bb.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
    bb.put(header.getBytes(StandardCharsets.ISO_8859_1));
    int off = c.offset();
    switch (c.dtype()) {
      case FLOAT32 -> bb.asFloatBuffer().put(c.floatStorage(), off, n);
      case FLOAT64 -> bb.asDoubleBuffer().put(c.doubleStorage(), off, n);
      case INT32 -> bb.asIntBuffer().put(c.intStorage(), off, n);
    }
    return bb.array();
  }

  /** Writes one {@code .npy} file atomically (temp file and rename). */
  public static void write(Path file, Tensor t) throws IOException {
    byte[] bytes = toBytes(t);
    writeAtomically(file, out -> out.write(bytes));
  }

  /**
   * Reads every array of an {@code .npz} archive, in archive order, keyed by name without the
   * {@code .npy} suffix.
   *
   * @throws IOException naming the file for a truncated or corrupt archive (the central directory
   *     at its end must be present and list every entry read; every entry's CRC is checked) or an
   *     invalid array
   */
  public static Map<String, Tensor> readNpz(Path file) throws IOException {
    return readNpz(readFile(file), file.toString());
  }

  /** Reads an {@code .npz} archive from a stream; {@code source} names it in errors. */
  public static Map<String, Tensor> readNpz(InputStream in, String source) throws IOException {
    return readNpz(in.readAllBytes(), source);
  }

  private static Map<String, Tensor> readNpz(byte[] archive, String source) throws IOException {
    int declared = centralDirectoryEntries(archive, source);
    Map<String, Tensor> arrays = new LinkedHashMap<>();
    int entries = 0;
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
      ZipEntry e;
      while ((e = zip.getNextEntry()) != null) {
        entries++;
        String name = e.getName();
        if (!name.endsWith(".npy")) {
          continue;
        }
        String key = name.substring(0, name.length() - 4);
        arrays.put(key, read(readEntry(zip, source + ":" + name), source + ":" + name));
      }
    } catch (ZipException | EOFException e) {
      throw new IOException(
          source + ": corrupt npz archive: " + (e.getMessage() == null ? e : e.getMessage()), e);
    } catch (IllegalArgumentException e) { // ZipInputStream on a malformed entry name
      throw new IOException(source + ": corrupt npz archive: " + e.getMessage(), e);
    }
    if (declared != ZIP64_COUNT && entries != declared) {
      throw new IOException(
          source
              + ": corrupt npz archive: expected "
              + declared
              + " entries (its central directory), found "
              + entries);
    }
    if (arrays.isEmpty()) {
      throw new IOException(source + ": no .npy entries (is it an npz archive?)");
    }
    return arrays;
  }

  /** An entry's bytes, as they decompress, refusing more than {@link #MAX_BYTES}. */
  private static byte[] readEntry(InputStream in, String source) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    long total = 0;
    for (int r; (r = in.read(buf)) >= 0; ) {
      total += r;
      if (total > MAX_BYTES) {
        throw new IOException(
            source + ": too large: expected at most " + MAX_BYTES + " bytes, found more");
      }
      out.write(buf, 0, r);
    }
    return out.toByteArray();
  }

  /** The entry count of a zip64 archive's classic end record (the real count is elsewhere). */
  private static final int ZIP64_COUNT = 0xffff;

  /**
   * The number of entries the end-of-central-directory record declares. The record closes every zip
   * file (APPNOTE 4.3.16), so a missing one means a truncated archive: a stream reader alone would
   * silently return the entries before the cut.
   */
  private static int centralDirectoryEntries(byte[] a, String source) throws IOException {
    int min = Math.max(0, a.length - 22 - 0xffff);
    for (int p = a.length - 22; p >= min; p--) {
      if (a[p] == 0x50 && a[p + 1] == 0x4b && a[p + 2] == 0x05 && a[p + 3] == 0x06) {
        int commentLen = (a[p + 20] & 0xff) | (a[p + 21] & 0xff) << 8;
        if (p + 22 + commentLen == a.length) {
          return (a[p + 10] & 0xff) | (a[p + 11] & 0xff) << 8;
        }
      }
    }
    throw new IOException(
        source
            + ": truncated or not an npz archive: expected a zip end-of-central-directory record"
            + " at the end of its "
            + a.length
            + " bytes, found none");
  }

  /** Writes an uncompressed {@code .npz} archive atomically, like {@code np.savez}. */
  public static void writeNpz(Path file, Map<String, Tensor> arrays) throws IOException {
    writeAtomically(
        file,
        out -> {
          ZipOutputStream zip = new ZipOutputStream(out);
          for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
            zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
            zip.write(toBytes(e.getValue()));
            zip.closeEntry();
          }
          zip.finish();
        });
  }

  /** Something that writes to an output stream. */
  @FunctionalInterface
  interface Writer {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Writes through a temporary file in the same folder and renames it over the target, so a crash
   * never leaves a half-written file under the real name.
   */
  static void writeAtomically(Path file, Writer writer) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    writer.writeTo(buf);
    AtomicFiles.write(file, buf.toByteArray());
  }
}
