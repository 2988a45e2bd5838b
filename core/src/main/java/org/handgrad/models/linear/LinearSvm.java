package org.handgrad.models.linear;

import org.handgrad.nn.functional.Labels;
import org.handgrad.nn.functional.Losses;
import org.handgrad.tensor.Tensor;

/**
 * Linear multiclass SVM, CS231n's {@code LinearSVM} with {@code svm_loss_naive} and {@code
 * svm_loss_vectorized}: the Weston-Watkins hinge loss with margin 1 on {@code scores = X W}.
 *
 * <p>{@code L = (1/N) sum_i sum_{j != y_i} max(0, s_ij - s_iy_i + 1) + reg * sum(W * W)}.
 * Dimensions as in {@link LinearClassifier}: W (D, C), X (N, D) with the bias trick already
 * applied.
 */
public final class LinearSvm extends LinearClassifier {
  /** A classifier with weights drawn from N(0, weightScale^2). */
  public LinearSvm(Config config) {
    super(config);
  }

  @Override
  String name() {
    return "svm";
  }

  @Override
  Losses.Loss dataLoss(Tensor scores, int[] y) {
    return Losses.svmLoss(scores, y);
  }

  /**
   * {@link #svmLossNaive(Tensor, Tensor, int[], double)} with the labels as an int32 tensor of
   * shape (N,) (see {@link org.handgrad.nn.functional.Labels}).
   */
  public static LinearLoss svmLossNaive(Tensor w, Tensor x, Tensor y, double reg) {
    return svmLossNaive(w, x, Labels.toArray("svmLossNaive", y), reg);
  }

  /**
   * The SVM loss with explicit loops, as CS231n's {@code svm_loss_naive}: for each example and each
   * wrong class with a positive margin, the loss grows by the margin and, since the margin is
   * {@code X[i] . W[:, j] - X[i] . W[:, y_i] + 1}, {@code dW[:, j] += X[i]} and {@code dW[:, y_i]
   * -= X[i]}. Computed in float64.
   *
   * @param w weights, shape (D, C)
   * @param x inputs, shape (N, D), the dtype of W
   * @param y labels, length N, in [0, C)
   * @param reg regularization strength, >= 0
   * @return loss and dW (D, C) in the dtype of W
   */
  public static LinearLoss svmLossNaive(Tensor w, Tensor x, int[] y, double reg) {
    checkStatic("svm_loss_naive", w, x, y, reg);
    int d = w.shape(0);
    int c = w.shape(1);
    int n = x.shape(0);
    double[] ws = w.toDoubleArray();
    double[] xs = x.toDoubleArray();
    double[] dw = new double[d * c];
    double loss = 0;
    double[] scores = new double[c];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < c; j++) {
        double s = 0;
        for (int k = 0; k < d; k++) {
          s += xs[i * d + k] * ws[k * c + j];
        }
        scores[j] = s;
      }
      double correct = scores[y[i]];
      for (int j = 0; j < c; j++) {
        if (j == y[i]) {
          continue;
        }
        double margin = scores[j] - correct + 1;
        if (margin > 0) {
          loss += margin;
          for (int k = 0; k < d; k++) {
            dw[k * c + j] += xs[i * d + k];
            dw[k * c + y[i]] -= xs[i * d + k];
          }
        }
      }
    }
    return Naive.finish(loss, dw, ws, n, reg, w);
  }

  /**
   * {@link #svmLossVectorized(Tensor, Tensor, int[], double)} with the labels as an int32 tensor of
   * shape (N,) (see {@link org.handgrad.nn.functional.Labels}).
   */
  public static LinearLoss svmLossVectorized(Tensor w, Tensor x, Tensor y, double reg) {
    return svmLossVectorized(w, x, Labels.toArray("svmLossVectorized", y), reg);
  }

  /**
   * The SVM loss without loops over examples: {@code scores = X W} by one GEMM, the hinge loss and
   * its score gradient on the whole (N, C) matrix ({@link Losses#svmLoss}), then {@code dW = X^T
   * dscores + 2 reg W} by a second GEMM.
   *
   * @param w weights, shape (D, C)
   * @param x inputs, shape (N, D), the dtype of W
   * @param y labels, length N, in [0, C)
   * @param reg regularization strength, >= 0
   * @return loss and dW (D, C) in the dtype of W
   */
  public static LinearLoss svmLossVectorized(Tensor w, Tensor x, int[] y, double reg) {
    checkStatic("svm_loss_vectorized", w, x, y, reg);
    return vectorized(w.contiguous(), x.contiguous(), y, reg, false, Losses::svmLoss);
  }
}
