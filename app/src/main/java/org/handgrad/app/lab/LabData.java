package org.handgrad.app.lab;

import java.io.IOException;
import org.handgrad.app.train.DataSource;
import org.handgrad.app.train.Preprocessing;
import org.handgrad.app.train.TrainingData;
import org.handgrad.data.Split;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;

/**
 * The images a lab trains on: Fashion-MNIST flattened to vectors and normalised with the training
 * set's mean and standard deviation (CS231n's preprocessing for fully-connected nets), or the
 * built-in {@code shapes} images when Fashion-MNIST cannot be had, exactly as {@code train} falls
 * back.
 *
 * @param xTrain training inputs, shape (N, D), float32
 * @param yTrain training labels, length N
 * @param xVal validation inputs, shape (M, D), float32
 * @param yVal validation labels, length M
 * @param numClasses K
 * @param dataset the data actually used ("fashion-mnist" or "shapes")
 * @param fellBack whether shapes stands in for Fashion-MNIST
 * @param preprocessing how the images became x: fitted on the training images and applied to both
 *     splits (its {@code shape()} is the image shape (C, H, W) the rows flatten)
 */
public record LabData(
    Tensor xTrain,
    int[] yTrain,
    Tensor xVal,
    int[] yVal,
    int numClasses,
    String dataset,
    boolean fellBack,
    Preprocessing preprocessing) {

  /** The dataset the labs ask for. */
  public static final String DATASET = "fashion-mnist";

  /** Validates matching sizes. */
  public LabData {
    if (xTrain.ndim() != 2 || xTrain.shape(0) != yTrain.length) {
      throw new IllegalArgumentException(
          "lab data: expected xTrain (N, D) with N = "
              + yTrain.length
              + ", got "
              + xTrain.shapeString());
    }
    if (xVal.ndim() != 2 || xVal.shape(0) != yVal.length || xVal.shape(1) != xTrain.shape(1)) {
      throw new IllegalArgumentException(
          "lab data: expected xVal (M, D) with M = "
              + yVal.length
              + " and D = "
              + xTrain.shape(1)
              + ", got "
              + xVal.shapeString());
    }
    if (Shapes.size(preprocessing.shape()) != xTrain.shape(1)) {
      throw new IllegalArgumentException(
          "lab data: images "
              + Shapes.str(preprocessing.shape())
              + " do not flatten to D = "
              + xTrain.shape(1));
    }
  }

  /** D, the input size. */
  public int features() {
    return xTrain.shape(1);
  }

  /** The image shape (C, H, W) each row of x flattens, in that order. */
  public int[] imageShape() {
    return preprocessing.shape();
  }

  /**
   * The same examples as pixels in [0, 1], the normalisation undone ({@link Preprocessing#invert},
   * exact to float32 rounding) and clipped to [0, 1], the range of the loaded images, so that the
   * rounding cannot push a black pixel below 0. The result's preprocessing is NONE.
   */
  public LabData pixels() {
    Preprocessing none =
        new Preprocessing(Preprocessing.Kind.NONE, imageShape(), new double[0], new double[0]);
    return new LabData(
        unnormalise(xTrain), yTrain, unnormalise(xVal), yVal, numClasses, dataset, fellBack, none);
  }

  private Tensor unnormalise(Tensor x) {
    int[] c = imageShape();
    Tensor images = x.contiguous().reshape(x.shape(0), c[0], c[1], c[2]);
    return preprocessing.invert(images).clip(0, 1).reshape(x.shape(0), -1).contiguous();
  }

  /**
   * The first n training examples (the validation set unchanged).
   *
   * @param n in [1, N]
   */
  public LabData firstTrain(int n) {
    if (n <= 0 || n > yTrain.length) {
      throw new IllegalArgumentException(
          "lab data: need 1 <= n <= " + yTrain.length + " training examples, got " + n);
    }
    int[] y = java.util.Arrays.copyOf(yTrain, n);
    return new LabData(
        xTrain.slice(0, 0, n).contiguous(),
        y,
        xVal,
        yVal,
        numClasses,
        dataset,
        fellBack,
        preprocessing);
  }

  /**
   * Loads Fashion-MNIST (or the fallback) and keeps numTrain training and numVal validation images.
   *
   * @param fetch try to download Fashion-MNIST when it is not on disk
   */
  public static LabData load(DataSource source, boolean fetch, int numTrain, int numVal)
      throws IOException {
    DataSource.Loaded loaded =
        source.load(
            DATASET,
            new DataSource.Policy(fetch, null, true),
            new SyntheticShapes.Config(numTrain + numVal, 10, 1, 28, 0));
    TrainingData split = TrainingData.split(loaded.dataset(), numTrain, numVal, 1);
    Preprocessing pre =
        Preprocessing.fit(Preprocessing.Kind.CHANNEL_NORM, split.train().x().to(DType.FLOAT32));
    return new LabData(
        flat(TrainingData.prepare(split.train(), DType.FLOAT32, pre)),
        split.train().y(),
        flat(TrainingData.prepare(split.val(), DType.FLOAT32, pre)),
        split.val().y(),
        split.train().numClasses(),
        loaded.used(),
        loaded.fellBack(),
        pre);
  }

  private static Tensor flat(Split s) {
    return s.x().reshape(s.size(), -1).contiguous();
  }
}
