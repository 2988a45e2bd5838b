package org.handgrad.app.train;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.handgrad.app.ProgressBar;
import org.handgrad.data.DataDirs;
import org.handgrad.data.Dataset;
import org.handgrad.data.DatasetFetcher;
import org.handgrad.data.DatasetInfo;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.data.Downloader;
import org.handgrad.data.SyntheticShapes;

/**
 * Finds the dataset a command asks for, in this order: the data folder and the system folders
 * ({@link DatasetRegistry#locate}), then a download ({@link DatasetFetcher}); when neither works
 * (offline and no local copy) it says why and what to do, and falls back to the built-in synthetic
 * {@code shapes} dataset with the requested dataset's image shape, announced in one loud line.
 *
 * <p>Progress bars and notes go to {@code err}, so standard output keeps only results.
 */
public final class DataSource {

  /** The line that announces a fallback starts with this (tests and log readers look for it). */
  public static final String FALLBACK_PREFIX = "FALLING BACK to the built-in 'shapes' dataset";

  private final DatasetRegistry registry;
  private final DataDirs dirs;
  private final Downloader downloader;
  private final PrintWriter err;
  private final BooleanSupplier terminal;

  /**
   * @param registry the known datasets
   * @param dirs the data folder
   * @param downloader used when a dataset must be fetched
   * @param err where notes and progress bars go
   * @param terminal whether progress bars redraw in place
   */
  public DataSource(
      DatasetRegistry registry,
      DataDirs dirs,
      Downloader downloader,
      PrintWriter err,
      BooleanSupplier terminal) {
    this.registry = registry;
    this.dirs = dirs;
    this.downloader = downloader;
    this.err = err;
    this.terminal = terminal;
  }

  /**
   * What to do when the dataset is not found locally.
   *
   * @param fetch try to download it
   * @param mirror base URL replacing the official sources, or null
   * @param fallback fall back to {@code shapes} when it cannot be had
   */
  public record Policy(boolean fetch, URI mirror, boolean fallback) {}

  /**
   * A loaded dataset and how it was obtained.
   *
   * @param dataset the official train and test splits (images (N, C, H, W) float32 in [0, 1])
   * @param requested the name asked for
   * @param shapes the generation settings when the data is the synthetic {@code shapes} set (asked
   *     for, or a fallback), else null
   * @param origin where it came from, for the run log ("/usr/share/datasets/fashion-mnist")
   */
  public record Loaded(
      Dataset dataset, String requested, SyntheticShapes.Config shapes, String origin) {
    /** Whether the data is {@code shapes} standing in for another dataset. */
    public boolean fellBack() {
      return shapes != null && !requested.equals("shapes");
    }

    /** The name of the data actually used. */
    public String used() {
      return shapes != null ? "shapes" : requested;
    }
  }

  /** The registry entry of a name, or an error listing the known names. */
  public DatasetInfo info(String name) {
    return registry.get(name);
  }

  /**
   * Loads a dataset.
   *
   * @param name registry name
   * @param shapesTemplate sizes to generate when the data is (or falls back to) {@code shapes}; its
   *     channels and size are replaced by the requested dataset's for a fallback
   * @throws IOException when the dataset cannot be had and the policy forbids a fallback; the
   *     message says what was tried and how to get the data
   */
  public Loaded load(String name, Policy policy, SyntheticShapes.Config shapesTemplate)
      throws IOException {
    DatasetInfo info = registry.get(name);
    if (info.kind() == DatasetInfo.Kind.SYNTHETIC) {
      return generate(name, shapesTemplate, "generated (built-in synthetic dataset)");
    }
    Optional<Path> where = registry.locate(info, dirs);
    if (where.isPresent()) {
      return new Loaded(registry.load(name, dirs), name, null, where.get().toString());
    }
    String reason;
    if (policy.fetch()) {
      try {
        Path dir = fetch(info, policy.mirror());
        return new Loaded(registry.load(name, dirs), name, null, dir + " (downloaded)");
      } catch (IOException e) {
        reason = "it is not in " + dirs.datasetDir(name) + " and the download failed: " + msg(e);
      }
    } else {
      reason =
          "it is not in "
              + dirs.datasetDir(name)
              + (info.systemDirs().isEmpty() ? "" : " nor in " + info.systemDirs())
              + " and downloads are off (--no-fetch)\nWhat to do:\n"
              + DatasetRegistry.howToGet(info, dirs);
    }
    if (!policy.fallback()) {
      throw new IOException(name + " is not available: " + reason);
    }
    int[] shape = imageShape(info);
    SyntheticShapes.Config c =
        new SyntheticShapes.Config(
            shapesTemplate.numTrain(),
            shapesTemplate.numTest(),
            shape[0],
            shape[1],
            shapesTemplate.seed());
    err.println(name + " is not available: " + reason);
    err.println(
        "WARNING: "
            + FALLBACK_PREFIX
            + " ("
            + shape[0]
            + "x"
            + shape[1]
            + "x"
            + shape[1]
            + ", 10 classes) instead of "
            + name
            + ": the results below are NOT "
            + name
            + " results.");
    err.flush();
    return generate(name, c, "generated (fallback for " + name + ")");
  }

  private Loaded generate(String requested, SyntheticShapes.Config c, String origin) {
    return new Loaded(SyntheticShapes.generate(c), requested, c, origin);
  }

  /**
   * The image size of a dataset as (channels, size), which generated {@code shapes} images take:
   * 3x32x32 for CIFAR-10 and for {@code shapes} itself (the registry's CIFAR-like default), 1x28x28
   * for the MNIST family.
   */
  public static int[] imageShape(DatasetInfo info) {
    return info.kind() == DatasetInfo.Kind.IDX ? new int[] {1, 28} : new int[] {3, 32};
  }

  private Path fetch(DatasetInfo info, URI mirror) throws IOException {
    long size = info.downloadSize();
    err.println(
        info.name()
            + " was not found locally; fetching it"
            + (size > 0 ? " (" + DatasetRegistry.humanBytes(size) + ")" : "")
            + " into "
            + dirs.datasetDir(info.name()));
    err.flush();
    ProgressBar[] current = new ProgressBar[1];
    try {
      return new DatasetFetcher(downloader)
          .fetch(
              info,
              dirs,
              mirror,
              (file, url) -> {
                if (current[0] != null) {
                  current[0].finish();
                }
                ProgressBar bar =
                    new ProgressBar(
                        err,
                        file.fileName(),
                        ProgressBar.Unit.BYTES,
                        terminal.getAsBoolean(),
                        System::nanoTime);
                current[0] = bar;
                return (done, total, rate) -> bar.update(done, total);
              });
    } finally {
      if (current[0] != null) {
        current[0].finish();
      }
    }
  }

  private static String msg(IOException e) {
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }
}
