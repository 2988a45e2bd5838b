package org.handgrad.app.generate;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checkpoint pairs of a run folder, {@code <stem>.safetensors} and {@code <stem>.json} with a
 * step number in the stem: listing in step order and pruning. The JSON is written last and deleted
 * first, so that it marks a complete pair. Shared by {@link GenCheckpoint} and {@link
 * LatentCheckpoint}.
 */
final class CheckpointFiles {
  private CheckpointFiles() {}

  /** The safetensors file next to a checkpoint JSON. */
  static Path weightsOf(Path json) {
    String stem = json.getFileName().toString().replaceFirst("\\.json$", "");
    return json.resolveSibling(stem + ".safetensors");
  }

  /**
   * The checkpoint JSONs in {@code dir} whose names match {@code json}, by increasing step; none
   * when the folder does not exist.
   *
   * @param json the file-name pattern; its last group is the step
   */
  static List<Path> list(Path dir, Pattern json) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        if (json.matcher(f.getFileName().toString()).matches()) {
          out.add(f);
        }
      }
    }
    out.sort(Comparator.comparingLong(p -> stepOf(p, json)));
    return out;
  }

  /**
   * The newest checkpoint of a run: {@code path} itself when it is a checkpoint JSON, else the
   * highest step in {@code path/checkpoints}.
   *
   * @param missing what the error says after the path when there is none
   * @throws IOException naming the path when there is none
   */
  static Path latest(Path path, Pattern json, String missing) throws IOException {
    if (Files.isRegularFile(path) && json.matcher(path.getFileName().toString()).matches()) {
      return path;
    }
    List<Path> all = list(path.resolve("checkpoints"), json);
    if (all.isEmpty()) {
      throw new IOException(path + missing);
    }
    return all.get(all.size() - 1);
  }

  /** Deletes all but the newest {@code keep} checkpoints in {@code dir}, each JSON first. */
  static void prune(Path dir, Pattern json, int keep) throws IOException {
    List<Path> all = list(dir, json);
    for (int i = 0; i < all.size() - keep; i++) {
      Files.deleteIfExists(all.get(i)); // first, so it stops counting as complete
      Files.deleteIfExists(weightsOf(all.get(i)));
    }
  }

  private static long stepOf(Path file, Pattern json) {
    Matcher m = json.matcher(file.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a checkpoint: " + file);
    }
    return Long.parseLong(m.group(m.groupCount()));
  }
}
