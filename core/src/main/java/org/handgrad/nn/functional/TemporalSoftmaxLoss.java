package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Masked temporal softmax loss, CS231n's {@code temporal_softmax_loss(x, y, mask)}: softmax
 * cross-entropy at every timestep where the mask is 1, summed and divided by the batch size N.
 *
 * <pre>
 *   loss = -(1/N) sum over (n, t) with mask[n, t] = 1 of log softmax(x[n, t])[y[n, t]]
 * </pre>
 *
 * <p>Convention (docs/conventions.md): the sum is divided by N, the number of sequences, NOT by the
 * number of unmasked tokens as PyTorch's {@code cross_entropy(..., ignore_index=i)} with its
 * default mean reduction does; the PyTorch equivalent is {@code reduction='sum'} divided by N.
 *
 * <p>Dimensions: N batch, T time, V vocabulary. Every row is computed in float64 whatever the input
 * dtype (the log-sum-exp and the sum over N*T rows are where float32 would lose digits); dx has the
 * dtype of x.
 */
public final class TemporalSoftmaxLoss {
  private TemporalSoftmaxLoss() {}

  /**
   * The loss and its gradient.
   *
   * @param loss the masked loss divided by N
   * @param dx gradient of the loss with respect to the scores, shape (N, T, V); zero rows where the
   *     mask is 0
   */
  public record Loss(double loss, Tensor dx) {
    /** Validates that dx is present. */
    public Loss {
      Objects.requireNonNull(dx, "dx");
    }
  }

  /**
   * Computes the masked loss and dx = (softmax(x) - onehot(y)) * mask / N. The softmax subtracts
   * each row's maximum before exp, so large scores cannot overflow (the result is unchanged since
   * softmax(x - c) = softmax(x)).
   *
   * @param x scores, shape (N, T, V), float32 or float64
   * @param y targets, int32, shape (N, T); each in [0, V) where the mask is 1, ignored (any value,
   *     e.g. PyTorch's -100) where it is 0
   * @param mask which positions count, shape (N, T), any dtype holding only 0 and 1 (int32 from a
   *     boolean NumPy array, or float)
   * @throws IllegalArgumentException for wrong shapes or dtypes, a mask value other than 0 or 1, or
   *     a counted target outside [0, V), naming the position
   */
  public static Loss temporalSoftmaxLoss(Tensor x, Tensor y, Tensor mask) {
    String op = "temporalSoftmaxLoss";
    x = SeqArgs.input(op, "x", x, "(N, T, V)", 3);
    int n = x.shape(0);
    int tt = x.shape(1);
    int v = x.shape(2);
    Objects.requireNonNull(y, op + ": y is null");
    Objects.requireNonNull(mask, op + ": mask is null");
    if (y.dtype() != DType.INT32 || y.ndim() != 2 || y.shape(0) != n || y.shape(1) != tt) {
      throw new IllegalArgumentException(
          op
              + ": expected y int32 (N, T) = ("
              + n
              + ", "
              + tt
              + "), got "
              + y.dtype().numpyName()
              + " "
              + y.shapeString());
    }
    if (mask.ndim() != 2 || mask.shape(0) != n || mask.shape(1) != tt) {
      throw new IllegalArgumentException(
          op + ": expected mask (N, T) = (" + n + ", " + tt + "), got " + mask.shapeString());
    }
    y = y.contiguous();
    mask = mask.contiguous();

    Tensor dx = Tensor.zeros(x.dtype(), n, tt, v);
    boolean f32 = x.dtype() == DType.FLOAT32;
    double[] row = new double[v];
    double loss = 0;
    for (int i = 0; i < n * tt; i++) {
      double m = mask.getFlat(i);
      if (m != 0 && m != 1) {
        throw new IllegalArgumentException(
            op + ": mask must hold 0 or 1, got " + m + " at " + position(i, tt));
      }
      if (m == 0) {
        continue;
      }
      int target = y.intStorage()[y.offset() + i];
      if (target < 0 || target >= v) {
        throw new IllegalArgumentException(
            op
                + ": target "
                + target
                + " at "
                + position(i, tt)
                + " is outside [0, V) with V = "
                + v
                + " (x "
                + x.shapeString()
                + ")");
      }
      int p = x.offset() + i * v;
      if (f32) {
        float[] xs = x.floatStorage();
        for (int j = 0; j < v; j++) {
          row[j] = xs[p + j];
        }
      } else {
        System.arraycopy(x.doubleStorage(), p, row, 0, v);
      }
      // log softmax(x)[y] = (x_y - max) - log(sum exp(x - max)).
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < v; j++) {
        max = Math.max(max, row[j]);
      }
      double shifted = row[target] - max;
      double sum = 0;
      for (int j = 0; j < v; j++) {
        row[j] = Math.exp(row[j] - max);
        sum += row[j];
      }
      // From the shifted score, not log(exp(.)/sum): exp underflows to 0 for scores ~745 below max.
      loss -= shifted - Math.log(sum);
      // dx row = (softmax - onehot) / N.
      for (int j = 0; j < v; j++) {
        row[j] = row[j] / sum / n;
      }
      row[target] -= 1.0 / n;
      int q = i * v; // dx is fresh: offset 0
      if (f32) {
        float[] ds = dx.floatStorage();
        for (int j = 0; j < v; j++) {
          ds[q + j] = (float) row[j];
        }
      } else {
        System.arraycopy(row, 0, dx.doubleStorage(), q, v);
      }
    }
    return new Loss(loss / n, dx);
  }

  private static String position(int i, int tt) {
    return "(" + (i / tt) + ", " + (i % tt) + ")";
  }
}
