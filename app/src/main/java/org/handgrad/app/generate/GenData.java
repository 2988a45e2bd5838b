package org.handgrad.app.generate;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import org.handgrad.app.train.DataSource;
import org.handgrad.data.DataDirs;
import org.handgrad.data.Dataset;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.data.Downloader;
import org.handgrad.data.Split;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The images of a generate run: Fashion-MNIST (found locally or downloaded; never a silent
 * fallback, since a generative model of the wrong data is worse than an error) or the built-in
 * {@code shapes} set (3x32x32, generated from seed 0 as {@code ./handgrad train --data shapes}
 * does, so a classifier trained there reads the same images).
 */
public final class GenData {
  private GenData() {}

  /** Test images generated for {@code shapes} (enough for an evaluation of this many samples). */
  public static final int SHAPES_TEST = 10_000;

  /** The datasets a generate run can train on. */
  public static final java.util.List<String> NAMES =
      java.util.List.of("fashion-mnist", "mnist", "shapes");

  /**
   * Checks a dataset name.
   *
   * @throws IllegalArgumentException naming the option and the choices
   */
  public static void requireKnown(String data) {
    if (!NAMES.contains(data)) {
      throw new IllegalArgumentException(
          "--data: expected fashion-mnist, mnist or shapes, got '" + data + "'");
    }
  }

  /** (C, H, W) of a dataset's images. */
  public static int[] imageShape(String data) {
    return data.equals("shapes") ? new int[] {3, 32, 32} : new int[] {1, 28, 28};
  }

  /** Training images used by default: the whole training split (10,000 generated shapes). */
  public static int defaultTrain(String data) {
    return data.equals("shapes") ? 10_000 : 60_000;
  }

  /**
   * Loads the dataset named by a run.
   *
   * @param data "fashion-mnist", "mnist" or "shapes"
   * @param numTrain training images wanted (shapes generates exactly these)
   * @param numTest test images wanted for shapes
   * @param dataDir the --data-dir option, or null for the default folders
   * @param err where download progress and notes go
   */
  public static Dataset load(String data, int numTrain, int numTest, Path dataDir, PrintWriter err)
      throws IOException {
    if (data.equals("shapes")) {
      return SyntheticShapes.generate(new SyntheticShapes.Config(numTrain, numTest, 3, 32, 0));
    }
    Map<String, String> env = System.getenv();
    DataSource source =
        new DataSource(
            DatasetRegistry.defaults(),
            DataDirs.resolve(dataDir, env, Path.of(System.getProperty("user.home"))),
            new Downloader(),
            err,
            () -> false);
    return source
        .load(data, new DataSource.Policy(true, null, false), SyntheticShapes.Config.mnistLike(0))
        .dataset();
  }

  /**
   * A split's images mapped from [0, 1] to the models' range [-1, 1] (Ho et al. 2020, section 3.3).
   *
   * @param s images (N, C, H, W) in [0, 1]
   * @param dtype the U-Net's dtype
   * @return the split with images (N, C, H, W) in [-1, 1]
   */
  public static Split toModelRange(Split s, DType dtype) {
    Tensor x = s.x().dtype() == dtype ? s.x() : s.x().to(dtype);
    return s.withX(x.mul(2).sub(1));
  }

  /**
   * Images in [-1, 1] back to [0, 1], clipped (what a classifier trained on the dataset reads).
   *
   * @param x shape (N, C, H, W)
   * @return shape (N, C, H, W)
   */
  public static Tensor toUnitRange(Tensor x) {
    return x.add(1).mul(0.5).clip(0, 1);
  }
}
