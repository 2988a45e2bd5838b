package org.handgrad.kernels;

import java.util.SplittableRandom;

/**
 * One GEMM problem for the tests: sizes, transposes, offsets and padded leading dimensions, with
 * operands stored exactly as {@link Gemm} addresses them. Holds float and double copies of the same
 * values so both precisions can be run on it.
 *
 * @param m rows of C
 * @param n columns of C
 * @param k inner dimension
 * @param transA A stored (k, m) instead of (m, k)
 * @param transB B stored (n, k) instead of (k, n)
 * @param pad extra elements per stored row (ld = row length + pad), and the offset of each operand
 */
record GemmCase(int m, int n, int k, boolean transA, boolean transB, int pad) {

  int lda() {
    return (transA ? m : k) + pad;
  }

  int ldb() {
    return (transB ? k : n) + pad;
  }

  int ldc() {
    return n + pad;
  }

  int aLen() {
    return pad + (transA ? k : m) * lda() + pad;
  }

  int bLen() {
    return pad + (transB ? n : k) * ldb() + pad;
  }

  int cLen() {
    return pad + m * ldc() + pad;
  }

  /** Index of op(A)(i, p) in the stored array. */
  int aIndex(int i, int p) {
    return pad + (transA ? p * lda() + i : i * lda() + p);
  }

  /** Index of op(B)(p, j) in the stored array. */
  int bIndex(int p, int j) {
    return pad + (transB ? j * ldb() + p : p * ldb() + j);
  }

  /** Index of C(i, j). */
  int cIndex(int i, int j) {
    return pad + i * ldc() + j;
  }

  /** Whether index x of the C array belongs to the (m, n) matrix (not padding). */
  boolean inC(int x) {
    int r = x - pad;
    return r >= 0 && r < m * ldc() && r % ldc() < n;
  }

  @Override
  public String toString() {
    return String.format(
        "m=%d n=%d k=%d op=%s%s pad=%d", m, n, k, transA ? "T" : "N", transB ? "T" : "N", pad);
  }

  /** Random operand values: small integers (all sums exact) or Gaussians. */
  static double[] values(int len, boolean integers, SplittableRandom rnd) {
    double[] v = new double[len];
    for (int i = 0; i < len; i++) {
      v[i] = integers ? rnd.nextInt(-4, 5) : gaussian(rnd);
    }
    return v;
  }

  private static double gaussian(SplittableRandom rnd) {
    // Box-Muller; SplittableRandom has no nextGaussian on Java 17.
    double u = 1.0 - rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
  }

  static float[] toFloat(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return f;
  }

  /** Independent oracle, accumulated in double: alpha * op(A) op(B) + beta * C, and its bound. */
  double[][] reference(double[] a, double[] b, double[] c, double alpha, double beta) {
    double[][] out = new double[2][m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        double abs = 0;
        for (int p = 0; p < k; p++) {
          double prod = a[aIndex(i, p)] * b[bIndex(p, j)];
          s += prod;
          abs += Math.abs(prod);
        }
        double old = beta == 0 ? 0 : c[cIndex(i, j)];
        // The contract's exact forms: alpha == 0 is a pure scale, beta == 0 never touches C.
        out[0][i * n + j] =
            alpha == 0 ? beta * old : beta == 0 ? alpha * s : alpha * s + beta * old;
        // Magnitude that rounding errors scale with: |alpha| sum |a b| + |beta c|.
        out[1][i * n + j] = Math.abs(alpha) * abs + Math.abs(beta * old);
      }
    }
    return out;
  }

  /**
   * Rigorous worst-case error of any summation order for a length-k dot product followed by the
   * alpha / beta update, relative to {@link #reference}'s magnitude: gamma(k + 2) = (k+2) u / (1 -
   * (k+2) u), u the unit roundoff (Higham, Accuracy and Stability of Numerical Algorithms, 3.1).
   */
  static double gamma(int k, double unitRoundoff) {
    double ku = (k + 2) * unitRoundoff;
    return ku / (1 - ku);
  }

  static final double U32 = 0x1p-24;
  static final double U64 = 0x1p-53;
}
