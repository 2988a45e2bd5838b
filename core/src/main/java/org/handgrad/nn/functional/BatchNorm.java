package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.nn.functional.BatchNormParam.Mode;
import org.handgrad.tensor.Tensor;

/**
 * Batch normalization of an (N, D) input (Ioffe and Szegedy 2015; CS231n assignment 2): each
 * feature is normalised with the mean and variance over the batch, then scaled and shifted, {@code
 * out = gamma * (x - mean) / sqrt(var + eps) + beta}. TRAIN mode uses the batch statistics (biased
 * variance) and updates the running ones in {@link BatchNormParam}; TEST mode uses the running
 * statistics. Conventions versus PyTorch: docs/conventions.md, "Normalization".
 *
 * <p>Two backward passes, as in the CS231n notebook: {@link #batchnormBackward} walks the staged
 * computation graph node by node (the reference), {@link #batchnormBackwardAlt} uses the simplified
 * closed form (the fast one). They agree to ~2e-16 (max|a-b|/max|b|) at float64.
 *
 * <p>Dimension letters: N batch, D features. Statistics accumulate in double for float32 inputs.
 */
public final class BatchNorm {
  private BatchNorm() {}

  /**
   * What the backward passes read.
   *
   * @param x input, shape (N, D), contiguous; kept by reference, so do not modify it before the
   *     backward pass
   * @param gamma scale, shape (D,)
   * @param mean mean the forward normalised with (batch or running), shape (D,), float64
   * @param var biased variance the forward normalised with, shape (D,), float64
   * @param invStd {@code 1 / sqrt(var + eps)}, shape (D,), float64
   * @param eps the epsilon used
   * @param mode TRAIN (statistics depend on x) or TEST (statistics are constants)
   */
  public record Cache(
      Tensor x, Tensor gamma, Tensor mean, Tensor var, Tensor invStd, double eps, Mode mode) {
    /** Validates presence. */
    public Cache {
      Objects.requireNonNull(x, "x");
      Objects.requireNonNull(gamma, "gamma");
      Objects.requireNonNull(mean, "mean");
      Objects.requireNonNull(var, "var");
      Objects.requireNonNull(invStd, "invStd");
      Objects.requireNonNull(mode, "mode");
    }
  }

  /**
   * Gradients of a batch normalization.
   *
   * @param dx gradient of the input, shape (N, D)
   * @param dgamma gradient of the scale, shape (D,)
   * @param dbeta gradient of the shift, shape (D,)
   */
  public record Grads(Tensor dx, Tensor dgamma, Tensor dbeta) {}

  /**
   * Forward pass. In TRAIN mode the running mean and variance of {@code bnParam} are updated in
   * place: {@code running = momentum * running + (1 - momentum) * batch}.
   *
   * @param x input, shape (N, D), float32 or float64
   * @param gamma scale, shape (D,), dtype of x
   * @param beta shift, shape (D,), dtype of x
   * @param bnParam mode, eps, momentum and running statistics of shape (D,)
   * @return out of shape (N, D) and the cache
   * @throws IllegalArgumentException on wrong ranks, shapes or dtypes, or N = 1 in TRAIN mode
   * @throws IllegalStateException in TEST mode before any statistics exist
   */
  public static Forward<Cache> batchnormForward(
      Tensor x, Tensor gamma, Tensor beta, BatchNormParam bnParam) {
    String op = "batchnorm";
    NormArgs.checkInput(op, x, 2, "(N, D)");
    int n = x.shape(0);
    int d = x.shape(1);
    NormArgs.checkAffine(op, x, gamma, beta, d, "D");
    NormArgs.checkParam(op, x, bnParam, d, "D");
    Tensor xc = x.contiguous();
    ChannelNorm.Result r = ChannelNorm.forward(op, xc, n, d, 1, gamma, beta, bnParam);
    return new Forward<>(
        r.out(),
        new Cache(xc, gamma, r.mean(), r.var(), r.invStd(), bnParam.eps(), bnParam.mode()));
  }

  /**
   * Backward pass through the staged computation graph of the CS231n notebook, one node at a time
   * in reverse order of the forward, in float64. It is the reference the closed form is tested
   * against, written for reading rather than speed:
   *
   * <pre>
   *   mu = mean(x)   xmu = x - mu   sq = xmu^2   var = mean(sq)   sqrtvar = sqrt(var + eps)
   *   ivar = 1 / sqrtvar   xhat = xmu * ivar   gammax = gamma * xhat   out = gammax + beta
   * </pre>
   *
   * @param dout upstream gradient, shape (N, D)
   * @param cache from {@link #batchnormForward}
   * @return dx (N, D), dgamma (D,), dbeta (D,)
   */
  public static Grads batchnormBackward(Tensor dout, Cache cache) {
    NormArgs.checkDout("batchnorm", dout, cache.x());
    int n = cache.x().shape(0);
    int d = cache.x().shape(1);
    double[] x = cache.x().toDoubleArray();
    double[] dy = dout.toDoubleArray();
    double[] gamma = cache.gamma().toDoubleArray();
    double[] mu = cache.mean().toDoubleArray();
    double[] var = cache.var().toDoubleArray();

    // Recompute the forward's intermediate nodes from the cached statistics.
    double[] xmu = new double[n * d];
    double[] sqrtvar = new double[d];
    double[] ivar = new double[d];
    double[] xhat = new double[n * d];
    for (int j = 0; j < d; j++) {
      sqrtvar[j] = Math.sqrt(var[j] + cache.eps());
      ivar[j] = 1 / sqrtvar[j];
    }
    for (int i = 0; i < n * d; i++) {
      xmu[i] = x[i] - mu[i % d];
      xhat[i] = xmu[i] * ivar[i % d];
    }

    // out = gammax + beta: beta is broadcast over the batch, so its gradient sums over it.
    double[] dbeta = sumRows(dy, n, d);
    double[] dgammax = dy;
    // gammax = gamma * xhat
    double[] dgamma = new double[d];
    double[] dxhat = new double[n * d];
    for (int i = 0; i < n * d; i++) {
      dgamma[i % d] += dgammax[i] * xhat[i];
      dxhat[i] = dgammax[i] * gamma[i % d];
    }
    double[] dx = new double[n * d];
    if (cache.mode() == Mode.TEST) {
      // mu and var are the running statistics, constants: only xhat = (x - mu) * ivar remains.
      for (int i = 0; i < n * d; i++) {
        dx[i] = dxhat[i] * ivar[i % d];
      }
      return grads(dx, dgamma, dbeta, cache, n, d);
    }
    // xhat = xmu * ivar: two inputs.
    double[] divar = new double[d];
    double[] dxmu1 = new double[n * d];
    for (int i = 0; i < n * d; i++) {
      divar[i % d] += dxhat[i] * xmu[i];
      dxmu1[i] = dxhat[i] * ivar[i % d];
    }
    // ivar = 1 / sqrtvar
    double[] dsqrtvar = new double[d];
    // sqrtvar = sqrt(var + eps)
    double[] dvar = new double[d];
    for (int j = 0; j < d; j++) {
      dsqrtvar[j] = -divar[j] / (sqrtvar[j] * sqrtvar[j]);
      dvar[j] = 0.5 / sqrtvar[j] * dsqrtvar[j];
    }
    // var = mean(sq) over the batch: every row gets dvar / N.
    double[] dsq = new double[n * d];
    // sq = xmu^2
    double[] dxmu2 = new double[n * d];
    for (int i = 0; i < n * d; i++) {
      dsq[i] = dvar[i % d] / n;
      dxmu2[i] = 2 * xmu[i] * dsq[i];
    }
    // xmu = x - mu: x reaches xmu directly (dx1) and through mu (dmu).
    double[] dx1 = new double[n * d];
    double[] dmu = new double[d];
    for (int i = 0; i < n * d; i++) {
      dx1[i] = dxmu1[i] + dxmu2[i];
      dmu[i % d] -= dx1[i];
    }
    // mu = mean(x) over the batch: every row gets dmu / N.
    for (int i = 0; i < n * d; i++) {
      dx[i] = dx1[i] + dmu[i % d] / n;
    }
    return grads(dx, dgamma, dbeta, cache, n, d);
  }

  /**
   * Backward pass in closed form. Summing the graph's paths through mu and var gives, with xhat =
   * (x - mu) * ivar,
   *
   * <pre>
   *   dx = gamma * ivar / N * (N * dout - sum(dout) - xhat * sum(dout * xhat))
   * </pre>
   *
   * (each sum over the batch), so one pass computes the two sums and one pass writes dx. In TEST
   * mode {@code dx = gamma * ivar * dout}.
   *
   * @param dout upstream gradient, shape (N, D)
   * @param cache from {@link #batchnormForward}
   * @return dx (N, D), dgamma (D,), dbeta (D,)
   */
  public static Grads batchnormBackwardAlt(Tensor dout, Cache cache) {
    NormArgs.checkDout("batchnorm", dout, cache.x());
    int n = cache.x().shape(0);
    int d = cache.x().shape(1);
    ChannelNorm.Grads g =
        ChannelNorm.backward(
            dout,
            cache.x(),
            cache.gamma(),
            cache.mean().toDoubleArray(),
            cache.invStd().toDoubleArray(),
            cache.mode(),
            n,
            d,
            1);
    return new Grads(g.dx(), g.dgamma(), g.dbeta());
  }

  private static double[] sumRows(double[] a, int n, int d) {
    double[] s = new double[d];
    for (int i = 0; i < n * d; i++) {
      s[i % d] += a[i];
    }
    return s;
  }

  private static Grads grads(
      double[] dx, double[] dgamma, double[] dbeta, Cache cache, int n, int d) {
    return new Grads(
        Tensor.of(dx, n, d).to(cache.x().dtype()),
        Tensor.of(dgamma, d).to(cache.gamma().dtype()),
        Tensor.of(dbeta, d).to(cache.gamma().dtype()));
  }
}
