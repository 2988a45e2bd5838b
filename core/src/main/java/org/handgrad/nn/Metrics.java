package org.handgrad.nn;

import org.handgrad.nn.functional.Labels;
import org.handgrad.tensor.Tensor;

/** Classification metrics: predictions from scores, accuracy and the confusion matrix. */
public final class Metrics {
  private Metrics() {}

  /**
   * The predicted class of every row, {@code np.argmax(scores, axis=1)}: the first maximum wins
   * ties, as in NumPy. A NaN score counts as the maximum (NumPy's argmax does the same), so
   * diverged scores show up as predictions of that class rather than being skipped.
   *
   * @param scores class scores, shape (N, C) with C &gt; 0
   * @return predictions, length N, each in [0, C)
   */
  public static int[] argmax(Tensor scores) {
    if (scores.ndim() != 2 || scores.shape(1) == 0) {
      throw new IllegalArgumentException(
          "argmax: expected scores (N, C) with C > 0, got " + scores.shapeString());
    }
    int n = scores.shape(0);
    int c = scores.shape(1);
    double[] s = scores.contiguous().toDoubleArray();
    int[] pred = new int[n];
    for (int i = 0; i < n; i++) {
      int best = 0;
      double bestScore = s[i * c];
      for (int j = 1; j < c && !Double.isNaN(bestScore); j++) {
        double v = s[i * c + j];
        if (v > bestScore || Double.isNaN(v)) {
          best = j;
          bestScore = v;
        }
      }
      pred[i] = best;
    }
    return pred;
  }

  /**
   * The Pearson correlation of two equally long arrays, {@code np.corrcoef(a, b)[0, 1]}: the
   * covariance over the product of the standard deviations, each centred on its own mean.
   *
   * @param a values, length n &gt;= 1
   * @param b values, length n
   * @return in [-1, 1]; NaN when either side is constant
   */
  public static double pearson(double[] a, double[] b) {
    if (a.length != b.length || a.length == 0) {
      throw new IllegalArgumentException(
          "pearson: need two non-empty arrays of one length, got " + a.length + " and " + b.length);
    }
    double ma = 0;
    double mb = 0;
    for (int i = 0; i < a.length; i++) {
      ma += a[i];
      mb += b[i];
    }
    ma /= a.length;
    mb /= b.length;
    double sab = 0;
    double saa = 0;
    double sbb = 0;
    for (int i = 0; i < a.length; i++) {
      double da = a[i] - ma;
      double db = b[i] - mb;
      sab += da * db;
      saa += da * da;
      sbb += db * db;
    }
    return sab / Math.sqrt(saa * sbb);
  }

  /**
   * Fraction of positions where the prediction equals the label, {@code np.mean(yPred == yTrue)}.
   *
   * @param yTrue labels, length N &gt; 0
   * @param yPred predictions, length N
   * @return accuracy in [0, 1]
   */
  public static double accuracy(int[] yTrue, int[] yPred) {
    return accuracyOf(yTrue, yPred);
  }

  /**
   * {@link #accuracy(int[], int[])} of int32 label tensors, e.g. {@code accuracy(y,
   * scores.argmax(1))} (see {@link Labels}).
   *
   * @param yTrue labels, int32, shape (N,), N &gt; 0
   * @param yPred predictions, int32, shape (N,)
   * @return accuracy in [0, 1]
   */
  public static double accuracy(Tensor yTrue, Tensor yPred) {
    return accuracyOf(
        Labels.toArray("accuracy yTrue", yTrue), Labels.toArray("accuracy yPred", yPred));
  }

  private static double accuracyOf(int[] yTrue, int[] yPred) {
    checkLengths("accuracy", yTrue, yPred);
    if (yTrue.length == 0) {
      throw new IllegalArgumentException("accuracy: no samples");
    }
    int correct = 0;
    for (int i = 0; i < yTrue.length; i++) {
      if (yTrue[i] == yPred[i]) {
        correct++;
      }
    }
    return (double) correct / yTrue.length;
  }

  /**
   * Counts of (true class, predicted class) pairs; rows are the true class, columns the predicted
   * class (scikit-learn's {@code confusion_matrix} convention), so row sums are the class sizes and
   * the trace is the number of correct predictions.
   *
   * @param yTrue labels, length N, each in [0, classes)
   * @param yPred predictions, length N, each in [0, classes)
   * @param classes number of classes K &gt; 0
   * @return counts, shape (K, K), int32
   * @throws IllegalArgumentException on different lengths or a label out of range (naming it)
   */
  public static Tensor confusionMatrix(int[] yTrue, int[] yPred, int classes) {
    checkLengths("confusionMatrix", yTrue, yPred);
    if (classes <= 0) {
      throw new IllegalArgumentException("confusionMatrix: classes must be > 0, got " + classes);
    }
    int[] counts = new int[classes * classes];
    for (int i = 0; i < yTrue.length; i++) {
      int t = yTrue[i];
      int p = yPred[i];
      if (t < 0 || t >= classes || p < 0 || p >= classes) {
        throw new IllegalArgumentException(
            "confusionMatrix: at "
                + i
                + " yTrue="
                + t
                + ", yPred="
                + p
                + " outside [0, "
                + classes
                + ")");
      }
      counts[t * classes + p]++;
    }
    return Tensor.of(counts, classes, classes);
  }

  private static void checkLengths(String op, int[] yTrue, int[] yPred) {
    if (yTrue.length != yPred.length) {
      throw new IllegalArgumentException(
          op + ": yTrue has " + yTrue.length + " labels, yPred " + yPred.length);
    }
  }
}
