package org.handgrad.models.ssl;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The weighted kNN classifier used to monitor self-supervised training (Wu et al. 2018, InstDisc,
 * section 3.4; the monitor of SimCLR/MoCo code bases): features are L2-normalised, each query takes
 * its k most cosine-similar training features, and each neighbour votes for its label with weight
 * exp(sim / T); the class with the largest summed weight wins.
 *
 * <p>Defaults k = 200, T = 0.1. Ties between equally similar neighbours at the k-th place go to the
 * lower index; ties between classes to the lower class. Dimension letters: M bank (training)
 * features, Q queries, D features, K classes.
 */
public final class KnnMonitor {
  /** InstDisc's k. */
  public static final int DEFAULT_K = 200;

  /** InstDisc's temperature. */
  public static final double DEFAULT_TEMPERATURE = 0.1;

  /** Queries per similarity block, bounding memory at QUERY_BLOCK x M similarities. */
  private static final int QUERY_BLOCK = 256;

  private KnnMonitor() {}

  /**
   * Extracts features of both sets with the extractor and returns the accuracy of {@link #predict}.
   *
   * @param extractor the representation
   * @param bankImages shape (M, C, H, W)
   * @param bankLabels length M
   * @param queryImages shape (Q, C, H, W)
   * @param queryLabels length Q
   * @param numClasses K
   * @param k neighbours, &gt;= 1 (at most M are used)
   * @param temperature T, &gt; 0
   * @param batchSize images per extractor call
   * @return the fraction of queries classified correctly
   */
  public static double accuracy(
      FeatureExtractor extractor,
      Tensor bankImages,
      int[] bankLabels,
      Tensor queryImages,
      int[] queryLabels,
      int numClasses,
      int k,
      double temperature,
      int batchSize) {
    Tensor bank = FeatureExtractor.extract(extractor, bankImages, batchSize);
    Tensor query = FeatureExtractor.extract(extractor, queryImages, batchSize);
    int[] pred = predict(bank, bankLabels, query, numClasses, k, temperature);
    if (queryLabels.length != pred.length) {
      throw new IllegalArgumentException(
          "KnnMonitor: " + pred.length + " queries but " + queryLabels.length + " labels");
    }
    int correct = 0;
    for (int i = 0; i < pred.length; i++) {
      correct += pred[i] == queryLabels[i] ? 1 : 0;
    }
    return correct / (double) pred.length;
  }

  /**
   * Weighted kNN predictions.
   *
   * @param bank training features, shape (M, D)
   * @param bankLabels length M, each in [0, K)
   * @param query features to classify, shape (Q, D)
   * @param numClasses K, &gt;= 2
   * @param k neighbours, &gt;= 1 (at most M are used)
   * @param temperature T, &gt; 0
   * @return predicted labels, length Q
   */
  public static int[] predict(
      Tensor bank, int[] bankLabels, Tensor query, int numClasses, int k, double temperature) {
    int[] noLabels = new int[query.ndim() == 2 ? query.shape(0) : 0];
    LinearProbe.check("KnnMonitor", bank, bankLabels, query, noLabels, numClasses);
    if (k < 1) {
      throw new IllegalArgumentException("KnnMonitor: k must be >= 1, got " + k);
    }
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException(
          "KnnMonitor: temperature must be positive and finite, got " + temperature);
    }
    int m = bank.shape(0);
    int q = query.shape(0);
    int kk = Math.min(k, m);
    Tensor bankT = normalize(bank).transpose().contiguous(); // (D, M)
    Tensor qn = normalize(query);
    int[] pred = new int[q];
    double[] row = new double[m];
    double[] scratch = new double[m];
    double[] votes = new double[numClasses];
    for (int s = 0; s < q; s += QUERY_BLOCK) {
      int e = Math.min(q, s + QUERY_BLOCK);
      double[] sim = qn.slice(0, s, e).matmul(bankT).toDoubleArray(); // (e - s, M)
      for (int i = 0; i < e - s; i++) {
        System.arraycopy(sim, i * m, row, 0, m);
        System.arraycopy(row, 0, scratch, 0, m);
        double threshold = kthLargest(scratch, kk);
        java.util.Arrays.fill(votes, 0);
        int taken = 0;
        for (int j = 0; j < m && taken < kk; j++) { // strictly above the k-th value first
          if (row[j] > threshold) {
            votes[bankLabels[j]] += Math.exp(row[j] / temperature);
            taken++;
          }
        }
        for (int j = 0; j < m && taken < kk; j++) { // then ties at the k-th value, lowest index
          if (row[j] == threshold) {
            votes[bankLabels[j]] += Math.exp(row[j] / temperature);
            taken++;
          }
        }
        int best = 0;
        for (int c = 1; c < numClasses; c++) {
          if (votes[c] > votes[best]) {
            best = c;
          }
        }
        pred[s + i] = best;
      }
    }
    return pred;
  }

  /** Rows divided by their L2 norms (clamped at 1e-12), in the dtype of x (float32 for a GEMM). */
  private static Tensor normalize(Tensor x) {
    int n = x.shape(0);
    int d = x.shape(1);
    double[] a = x.toDoubleArray();
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (int j = 0; j < d; j++) {
        s += a[i * d + j] * a[i * d + j];
      }
      double nrm = Math.max(Math.sqrt(s), 1e-12);
      for (int j = 0; j < d; j++) {
        a[i * d + j] /= nrm;
      }
    }
    Tensor t = Tensor.of(a, n, d);
    return x.dtype() == DType.FLOAT64 ? t : t.to(DType.FLOAT32);
  }

  /** The k-th largest value of a (1-based), by quickselect; reorders a. */
  static double kthLargest(double[] a, int k) {
    int lo = 0;
    int hi = a.length - 1;
    int target = k - 1; // index in descending order
    while (lo < hi) {
      double pivot = a[(lo + hi) >>> 1];
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (a[i] > pivot) {
          i++;
        }
        while (a[j] < pivot) {
          j--;
        }
        if (i <= j) {
          double t = a[i];
          a[i] = a[j];
          a[j] = t;
          i++;
          j--;
        }
      }
      if (target <= j) {
        hi = j;
      } else if (target >= i) {
        lo = i;
      } else {
        return a[target];
      }
    }
    return a[target];
  }
}
