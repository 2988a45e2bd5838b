package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.nn.functional.BatchNormParam.Mode;
import org.handgrad.tensor.Tensor;

/**
 * Spatial batch normalization (CS231n assignment 2; PyTorch's BatchNorm2d): each channel of an (N,
 * C, H, W) input is normalised with the mean and biased variance over (N, H, W), then scaled and
 * shifted per channel. Same {@link BatchNormParam} semantics as {@link BatchNorm}, with the running
 * statistics of shape (C,).
 *
 * <p>CS231n implements it by transposing to (N*H*W, C) and calling the (N, D) layer; here the
 * kernels read NCHW storage in place, one (n, c) plane of H*W contiguous values at a time, so no
 * transposed copy is made in either direction.
 *
 * <p>Dimension letters: N batch, C channels, H height, W width. Statistics accumulate in double for
 * float32 inputs.
 */
public final class SpatialBatchNorm {
  private SpatialBatchNorm() {}

  /**
   * What the backward pass reads.
   *
   * @param x input, shape (N, C, H, W), contiguous; kept by reference
   * @param gamma scale, shape (C,)
   * @param mean mean the forward normalised with, shape (C,), float64
   * @param invStd {@code 1 / sqrt(var + eps)} the forward used, shape (C,), float64
   * @param mode TRAIN (statistics depend on x) or TEST (constants)
   */
  public record Cache(Tensor x, Tensor gamma, Tensor mean, Tensor invStd, Mode mode) {
    /** Validates presence. */
    public Cache {
      Objects.requireNonNull(x, "x");
      Objects.requireNonNull(gamma, "gamma");
      Objects.requireNonNull(mean, "mean");
      Objects.requireNonNull(invStd, "invStd");
      Objects.requireNonNull(mode, "mode");
    }
  }

  /**
   * Gradients of a spatial batch normalization.
   *
   * @param dx gradient of the input, shape (N, C, H, W)
   * @param dgamma gradient of the scale, shape (C,)
   * @param dbeta gradient of the shift, shape (C,)
   */
  public record Grads(Tensor dx, Tensor dgamma, Tensor dbeta) {}

  /**
   * Forward pass; in TRAIN mode updates the running statistics of {@code bnParam} in place.
   *
   * @param x input, shape (N, C, H, W), float32 or float64
   * @param gamma scale, shape (C,), dtype of x
   * @param beta shift, shape (C,), dtype of x
   * @param bnParam mode, eps, momentum and running statistics of shape (C,)
   * @return out of shape (N, C, H, W) and the cache
   * @throws IllegalArgumentException on wrong ranks, shapes or dtypes, or a single value per
   *     channel in TRAIN mode
   * @throws IllegalStateException in TEST mode before any statistics exist
   */
  public static Forward<Cache> spatialBatchnormForward(
      Tensor x, Tensor gamma, Tensor beta, BatchNormParam bnParam) {
    String op = "spatial_batchnorm";
    NormArgs.checkInput(op, x, 4, "(N, C, H, W)");
    int n = x.shape(0);
    int c = x.shape(1);
    int hw = x.shape(2) * x.shape(3);
    NormArgs.checkAffine(op, x, gamma, beta, c, "C");
    NormArgs.checkParam(op, x, bnParam, c, "C");
    Tensor xc = x.contiguous();
    ChannelNorm.Result r = ChannelNorm.forward(op, xc, n, c, hw, gamma, beta, bnParam);
    return new Forward<>(r.out(), new Cache(xc, gamma, r.mean(), r.invStd(), bnParam.mode()));
  }

  /**
   * Backward pass, the closed form of {@link BatchNorm#batchnormBackwardAlt} with the sums taken
   * over (N, H, W): with M = N*H*W and xhat = (x - mean) * invStd,
   *
   * <pre>
   *   dx = gamma * invStd / M * (M * dout - sum(dout) - xhat * sum(dout * xhat))
   * </pre>
   *
   * @param dout upstream gradient, shape (N, C, H, W)
   * @param cache from {@link #spatialBatchnormForward}
   * @return dx (N, C, H, W), dgamma (C,), dbeta (C,)
   */
  public static Grads spatialBatchnormBackward(Tensor dout, Cache cache) {
    NormArgs.checkDout("spatial_batchnorm", dout, cache.x());
    Tensor x = cache.x();
    ChannelNorm.Grads g =
        ChannelNorm.backward(
            dout,
            x,
            cache.gamma(),
            cache.mean().toDoubleArray(),
            cache.invStd().toDoubleArray(),
            cache.mode(),
            x.shape(0),
            x.shape(1),
            x.shape(2) * x.shape(3));
    return new Grads(g.dx(), g.dgamma(), g.dbeta());
  }
}
