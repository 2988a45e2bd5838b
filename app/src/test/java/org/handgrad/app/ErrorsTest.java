package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Path and permission errors say what went wrong, not only the path (issue 14). */
class ErrorsTest {
  @TempDir Path tmp;

  @Test
  void fileSystemErrorsNameTheProblem() {
    assertEquals(
        "permission denied: /data/runs", Errors.describe(new AccessDeniedException("/data/runs")));
    assertEquals(
        "no such file or folder: /x/y.png", Errors.describe(new NoSuchFileException("/x/y.png")));
    assertEquals(
        "pruning old checkpoints in /r: permission denied: /r/a.json",
        Errors.describe(
            new UncheckedIOException(
                "pruning old checkpoints in /r", new AccessDeniedException("/r/a.json"))));
    assertEquals("plain message", Errors.message(new IOException("plain message")));
  }

  @Test
  void aRunDirThatIsAFileIsExplained() throws IOException {
    Path file = Files.writeString(tmp.resolve("runs"), "not a folder");
    CliRun r =
        CliRun.run(
            tmp.resolve("home"),
            "train",
            "--model",
            "softmax",
            "--data",
            "shapes",
            "--num-train",
            "50",
            "--num-test",
            "10",
            "--epochs",
            "1",
            "--run-dir",
            file.toString());
    assertEquals(1, r.code(), r.all());
    assertTrue(
        r.err().contains("error: a file is in the way (expected a folder or nothing): " + file),
        r.all());
    assertFalse(r.err().contains("\tat "), r.all());
  }
}
