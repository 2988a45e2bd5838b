package org.handgrad.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;

/**
 * Reads and writes the safetensors format (Hugging Face), the parameter format PyTorch and the Hub
 * tools read.
 *
 * <p>Layout: an unsigned 64-bit little-endian header length N; N bytes of UTF-8 JSON, {@code
 * {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ..., "__metadata__":
 * {"key": "value"}}}, which may end in spaces (writers pad it so the data is 8-byte aligned); then
 * the data buffer: each tensor row-major and little-endian at {@code [begin, end)}, offsets
 * relative to the start of the buffer. The tensors must tile the buffer exactly: no gaps, no
 * overlaps, nothing after the last one. The reader checks all of this and names the offending
 * tensor.
 *
 * <p>Read dtypes: F32, F64, I32 as themselves; F16 and BF16 widened to float32; I64 narrowed to
 * int32 with a range check; I16, I8, U8 and BOOL widened to int32. Written dtypes: F32, F64, I32.
 * Whole files are held in memory, so a file is limited to 2 GiB.
 */
public final class Safetensors {
  private Safetensors() {}

  /** The format's cap on the header length (as in the reference implementation), 100 MB. */
  static final long MAX_HEADER = 100_000_000L;

  private static final String METADATA = "__metadata__";

  /**
   * What a safetensors file holds.
   *
   * @param tensors tensors by name, in header order
   * @param metadata the free-form string map of {@code __metadata__} (empty when absent)
   */
  public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

  /** Reads a safetensors file. */
  public static Contents read(Path file) throws IOException {
    return read(Files.readAllBytes(file), file.toString());
  }

  /**
   * Parses safetensors bytes.
   *
   * @param source a name for error messages
   * @throws IOException when the header or the layout is invalid, or a dtype is unsupported
   */
  public static Contents read(byte[] bytes, String source) throws IOException {
    if (bytes.length < 8) {
      throw new IOException(source + ": too short for a safetensors header (" + bytes.length + ")");
    }
    long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (n < 2 || n > MAX_HEADER || n > bytes.length - 8L) {
      throw new IOException(
          source
              + ": header length "
              + Long.toUnsignedString(n)
              + " is invalid for a file of "
              + bytes.length
              + " bytes (corrupt or not a safetensors file)");
    }
    String header = decodeUtf8(bytes, 8, (int) n, source);
    if (header.charAt(0) != '{') {
      throw new IOException(source + ": header does not start with '{'");
    }
    Object parsed;
    try {
      parsed = Json.parse(header);
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": bad header: " + e.getMessage(), e);
    }
    if (!(parsed instanceof Map<?, ?> root)) {
      throw new IOException(source + ": header is not a JSON object");
    }
    int dataStart = 8 + (int) n;
    int bufferLength = bytes.length - dataStart;
    Map<String, String> metadata = new LinkedHashMap<>();
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<?, ?> e : root.entrySet()) {
      String name = (String) e.getKey();
      if (name.equals(METADATA)) {
        readMetadata(e.getValue(), metadata, source);
      } else {
        entries.add(Entry.parse(name, e.getValue(), source));
      }
    }
    checkTiling(entries, bufferLength, source);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Entry en : entries) {
      ByteBuffer data =
          ByteBuffer.wrap(bytes, dataStart + (int) en.begin, (int) (en.end - en.begin))
              .slice()
              .order(ByteOrder.LITTLE_ENDIAN);
      tensors.put(en.name, decode(data, en, source));
    }
    return new Contents(tensors, metadata);
  }

  private static String decodeUtf8(byte[] bytes, int off, int len, String source)
      throws IOException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, off, len))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IOException(source + ": header is not valid UTF-8", e);
    }
  }

  private static void readMetadata(Object value, Map<String, String> out, String source)
      throws IOException {
    if (!(value instanceof Map<?, ?> m)) {
      throw new IOException(source + ": __metadata__ must be an object of strings");
    }
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getValue() instanceof String s)) {
        throw new IOException(
            source + ": __metadata__ value of '" + e.getKey() + "' is not a string");
      }
      out.put((String) e.getKey(), s);
    }
  }

  /** One tensor's header entry. */
  private record Entry(String name, String dtype, int width, int[] shape, long begin, long end) {
    static Entry parse(String name, Object value, String source) throws IOException {
      String where = source + ": tensor '" + name + "'";
      if (!(value instanceof Map<?, ?> m)) {
        throw new IOException(where + ": entry is not an object");
      }
      if (!m.keySet().equals(Set.of("dtype", "shape", "data_offsets"))) {
        throw new IOException(
            where + ": expected keys dtype, shape, data_offsets; got " + m.keySet());
      }
      if (!(m.get("dtype") instanceof String dtype)) {
        throw new IOException(where + ": dtype is not a string");
      }
      int width = elementBytes(dtype);
      if (width == 0) {
        throw new IOException(
            where
                + ": unsupported dtype "
                + dtype
                + " (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
      }
      long[] dims = longs(m.get("shape"), -1, where + ": shape");
      int[] shape = new int[dims.length];
      long count = 1;
      for (int i = 0; i < dims.length; i++) {
        if (dims[i] > Integer.MAX_VALUE) {
          throw new IOException(where + ": dimension " + dims[i] + " is too large");
        }
        shape[i] = (int) dims[i];
        count *= dims[i];
        if (count > Integer.MAX_VALUE) {
          throw new IOException(where + ": more than 2^31-1 elements");
        }
      }
      long[] offsets = longs(m.get("data_offsets"), 2, where + ": data_offsets");
      long begin = offsets[0];
      long end = offsets[1];
      if (end < begin) {
        throw new IOException(where + ": data_offsets [" + begin + ", " + end + "] end < begin");
      }
      if (end - begin != count * width) {
        throw new IOException(
            where
                + ": "
                + dtype
                + " "
                + Shapes.str(shape)
                + " needs "
                + count * width
                + " bytes but data_offsets ["
                + begin
                + ", "
                + end
                + "] span "
                + (end - begin));
      }
      return new Entry(name, dtype, width, shape, begin, end);
    }

    /** Non-negative integers of a JSON array; {@code length} -1 for any length. */
    private static long[] longs(Object value, int length, String where) throws IOException {
      if (!(value instanceof List<?> list) || (length >= 0 && list.size() != length)) {
        throw new IOException(
            where + " must be an array of " + (length >= 0 ? length + " " : "") + "integers");
      }
      long[] out = new long[list.size()];
      for (int i = 0; i < out.length; i++) {
        if (!(list.get(i) instanceof Long v) || v < 0) {
          throw new IOException(where + " has a non-integer or negative entry " + list.get(i));
        }
        out[i] = v;
      }
      return out;
    }
  }

  private static int elementBytes(String dtype) {
    return switch (dtype) {
      case "F64", "I64" -> 8;
      case "F32", "I32" -> 4;
      case "F16", "BF16", "I16" -> 2;
      case "I8", "U8", "BOOL" -> 1;
      default -> 0;
    };
  }

  /** The tensors, sorted by offset, must cover {@code [0, bufferLength)} exactly once. */
  private static void checkTiling(List<Entry> entries, int bufferLength, String source)
      throws IOException {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long expected = 0;
    Entry previous = null;
    for (Entry e : sorted) {
      if (e.begin != expected) {
        String what = e.begin < expected ? "overlaps" : "leaves a gap after";
        throw new IOException(
            source
                + ": tensor '"
                + e.name
                + "' data_offsets ["
                + e.begin
                + ", "
                + e.end
                + "] "
                + what
                + (previous == null
                    ? " the start of the buffer"
                    : " '" + previous.name + "' [" + previous.begin + ", " + previous.end + "]"));
      }
      expected = e.end;
      previous = e;
    }
    if (expected != bufferLength) {
      throw new IOException(
          source
              + ": "
              + (expected > bufferLength ? "truncated data: " : "trailing bytes: ")
              + "the header describes "
              + expected
              + " data bytes, the file holds "
              + bufferLength);
    }
  }

  private static Tensor decode(ByteBuffer data, Entry e, String source) throws IOException {
    int count = Shapes.size(e.shape);
    switch (e.dtype) {
      case "F32" -> {
        float[] a = new float[count];
        data.asFloatBuffer().get(a);
        return Tensor.of(a, e.shape);
      }
      case "F64" -> {
        double[] a = new double[count];
        data.asDoubleBuffer().get(a);
        return Tensor.of(a, e.shape);
      }
      case "F16", "BF16" -> {
        float[] a = new float[count];
        boolean bf16 = e.dtype.equals("BF16");
        for (int i = 0; i < count; i++) {
          short h = data.getShort(2 * i);
          // bfloat16 is the upper half of a float32; float16 needs its exponent rebiased.
          a[i] = bf16 ? Float.intBitsToFloat((h & 0xffff) << 16) : halfToFloat(h);
        }
        return Tensor.of(a, e.shape);
      }
      default -> {
        int[] a = new int[count];
        for (int i = 0; i < count; i++) {
          long v =
              switch (e.dtype) {
                case "I64" -> data.getLong(8 * i);
                case "I32" -> data.getInt(4 * i);
                case "I16" -> data.getShort(2 * i);
                case "I8" -> data.get(i);
                case "U8" -> Byte.toUnsignedInt(data.get(i));
                case "BOOL" -> data.get(i) != 0 ? 1 : 0;
                default -> throw new AssertionError(e.dtype);
              };
          if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new IOException(
                source + ": tensor '" + e.name + "' value " + v + " at " + i + " exceeds int32");
          }
          a[i] = (int) v;
        }
        return Tensor.of(a, e.shape);
      }
    }
  }

  /** IEEE 754 binary16 to float32 (exact: every half is a float). */
  static float halfToFloat(short h) {
    int sign = (h >>> 15) & 1;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    float magnitude;
    if (exp == 0) {
      magnitude = mant * 0x1p-24f; // zero or subnormal: mant * 2^-14 * 2^-10
    } else if (exp == 0x1f) {
      magnitude = mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
    } else {
      magnitude = Float.intBitsToFloat((exp - 15 + 127) << 23 | mant << 13);
    }
    return sign == 1 ? -magnitude : magnitude;
  }

  // ---------------------------------------------------------------- writing

  /**
   * Serializes tensors (float32, float64, int32; any shape, views allowed) in map order, the header
   * padded with spaces to a multiple of 8 bytes so every tensor starts 8-byte aligned in the file.
   *
   * @param tensors by name; names must be non-empty and not {@code __metadata__}
   * @param metadata free-form strings stored under {@code __metadata__} (omitted when empty)
   * @throws IllegalArgumentException on a bad name or when the result exceeds 2 GiB
   */
  public static byte[] toBytes(Map<String, Tensor> tensors, Map<String, String> metadata) {
    Map<String, Object> header = new LinkedHashMap<>();
    if (!metadata.isEmpty()) {
      header.put(METADATA, new LinkedHashMap<>(metadata));
    }
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      String name = e.getKey();
      if (name.isEmpty() || name.equals(METADATA)) {
        throw new IllegalArgumentException("safetensors: invalid tensor name '" + name + "'");
      }
      Tensor t = e.getValue();
      long bytes = (long) t.size() * t.dtype().bytes();
      List<Object> shape = new ArrayList<>();
      for (int d : t.shape()) {
        shape.add((long) d);
      }
      Map<String, Object> info = new LinkedHashMap<>();
      info.put("dtype", dtypeName(t.dtype()));
      info.put("shape", shape);
      info.put("data_offsets", List.of(offset, offset + bytes));
      header.put(name, info);
      offset += bytes;
    }
    byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    long total = 8L + padded + offset;
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("safetensors: " + total + " bytes exceed 2 GiB");
    }
    ByteBuffer bb = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
    bb.putLong(padded).put(json);
    for (int i = json.length; i < padded; i++) {
      bb.put((byte) ' ');
    }
    for (Tensor t : tensors.values()) {
      Tensor c = t.contiguous();
      int n = c.size();
      int pos = bb.position();
      switch (c.dtype()) {
        case FLOAT32 -> bb.asFloatBuffer().put(c.floatStorage(), c.offset(), n);
        case FLOAT64 -> bb.asDoubleBuffer().put(c.doubleStorage(), c.offset(), n);
        case INT32 -> bb.asIntBuffer().put(c.intStorage(), c.offset(), n);
      }
      bb.position(pos + n * c.dtype().bytes());
    }
    return bb.array();
  }

  private static String dtypeName(DType d) {
    return switch (d) {
      case FLOAT32 -> "F32";
      case FLOAT64 -> "F64";
      case INT32 -> "I32";
    };
  }

  /** Writes tensors and metadata atomically (temp file and rename); see {@link #toBytes}. */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    byte[] bytes = toBytes(tensors, metadata);
    Npy.writeAtomically(file, out -> out.write(bytes));
  }

  /**
   * The entries whose names start with a prefix, under their names without it, in their order: one
   * part of a file that holds several state dicts ("optim.g.step" -> "step" for "optim.g.").
   *
   * @param tensors tensors by name
   * @param prefix the part's prefix, e.g. "optim.g."
   * @return a new map; the tensors are not copied
   */
  public static Map<String, Tensor> withPrefix(Map<String, Tensor> tensors, String prefix) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    tensors.forEach(
        (k, v) -> {
          if (k.startsWith(prefix)) {
            out.put(k.substring(prefix.length()), v);
          }
        });
    return out;
  }

  /** Writes tensors without metadata. */
  public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
    write(file, tensors, Map.of());
  }
}
