package org.handgrad.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path tmp;

  private List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writesReplacesAndLeavesNoTemporaryFiles() throws IOException {
    Path f = tmp.resolve("a/b/c.bin");
    AtomicFiles.write(f, new byte[] {1, 2, 3});
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(f));
    AtomicFiles.write(f, new byte[] {4});
    assertArrayEquals(new byte[] {4}, Files.readAllBytes(f));
    assertEquals(List.of("c.bin"), names(f.getParent()));
  }

  @Test
  void failedWriteKeepsTheOldFileAndCleansUp() throws IOException {
    Path f = tmp.resolve("keep.bin");
    AtomicFiles.write(f, new byte[] {7});
    // The target is a non-empty folder: the rename fails after the data was written.
    Path dir = tmp.resolve("dir");
    Files.createDirectories(dir.resolve("inside"));
    assertThrows(IOException.class, () -> AtomicFiles.write(dir, new byte[] {9}));
    assertArrayEquals(new byte[] {7}, Files.readAllBytes(f));
    assertEquals(List.of("dir", "keep.bin"), names(tmp));
  }

  @Test
  void outputsGetTheUsersUmaskNotPrivateTempFileModes() throws IOException {
    // Files.createTempFile makes 0600 files; outputs must get what any new file gets (0666 masked
    // by the umask), like metrics.jsonl and every file other tools write.
    Path plain = Files.createFile(tmp.resolve("plain.txt"));
    Path atomic = tmp.resolve("atomic.txt");
    AtomicFiles.write(atomic, new byte[] {1});
    assertEquals(
        Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(atomic), "permissions");
    Npy.write(tmp.resolve("a.npy"), org.handgrad.tensor.Tensor.of(new float[] {1}, 1));
    assertEquals(
        Files.getPosixFilePermissions(plain),
        Files.getPosixFilePermissions(tmp.resolve("a.npy")),
        "npy permissions");
  }
}
