package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarTest {
  @TempDir Path tmp;

  private static Map<String, byte[]> entries() {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("top/", null);
    m.put("top/a.txt", "hello".getBytes(StandardCharsets.UTF_8));
    byte[] big = new byte[1300];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) i;
    }
    m.put("top/b.bin", big);
    m.put("top/empty", new byte[0]);
    return m;
  }

  @Test
  void extractsGzippedArchive() throws IOException {
    Path archive = Files.write(tmp.resolve("x.tar.gz"), IdxFiles.gzip(TarFiles.tar(entries())));
    List<Path> out = Tar.extract(archive, tmp.resolve("out"), name -> true);
    assertEquals(3, out.size());
    assertEquals("hello", Files.readString(tmp.resolve("out/top/a.txt")));
    assertArrayEquals(entries().get("top/b.bin"), Files.readAllBytes(tmp.resolve("out/top/b.bin")));
    assertEquals(0, Files.size(tmp.resolve("out/top/empty")));
  }

  @Test
  void filterSkipsEntries() throws IOException {
    Path archive = Files.write(tmp.resolve("x.tar"), TarFiles.tar(entries()));
    List<Path> out = Tar.extract(archive, tmp.resolve("out"), name -> name.endsWith(".bin"));
    assertEquals(List.of(tmp.resolve("out/top/b.bin")), out);
    assertFalse(Files.exists(tmp.resolve("out/top/a.txt")));
  }

  @Test
  void refusesPathsOutsideTheDestination() throws IOException {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("../evil", new byte[] {1});
    Path archive = Files.write(tmp.resolve("x.tar"), TarFiles.tar(m));
    IOException e =
        assertThrows(IOException.class, () -> Tar.extract(archive, tmp.resolve("out"), n -> true));
    assertTrue(e.getMessage().contains("unsafe entry name ../evil"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("evil")));
  }

  @Test
  void corruptHeaderAndTruncationAreErrors() throws IOException {
    byte[] t = TarFiles.tar(entries());
    byte[] bad = t.clone();
    bad[512 + 10] ^= 1; // second header's name, checksum no longer matches
    Path a = Files.write(tmp.resolve("bad.tar"), bad);
    IOException e =
        assertThrows(IOException.class, () -> Tar.extract(a, tmp.resolve("o1"), n -> true));
    assertTrue(e.getMessage().contains("corrupt tar header"), e.getMessage());
    Path b = Files.write(tmp.resolve("short.tar"), Arrays.copyOf(t, 512 * 3 + 100));
    e = assertThrows(IOException.class, () -> Tar.extract(b, tmp.resolve("o2"), n -> true));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("o2/top/b.bin")), "no half-written file under its name");
  }
}
