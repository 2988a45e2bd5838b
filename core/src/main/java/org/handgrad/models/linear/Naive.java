package org.handgrad.models.linear;

import org.handgrad.tensor.Tensor;

/** The common tail of the naive losses: average, add the regularization, wrap. */
final class Naive {
  private Naive() {}

  /**
   * {@code loss / N + reg * sum(W^2)} and {@code dW / N + 2 reg W}, dW returned in the dtype of W.
   */
  static LinearLoss finish(double loss, double[] dw, double[] ws, int n, double reg, Tensor w) {
    double sq = 0;
    for (int k = 0; k < ws.length; k++) {
      sq += ws[k] * ws[k];
      dw[k] = dw[k] / n + 2 * reg * ws[k];
    }
    return new LinearLoss(loss / n + reg * sq, Tensor.of(dw, w.shape()).to(w.dtype()));
  }
}
