package org.handgrad.data;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * A known dataset: where it comes from, which files make it complete, where a system copy may be.
 *
 * @param name registry name used on the command line, e.g. "fashion-mnist"
 * @param title one-line description
 * @param kind how it is read
 * @param homepage the dataset's official page
 * @param classNames class names, index = label
 * @param files what to download (empty for generated datasets)
 * @param requiredFiles paths, relative to the dataset folder, that must exist for it to count as
 *     present; a ".gz" name also accepts its unpacked form
 * @param systemDirs read-only folders searched after the data folder (e.g. Debian's package path)
 * @param aptPackage the Debian package that installs it, or null
 */
public record DatasetInfo(
    String name,
    String title,
    Kind kind,
    String homepage,
    List<String> classNames,
    List<RemoteFile> files,
    List<String> requiredFiles,
    List<Path> systemDirs,
    String aptPackage) {

  /** How a dataset is read. */
  public enum Kind {
    /** MNIST-format IDX files ({@link Mnist}). */
    IDX,
    /** The CIFAR-10 binary version ({@link Cifar10}), downloaded as a .tar.gz to extract. */
    CIFAR10_BINARY,
    /** Generated in memory ({@link SyntheticShapes}); nothing to download. */
    SYNTHETIC
  }

  /** Copies the lists. */
  public DatasetInfo {
    classNames = List.copyOf(classNames);
    files = List.copyOf(files);
    requiredFiles = List.copyOf(requiredFiles);
    systemDirs = List.copyOf(systemDirs);
  }

  /** Total download size in bytes, or -1 when a size is unknown. */
  public long downloadSize() {
    long sum = 0;
    for (RemoteFile f : files) {
      if (f.expected().size() < 0) {
        return -1;
      }
      sum += f.expected().size();
    }
    return sum;
  }

  /**
   * One file to download.
   *
   * @param fileName name to store it under in the dataset folder
   * @param urls where to get it, tried in order (the official source first, then mirrors)
   * @param expected its size and checksums, as far as they are known
   * @param archive whether it is a tar(.gz) to extract and then delete
   */
  public record RemoteFile(
      String fileName, List<URI> urls, Downloader.Expected expected, boolean archive) {
    /** Copies the URL list and checks there is at least one. */
    public RemoteFile {
      urls = List.copyOf(urls);
      if (urls.isEmpty()) {
        throw new IllegalArgumentException("RemoteFile " + fileName + ": no URL");
      }
    }
  }
}
