package org.handgrad.models.linear;

import org.handgrad.nn.functional.Labels;
import org.handgrad.nn.functional.Losses;
import org.handgrad.tensor.Tensor;

/**
 * Softmax (multinomial logistic regression) classifier, CS231n's {@code Softmax} with {@code
 * softmax_loss_naive} and {@code softmax_loss_vectorized}: cross-entropy on {@code scores = X W}.
 *
 * <p>{@code L = -(1/N) sum_i log(exp(s_iy_i) / sum_j exp(s_ij)) + reg * sum(W * W)}. With small
 * weights every class gets probability ~1/C, so an untrained classifier's loss is ~ln C (ln 10 =
 * 2.303 for ten classes), the notebook's sanity check. Dimensions as in {@link LinearClassifier}.
 */
public final class Softmax extends LinearClassifier {
  /** A classifier with weights drawn from N(0, weightScale^2). */
  public Softmax(Config config) {
    super(config);
  }

  @Override
  String name() {
    return "softmax";
  }

  @Override
  Losses.Loss dataLoss(Tensor scores, int[] y) {
    return Losses.softmaxLoss(scores, y);
  }

  /**
   * {@link #softmaxLossNaive(Tensor, Tensor, int[], double)} with the labels as an int32 tensor of
   * shape (N,) (see {@link org.handgrad.nn.functional.Labels}).
   */
  public static LinearLoss softmaxLossNaive(Tensor w, Tensor x, Tensor y, double reg) {
    return softmaxLossNaive(w, x, Labels.toArray("softmaxLossNaive", y), reg);
  }

  /**
   * The softmax loss with explicit loops, as CS231n's {@code softmax_loss_naive}. Each example's
   * scores are shifted by their max before exponentiating (softmax is shift-invariant, and this
   * keeps exp from overflowing); with p the probabilities, {@code dL/ds_j = p_j - [j == y_i]} and
   * {@code s_j = X[i] . W[:, j]}, so {@code dW[:, j] += (p_j - [j == y_i]) X[i]}. Computed in
   * float64.
   *
   * @param w weights, shape (D, C)
   * @param x inputs, shape (N, D), the dtype of W
   * @param y labels, length N, in [0, C)
   * @param reg regularization strength, >= 0
   * @return loss and dW (D, C) in the dtype of W
   */
  public static LinearLoss softmaxLossNaive(Tensor w, Tensor x, int[] y, double reg) {
    checkStatic("softmax_loss_naive", w, x, y, reg);
    int d = w.shape(0);
    int c = w.shape(1);
    int n = x.shape(0);
    double[] ws = w.toDoubleArray();
    double[] xs = x.toDoubleArray();
    double[] dw = new double[d * c];
    double loss = 0;
    double[] p = new double[c];
    for (int i = 0; i < n; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < c; j++) {
        double s = 0;
        for (int k = 0; k < d; k++) {
          s += xs[i * d + k] * ws[k * c + j];
        }
        p[j] = s;
        max = Math.max(max, s);
      }
      double sum = 0;
      for (int j = 0; j < c; j++) {
        p[j] = Math.exp(p[j] - max);
        sum += p[j];
      }
      for (int j = 0; j < c; j++) {
        p[j] /= sum;
      }
      loss -= Math.log(p[y[i]]);
      for (int j = 0; j < c; j++) {
        double g = p[j] - (j == y[i] ? 1 : 0);
        for (int k = 0; k < d; k++) {
          dw[k * c + j] += g * xs[i * d + k];
        }
      }
    }
    return Naive.finish(loss, dw, ws, n, reg, w);
  }

  /**
   * {@link #softmaxLossVectorized(Tensor, Tensor, int[], double)} with the labels as an int32
   * tensor of shape (N,) (see {@link org.handgrad.nn.functional.Labels}).
   */
  public static LinearLoss softmaxLossVectorized(Tensor w, Tensor x, Tensor y, double reg) {
    return softmaxLossVectorized(w, x, Labels.toArray("softmaxLossVectorized", y), reg);
  }

  /**
   * The softmax loss without loops over examples: {@code scores = X W} by one GEMM, the max-shifted
   * cross-entropy and its score gradient {@code (P - Y) / N} on the whole matrix ({@link
   * Losses#softmaxLoss}), then {@code dW = X^T dscores + 2 reg W}.
   *
   * @param w weights, shape (D, C)
   * @param x inputs, shape (N, D), the dtype of W
   * @param y labels, length N, in [0, C)
   * @param reg regularization strength, >= 0
   * @return loss and dW (D, C) in the dtype of W
   */
  public static LinearLoss softmaxLossVectorized(Tensor w, Tensor x, int[] y, double reg) {
    checkStatic("softmax_loss_vectorized", w, x, y, reg);
    return vectorized(w.contiguous(), x.contiguous(), y, reg, false, Losses::softmaxLoss);
  }
}
