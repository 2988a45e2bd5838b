package org.handgrad.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads MNIST and Fashion-MNIST from a directory holding the four IDX files as distributed
 * (gzipped) or unpacked: {@code train-images-idx3-ubyte[.gz]}, {@code
 * train-labels-idx1-ubyte[.gz]}, {@code t10k-images-idx3-ubyte[.gz]}, {@code
 * t10k-labels-idx1-ubyte[.gz]}.
 *
 * <p>Images come back as (N, 1, 28, 28) float32 in [0, 1]; 60000 training and 10000 test images.
 */
public final class Mnist {
  private Mnist() {}

  /** The four file names as distributed, in the order train images, train labels, test ... */
  public static final List<String> FILES =
      List.of(
          "train-images-idx3-ubyte.gz",
          "train-labels-idx1-ubyte.gz",
          "t10k-images-idx3-ubyte.gz",
          "t10k-labels-idx1-ubyte.gz");

  /** MNIST class names: the digits. */
  public static final List<String> DIGITS =
      List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

  /** Fashion-MNIST class names, from the dataset's README (label 0 = T-shirt/top). */
  public static final List<String> FASHION =
      List.of(
          "T-shirt/top",
          "Trouser",
          "Pullover",
          "Dress",
          "Coat",
          "Sandal",
          "Shirt",
          "Sneaker",
          "Bag",
          "Ankle boot");

  /** Loads MNIST digits from {@code dir}. */
  public static Dataset loadDigits(Path dir) throws IOException {
    return load(dir, "mnist", DIGITS);
  }

  /** Loads Fashion-MNIST from {@code dir}. */
  public static Dataset loadFashion(Path dir) throws IOException {
    return load(dir, "fashion-mnist", FASHION);
  }

  /**
   * Loads the four IDX files of an MNIST-format dataset.
   *
   * @throws IOException when a file is missing, malformed, or images and labels disagree
   */
  public static Dataset load(Path dir, String name, List<String> classNames) throws IOException {
    Path[] p = new Path[FILES.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = DataFiles.findVariant(dir, FILES.get(i));
      if (p[i] == null) {
        throw new IOException(
            name
                + ": missing "
                + dir.resolve(FILES.get(i))
                + " (or its unpacked form "
                + DataFiles.stripGz(FILES.get(i))
                + ")");
      }
    }
    Split train = Idx.readSplit(p[0], p[1], classNames);
    Split test = Idx.readSplit(p[2], p[3], classNames);
    return new Dataset(name, train, test);
  }
}
