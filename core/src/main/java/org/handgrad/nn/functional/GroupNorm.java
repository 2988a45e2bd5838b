package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.kernels.NormPlanes;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Spatial group normalization (Wu and He 2018; CS231n assignment 2): the C channels of each sample
 * are split into G groups of K = C/G consecutive channels, and each (sample, group) is normalised
 * over its K*H*W values with its own mean and biased variance; then each channel is scaled and
 * shifted. Train and test behave the same. Matches PyTorch's {@code F.group_norm(x, G, gamma, beta,
 * eps)}.
 *
 * <p>gamma and beta have shape (C,) as in PyTorch's nn.GroupNorm; the CS231n notebook uses (1, C,
 * 1, 1): reshape those to (C,) (docs/conventions.md). An (n, g) group is K contiguous planes of H*W
 * values in NCHW storage, so the kernels read x in place, one plane at a time.
 *
 * <p>Dimension letters: N batch, C channels, H height, W width, G groups, K = C/G channels per
 * group, M = K*H*W values per group. Statistics accumulate in double for float32 inputs.
 */
public final class GroupNorm {
  private GroupNorm() {}

  /** The CS231n and PyTorch default epsilon. */
  public static final double DEFAULT_EPS = 1e-5;

  /**
   * What the backward pass reads.
   *
   * @param x input, shape (N, C, H, W), contiguous; kept by reference
   * @param gamma scale, shape (C,)
   * @param mean mean of every (sample, group), shape (N, G), float64
   * @param invStd {@code 1 / sqrt(var + eps)} of every (sample, group), shape (N, G), float64
   */
  public record Cache(Tensor x, Tensor gamma, Tensor mean, Tensor invStd) {
    /** Validates presence. */
    public Cache {
      Objects.requireNonNull(x, "x");
      Objects.requireNonNull(gamma, "gamma");
      Objects.requireNonNull(mean, "mean");
      Objects.requireNonNull(invStd, "invStd");
    }

    /** Number of groups G. */
    public int groups() {
      return mean.shape(1);
    }
  }

  /**
   * Gradients of a group normalization.
   *
   * @param dx gradient of the input, shape (N, C, H, W)
   * @param dgamma gradient of the scale, shape (C,)
   * @param dbeta gradient of the shift, shape (C,)
   */
  public record Grads(Tensor dx, Tensor dgamma, Tensor dbeta) {}

  /**
   * Forward pass with CS231n's {@code gn_param}: only {@code eps} is read (group normalization has
   * no running statistics and no train/test difference).
   *
   * @param x input, shape (N, C, H, W), float32 or float64
   * @param gamma per-channel scale, shape (C,), dtype of x
   * @param beta per-channel shift, shape (C,), dtype of x
   * @param groups number of groups G; must divide C
   * @param gnParam settings; its eps is used
   * @return out of shape (N, C, H, W) and the cache
   * @throws IllegalArgumentException as {@link #spatialGroupnormForward(Tensor, Tensor, Tensor,
   *     int, double)}
   */
  public static Forward<Cache> spatialGroupnormForward(
      Tensor x, Tensor gamma, Tensor beta, int groups, NormParam gnParam) {
    Objects.requireNonNull(gnParam, "gnParam");
    return spatialGroupnormForward(x, gamma, beta, groups, gnParam.eps());
  }

  /**
   * Forward pass.
   *
   * @param x input, shape (N, C, H, W), float32 or float64
   * @param gamma per-channel scale, shape (C,), dtype of x
   * @param beta per-channel shift, shape (C,), dtype of x
   * @param groups number of groups G; must divide C
   * @param eps added to the variance under the square root, positive ({@link #DEFAULT_EPS})
   * @return out of shape (N, C, H, W) and the cache
   * @throws IllegalArgumentException on wrong ranks, shapes or dtypes, G not dividing C, or eps
   *     that is not positive
   */
  public static Forward<Cache> spatialGroupnormForward(
      Tensor x, Tensor gamma, Tensor beta, int groups, double eps) {
    String op = "groupnorm";
    NormArgs.checkInput(op, x, 4, "(N, C, H, W)");
    int n = x.shape(0);
    int c = x.shape(1);
    int hw = x.shape(2) * x.shape(3);
    if (groups < 1 || c % groups != 0) {
      throw new IllegalArgumentException(
          op
              + ": C="
              + c
              + " channels of x "
              + x.shapeString()
              + " cannot be split into G="
              + groups
              + " equal groups (G must divide C)");
    }
    NormArgs.checkAffine(op, x, gamma, beta, c, "C");
    NormArgs.checkEps(op, eps);
    Tensor xc = x.contiguous();
    int k = c / groups;
    int rows = n * groups; // one row per (sample, group): K contiguous planes
    int m = k * hw;
    int planes = n * c;
    boolean f32 = x.dtype() == DType.FLOAT32;

    // Shifted sums per plane, all planes of a group sharing the group's first value as shift.
    double[] shift = new double[planes];
    for (int p = 0; p < planes; p++) {
      shift[p] = m == 0 ? 0 : xc.getFlat((p / k) * m);
    }
    double[] s1 = new double[planes];
    double[] s2 = new double[planes];
    int xo = xc.offset();
    if (f32) {
      float[] xs = xc.floatStorage();
      ChannelNorm.forPlanes(
          planes, hw, (lo, hi) -> NormPlanes.sSums(s1, s2, xs, xo, hw, shift, lo, hi));
    } else {
      double[] xs = xc.doubleStorage();
      ChannelNorm.forPlanes(
          planes, hw, (lo, hi) -> NormPlanes.dSums(s1, s2, xs, xo, hw, shift, lo, hi));
    }
    double[] mean = new double[rows];
    double[] invStd = new double[rows];
    for (int r = 0; r < rows; r++) {
      double a = 0;
      double q = 0;
      for (int p = r * k; p < (r + 1) * k; p++) {
        a += s1[p];
        q += s2[p];
      }
      double d1 = m == 0 ? 0 : a / m;
      mean[r] = shift[r * k] + d1;
      invStd[r] = 1 / Math.sqrt(Math.max(0, m == 0 ? 0 : q / m - d1 * d1) + eps);
    }

    // Plane p = n*C + c belongs to row p / K and channel p % C.
    double[] g = gamma.toDoubleArray();
    double[] bt = beta.toDoubleArray();
    double[] mu = new double[planes];
    double[] scale = new double[planes];
    double[] bias = new double[planes];
    for (int p = 0; p < planes; p++) {
      mu[p] = mean[p / k];
      scale[p] = invStd[p / k] * g[p % c];
      bias[p] = bt[p % c];
    }
    Tensor out = Tensor.zerosLike(xc);
    if (f32) {
      float[] os = out.floatStorage(), xs = xc.floatStorage();
      ChannelNorm.forPlanes(
          planes, hw, (lo, hi) -> NormPlanes.sAffine(os, 0, xs, xo, hw, mu, scale, bias, lo, hi));
    } else {
      double[] os = out.doubleStorage(), xs = xc.doubleStorage();
      ChannelNorm.forPlanes(
          planes, hw, (lo, hi) -> NormPlanes.dAffine(os, 0, xs, xo, hw, mu, scale, bias, lo, hi));
    }
    return new Forward<>(
        out, new Cache(xc, gamma, Tensor.of(mean, n, groups), Tensor.of(invStd, n, groups)));
  }

  /**
   * Backward pass. Per (sample, group), with xhat = (x - mean) * invStd and dxhat = gamma * dout,
   *
   * <pre>
   *   dx = invStd / M * (M * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat))
   * </pre>
   *
   * (sums over the group's M values: LayerNorm's closed form on each group). The kernels compute,
   * per (n, c) plane, sum(dout) and sum(dout * (x - mean)); the group sums (weighted by gamma) and
   * dgamma = sum over (N, H, W) of dout * xhat, dbeta = sum of dout follow from those.
   *
   * @param dout upstream gradient, shape (N, C, H, W)
   * @param cache from {@link #spatialGroupnormForward}
   * @return dx (N, C, H, W), dgamma (C,), dbeta (C,)
   */
  public static Grads spatialGroupnormBackward(Tensor dout, Cache cache) {
    Tensor x = cache.x();
    NormArgs.checkDout("groupnorm", dout, x);
    Tensor dy = dout.contiguous();
    int n = x.shape(0);
    int c = x.shape(1);
    int hw = x.shape(2) * x.shape(3);
    int groups = cache.groups();
    int k = c / groups;
    int rows = n * groups;
    int planes = n * c;
    double m = (double) k * hw;
    double[] mean = cache.mean().toDoubleArray();
    double[] invStd = cache.invStd().toDoubleArray();
    double[] g = cache.gamma().toDoubleArray();
    boolean f32 = x.dtype() == DType.FLOAT32;

    double[] mu = new double[planes];
    for (int p = 0; p < planes; p++) {
      mu[p] = mean[p / k];
    }
    double[] sdy = new double[planes];
    double[] sdyx = new double[planes];
    int dyo = dy.offset(), xo = x.offset();
    if (f32) {
      float[] dys = dy.floatStorage(), xs = x.floatStorage();
      ChannelNorm.forPlanes(
          planes,
          hw,
          (lo, hi) -> NormPlanes.sGradSums(sdy, sdyx, dys, dyo, xs, xo, hw, mu, lo, hi));
    } else {
      double[] dys = dy.doubleStorage(), xs = x.doubleStorage();
      ChannelNorm.forPlanes(
          planes,
          hw,
          (lo, hi) -> NormPlanes.dGradSums(sdy, sdyx, dys, dyo, xs, xo, hw, mu, lo, hi));
    }

    double[] dgamma = new double[c];
    double[] dbeta = new double[c];
    double[] sg = new double[rows]; // sum(dxhat) per group
    double[] sgx = new double[rows]; // sum(dxhat * (x - mean)) per group
    for (int p = 0; p < planes; p++) {
      int r = p / k;
      int ch = p % c;
      dgamma[ch] += sdyx[p] * invStd[r];
      dbeta[ch] += sdy[p];
      sg[r] += g[ch] * sdy[p];
      sgx[r] += g[ch] * sdyx[p];
    }
    // dx = a * dy + b * (x - mean) + c per plane.
    double[] a = new double[planes];
    double[] b = new double[planes];
    double[] cc = new double[planes];
    for (int p = 0; p < planes; p++) {
      int r = p / k;
      double s = invStd[r];
      a[p] = s * g[p % c];
      b[p] = -s * s * s * sgx[r] / m;
      cc[p] = -s * sg[r] / m;
    }
    Tensor dx = Tensor.zerosLike(x);
    if (f32) {
      float[] dxs = dx.floatStorage(), dys = dy.floatStorage(), xs = x.floatStorage();
      ChannelNorm.forPlanes(
          planes,
          hw,
          (lo, hi) -> NormPlanes.sLinear(dxs, 0, dys, dyo, xs, xo, hw, a, mu, b, cc, lo, hi));
    } else {
      double[] dxs = dx.doubleStorage(), dys = dy.doubleStorage(), xs = x.doubleStorage();
      ChannelNorm.forPlanes(
          planes,
          hw,
          (lo, hi) -> NormPlanes.dLinear(dxs, 0, dys, dyo, xs, xo, hw, a, mu, b, cc, lo, hi));
    }
    return new Grads(
        dx,
        Tensor.of(dgamma, c).to(cache.gamma().dtype()),
        Tensor.of(dbeta, c).to(cache.gamma().dtype()));
  }
}
