package org.handgrad.models.knn;

import java.util.Arrays;
import org.handgrad.kernels.Gemm;
import org.handgrad.models.Classifier;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.functional.Labels;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * k-nearest-neighbour classifier with L2 distance, CS231n assignment 1's {@code KNearestNeighbor}.
 *
 * <p>Dimensions: N test examples, M training examples, D features (inputs (N, d1, ..., dk) are read
 * as (N, D)). Distances are float64 whatever the input dtype: they are compared with each other,
 * and the no-loop expansion below needs the precision.
 *
 * <p>The three distance versions are the assignment's exercise in vectorisation; all three return
 * the same (N, M) matrix {@code dists[i, j] = ||X[i] - Xtrain[j]||_2}.
 */
public final class KNearestNeighbor implements Classifier {
  private final int defaultK;
  private Tensor xTrain;
  private int[] yTrain;

  /** A classifier whose {@link #predict(Tensor)} uses k = 1 (CS231n's default). */
  public KNearestNeighbor() {
    this(1);
  }

  /**
   * A classifier whose {@link #predict(Tensor)} uses {@code k} neighbours.
   *
   * @throws IllegalArgumentException when k &lt; 1
   */
  public KNearestNeighbor(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("knn: k must be >= 1, got " + k);
    }
    this.defaultK = k;
  }

  /** The k used by {@link #predict(Tensor)}. */
  public int k() {
    return defaultK;
  }

  /**
   * "Training" memorises the data (by reference, as CS231n's {@code self.X_train = X}: do not
   * modify X afterwards).
   *
   * @param x training inputs, shape (M, d1, ..., dk), float32 or float64
   * @param y training labels, int32, shape (M,), each >= 0 (see {@link Labels})
   * @throws IllegalArgumentException on an empty set, mismatched lengths, negative labels or a y
   *     that is not an int32 vector
   */
  public void train(Tensor x, Tensor y) {
    train(x, Labels.toArray("knn train", y));
  }

  /**
   * "Training" memorises the data (by reference, as CS231n's {@code self.X_train = X}: do not
   * modify X afterwards).
   *
   * @param x training inputs, shape (M, d1, ..., dk), float32 or float64
   * @param y training labels, length M, each >= 0
   * @throws IllegalArgumentException on an empty set, mismatched lengths or negative labels
   */
  public void train(Tensor x, int[] y) {
    if (!x.dtype().isFloating() || x.ndim() < 2 || x.shape(0) < 1) {
      throw new IllegalArgumentException(
          "knn train: expected float X (M, D) with M >= 1, got "
              + x.shapeString()
              + " "
              + x.dtype().numpyName());
    }
    if (y == null || y.length != x.shape(0)) {
      throw new IllegalArgumentException(
          "knn train: expected y of length M="
              + x.shape(0)
              + " for X "
              + x.shapeString()
              + ", got "
              + (y == null ? "null" : "length " + y.length));
    }
    for (int i = 0; i < y.length; i++) {
      if (y[i] < 0) {
        throw new IllegalArgumentException("knn train: y[" + i + "] = " + y[i] + " is negative");
      }
    }
    this.xTrain = flat(x);
    this.yTrain = y.clone();
  }

  /** Number of memorised training examples M (0 before {@link #train}). */
  public int numTrain() {
    return yTrain == null ? 0 : yTrain.length;
  }

  // ---------------------------------------------------------------- distances

  /**
   * Distances with a double loop over test and training examples, each pair's sum written out.
   *
   * @param x test inputs, shape (N, d1, ..., dk) with D features like the training data
   * @return dists, shape (N, M), float64
   */
  public Tensor computeDistancesTwoLoops(Tensor x) {
    double[] a = testRows(x);
    double[] b = xTrain.toDoubleArray();
    int n = x.shape(0);
    int m = numTrain();
    int d = b.length / m;
    double[] dists = new double[n * m];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int k = 0; k < d; k++) {
          double diff = a[i * d + k] - b[j * d + k];
          s += diff * diff;
        }
        dists[i * m + j] = Math.sqrt(s);
      }
    }
    return Tensor.of(dists, n, m);
  }

  /**
   * Distances with a single loop over test examples: each test row against the whole training
   * matrix at once (in NumPy, {@code sqrt(sum((Xtrain - X[i])**2, axis=1))}).
   *
   * @param x test inputs, shape (N, d1, ..., dk)
   * @return dists, shape (N, M), float64
   */
  public Tensor computeDistancesOneLoop(Tensor x) {
    double[] a = testRows(x);
    double[] b = xTrain.toDoubleArray();
    int n = x.shape(0);
    int m = numTrain();
    int d = b.length / m;
    double[] dists = new double[n * m];
    for (int i = 0; i < n; i++) {
      squaredDistancesToRows(dists, i * m, a, i * d, b, m, d);
      for (int j = 0; j < m; j++) {
        dists[i * m + j] = Math.sqrt(dists[i * m + j]);
      }
    }
    return Tensor.of(dists, n, m);
  }

  /**
   * Distances with no explicit loop over pairs: {@code ||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2},
   * where every a.b comes from one GEMM, {@code -2 X Xtrain^T}.
   *
   * <p>Numerical trap: for near neighbours the three terms are large and nearly cancel, so the
   * computed square can come out slightly negative (a few ulps of ||a||^2) and sqrt would give NaN;
   * such values are clamped to 0. Near-zero distances therefore carry an absolute error of about
   * sqrt(eps * ||a||^2), not a relative one: fine for ranking neighbours, not for measuring tiny
   * distances. The GEMM runs in float64 for this reason.
   *
   * @param x test inputs, shape (N, d1, ..., dk)
   * @return dists, shape (N, M), float64
   */
  public Tensor computeDistancesNoLoops(Tensor x) {
    double[] a = testRows(x);
    double[] b = xTrain.toDoubleArray();
    int n = x.shape(0);
    int m = numTrain();
    int d = b.length / m;
    double[] dists = new double[n * m];
    // dists = -2 X Xtrain^T (Xtrain stored (M, D), read transposed)
    Gemm.dgemm(dists, 0, m, a, 0, d, false, b, 0, d, true, n, m, d, -2.0, 0.0);
    double[] aa = rowSquares(a, n, d);
    double[] bb = rowSquares(b, m, d);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        double sq = dists[i * m + j] + aa[i] + bb[j];
        dists[i * m + j] = Math.sqrt(Math.max(sq, 0)); // clamp the cancellation's tiny negatives
      }
    }
    return Tensor.of(dists, n, m);
  }

  // ---------------------------------------------------------------- prediction

  /**
   * Labels from a distance matrix by majority vote of the k nearest training examples.
   *
   * <p>Tie rules. Among equally common labels the SMALLEST label wins (CS231n's rule; NumPy's
   * {@code argmax(bincount(closest_y))} gives exactly that). Neighbours at equal distance are taken
   * in training order (a stable sort), so the k nearest are well defined.
   *
   * @param dists distances, shape (N, M), from one of the compute methods
   * @param k number of neighbours, 1 &lt;= k &lt;= M
   * @return N predicted labels
   */
  public int[] predictLabels(Tensor dists, int k) {
    requireTrained();
    int m = numTrain();
    if (dists.ndim() != 2 || dists.shape(1) != m) {
      throw new IllegalArgumentException(
          "knn predictLabels: expected dists (N, M) with M=" + m + ", got " + dists.shapeString());
    }
    if (k < 1 || k > m) {
      throw new IllegalArgumentException(
          "knn predictLabels: k must be in [1, M=" + m + "], got " + k);
    }
    int n = dists.shape(0);
    double[] ds = dists.toDoubleArray();
    int maxLabel = 0;
    for (int label : yTrain) {
      maxLabel = Math.max(maxLabel, label);
    }
    int[] counts = new int[maxLabel + 1];
    int[] pred = new int[n];
    Integer[] order = new Integer[m];
    for (int i = 0; i < n; i++) {
      int row = i * m;
      for (int j = 0; j < m; j++) {
        order[j] = j;
      }
      // Arrays.sort on objects is a stable merge sort: equal distances keep training order.
      Arrays.sort(order, (p, q) -> Double.compare(ds[row + p], ds[row + q]));
      Arrays.fill(counts, 0);
      for (int t = 0; t < k; t++) {
        counts[yTrain[order[t]]]++;
      }
      int best = 0;
      for (int label = 1; label < counts.length; label++) {
        if (counts[label] > counts[best]) { // strict: ties keep the smaller label
          best = label;
        }
      }
      pred[i] = best;
    }
    return pred;
  }

  /**
   * Predicts labels for test inputs.
   *
   * @param x test inputs, shape (N, d1, ..., dk)
   * @param k number of neighbours
   * @param numLoops which distance version: 0, 1 or 2
   * @return N predicted labels
   */
  public int[] predict(Tensor x, int k, int numLoops) {
    Tensor dists =
        switch (numLoops) {
          case 0 -> computeDistancesNoLoops(x);
          case 1 -> computeDistancesOneLoop(x);
          case 2 -> computeDistancesTwoLoops(x);
          default ->
              throw new IllegalArgumentException(
                  "knn predict: numLoops must be 0, 1 or 2, got " + numLoops);
        };
    return predictLabels(dists, k);
  }

  /** {@link #predict(Tensor, int, int)} with the constructor's k and the no-loop distances. */
  @Override
  public int[] predict(Tensor x) {
    return predict(x, defaultK, 0);
  }

  // ---------------------------------------------------------------- cross-validation

  /**
   * k-fold cross-validation over candidate k, as in the CS231n notebook: the data is split into
   * {@code folds} consecutive parts (sizes as NumPy's {@code array_split}: the first {@code M %
   * folds} parts have one extra example); for each part, a classifier memorises the others and
   * predicts that part with every candidate k (one distance matrix per fold).
   *
   * @param x inputs, shape (M, d1, ..., dk)
   * @param y labels, length M
   * @param ks candidate numbers of neighbours, each >= 1 and at most the smallest training split
   * @param folds number of folds, 2 &lt;= folds &lt;= M
   * @return accuracies per k per fold
   */
  public static CrossValidation crossValidate(Tensor x, int[] y, int[] ks, int folds) {
    int m = x.shape(0);
    if (folds < 2 || folds > m) {
      throw new IllegalArgumentException(
          "knn crossValidate: folds must be in [2, M=" + m + "], got " + folds);
    }
    if (ks.length == 0) {
      throw new IllegalArgumentException("knn crossValidate: no candidate k");
    }
    int[] bounds = CrossValidation.foldBounds(m, folds);
    Tensor flat = flat(x);
    int d = flat.shape(1);
    double[][] acc = new double[ks.length][folds];
    for (int f = 0; f < folds; f++) {
      int lo = bounds[f];
      int hi = bounds[f + 1];
      int[] trainIdx = new int[m - (hi - lo)];
      int[] valIdx = new int[hi - lo];
      for (int i = 0, t = 0; i < m; i++) {
        if (i >= lo && i < hi) {
          valIdx[i - lo] = i;
        } else {
          trainIdx[t++] = i;
        }
      }
      KNearestNeighbor knn = new KNearestNeighbor();
      knn.train(rows(flat, trainIdx, d), select(y, trainIdx));
      Tensor dists = knn.computeDistancesNoLoops(rows(flat, valIdx, d));
      int[] yVal = select(y, valIdx);
      for (int c = 0; c < ks.length; c++) {
        if (ks[c] < 1 || ks[c] > trainIdx.length) {
          throw new IllegalArgumentException(
              "knn crossValidate: k="
                  + ks[c]
                  + " must be in [1, "
                  + trainIdx.length
                  + "] (training examples in fold "
                  + f
                  + ")");
        }
        acc[c][f] = Metrics.accuracy(yVal, knn.predictLabels(dists, ks[c]));
      }
    }
    return new CrossValidation(ks.clone(), bounds, acc);
  }

  // ---------------------------------------------------------------- helpers

  private void requireTrained() {
    if (yTrain == null) {
      throw new IllegalStateException("knn: call train(X, y) before predicting");
    }
  }

  /** The test rows as doubles, after checking that they have the training data's D. */
  private double[] testRows(Tensor x) {
    requireTrained();
    int d = xTrain.shape(1);
    int dx = 1;
    for (int a = 1; a < x.ndim(); a++) {
      dx *= x.shape(a);
    }
    if (!x.dtype().isFloating() || x.ndim() < 2 || dx != d) {
      throw new IllegalArgumentException(
          "knn: expected float X (N, D) with D="
              + d
              + " like the training data "
              + xTrain.shapeString()
              + ", got "
              + x.shapeString()
              + " "
              + x.dtype().numpyName());
    }
    return x.toDoubleArray();
  }

  private static Tensor flat(Tensor x) {
    return x.reshape(x.shape(0), -1);
  }

  /**
   * One test row against the whole training matrix (the body of the single loop): {@code out[o + j]
   * = sum_k (b[j, k] - a[ai + k])^2} for every training row j of b (M, D).
   */
  private static void squaredDistancesToRows(
      double[] out, int o, double[] a, int ai, double[] b, int m, int d) {
    for (int j = 0; j < m; j++) {
      double s = 0;
      int bj = j * d;
      for (int k = 0; k < d; k++) {
        double diff = b[bj + k] - a[ai + k];
        s += diff * diff;
      }
      out[o + j] = s;
    }
  }

  private static double[] rowSquares(double[] a, int rows, int d) {
    double[] s = new double[rows];
    for (int i = 0; i < rows; i++) {
      double acc = 0;
      for (int k = 0; k < d; k++) {
        acc += a[i * d + k] * a[i * d + k];
      }
      s[i] = acc;
    }
    return s;
  }

  private static Tensor rows(Tensor flat, int[] idx, int d) {
    Tensor c = flat.contiguous();
    Tensor out = Tensor.zeros(c.dtype(), idx.length, d);
    Object src = c.dtype() == DType.FLOAT32 ? c.floatStorage() : c.doubleStorage();
    Object dst = c.dtype() == DType.FLOAT32 ? out.floatStorage() : out.doubleStorage();
    for (int r = 0; r < idx.length; r++) {
      System.arraycopy(src, c.offset() + idx[r] * d, dst, r * d, d);
    }
    return out;
  }

  private static int[] select(int[] y, int[] idx) {
    int[] out = new int[idx.length];
    for (int r = 0; r < idx.length; r++) {
      out[r] = y[idx[r]];
    }
    return out;
  }
}
