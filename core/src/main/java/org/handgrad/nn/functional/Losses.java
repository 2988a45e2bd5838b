package org.handgrad.nn.functional;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Classification losses on class scores, CS231n's {@code softmax_loss} and {@code svm_loss}: each
 * returns the loss averaged over the N examples and its gradient with respect to the scores.
 *
 * <p>Dimensions: x holds the scores of N examples over C classes, shape (N, C); {@code y[i]} in [0,
 * C) is the correct class of example i. The loss is accumulated in double for both dtypes; dx has
 * the dtype of x.
 *
 * <p>Each loss has a "naive" twin written as CS231n's explicit loops over examples and classes
 * through {@link Tensor#get}; the tests hold the fast versions (row kernels on the storage) to it.
 * The linear classifiers of stage 1 add the regularized {@code (W, X, y, reg)} forms on top.
 */
public final class Losses {
  private Losses() {}

  /**
   * A loss value and its gradient.
   *
   * @param loss the loss averaged over the N examples
   * @param dx gradient of the loss with respect to the scores, shape (N, C), the dtype of x
   */
  public record Loss(double loss, Tensor dx) {}

  // ---------------------------------------------------------------- softmax (cross-entropy)

  /**
   * {@link #softmaxLoss(Tensor, int[])} with the labels as an int32 tensor (see {@link Labels}).
   *
   * @param x scores, shape (N, C), float32 or float64
   * @param y correct classes, int32, shape (N,), each in [0, C)
   */
  public static Loss softmaxLoss(Tensor x, Tensor y) {
    return softmaxLoss(x, Labels.toArray("softmax_loss", y));
  }

  /**
   * Softmax cross-entropy, {@code L = -(1/N) sum_i log softmax(x_i)[y_i]}; PyTorch's {@code
   * F.cross_entropy(x, y)} with the default mean reduction.
   *
   * <p>Stability: exp(x_ij) overflows to inf for scores above ~709 (float64) or ~88 (float32), and
   * inf / inf is NaN. Softmax is invariant to shifting a row by a constant, so each row is shifted
   * by its max first: every exponent is then &lt;= 0 and the largest term is exactly 1, so the sum
   * is in [1, C] and its log is safe (CS231n notes, "Practical issues: numeric stability").
   *
   * <p>Gradient: dL/dx_ij = (softmax(x_i)_j - [j == y_i]) / N.
   *
   * @param x scores, shape (N, C), float32 or float64
   * @param y correct classes, length N, each in [0, C)
   */
  public static Loss softmaxLoss(Tensor x, int[] y) {
    checkArgs("softmax_loss", x, y);
    int n = x.shape(0);
    int c = x.shape(1);
    Tensor xc = x.contiguous();
    Tensor dx = Tensor.zeros(x.dtype(), n, c);
    double[] row = new double[c];
    double loss = 0;
    for (int i = 0; i < n; i++) {
      loadRow(xc, i, row);
      double correct = row[y[i]];
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < c; j++) {
        max = Math.max(max, row[j]);
      }
      double sum = 0;
      for (int j = 0; j < c; j++) {
        row[j] = Math.exp(row[j] - max);
        sum += row[j];
      }
      // -log softmax_y = log(sum) - (x_y - max), never forming the (possibly underflowed) p_y.
      loss += Math.log(sum) - (correct - max);
      for (int j = 0; j < c; j++) {
        row[j] = row[j] / sum / n;
      }
      row[y[i]] -= 1.0 / n;
      storeRow(dx, i, row);
    }
    return new Loss(loss / n, dx);
  }

  /**
   * {@link #softmaxLossNaive(Tensor, int[])} with the labels as an int32 tensor (see {@link
   * Labels}).
   *
   * @param x scores, shape (N, C), float32 or float64
   * @param y correct classes, int32, shape (N,), each in [0, C)
   */
  public static Loss softmaxLossNaive(Tensor x, Tensor y) {
    return softmaxLossNaive(x, Labels.toArray("softmax_loss", y));
  }

  /**
   * {@link #softmaxLoss} as CS231n's explicit loops (the reference for tests): for each example,
   * shift the scores by their max, normalize their exponentials, take -log of the correct class's
   * probability, and subtract 1 from that class's probability for the gradient.
   *
   * @param x scores, shape (N, C), float32 or float64
   * @param y correct classes, length N, each in [0, C)
   */
  public static Loss softmaxLossNaive(Tensor x, int[] y) {
    checkArgs("softmax_loss", x, y);
    int n = x.shape(0);
    int c = x.shape(1);
    Tensor dx = Tensor.zeros(x.dtype(), n, c);
    double loss = 0;
    for (int i = 0; i < n; i++) {
      double max = x.get(i, 0);
      for (int j = 1; j < c; j++) {
        max = Math.max(max, x.get(i, j));
      }
      double[] p = new double[c];
      double sum = 0;
      for (int j = 0; j < c; j++) {
        p[j] = Math.exp(x.get(i, j) - max);
        sum += p[j];
      }
      for (int j = 0; j < c; j++) {
        p[j] /= sum;
      }
      loss -= Math.log(p[y[i]]);
      for (int j = 0; j < c; j++) {
        dx.set((p[j] - (j == y[i] ? 1 : 0)) / n, i, j);
      }
    }
    return new Loss(loss / n, dx);
  }

  /**
   * {@link #softmaxLoss(Tensor, int[], double)} with the labels as an int32 tensor (see {@link
   * Labels}).
   *
   * @param x scores, shape (N, C), float32 or float64
   * @param y correct classes, int32, shape (N,), each in [0, C)
   * @param labelSmoothing the smoothing eps, in [0, 1]
   */
  public static Loss softmaxLoss(Tensor x, Tensor y, double labelSmoothing) {
    return softmaxLoss(x, Labels.toArray("softmax_loss", y), labelSmoothing);
  }

  /**
   * Softmax cross-entropy against smoothed targets (label smoothing, Szegedy et al. 2016,
   * "Rethinking the Inception Architecture", section 7): the one-hot target of example i becomes
   * {@code q_ij = (1 - eps) [j == y_i] + eps / C}, and {@code L = -(1/N) sum_i sum_j q_ij log
   * softmax(x_i)_j}. This is PyTorch's {@code F.cross_entropy(x, y, label_smoothing=eps)} (the
   * uniform part also covers the correct class). With eps = 0 it is {@link #softmaxLoss(Tensor,
   * int[])}, to the last bit.
   *
   * <p>Why it helps: with hard targets the loss keeps falling only by growing the winning score
   * without bound; smoothed targets have a finite optimum (the logit gap {@code log((1 - eps + eps
   * / C) / (eps / C))}), which keeps the network calibrated and is a cheap regularizer.
   *
   * <p>Stability as {@link #softmaxLoss(Tensor, int[])}: with m the row max and s = sum_j exp(x_ij
   * - m), {@code -log p_ij = log s - (x_ij - m)} is formed without the (possibly underflowed) p_ij.
   * The sum over j of q_ij is 1, so the loss of a row is {@code log s - sum_j q_ij (x_ij - m)}.
   *
   * <p>Gradient: dL/dx_ij = (softmax(x_i)_j - q_ij) / N, because the q_ij sum to 1 (the derivation
   * of the hard-target case with the one-hot vector replaced by q).
   *
   * @param x scores, shape (N, C), float32 or float64
   * @param y correct classes, length N, each in [0, C)
   * @param labelSmoothing the smoothing eps, in [0, 1]; 0 gives the plain cross-entropy
   * @return the mean loss and dx, shape (N, C), the dtype of x
   */
  public static Loss softmaxLoss(Tensor x, int[] y, double labelSmoothing) {
    checkArgs("softmax_loss", x, y);
    if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
      throw new IllegalArgumentException(
          "softmax_loss: label smoothing must be in [0, 1], got " + labelSmoothing);
    }
    if (labelSmoothing == 0) {
      return softmaxLoss(x, y);
    }
    int n = x.shape(0);
    int c = x.shape(1);
    double uniform = labelSmoothing / c; // the eps / C every class receives
    double onTarget = 1 - labelSmoothing; // the rest goes to the correct class
    Tensor xc = x.contiguous();
    Tensor dx = Tensor.zeros(x.dtype(), n, c);
    double[] row = new double[c];
    double loss = 0;
    for (int i = 0; i < n; i++) {
      loadRow(xc, i, row);
      double correct = row[y[i]];
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < c; j++) {
        max = Math.max(max, row[j]);
      }
      double sum = 0;
      double shiftedMean = 0; // sum_j (x_ij - m) / C
      for (int j = 0; j < c; j++) {
        double z = row[j] - max;
        shiftedMean += z;
        row[j] = Math.exp(z);
        sum += row[j];
      }
      shiftedMean /= c;
      loss += Math.log(sum) - onTarget * (correct - max) - labelSmoothing * shiftedMean;
      for (int j = 0; j < c; j++) {
        row[j] = (row[j] / sum - uniform) / n;
      }
      row[y[i]] -= onTarget / n;
      storeRow(dx, i, row);
    }
    return new Loss(loss / n, dx);
  }

  // ---------------------------------------------------------------- multiclass SVM (hinge)

  /**
   * {@link #svmLoss(Tensor, int[])} with the labels as an int32 tensor (see {@link Labels}).
   *
   * @param x scores, shape (N, C), float32 or float64
   * @param y correct classes, int32, shape (N,), each in [0, C)
   */
  public static Loss svmLoss(Tensor x, Tensor y) {
    return svmLoss(x, Labels.toArray("svm_loss", y));
  }

  /**
   * Multiclass SVM (Weston-Watkins hinge) loss with margin 1, CS231n's definition: {@code L = (1/N)
   * sum_i sum_{j != y_i} max(0, x_ij - x_iy_i + 1)}.
   *
   * <p>PyTorch's {@code F.multi_margin_loss(x, y, margin=1)} also divides each example's sum by C,
   * so it equals this loss / C.
   *
   * <p>Gradient: each positive margin adds 1/N to dx_ij and -1/N to dx_iy_i (the subgradient 0 at a
   * margin of exactly 0, as CS231n and PyTorch).
   *
   * @param x scores, shape (N, C), float32 or float64
   * @param y correct classes, length N, each in [0, C)
   */
  public static Loss svmLoss(Tensor x, int[] y) {
    checkArgs("svm_loss", x, y);
    int n = x.shape(0);
    int c = x.shape(1);
    Tensor xc = x.contiguous();
    Tensor dx = Tensor.zeros(x.dtype(), n, c);
    double[] row = new double[c];
    double loss = 0;
    for (int i = 0; i < n; i++) {
      loadRow(xc, i, row);
      double correct = row[y[i]];
      int positive = 0;
      for (int j = 0; j < c; j++) {
        double margin = row[j] - correct + 1;
        if (j != y[i] && margin > 0) {
          loss += margin;
          row[j] = 1.0 / n;
          positive++;
        } else {
          row[j] = 0;
        }
      }
      row[y[i]] = -(double) positive / n;
      storeRow(dx, i, row);
    }
    return new Loss(loss / n, dx);
  }

  /**
   * {@link #svmLossNaive(Tensor, int[])} with the labels as an int32 tensor (see {@link Labels}).
   *
   * @param x scores, shape (N, C), float32 or float64
   * @param y correct classes, int32, shape (N,), each in [0, C)
   */
  public static Loss svmLossNaive(Tensor x, Tensor y) {
    return svmLossNaive(x, Labels.toArray("svm_loss", y));
  }

  /**
   * {@link #svmLoss} as CS231n's {@code svm_loss_naive} loops (the reference for tests).
   *
   * @param x scores, shape (N, C), float32 or float64
   * @param y correct classes, length N, each in [0, C)
   */
  public static Loss svmLossNaive(Tensor x, int[] y) {
    checkArgs("svm_loss", x, y);
    int n = x.shape(0);
    int c = x.shape(1);
    double[][] grad = new double[n][c];
    double loss = 0;
    for (int i = 0; i < n; i++) {
      double correct = x.get(i, y[i]);
      for (int j = 0; j < c; j++) {
        if (j == y[i]) {
          continue;
        }
        double margin = x.get(i, j) - correct + 1;
        if (margin > 0) {
          loss += margin;
          grad[i][j] += 1;
          grad[i][y[i]] -= 1;
        }
      }
    }
    Tensor dx = Tensor.zeros(x.dtype(), n, c);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < c; j++) {
        dx.set(grad[i][j] / n, i, j);
      }
    }
    return new Loss(loss / n, dx);
  }

  // ---------------------------------------------------------------- helpers

  private static void checkArgs(String op, Tensor x, int[] y) {
    Elementwise.requireFloat(op, "x", x);
    if (x.ndim() != 2 || x.shape(0) == 0 || x.shape(1) == 0) {
      throw new IllegalArgumentException(
          op + ": expected scores x (N, C) with N, C >= 1, got " + x.shapeString());
    }
    int n = x.shape(0);
    int c = x.shape(1);
    if (y == null || y.length != n) {
      throw new IllegalArgumentException(
          op
              + ": expected y of length N="
              + n
              + " for x "
              + x.shapeString()
              + ", got "
              + (y == null ? "null" : "length " + y.length));
    }
    for (int i = 0; i < n; i++) {
      if (y[i] < 0 || y[i] >= c) {
        throw new IllegalArgumentException(
            op
                + ": y["
                + i
                + "] = "
                + y[i]
                + " is out of range [0, "
                + c
                + ") for x "
                + x.shapeString());
      }
    }
  }

  /** Row i of a contiguous (N, C) float tensor into buf (length C). */
  private static void loadRow(Tensor t, int i, double[] buf) {
    int c = buf.length;
    int off = t.offset() + i * c;
    if (t.dtype() == DType.FLOAT64) {
      System.arraycopy(t.doubleStorage(), off, buf, 0, c);
    } else {
      float[] s = t.floatStorage();
      for (int j = 0; j < c; j++) {
        buf[j] = s[off + j];
      }
    }
  }

  /** buf (length C) into row i of a new (offset 0) (N, C) float tensor. */
  private static void storeRow(Tensor t, int i, double[] buf) {
    int c = buf.length;
    if (t.dtype() == DType.FLOAT64) {
      System.arraycopy(buf, 0, t.doubleStorage(), i * c, c);
    } else {
      float[] s = t.floatStorage();
      for (int j = 0; j < c; j++) {
        s[i * c + j] = (float) buf[j];
      }
    }
  }
}
