package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.kernels.NormPlanes;
import org.handgrad.kernels.NormRows;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Layer normalization (Ba, Kiros and Hinton 2016; CS231n assignment 2): each row is normalised over
 * its last dimension with its own mean and biased variance, then scaled and shifted per feature,
 * {@code out = gamma * (x - mean) / sqrt(var + eps) + beta}. Train and test behave the same (no
 * running statistics). Matches PyTorch's {@code F.layer_norm(x, (D,), gamma, beta, eps)}.
 *
 * <p>Dimension letters: N rows, D features. Inputs of higher rank (..., D), such as a transformer's
 * (N, T, D), are treated as N = x.size() / D rows. Statistics accumulate in double for float32.
 */
public final class LayerNorm {
  private LayerNorm() {}

  /** The CS231n and PyTorch default epsilon. */
  public static final double DEFAULT_EPS = 1e-5;

  /**
   * What the backward pass reads.
   *
   * @param x input, shape (N, D) or (..., D), contiguous; kept by reference
   * @param gamma scale, shape (D,), contiguous
   * @param mean mean of every row, shape (N,) with N = x.size() / D, float64
   * @param invStd {@code 1 / sqrt(var + eps)} of every row, shape (N,), float64
   */
  public record Cache(Tensor x, Tensor gamma, Tensor mean, Tensor invStd) {
    /** Validates presence. */
    public Cache {
      Objects.requireNonNull(x, "x");
      Objects.requireNonNull(gamma, "gamma");
      Objects.requireNonNull(mean, "mean");
      Objects.requireNonNull(invStd, "invStd");
    }
  }

  /**
   * Gradients of a layer normalization.
   *
   * @param dx gradient of the input, the shape of x
   * @param dgamma gradient of the scale, shape (D,)
   * @param dbeta gradient of the shift, shape (D,)
   */
  public record Grads(Tensor dx, Tensor dgamma, Tensor dbeta) {}

  /**
   * Forward pass with CS231n's {@code ln_param}: only {@code eps} is read (layer normalization has
   * no running statistics and no train/test difference), so the {@link NormParam} a network gives
   * its batch norms serves here too.
   *
   * @param x input, shape (N, D) (or (..., D)), float32 or float64
   * @param gamma scale, shape (D,), dtype of x
   * @param beta shift, shape (D,), dtype of x
   * @param lnParam settings; its eps is used
   * @return out of the shape of x, and the cache
   * @throws IllegalArgumentException as {@link #layernormForward(Tensor, Tensor, Tensor, double)}
   */
  public static Forward<Cache> layernormForward(
      Tensor x, Tensor gamma, Tensor beta, NormParam lnParam) {
    Objects.requireNonNull(lnParam, "lnParam");
    return layernormForward(x, gamma, beta, lnParam.eps());
  }

  /**
   * Forward pass.
   *
   * @param x input, shape (N, D) (or (..., D)), float32 or float64
   * @param gamma scale, shape (D,), dtype of x
   * @param beta shift, shape (D,), dtype of x
   * @param eps added to the variance under the square root, positive ({@link #DEFAULT_EPS})
   * @return out of the shape of x, and the cache
   * @throws IllegalArgumentException on a 0-d or empty-feature x, wrong shapes or dtypes, or eps
   *     that is not positive
   */
  public static Forward<Cache> layernormForward(Tensor x, Tensor gamma, Tensor beta, double eps) {
    String op = "layernorm";
    if (x.ndim() < 1 || x.shape(-1) < 1) {
      throw new IllegalArgumentException(
          op + ": expected x (N, D) with D >= 1, got " + x.shapeString());
    }
    NormArgs.checkInput(op, x, x.ndim(), "(N, D)");
    int d = x.shape(-1);
    NormArgs.checkAffine(op, x, gamma, beta, d, "D");
    NormArgs.checkEps(op, eps);
    Tensor xc = x.contiguous();
    Tensor g = gamma.contiguous();
    Tensor b = beta.contiguous();
    int rows = x.size() / d;
    int off = xc.offset();
    boolean f32 = x.dtype() == DType.FLOAT32;

    // Row statistics: shifted sums with the row's first value as shift (see NormPlanes.sSums).
    double[] shift = new double[rows];
    double[] s1 = new double[rows];
    double[] s2 = new double[rows];
    if (f32) {
      float[] xs = xc.floatStorage();
      for (int r = 0; r < rows; r++) {
        shift[r] = xs[off + r * d];
      }
      NormPlanes.sSums(s1, s2, xs, off, d, shift, 0, rows);
    } else {
      double[] xs = xc.doubleStorage();
      for (int r = 0; r < rows; r++) {
        shift[r] = xs[off + r * d];
      }
      NormPlanes.dSums(s1, s2, xs, off, d, shift, 0, rows);
    }
    double[] mean = new double[rows];
    double[] invStd = new double[rows];
    for (int r = 0; r < rows; r++) {
      double d1 = s1[r] / d;
      mean[r] = shift[r] + d1;
      invStd[r] = 1 / Math.sqrt(Math.max(0, s2[r] / d - d1 * d1) + eps);
    }

    Tensor out = Tensor.zerosLike(xc);
    if (f32) {
      NormRows.sAffine(
          out.floatStorage(),
          0,
          xc.floatStorage(),
          off,
          d,
          mean,
          invStd,
          g.floatStorage(),
          g.offset(),
          b.floatStorage(),
          b.offset(),
          0,
          rows);
    } else {
      NormRows.dAffine(
          out.doubleStorage(),
          0,
          xc.doubleStorage(),
          off,
          d,
          mean,
          invStd,
          g.doubleStorage(),
          g.offset(),
          b.doubleStorage(),
          b.offset(),
          0,
          rows);
    }
    return new Forward<>(out, new Cache(xc, g, Tensor.of(mean, rows), Tensor.of(invStd, rows)));
  }

  /**
   * Backward pass. Per row, with xhat = (x - mean) * invStd and dxhat = gamma * dout,
   *
   * <pre>
   *   dx = invStd / D * (D * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat))
   * </pre>
   *
   * (sums over the row's D features): BatchNorm's closed form transposed, with gamma inside the
   * sums because it varies along the normalised axis. dgamma = sum over rows of dout * xhat, dbeta
   * = sum over rows of dout.
   *
   * @param dout upstream gradient, the shape of x
   * @param cache from {@link #layernormForward}
   * @return dx (shape of x), dgamma (D,), dbeta (D,)
   */
  public static Grads layernormBackward(Tensor dout, Cache cache) {
    Tensor x = cache.x();
    NormArgs.checkDout("layernorm", dout, x);
    Tensor dy = dout.contiguous();
    Tensor g = cache.gamma();
    int d = x.shape(-1);
    int rows = x.size() / d;
    double[] mean = cache.mean().toDoubleArray();
    double[] invStd = cache.invStd().toDoubleArray();
    double[] sg = new double[rows];
    double[] sgx = new double[rows];
    double[] dgamma = new double[d];
    double[] dbeta = new double[d];
    boolean f32 = x.dtype() == DType.FLOAT32;
    if (f32) {
      float[] dys = dy.floatStorage();
      float[] xs = x.floatStorage();
      NormRows.sGradSums(
          sg,
          sgx,
          dys,
          dy.offset(),
          xs,
          x.offset(),
          d,
          mean,
          g.floatStorage(),
          g.offset(),
          0,
          rows);
      NormRows.sParamGrads(
          dgamma, dbeta, dys, dy.offset(), xs, x.offset(), rows, d, mean, invStd, 0, d);
    } else {
      double[] dys = dy.doubleStorage();
      double[] xs = x.doubleStorage();
      NormRows.dGradSums(
          sg,
          sgx,
          dys,
          dy.offset(),
          xs,
          x.offset(),
          d,
          mean,
          g.doubleStorage(),
          g.offset(),
          0,
          rows);
      NormRows.dParamGrads(
          dgamma, dbeta, dys, dy.offset(), xs, x.offset(), rows, d, mean, invStd, 0, d);
    }
    // dx = a * gamma * dy + b * (x - mean) + c per row.
    double[] a = invStd;
    double[] b = new double[rows];
    double[] c = new double[rows];
    for (int r = 0; r < rows; r++) {
      double s = invStd[r];
      b[r] = -s * s * s * sgx[r] / d;
      c[r] = -s * sg[r] / d;
    }
    Tensor dx = Tensor.zerosLike(x);
    if (f32) {
      NormRows.sLinear(
          dx.floatStorage(),
          0,
          dy.floatStorage(),
          dy.offset(),
          x.floatStorage(),
          x.offset(),
          d,
          g.floatStorage(),
          g.offset(),
          a,
          mean,
          b,
          c,
          0,
          rows);
    } else {
      NormRows.dLinear(
          dx.doubleStorage(),
          0,
          dy.doubleStorage(),
          dy.offset(),
          x.doubleStorage(),
          x.offset(),
          d,
          g.doubleStorage(),
          g.offset(),
          a,
          mean,
          b,
          c,
          0,
          rows);
    }
    return new Grads(dx, Tensor.of(dgamma, d).to(g.dtype()), Tensor.of(dbeta, d).to(g.dtype()));
  }
}
