package org.handgrad.models.knn;

/**
 * Result of {@link KNearestNeighbor#crossValidate}: the validation accuracy of every candidate k on
 * every fold (CS231n's {@code k_to_accuracies}).
 *
 * @param ks candidate numbers of neighbours, length K
 * @param foldBounds fold f holds examples [foldBounds[f], foldBounds[f + 1]), length folds + 1
 * @param accuracies accuracies[c][f] is the accuracy of k = ks[c] on fold f, shape (K, folds)
 */
public record CrossValidation(int[] ks, int[] foldBounds, double[][] accuracies) {
  /** Validates that the shapes agree. */
  public CrossValidation {
    if (accuracies.length != ks.length) {
      throw new IllegalArgumentException(
          "CrossValidation: " + ks.length + " ks but " + accuracies.length + " accuracy rows");
    }
    for (double[] row : accuracies) {
      if (row.length != foldBounds.length - 1) {
        throw new IllegalArgumentException(
            "CrossValidation: expected " + (foldBounds.length - 1) + " folds per row");
      }
    }
  }

  /** Number of folds. */
  public int folds() {
    return foldBounds.length - 1;
  }

  /** Mean accuracy over the folds of candidate c (index into {@link #ks()}). */
  public double meanAccuracy(int c) {
    double s = 0;
    for (double a : accuracies[c]) {
      s += a;
    }
    return s / folds();
  }

  /** The k with the highest mean accuracy (the smallest such k on ties). */
  public int bestK() {
    int best = 0;
    for (int c = 1; c < ks.length; c++) {
      double a = meanAccuracy(c);
      double b = meanAccuracy(best);
      if (a > b || (a == b && ks[c] < ks[best])) {
        best = c;
      }
    }
    return ks[best];
  }

  /**
   * Fold boundaries as NumPy's {@code array_split(range(m), folds)}: the first {@code m % folds}
   * folds get {@code m / folds + 1} examples, the others {@code m / folds}.
   *
   * @return folds + 1 boundaries from 0 to m
   */
  public static int[] foldBounds(int m, int folds) {
    int[] b = new int[folds + 1];
    for (int f = 0; f < folds; f++) {
      b[f + 1] = b[f] + m / folds + (f < m % folds ? 1 : 0);
    }
    return b;
  }
}
