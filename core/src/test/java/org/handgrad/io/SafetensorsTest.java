package org.handgrad.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

  /** A file from a header string and data bytes (the header is not padded). */
  private static byte[] file(String header, byte[] data) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + h.length + data.length)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putLong(h.length)
        .put(h)
        .put(data)
        .array();
  }

  private static String readError(byte[] bytes) {
    return assertThrows(IOException.class, () -> Safetensors.read(bytes, "t.safetensors"))
        .getMessage();
  }

  @Test
  void withPrefixKeepsOnePartUnderShortNamesInOrder() {
    Tensor a = Tensor.zeros(DType.FLOAT32, 2);
    Tensor b = Tensor.zeros(DType.FLOAT32, 3);
    Tensor c = Tensor.zeros(DType.FLOAT32, 1);
    Map<String, Tensor> all = new LinkedHashMap<>();
    all.put("optim.g.step", a);
    all.put("optim.d.step", c);
    all.put("optim.g.m.w", b);
    all.put("g.w", c);
    Map<String, Tensor> g = Safetensors.withPrefix(all, "optim.g.");
    assertEquals(List.of("step", "m.w"), new ArrayList<>(g.keySet()));
    assertTrue(g.get("step") == a && g.get("m.w") == b, "the tensors themselves, not copies");
    assertTrue(Safetensors.withPrefix(all, "nothing.").isEmpty());
  }

  @Test
  void readsAFileWrittenFromTheSpecByPython() throws IOException {
    byte[] bytes;
    try (InputStream in =
        SafetensorsTest.class.getResourceAsStream("/fixtures/safetensors_numpy.safetensors")) {
      bytes = in.readAllBytes();
    }
    Safetensors.Contents c = Safetensors.read(bytes, "numpy");
    Map<String, Tensor> expected = Fixtures.load("safetensors_expected");
    assertEquals(expected.keySet(), c.tensors().keySet());
    for (Map.Entry<String, Tensor> e : expected.entrySet()) {
      Tensor got = c.tensors().get(e.getKey());
      assertEquals(e.getValue().dtype(), got.dtype(), e.getKey());
      assertArrayEquals(e.getValue().shape(), got.shape(), e.getKey());
      assertArrayEquals(e.getValue().toDoubleArray(), got.toDoubleArray(), 0.0, e.getKey());
    }
    assertEquals(Float.POSITIVE_INFINITY, c.tensors().get("half").getFlat(4));
    assertEquals(
        Map.of("format", "pt", "note", "h\u00e9llo \"quoted\"\n\ttab \u2603"), c.metadata());
  }

  @Test
  void roundTripsWithAlignedData(@TempDir Path dir) throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("w", Tensor.of(new float[] {1f, -2f, 3.5f, 1e-30f, 5f, 6f}, 2, 3));
    tensors.put("b", Tensor.vector(0.1, Math.PI, -1e300));
    tensors.put("ids", Tensor.vector(Integer.MIN_VALUE, 0, Integer.MAX_VALUE));
    tensors.put("t", Tensor.scalar(DType.INT32, 7));
    tensors.put("none", Tensor.zeros(DType.FLOAT32, 0, 4));
    tensors.put("odd", Tensor.vector(1f)); // 4 bytes: the next tensor starts unaligned to 8
    tensors.put("last", Tensor.vector(2.0));
    Map<String, String> meta = Map.of("update_rule", "adam", "note", "\u00e9\"\n");
    Path f = dir.resolve("m.safetensors");
    Safetensors.write(f, tensors, meta);
    Safetensors.Contents c = Safetensors.read(f);
    assertEquals(new ArrayList<>(tensors.keySet()), new ArrayList<>(c.tensors().keySet()));
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      Tensor got = c.tensors().get(e.getKey());
      assertEquals(e.getValue().dtype(), got.dtype());
      assertArrayEquals(e.getValue().shape(), got.shape());
      assertArrayEquals(e.getValue().toDoubleArray(), got.toDoubleArray(), 0.0);
    }
    assertEquals(meta, c.metadata());
    byte[] bytes = Files.readAllBytes(f);
    long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, n % 8, "header padded so the data starts 8-byte aligned");
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(f), files.toList(), "no temporary file left behind");
    }
  }

  @Test
  void writesTheExactLayout() throws IOException {
    byte[] bytes = Safetensors.toBytes(Map.of("x", Tensor.vector(1f, 2f)), Map.of());
    String header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    int padded = (header.length() + 7) / 8 * 8;
    ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(padded, bb.getLong());
    byte[] h = new byte[padded];
    bb.get(h);
    assertEquals(
        header + " ".repeat(padded - header.length()), new String(h, StandardCharsets.UTF_8));
    assertEquals(1f, bb.getFloat());
    assertEquals(2f, bb.getFloat());
    assertEquals(8 + padded + 8, bytes.length);
    assertThrows(
        IllegalArgumentException.class,
        () -> Safetensors.toBytes(Map.of("__metadata__", Tensor.vector(1f)), Map.of()));
  }

  @Test
  void rejectsCorruptFilesWithClearMessages() {
    byte[] eight = new byte[8];
    String f32 = "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";
    assertTrue(readError(new byte[3]).contains("too short"));
    byte[] huge = file("{}", new byte[0]);
    huge[0] = 100; // header length 100, file has 10 bytes
    assertTrue(readError(huge).contains("header length 100 is invalid for a file of 10 bytes"));
    byte[] negative = file("{}", new byte[0]);
    negative[7] = (byte) 0x80; // top bit: > 2^63 as unsigned
    assertTrue(readError(negative).contains("header length 9223372036854775810 is invalid"));
    assertTrue(readError(file("[1, 2]", eight)).contains("does not start with '{'"));
    assertTrue(readError(file("{\"a\":", eight)).contains("bad header: json:"));
    assertEquals(
        "t.safetensors: tensor 'b' data_offsets [4, 12] overlaps 'a' [0, 8]",
        readError(file("{\"a\":{" + f32 + "[0,8]},\"b\":{" + f32 + "[4,12]}}", new byte[12])));
    assertEquals(
        "t.safetensors: tensor 'b' data_offsets [12, 20] leaves a gap after 'a' [0, 8]",
        readError(file("{\"a\":{" + f32 + "[0,8]},\"b\":{" + f32 + "[12,20]}}", new byte[20])));
    assertEquals(
        "t.safetensors: tensor 'a' data_offsets [4, 12] leaves a gap after the start of the buffer",
        readError(file("{\"a\":{" + f32 + "[4,12]}}", new byte[12])));
    assertEquals(
        "t.safetensors: truncated data: the header describes 8 data bytes, the file holds 5",
        readError(file("{\"a\":{" + f32 + "[0,8]}}", new byte[5])));
    assertEquals(
        "t.safetensors: trailing bytes: the header describes 8 data bytes, the file holds 9",
        readError(file("{\"a\":{" + f32 + "[0,8]}}", new byte[9])));
    assertEquals(
        "t.safetensors: tensor 'a': F32 (2,) needs 8 bytes but data_offsets [0, 12] span 12",
        readError(file("{\"a\":{" + f32 + "[0,12]}}", new byte[12])));
    assertTrue(
        readError(file("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", eight))
            .contains("unsupported dtype C64"));
    assertTrue(
        readError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", eight))
            .contains("shape has a non-integer or negative entry -2"));
    assertTrue(readError(file("{\"a\":{" + f32 + "[0,8],\"x\":1}}", eight)).contains("keys"));
    assertTrue(
        readError(file("{\"__metadata__\":{\"k\":1}}", new byte[0])).contains("not a string"));
    assertTrue(readError(file("{\"a\":{" + f32 + "[0,8]},\"a\":{}}", eight)).contains("duplicate"));
    byte[] badUtf8 = file("{\"a\":1}", new byte[0]);
    badUtf8[10] = (byte) 0xff;
    assertTrue(readError(badUtf8).contains("not valid UTF-8"));
  }

  @Test
  void narrowsInt64WithARangeCheck() {
    byte[] data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array();
    String header = "{\"big\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
    assertEquals(
        "t.safetensors: tensor 'big' value 1099511627776 at 0 exceeds int32",
        readError(file(header, data)));
  }

  @Test
  void halfPrecisionConversion() {
    assertEquals(1f, Safetensors.halfToFloat((short) 0x3c00));
    assertEquals(-2f, Safetensors.halfToFloat((short) 0xc000));
    assertEquals(65504f, Safetensors.halfToFloat((short) 0x7bff));
    assertEquals(0x1p-24f, Safetensors.halfToFloat((short) 0x0001)); // smallest subnormal
    assertEquals(0x1p-14f, Safetensors.halfToFloat((short) 0x0400)); // smallest normal
    assertEquals(
        Float.floatToIntBits(-0f), Float.floatToIntBits(Safetensors.halfToFloat((short) 0x8000)));
    assertEquals(Float.NEGATIVE_INFINITY, Safetensors.halfToFloat((short) 0xfc00));
    assertTrue(Float.isNaN(Safetensors.halfToFloat((short) 0x7e00)));
  }
}
