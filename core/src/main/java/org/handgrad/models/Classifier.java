package org.handgrad.models;

import org.handgrad.nn.Model;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Anything that labels a batch of inputs: every model in {@link Models}, trainable ({@link Model})
 * or not (k-nearest neighbours).
 */
public interface Classifier {
  /**
   * Predicted class of every example.
   *
   * @param x input batch, shape (N, ...) as the model documents
   * @return N labels in [0, numClasses)
   */
  int[] predict(Tensor x);

  /**
   * The predicted classes of a score matrix: the first index of each row's maximum (NumPy's {@code
   * argmax(axis=1)}, so ties go to the smallest class).
   *
   * @param scores shape (N, C), float32 or float64
   * @return N labels in [0, C)
   */
  static int[] argmax(Tensor scores) {
    if (scores.ndim() != 2 || scores.shape(1) < 1 || !scores.dtype().isFloating()) {
      throw new IllegalArgumentException(
          "argmax: expected float scores (N, C) with C >= 1, got "
              + scores.shapeString()
              + " "
              + scores.dtype().numpyName());
    }
    Tensor s = scores.contiguous();
    int n = s.shape(0);
    int c = s.shape(1);
    int off = s.offset();
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      int best = 0;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < c; j++) {
        int at = off + i * c + j;
        double v = s.dtype() == DType.FLOAT32 ? s.floatStorage()[at] : s.doubleStorage()[at];
        if (v > bestScore) {
          bestScore = v;
          best = j;
        }
      }
      labels[i] = best;
    }
    return labels;
  }

  /**
   * Fraction of predictions equal to the labels (CS231n's {@code np.mean(y_pred == y)}).
   *
   * @throws IllegalArgumentException when the lengths differ or are zero
   */
  static double accuracy(int[] predicted, int[] y) {
    if (predicted.length != y.length || y.length == 0) {
      throw new IllegalArgumentException(
          "accuracy: expected equal non-zero lengths, got "
              + predicted.length
              + " predictions and "
              + y.length
              + " labels");
    }
    int correct = 0;
    for (int i = 0; i < y.length; i++) {
      correct += predicted[i] == y[i] ? 1 : 0;
    }
    return (double) correct / y.length;
  }
}
