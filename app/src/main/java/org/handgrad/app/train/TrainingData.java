package org.handgrad.app.train;

import org.handgrad.data.Dataset;
import org.handgrad.data.Preprocess;
import org.handgrad.data.Split;
import org.handgrad.tensor.DType;

/**
 * The three splits of a run: training, validation (held out of the official training split, the
 * CS231n way) and test (the official test split, never used for any decision).
 *
 * @param train training images (N, C, H, W)
 * @param val validation images (NV, C, H, W)
 * @param test test images (NT, C, H, W)
 */
public record TrainingData(Split train, Split val, Split test) {

  /** The largest default validation split. */
  public static final int MAX_DEFAULT_VAL = 5000;

  /**
   * The default validation size for a training split of n images: 10%, at most {@value
   * #MAX_DEFAULT_VAL}, at least 10 (but leaving at least one training image).
   */
  public static int defaultNumVal(int n) {
    return Math.max(1, Math.min(Math.min(MAX_DEFAULT_VAL, Math.max(10, n / 10)), n - 1));
  }

  /**
   * CS231n's split: the last {@code numVal} images of the official training split are the
   * validation set ({@code range(num_training, num_training + num_validation)}); the first {@code
   * numTrain} of the rest are trained on; the first {@code numTest} test images are tested on.
   *
   * @param numTrain training images, or null for all the rest
   * @param numVal validation images, &gt; 0
   * @param numTest test images, or null for all
   * @throws IllegalArgumentException when the dataset is too small, naming the sizes and options
   */
  public static TrainingData split(Dataset d, Integer numTrain, int numVal, Integer numTest) {
    int n = d.train().size();
    if (numVal <= 0 || numVal >= n) {
      throw new IllegalArgumentException(
          "--num-val must be in [1, "
              + (n - 1)
              + "] for "
              + d.name()
              + "'s "
              + n
              + " training images, got "
              + numVal);
    }
    Preprocess.TrainVal tv = Preprocess.splitLast(d.train(), numVal);
    Split train = tv.train();
    if (numTrain != null) {
      if (numTrain <= 0 || numTrain > train.size()) {
        throw new IllegalArgumentException(
            "--num-train must be in [1, "
                + train.size()
                + "] ("
                + d.name()
                + " has "
                + n
                + " training images, "
                + numVal
                + " held out for validation), got "
                + numTrain);
      }
      train = train.range(0, numTrain);
    }
    Split test = d.test();
    if (numTest != null) {
      if (numTest <= 0 || numTest > test.size()) {
        throw new IllegalArgumentException(
            "--num-test must be in [1, " + test.size() + "] for " + d.name() + ", got " + numTest);
      }
      test = test.range(0, numTest);
    }
    return new TrainingData(train, tv.val(), test);
  }

  /** Every split converted to {@code dtype} and preprocessed. */
  public TrainingData prepared(DType dtype, Preprocessing p) {
    return new TrainingData(
        prepare(train, dtype, p), prepare(val, dtype, p), prepare(test, dtype, p));
  }

  /** One split converted to {@code dtype} and preprocessed. */
  public static Split prepare(Split s, DType dtype, Preprocessing p) {
    return s.withX(p.apply(s.x().dtype() == dtype ? s.x() : s.x().to(dtype)));
  }
}
