package org.handgrad.app.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;

/**
 * One training run's folder, {@code <root>/<name>-<yyyyMMdd-HHmmss>/}:
 *
 * <pre>
 * config.json        what was run (model, data, solver options), written at the start
 * metrics.jsonl      one JSON object per line: iteration summaries, accuracy checks, checkpoints
 * checkpoints/       the Solver's checkpoints
 * loss.png, accuracy.png, weights.png, confusion.png
 * </pre>
 */
public final class RunDirectory {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  private final Path path;

  private RunDirectory(Path path) {
    this.path = path;
  }

  /** A new run folder stamped with the current local time. */
  public static RunDirectory create(Path root, String name) throws IOException {
    return create(root, name, LocalDateTime.now());
  }

  /**
   * A new run folder {@code <root>/<name>-<stamp>}; when two runs start in the same second the
   * later one gets a {@code -2}, {@code -3}, ... suffix (folder creation is atomic, so concurrent
   * runs never share a folder).
   *
   * @param name run name, a plain file name (no separators)
   */
  public static RunDirectory create(Path root, String name, LocalDateTime now) throws IOException {
    if (name.isBlank() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
      throw new IllegalArgumentException("run name must be a plain file name, got '" + name + "'");
    }
    Files.createDirectories(root);
    String base = name + "-" + STAMP.format(now);
    for (int k = 1; ; k++) {
      Path dir = root.resolve(k == 1 ? base : base + "-" + k);
      try {
        Files.createDirectory(dir);
        return new RunDirectory(dir);
      } catch (FileAlreadyExistsException taken) {
        // try the next suffix
      }
    }
  }

  /** An existing run folder (to add plots to a finished run). */
  public static RunDirectory open(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("not a run folder: " + dir);
    }
    return new RunDirectory(dir);
  }

  /** The folder. */
  public Path path() {
    return path;
  }

  /** {@code metrics.jsonl}. */
  public Path metricsFile() {
    return path.resolve("metrics.jsonl");
  }

  /** {@code config.json}. */
  public Path configFile() {
    return path.resolve("config.json");
  }

  /** {@code checkpoints/}, the folder to give {@code SolverOptions.checkpointDir}. */
  public Path checkpointsDir() {
    return path.resolve("checkpoints");
  }

  /** A file in the run folder, e.g. {@code file("loss.png")}. */
  public Path file(String name) {
    return path.resolve(name);
  }

  /**
   * Writes {@code config.json} (indented, atomically).
   *
   * @param config JSON-compatible values: numbers, strings, booleans, null, lists, maps
   */
  public Path writeConfig(Map<String, ?> config) throws IOException {
    AtomicFiles.write(configFile(), Json.writePretty(config).getBytes(StandardCharsets.UTF_8));
    return configFile();
  }

  @Override
  public String toString() {
    return path.toString();
  }
}
