package org.handgrad.models.explain;

import java.util.Objects;
import org.handgrad.models.InputGradients;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Saliency maps (Simonyan, Vedaldi and Zisserman 2014, "Deep Inside Convolutional Networks"): how
 * much each pixel's change moves the score of a class, {@code max over channels of |d s_y / d x|},
 * CS231n's {@code compute_saliency_maps(X, y, model)}. The gradient is of the unnormalized class
 * score, not of the softmax probability or the loss, as in the paper and the assignment.
 */
public final class Saliency {
  private Saliency() {}

  /**
   * Saliency maps of a batch.
   *
   * @param model the classifier
   * @param x images, shape (N, C, H, W), preprocessed as the model expects
   * @param y the class of each image whose score is explained, length N, in [0, K)
   * @return saliency, shape (N, H, W), float64, every value >= 0
   * @throws IllegalArgumentException for x not (N, C, H, W) or a class out of range
   */
  public static Tensor saliencyMaps(InputGradients model, Tensor x, int[] y) {
    checkImages("saliency", x);
    Tensor dx = classScoreGradient(model, x, y).dx();
    return dx.to(DType.FLOAT64).abs().max(1);
  }

  /**
   * The gradient of each image's chosen class score: {@link InputGradients#inputGradient} with a
   * one-hot dscores.
   *
   * @param x input batch, shape (N, ...)
   * @param classes one class per image, length N, in [0, K)
   * @return scores (N, K) and d s_y / dx, the shape of x
   */
  public static InputGradients.Result classScoreGradient(
      InputGradients model, Tensor x, int[] classes) {
    return model.inputGradient(x, oneHot(model, x, classes));
  }

  /**
   * One-hot rows: row i has 1 at classes[i].
   *
   * @return shape (N, K), the dtype of x
   * @throws IllegalArgumentException when the lengths differ or a class is outside [0, K)
   */
  static Tensor oneHot(InputGradients model, Tensor x, int[] classes) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(classes, "classes");
    int n = x.shape(0);
    int k = model.numClasses();
    if (classes.length != n) {
      throw new IllegalArgumentException(
          "explain: expected one class per image, "
              + n
              + " for "
              + x.shapeString()
              + ", got "
              + classes.length);
    }
    Tensor d = Tensor.zeros(x.dtype(), n, k);
    for (int i = 0; i < n; i++) {
      checkClass(classes[i], k);
      d.set(1, i, classes[i]);
    }
    return d;
  }

  /**
   * Checks a class index.
   *
   * @throws IllegalArgumentException unless 0 <= c < k, naming the valid range
   */
  static void checkClass(int c, int k) {
    if (c < 0 || c >= k) {
      throw new IllegalArgumentException(
          "explain: class index "
              + c
              + " out of range; the model has "
              + k
              + " classes (0.."
              + (k - 1)
              + ")");
    }
  }

  /**
   * Checks an image batch.
   *
   * @throws IllegalArgumentException unless x is a float (N, C, H, W) batch
   */
  static void checkImages(String op, Tensor x) {
    Objects.requireNonNull(x, op + ": x");
    if (x.ndim() != 4 || !x.dtype().isFloating()) {
      throw new IllegalArgumentException(
          op
              + ": expected float images (N, C, H, W), got "
              + x.shapeString()
              + " "
              + x.dtype().numpyName());
    }
  }
}
