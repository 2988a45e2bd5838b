package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.handgrad.io.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 in the middle of a checkpoint write (issue 14): a {@code train} process that saves a
 * checkpoint at every iteration is killed as soon as a temporary file shows up in its checkpoint
 * folder; the run then resumes from its last complete checkpoint, removes the temporary and orphan
 * files and leaves none behind.
 */
class CheckpointCrashTest {
  @TempDir Path tmp;

  private static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  /** Temporary files, and tensor files whose checkpoint JSON is missing. */
  private static List<Path> leftovers(Path dir) throws IOException {
    return list(dir).stream()
        .filter(
            p -> {
              String n = p.getFileName().toString();
              if (AtomicFiles.isTempName(n)) {
                return true;
              }
              String stem = n.replaceFirst("(\\.state)?\\.safetensors$", "");
              return !stem.equals(n) && !Files.exists(p.resolveSibling(stem + ".json"));
            })
        .toList();
  }

  private static boolean hasJson(Path dir) throws IOException {
    return list(dir).stream().anyMatch(p -> p.toString().endsWith(".json"));
  }

  @Test
  void aRunKilledDuringACheckpointWriteResumesAndLeavesNoTemporaryOrOrphanFile() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    boolean caught = false;
    for (int attempt = 0; attempt < 8 && !caught; attempt++) {
      Path runs = tmp.resolve("runs" + attempt);
      List<String> cmd =
          List.of(
              java,
              "--add-modules",
              "jdk.incubator.vector",
              "-cp",
              System.getProperty("java.class.path"),
              "org.handgrad.app.Main",
              "train",
              "--model",
              "two-layer",
              "--hidden-dims",
              "512",
              "--dtype",
              "float32",
              "--data",
              "shapes",
              "--num-train",
              "400",
              "--num-test",
              "20",
              "--epochs",
              "1000",
              "--batch-size",
              "100",
              "--checkpoint-every",
              "1",
              "--run-dir",
              runs.toString());
      Process p =
          new ProcessBuilder(cmd)
              .redirectOutput(tmp.resolve("out" + attempt + ".txt").toFile())
              .redirectError(tmp.resolve("err" + attempt + ".txt").toFile())
              .start();
      Path cps = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      try {
        while (p.isAlive() && System.nanoTime() < deadline) {
          if (cps == null) {
            List<Path> found = list(runs);
            cps = found.isEmpty() ? null : found.get(0).resolve("checkpoints");
            continue;
          }
          // Wait for one complete checkpoint (to resume from), then kill inside the next write.
          if (hasJson(cps)
              && list(cps).stream()
                  .anyMatch(f -> AtomicFiles.isTempName(f.getFileName().toString()))) {
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
            break;
          }
        }
      } finally {
        p.destroyForcibly();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      }
      if (cps == null || !hasJson(cps) || leftovers(cps).isEmpty()) {
        continue; // the kill landed between writes; try again
      }
      caught = true;
      Path run = cps.getParent();
      CliRun resumed =
          CliRun.run(tmp.resolve("home"), "train", "--resume", run.toString(), "--epochs", "1");
      assertEquals(0, resumed.code(), resumed.all());
      assertTrue(
          resumed.err().contains("left by an interrupted write (a crash or kill -9 while saving)"),
          resumed.all());
      assertEquals(List.of(), leftovers(cps), "after the resumed run");
      assertEquals(
          List.of(),
          list(run).stream()
              .filter(f -> AtomicFiles.isTempName(f.getFileName().toString()))
              .toList());
    }
    assertTrue(caught, "no kill landed inside a checkpoint write in 8 attempts");
  }
}
