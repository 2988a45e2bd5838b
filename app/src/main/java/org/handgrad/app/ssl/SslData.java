package org.handgrad.app.ssl;

import java.io.IOException;
import java.nio.file.Path;
import org.handgrad.data.DataDirs;
import org.handgrad.data.Dataset;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.data.Split;
import org.handgrad.data.SyntheticShapes;

/**
 * The data of a self-supervised run: Fashion-MNIST from the data folder (never downloaded here:
 * {@code ./handgrad data fetch fashion-mnist} first), or the built-in grey shapes (28x28, generated
 * from a seed). Images are float32 in [0, 1], shape (N, C, H, W); labels are used only by the kNN
 * monitor and the probe.
 */
public final class SslData {
  /** The data sets the command accepts. */
  public static final String NAMES = "fashion-mnist, shapes";

  private SslData() {}

  /**
   * Loads a data set, optionally keeping the first numTrain training and numTest test images.
   *
   * @param name "fashion-mnist" or "shapes"
   * @param dataDir explicit data folder, or null for the default
   * @param numTrain training images to keep, or null for all (shapes: 60000)
   * @param numTest test images to keep, or null for all (shapes: 10000)
   * @param seed the shapes' seed
   */
  public static Dataset load(
      String name, Path dataDir, Integer numTrain, Integer numTest, long seed) throws IOException {
    Dataset d;
    switch (name) {
      case "shapes" -> {
        int tr = numTrain == null ? 60_000 : numTrain;
        int te = numTest == null ? 10_000 : numTest;
        return SyntheticShapes.generate(new SyntheticShapes.Config(tr, te, 1, 28, seed));
      }
      case "fashion-mnist" -> d = DatasetRegistry.defaults().load(name, DataDirs.defaults(dataDir));
      default ->
          throw new IllegalArgumentException(
              "ssl: unknown data '" + name + "'; expected one of " + NAMES);
    }
    return new Dataset(d.name(), head(d.train(), numTrain), head(d.test(), numTest));
  }

  private static Split head(Split s, Integer n) {
    if (n == null || n >= s.size()) {
      return s;
    }
    if (n < 1) {
      throw new IllegalArgumentException("ssl: image counts must be >= 1, got " + n);
    }
    return s.range(0, n);
  }
}
