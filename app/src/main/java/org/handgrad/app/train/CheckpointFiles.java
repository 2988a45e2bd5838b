package org.handgrad.app.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.handgrad.io.AtomicFiles;
import org.handgrad.optim.SolverListener;

/**
 * Finding and pruning checkpoint files ({@code <name>_epoch_<E>_step_<S>.json} plus its two {@code
 * .safetensors} files, see {@link org.handgrad.optim.Checkpoint}).
 */
public final class CheckpointFiles {
  private CheckpointFiles() {}

  private static final Pattern JSON = Pattern.compile("(.+)_epoch_(\\d+)_step_(\\d+)\\.json");

  /**
   * The checkpoint JSON a command-line path means: the file itself, the newest checkpoint in a
   * folder of checkpoints, or the newest one in a run folder's {@code checkpoints/}.
   *
   * @throws IOException naming the path when nothing is found
   */
  public static Path resolve(Path path) throws IOException {
    if (Files.isRegularFile(path)) {
      return path;
    }
    if (!Files.exists(path)) {
      throw new IOException("checkpoint " + path + " does not exist");
    }
    if (Files.isDirectory(path)) {
      List<Path> found = list(path);
      if (found.isEmpty() && Files.isDirectory(path.resolve("checkpoints"))) {
        found = list(path.resolve("checkpoints"));
      }
      if (!found.isEmpty()) {
        return found.get(found.size() - 1);
      }
    }
    throw new IOException(
        path
            + " holds no checkpoint (expected a <name>_epoch_<E>_step_<S>.json file, a folder of"
            + " them, or a run folder with checkpoints/)");
  }

  /** Checkpoint JSON files in {@code dir}, oldest (lowest step) first. */
  static List<Path> list(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        if (JSON.matcher(f.getFileName().toString()).matches()) {
          out.add(f);
        }
      }
    }
    out.sort(Comparator.comparingLong(CheckpointFiles::step));
    return out;
  }

  private static long step(Path json) {
    Matcher m = JSON.matcher(json.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a checkpoint file: " + json);
    }
    return Long.parseLong(m.group(3));
  }

  /**
   * The run folder a checkpoint belongs to ({@code <run>/checkpoints/x.json}), when it has a {@code
   * config.json}; else null.
   */
  public static Path runFolderOf(Path checkpointJson) {
    Path dir = checkpointJson.toAbsolutePath().getParent();
    Path run = dir == null ? null : dir.getParent();
    return run != null
            && dir.getFileName().toString().equals("checkpoints")
            && Files.isRegularFile(run.resolve("config.json"))
        ? run
        : null;
  }

  private static final Pattern TENSORS =
      Pattern.compile("(.+_epoch_\\d+_step_\\d+)(\\.state)?\\.safetensors");

  /**
   * Removes what a crash in the middle of a checkpoint write leaves in a folder: hidden temporary
   * files ({@code .<name>.<random>.tmp}, see {@link AtomicFiles}) and orphan tensor files, whose
   * checkpoint JSON (written last, see {@link org.handgrad.optim.Checkpoint}) never appeared. Only
   * safe while no checkpoint is being written into the folder.
   *
   * @return the files removed, by name order
   */
  public static List<Path> cleanUp(Path dir) throws IOException {
    List<Path> removed = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return removed;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        Matcher m = TENSORS.matcher(name);
        boolean orphan = m.matches() && !Files.exists(f.resolveSibling(m.group(1) + ".json"));
        if ((orphan || AtomicFiles.isTempName(name)) && Files.isRegularFile(f)) {
          Files.deleteIfExists(f);
          removed.add(f);
        }
      }
    }
    removed.sort(null);
    return removed;
  }

  /**
   * Deletes all but the newest {@code keep} checkpoints of a folder after each save, so that a long
   * run does not fill the disk, and what an earlier crash left there ({@link #cleanUp}); the
   * checkpoint just written is never deleted.
   */
  public static SolverListener pruner(Path dir, int keep) {
    if (keep < 1) {
      throw new IllegalArgumentException("--keep-checkpoints must be >= 1, got " + keep);
    }
    return new SolverListener() {
      @Override
      public void checkpointSaved(Path file, int iteration) {
        try {
          List<Path> all = list(dir);
          for (int i = 0; i < all.size() - keep; i++) {
            delete(all.get(i));
          }
          cleanUp(dir);
        } catch (IOException e) {
          throw new UncheckedIOException("pruning old checkpoints in " + dir, e);
        }
      }
    };
  }

  /** Deletes a checkpoint: its JSON first (so it stops counting as complete), then its tensors. */
  static void delete(Path json) throws IOException {
    String stem = json.getFileName().toString().replaceFirst("\\.json$", "");
    Files.deleteIfExists(json);
    Files.deleteIfExists(json.resolveSibling(stem + ".safetensors"));
    Files.deleteIfExists(json.resolveSibling(stem + ".state.safetensors"));
  }
}
