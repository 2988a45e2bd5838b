package org.handgrad.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
  private static double expected(int i) {
    return i / 7.0;
  }

  @Test
  void readsWhatNumpyWrites() {
    Map<String, Tensor> f = Fixtures.load("npy_formats");
    Tensor f8 = f.get("f8");
    assertEquals(DType.FLOAT64, f8.dtype());
    assertArrayEquals(new int[] {2, 3, 4}, f8.shape());
    for (int i = 0; i < 24; i++) {
      assertEquals(expected(i), f8.getFlat(i), 0.0);
      assertEquals((float) expected(i), f.get("f4").getFlat(i), 0.0);
    }
    assertArrayEquals(new int[] {-3, -2, -1, 0, 1, 2}, f.get("i8").toIntArray());
    assertArrayEquals(new int[] {1, 0, 1}, f.get("b1").toIntArray());
    assertEquals(0, f.get("scalar").ndim());
    assertEquals(3.5, f.get("scalar").item());
    assertArrayEquals(new int[] {0, 3}, f.get("empty").shape());
  }

  @Test
  void readsFortranOrderBigEndianAndCompressed() throws IOException {
    for (String name : new String[] {"npy_fortran.npy", "npy_bigendian.npy"}) {
      Tensor t = Npy.read(resource(name), name);
      assertArrayEquals(new int[] {2, 3, 4}, t.shape());
      for (int i = 0; i < 24; i++) {
        assertEquals(expected(i), t.getFlat(i), 0.0, name + " element " + i);
      }
    }
    try (InputStream in = NpyTest.class.getResourceAsStream("/fixtures/npy_compressed.npz")) {
      Tensor x = Npy.readNpz(in, "compressed").get("x");
      assertEquals((float) expected(23), x.get(1, 2, 3), 0.0);
    }
  }

  @Test
  void roundTripsEveryDtype(@TempDir Path dir) throws IOException {
    Map<String, Tensor> arrays = new LinkedHashMap<>();
    arrays.put("a", Tensor.of(new float[] {1f, -2f, 3.25f, 4f, 5f, 6f}, 2, 3));
    arrays.put("b", Tensor.of(new double[] {Math.PI, Double.MIN_VALUE}, 2));
    arrays.put("c", Tensor.of(new int[] {7, -8, 9}, 3, 1));
    arrays.put("s", Tensor.scalar(DType.FLOAT64, 2.5));
    Path file = dir.resolve("round.npz");
    Npy.writeNpz(file, arrays);
    Map<String, Tensor> back = Npy.readNpz(file);
    assertEquals(arrays.keySet(), back.keySet());
    for (String k : arrays.keySet()) {
      assertEquals(arrays.get(k).dtype(), back.get(k).dtype(), k);
      assertArrayEquals(arrays.get(k).shape(), back.get(k).shape(), k);
      assertArrayEquals(arrays.get(k).toDoubleArray(), back.get(k).toDoubleArray(), 0.0, k);
    }
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "no temp file may be left behind");
    }
  }

  @Test
  void truncatedDataNamesTheSizes() {
    byte[] good = Npy.toBytes(Tensor.zeros(DType.FLOAT64, 4, 4));
    byte[] cut = java.util.Arrays.copyOf(good, good.length - 8);
    IOException e = assertThrows(IOException.class, () -> Npy.read(cut, "cut.npy"));
    assertTrue(e.getMessage().contains("cut.npy"), e.getMessage());
    assertTrue(
        e.getMessage().contains("expected 128 data bytes for shape (4, 4) of f8, found 120"),
        e.getMessage());
  }

  @Test
  void rejectsNonNpyBytes() {
    IOException e =
        assertThrows(IOException.class, () -> Npy.read("hello world, not npy".getBytes(), "x"));
    assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = NpyTest.class.getResourceAsStream("/fixtures/" + name)) {
      return in.readAllBytes();
    }
  }
}
