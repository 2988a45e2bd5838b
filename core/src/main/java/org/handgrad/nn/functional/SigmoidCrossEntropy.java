package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Multi-label sigmoid cross-entropy (binary cross-entropy on logits): C independent yes/no
 * decisions per example, e.g. which words of a vocabulary appear in an image's captions (the
 * "visual word detectors" of Fang et al., CVPR 2015, that {@code models.rnn.WordDetector} trains).
 *
 * <pre>
 *   L = (1/N) sum over i, j of  -y log sigmoid(x) - (1 - y) log(1 - sigmoid(x))
 *     = (1/N) sum over i, j of  max(x, 0) - x y + log(1 + exp(-|x|))
 *   dL/dx = (sigmoid(x) - y) / N
 * </pre>
 *
 * <p>The second form is the one evaluated: it never takes the log of a sigmoid that rounded to 0 or
 * 1, and exp only sees non-positive arguments, so logits of any size are safe (a logit of 800 gives
 * exactly 0 or 800 per term instead of inf or NaN). The sigmoid of the gradient is computed from
 * exp(-|x|) on either side for the same reason.
 *
 * <p>Convention (docs/conventions.md, "captioning"): summed over the C labels and divided by N, as
 * CS231n's losses divide by the batch; PyTorch's {@code F.binary_cross_entropy_with_logits(x, y)}
 * with its default {@code reduction='mean'} divides by N*C, so ours equals {@code reduction='sum'}
 * divided by N.
 *
 * <p>Dimensions: N examples, C labels. Rows are accumulated in float64 whatever the dtype; dx has
 * the dtype of x.
 */
public final class SigmoidCrossEntropy {
  private SigmoidCrossEntropy() {}

  /**
   * The loss and its gradient.
   *
   * @param x logits, shape (N, C), float32 or float64
   * @param y targets in [0, 1] (hard 0/1 labels or soft probabilities), shape (N, C), any float
   *     dtype
   * @return the loss divided by N and dx (N, C)
   * @throws IllegalArgumentException for mismatched shapes, int32 tensors, or a target outside [0,
   *     1], naming its position
   */
  public static Losses.Loss sigmoidCrossEntropyLoss(Tensor x, Tensor y) {
    String op = "sigmoidCrossEntropyLoss";
    Objects.requireNonNull(x, op + ": x is null");
    Objects.requireNonNull(y, op + ": y is null");
    Elementwise.requireFloat(op, "x", x);
    Elementwise.requireFloat(op, "y", y);
    if (x.ndim() != 2 || !x.sameShape(y)) {
      throw new IllegalArgumentException(
          op
              + ": expected x (N, C) and y of the same shape, got x "
              + x.shapeString()
              + " and y "
              + y.shapeString());
    }
    int n = x.shape(0);
    int c = x.shape(1);
    double[] xs = x.toDoubleArray();
    double[] ys = y.toDoubleArray();
    double[] d = new double[n * c];
    double loss = 0;
    for (int i = 0; i < n * c; i++) {
      double t = ys[i];
      if (!(t >= 0 && t <= 1)) {
        throw new IllegalArgumentException(
            op + ": target " + t + " at (" + i / c + ", " + i % c + ") is outside [0, 1]");
      }
      double v = xs[i];
      double e = Math.exp(-Math.abs(v)); // in (0, 1]: cannot overflow
      loss += Math.max(v, 0) - v * t + Math.log1p(e);
      double sigmoid = v >= 0 ? 1 / (1 + e) : e / (1 + e);
      d[i] = (sigmoid - t) / n;
    }
    Tensor dx = Tensor.of(d, n, c);
    return new Losses.Loss(loss / n, x.dtype() == DType.FLOAT64 ? dx : dx.to(x.dtype()));
  }
}
