package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.handgrad.io.ReaderFuzz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile IDX files (issue 14): mutations and truncations fail cleanly, headers are not trusted.
 */
class IdxFuzzTest {
  @TempDir Path dir;

  private void fuzz(String name, byte[] valid, long seed) throws IOException {
    Path file = dir.resolve(name);
    boolean labels = name.startsWith("labels");
    ReaderFuzz.Counts c =
        ReaderFuzz.run(
            file,
            valid,
            f -> {
              Idx.read(f);
              if (labels) {
                Idx.readSplit(dir.resolve("images"), f, SyntheticShapes.CLASSES);
              } else {
                Idx.readSplit(f, dir.resolve("labels"), SyntheticShapes.CLASSES);
              }
            },
            1500 * ReaderFuzz.scale(),
            400 * ReaderFuzz.scale(),
            seed,
            10_000);
    System.out.println("IDX fuzz " + name + ": " + c);
    assertTrue(c.failures().isEmpty(), c + "\n" + String.join("\n", c.failures()));
  }

  @Test
  void plainImagesFailCleanly() throws IOException {
    Files.write(dir.resolve("labels"), IdxFiles.labels(4));
    fuzz("images-idx3-ubyte", IdxFiles.images(4, 6, 5), 1);
  }

  @Test
  void gzippedImagesFailCleanly() throws IOException {
    Files.write(dir.resolve("labels"), IdxFiles.labels(4));
    fuzz("images-idx3-ubyte.gz", IdxFiles.gzip(IdxFiles.images(4, 6, 5)), 2);
  }

  @Test
  void labelsFailCleanly() throws IOException {
    Files.write(dir.resolve("images"), IdxFiles.images(7, 3, 2));
    fuzz("labels-idx1-ubyte", IdxFiles.labels(7), 3);
  }

  /** A header declaring sizes whose product overflows int and long. */
  private static byte[] header(int... dims) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + 16);
    b.put((byte) 0).put((byte) 0).put((byte) Idx.UBYTE).put((byte) dims.length);
    for (int d : dims) {
      b.putInt(d);
    }
    return b.array();
  }

  @Test
  void overflowingSizesAreRefusedBeforeAllocating() throws IOException {
    Path file = dir.resolve("huge-idx3-ubyte");
    Files.write(file, header(65536, 65536, 2));
    IOException e = assertThrows(IOException.class, () -> Idx.read(file));
    assertTrue(e.getMessage().contains("huge-idx3-ubyte"), e.getMessage());
    assertTrue(e.getMessage().contains("expected at most"), e.getMessage());
    int m = Integer.MAX_VALUE;
    Files.write(file, header(m, m, m, m, m, m, m, m));
    e = assertThrows(IOException.class, () -> Idx.read(file));
    assertTrue(e.getMessage().contains("expected at most"), e.getMessage());
  }

  @Test
  void aLargeDeclaredSizeOverATinyFileIsASizeError() throws IOException {
    // 2 GB promised, 20 bytes present: the plain file is compared before allocating...
    Path file = dir.resolve("big-idx1-ubyte");
    Files.write(file, header(Integer.MAX_VALUE - 8));
    IOException e = assertThrows(IOException.class, () -> Idx.read(file));
    assertEquals(
        file
            + ": truncated: expected 2147483647 bytes (8-byte header + 2147483639 bytes), found"
            + " 24",
        e.getMessage());
    // ...and a gzipped one is read in growing chunks, so it fails after reading what is there.
    Path gz = dir.resolve("big-idx1-ubyte.gz");
    Files.write(gz, IdxFiles.gzip(header(Integer.MAX_VALUE - 8)));
    e = assertThrows(IOException.class, () -> Idx.read(gz));
    assertTrue(e.getMessage().contains("truncated: expected 2147483647 bytes"), e.getMessage());
  }
}
