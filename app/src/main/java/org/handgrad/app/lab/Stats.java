package org.handgrad.app.lab;

import org.handgrad.tensor.Tensor;

/** Small statistics the labs report: standard deviation, L2 norm, histograms, accuracy. */
final class Stats {
  private Stats() {}

  /** Population standard deviation of all elements (np.std). */
  static double std(Tensor t) {
    double[] v = t.toDoubleArray();
    double mean = 0;
    for (double x : v) {
      mean += x / v.length;
    }
    double s = 0;
    for (double x : v) {
      s += (x - mean) * (x - mean);
    }
    return Math.sqrt(s / v.length);
  }

  /** L2 norm of all elements. */
  static double norm(Tensor t) {
    double s = 0;
    for (double x : t.toDoubleArray()) {
      s += x * x;
    }
    return Math.sqrt(s);
  }

  /** Largest |x| of all elements (NaN when one is NaN). */
  static double maxAbs(Tensor t) {
    double m = 0;
    for (double x : t.toDoubleArray()) {
      if (Double.isNaN(x)) {
        return Double.NaN;
      }
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }

  /**
   * Fraction of the elements in each of {@code bins} equal bins over [lo, hi]; values outside are
   * counted in the end bins, so the fractions sum to 1.
   *
   * @return the bin centres (row 0) and fractions (row 1), each of length bins
   */
  static double[][] histogram(Tensor t, double lo, double hi, int bins) {
    double[] v = t.toDoubleArray();
    double[][] h = new double[2][bins];
    double width = (hi - lo) / bins;
    for (int b = 0; b < bins; b++) {
      h[0][b] = lo + (b + 0.5) * width;
    }
    for (double x : v) {
      int b = (int) Math.floor((x - lo) / width);
      h[1][Math.max(0, Math.min(bins - 1, b))] += 1.0 / v.length;
    }
    return h;
  }

  /** Fraction of predictions equal to the labels. */
  static double accuracy(int[] y, int[] pred) {
    int ok = 0;
    for (int i = 0; i < y.length; i++) {
      ok += y[i] == pred[i] ? 1 : 0;
    }
    return (double) ok / y.length;
  }

  /** Row-wise argmax of scores (N, K); NaN scores never win, so an all-NaN row predicts 0. */
  static int[] argmax(Tensor scores) {
    int n = scores.shape(0);
    int k = scores.shape(1);
    double[] s = scores.toDoubleArray();
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int best = 0;
      for (int j = 1; j < k; j++) {
        if (s[i * k + j] > s[i * k + best]) {
          best = j;
        }
      }
      out[i] = best;
    }
    return out;
  }
}
