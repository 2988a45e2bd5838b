package org.handgrad.app.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointFilesTest {
  @TempDir Path tmp;

  private Path fake(Path dir, String stem) throws IOException {
    Files.createDirectories(dir);
    for (String ext : new String[] {".json", ".safetensors", ".state.safetensors"}) {
      Files.writeString(dir.resolve(stem + ext), "x");
    }
    return dir.resolve(stem + ".json");
  }

  @Test
  void resolvesFilesFoldersAndRunFolders() throws IOException {
    Path run = tmp.resolve("run");
    Path cps = run.resolve("checkpoints");
    fake(cps, "cnn_epoch_2_step_20");
    Path newest = fake(cps, "cnn_epoch_10_step_100"); // numeric order, not text order
    fake(cps, "cnn_epoch_9_step_90");
    Files.writeString(run.resolve("config.json"), "{}");
    assertEquals(newest, CheckpointFiles.resolve(run));
    assertEquals(newest, CheckpointFiles.resolve(cps));
    assertEquals(
        cps.resolve("cnn_epoch_2_step_20.json"),
        CheckpointFiles.resolve(cps.resolve("cnn_epoch_2_step_20.json")));
    assertEquals(run.toAbsolutePath(), CheckpointFiles.runFolderOf(newest));
    IOException e = assertThrows(IOException.class, () -> CheckpointFiles.resolve(tmp));
    assertTrue(e.getMessage().contains("holds no checkpoint"), e.getMessage());
  }

  @Test
  void prunerKeepsTheNewest() throws IOException {
    Path cps = tmp.resolve("c");
    Path a = fake(cps, "m_epoch_1_step_10");
    Path b = fake(cps, "m_epoch_2_step_20");
    Path c = fake(cps, "m_epoch_3_step_30");
    CheckpointFiles.pruner(cps, 2).checkpointSaved(c, 30);
    assertFalse(Files.exists(a));
    assertFalse(Files.exists(cps.resolve("m_epoch_1_step_10.state.safetensors")));
    assertTrue(Files.exists(b) && Files.exists(c));
    assertThrows(IllegalArgumentException.class, () -> CheckpointFiles.pruner(cps, 0));
  }

  @Test
  void leftoversOfACrashedWriteAreRemovedOnPruningAndCleanUp() throws IOException {
    Path cps = tmp.resolve("c");
    Path kept = fake(cps, "m_epoch_1_step_10");
    // A kill -9 during the next checkpoint: its tensors were renamed into place, a temporary file
    // was half written, and its JSON (written last) never appeared.
    Files.writeString(cps.resolve("m_epoch_1_step_15.safetensors"), "orphan");
    Files.writeString(cps.resolve("m_epoch_1_step_15.state.safetensors"), "orphan");
    Files.writeString(cps.resolve(".m_epoch_1_step_15.json.k3j2.tmp"), "half");
    Files.writeString(cps.resolve("notes.txt"), "not ours");
    assertEquals(
        java.util.List.of(
            cps.resolve(".m_epoch_1_step_15.json.k3j2.tmp"),
            cps.resolve("m_epoch_1_step_15.safetensors"),
            cps.resolve("m_epoch_1_step_15.state.safetensors")),
        CheckpointFiles.cleanUp(cps));
    assertTrue(Files.exists(kept) && Files.exists(cps.resolve("m_epoch_1_step_10.safetensors")));
    assertTrue(Files.exists(cps.resolve("notes.txt")));
    // The pruner cleans up too, after each save.
    Files.writeString(cps.resolve(".m_epoch_2_step_20.safetensors.x1.tmp"), "half");
    Path next = fake(cps, "m_epoch_2_step_20");
    CheckpointFiles.pruner(cps, 2).checkpointSaved(next, 20);
    assertFalse(Files.exists(cps.resolve(".m_epoch_2_step_20.safetensors.x1.tmp")));
    assertTrue(Files.exists(next) && Files.exists(kept));
  }
}
