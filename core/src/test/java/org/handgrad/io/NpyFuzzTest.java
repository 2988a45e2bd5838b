package org.handgrad.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile npy and npz files (issue 14): mutations and truncations of NumPy-written files fail with
 * an IOException naming the file; an npz cut at an entry boundary does not load.
 */
class NpyFuzzTest {
  @TempDir Path dir;

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = NpyFuzzTest.class.getResourceAsStream("/fixtures/" + name)) {
      return in.readAllBytes();
    }
  }

  private void fuzz(String name, ReaderFuzz.Reader reader, int mutations, long seed)
      throws IOException {
    ReaderFuzz.Counts c =
        ReaderFuzz.run(
            dir.resolve(name),
            resource(name),
            reader,
            mutations * ReaderFuzz.scale(),
            500 * ReaderFuzz.scale(),
            seed,
            10_000);
    System.out.println("npy fuzz " + name + ": " + c);
    assertTrue(c.failures().isEmpty(), c + "\n" + String.join("\n", c.failures()));
  }

  @Test
  void npyFailsCleanly() throws IOException {
    fuzz("npy_fortran.npy", Npy::read, 1500, 1);
    fuzz("npy_bigendian.npy", Npy::read, 1000, 2);
  }

  @Test
  void npzFailsCleanly() throws IOException {
    fuzz("npy_formats.npz", Npy::readNpz, 1500, 3);
    fuzz("npy_compressed.npz", Npy::readNpz, 1000, 4);
  }

  @Test
  void npzCutAtAnEntryBoundaryDoesNotLoad() throws IOException {
    Path file = dir.resolve("two.npz");
    Map<String, Tensor> arrays = new LinkedHashMap<>();
    arrays.put("a", Tensor.of(new float[] {1, 2, 3}, 3));
    arrays.put("b", Tensor.of(new float[] {4, 5}, 2));
    Npy.writeNpz(file, arrays);
    byte[] bytes = Files.readAllBytes(file);
    // The second local header starts where "PK\3\4" occurs again: keep only the first entry.
    int second = -1;
    for (int i = 4; i + 4 <= bytes.length; i++) {
      if (bytes[i] == 'P' && bytes[i + 1] == 'K' && bytes[i + 2] == 3 && bytes[i + 3] == 4) {
        second = i;
        break;
      }
    }
    assertTrue(second > 0);
    Files.write(file, Arrays.copyOf(bytes, second));
    IOException e = assertThrows(IOException.class, () -> Npy.readNpz(file));
    assertTrue(e.getMessage().startsWith(file + ": truncated"), e.getMessage());
  }

  @Test
  void hostileHeadersNameWhatWasExpected() {
    String hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536), }";
    IOException e = assertThrows(IOException.class, () -> Npy.read(npy(hdr, 0), "x.npy"));
    assertEquals(
        "x.npy: bad shape: expected sizes >= 0 with at most 2^31-1 elements, found (65536, 65536)",
        e.getMessage());
    String big = "{'descr': '<f99999999999', 'fortran_order': False, 'shape': (2,), }";
    e = assertThrows(IOException.class, () -> Npy.read(npy(big, 0), "x.npy"));
    assertTrue(e.getMessage().startsWith("x.npy: cannot parse npy header"), e.getMessage());
    String ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    e = assertThrows(IOException.class, () -> Npy.read(npy(ok, 4), "x.npy"));
    assertEquals(
        "x.npy: truncated data: expected 8 data bytes for shape (2,) of f4, found 4",
        e.getMessage());
    e = assertThrows(IOException.class, () -> Npy.read(npy(ok, 12), "x.npy"));
    assertEquals(
        "x.npy: wrong size: expected 8 data bytes for shape (2,) of f4, found 12", e.getMessage());
  }

  /** Version-1 npy bytes with this header dict and {@code data} zero bytes of data. */
  private static byte[] npy(String dict, int data) {
    byte[] h = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] b = new byte[10 + h.length + data];
    byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    System.arraycopy(magic, 0, b, 0, 8);
    b[8] = (byte) h.length;
    b[9] = (byte) (h.length >> 8);
    System.arraycopy(h, 0, b, 10, h.length);
    return b;
  }
}
