package org.handgrad.data;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where handgrad keeps downloaded datasets: one folder per dataset under {@code dataDir}.
 *
 * <p>Resolution order: an explicit folder (the CLI's {@code --data-dir}), else the environment
 * variable {@value #ENV}, else {@code ~/.handgrad/data}. Read-only system locations (such as
 * Debian's {@code /usr/share/datasets/fashion-mnist}) are listed per dataset in {@link
 * DatasetInfo#systemDirs()} and searched after it.
 *
 * @param dataDir the writable data folder
 * @param origin how it was chosen: "--data-dir", "$HANDGRAD_DATA" or "default"
 */
public record DataDirs(Path dataDir, String origin) {
  /** The environment variable naming the data folder. */
  public static final String ENV = "HANDGRAD_DATA";

  /** Makes the folder absolute. */
  public DataDirs {
    dataDir = dataDir.toAbsolutePath().normalize();
  }

  /**
   * Resolves the data folder.
   *
   * @param explicit the folder given on the command line, or null
   * @param env the environment (System.getenv() outside tests)
   * @param home the user's home folder
   */
  public static DataDirs resolve(Path explicit, Map<String, String> env, Path home) {
    if (explicit != null) {
      return new DataDirs(explicit, "--data-dir");
    }
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new DataDirs(Path.of(fromEnv), "$" + ENV);
    }
    return new DataDirs(home.resolve(".handgrad").resolve("data"), "default");
  }

  /** The folder from the real environment and home, with an optional explicit override. */
  public static DataDirs defaults(Path explicit) {
    return resolve(explicit, System.getenv(), Path.of(System.getProperty("user.home")));
  }

  /** The folder a dataset is downloaded into: {@code dataDir/name}. */
  public Path datasetDir(String name) {
    return dataDir.resolve(name);
  }
}
