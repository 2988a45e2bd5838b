package org.handgrad.nn.functional;

import org.handgrad.kernels.Parallel;
import org.handgrad.kernels.Upsample2d;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Fixed (parameter-free) upsampling of an (N, C, H, W) tensor by an integer factor s to (N, C, H*s,
 * W*s), as in U-Net decoders: nearest neighbour, and bilinear with PyTorch's default {@code
 * align_corners=False} (half-pixel centres: output pixel o samples input coordinate {@code (o +
 * 0.5) / s - 0.5}, clamped at the borders). These match {@code F.interpolate(x, scale_factor=s,
 * mode="nearest")} and {@code F.interpolate(x, scale_factor=s, mode="bilinear",
 * align_corners=False)}.
 *
 * <p>Both are linear maps, so each backward is the transposed map: every output's gradient goes
 * back to the input pixels it was read from, with the same weights.
 */
public final class Upsample {
  private Upsample() {}

  /**
   * What the backward pass reads.
   *
   * @param x input, shape (N, C, H, W)
   * @param scale the integer upsampling factor s >= 1
   */
  public record Cache(Tensor x, int scale) {}

  /**
   * Gradient with respect to the input.
   *
   * @param dx shape (N, C, H, W)
   */
  public record Grads(Tensor dx) {}

  /**
   * Nearest-neighbour upsampling: {@code out[n, c, i, j] = x[n, c, i / s, j / s]}.
   *
   * @param x input, shape (N, C, H, W)
   * @param scale integer factor s >= 1
   * @return out of shape (N, C, H*s, W*s) and the cache
   */
  public static Forward<Cache> upsampleNearestForward(Tensor x, int scale) {
    validate("upsample_nearest2d", x, scale);
    Tensor xc = x.contiguous();
    Tensor out = outFor(xc, scale);
    int planes = x.shape(0) * x.shape(1), H = x.shape(2), W = x.shape(3);
    if (x.dtype() == DType.FLOAT32) {
      forPlanes(
          planes,
          H,
          W,
          scale,
          (n, small, big) ->
              Upsample2d.nearest(
                  out.floatStorage(), big, xc.floatStorage(), xc.offset() + small, n, H, W, scale));
    } else {
      forPlanes(
          planes,
          H,
          W,
          scale,
          (n, small, big) ->
              Upsample2d.nearest(
                  out.doubleStorage(),
                  big,
                  xc.doubleStorage(),
                  xc.offset() + small,
                  n,
                  H,
                  W,
                  scale));
    }
    return new Forward<>(out, new Cache(xc, scale));
  }

  /**
   * Backward pass of nearest upsampling: {@code dx[n, c, h, w]} is the sum of dout over the s x s
   * block that copied x[n, c, h, w].
   *
   * @param dout upstream gradient, shape (N, C, H*s, W*s)
   * @param cache from {@link #upsampleNearestForward}
   * @return dx, shape (N, C, H, W)
   */
  public static Grads upsampleNearestBackward(Tensor dout, Cache cache) {
    Tensor g = checkDout("upsample_nearest2d backward", dout, cache);
    Tensor x = cache.x();
    Tensor dx = Tensor.zerosLike(x);
    int planes = x.shape(0) * x.shape(1), H = x.shape(2), W = x.shape(3), s = cache.scale();
    if (x.dtype() == DType.FLOAT32) {
      forPlanes(
          planes,
          H,
          W,
          s,
          (n, small, big) ->
              Upsample2d.nearestBackward(
                  dx.floatStorage(), small, g.floatStorage(), g.offset() + big, n, H, W, s));
    } else {
      forPlanes(
          planes,
          H,
          W,
          s,
          (n, small, big) ->
              Upsample2d.nearestBackward(
                  dx.doubleStorage(), small, g.doubleStorage(), g.offset() + big, n, H, W, s));
    }
    return new Grads(dx);
  }

  /**
   * Bilinear upsampling, align_corners=False: each output is the bilinear blend of the 2 x 2 input
   * pixels around its source coordinate.
   *
   * @param x input, shape (N, C, H, W)
   * @param scale integer factor s >= 1
   * @return out of shape (N, C, H*s, W*s) and the cache
   */
  public static Forward<Cache> upsampleBilinearForward(Tensor x, int scale) {
    validate("upsample_bilinear2d", x, scale);
    Tensor xc = x.contiguous();
    Tensor out = outFor(xc, scale);
    int planes = x.shape(0) * x.shape(1), H = x.shape(2), W = x.shape(3);
    if (x.dtype() == DType.FLOAT32) {
      forPlanes(
          planes,
          H,
          W,
          scale,
          (n, small, big) ->
              Upsample2d.bilinear(
                  out.floatStorage(), big, xc.floatStorage(), xc.offset() + small, n, H, W, scale));
    } else {
      forPlanes(
          planes,
          H,
          W,
          scale,
          (n, small, big) ->
              Upsample2d.bilinear(
                  out.doubleStorage(),
                  big,
                  xc.doubleStorage(),
                  xc.offset() + small,
                  n,
                  H,
                  W,
                  scale));
    }
    return new Forward<>(out, new Cache(xc, scale));
  }

  /**
   * Backward pass of bilinear upsampling: each dout entry is spread over its four source pixels
   * with the forward's bilinear weights.
   *
   * @param dout upstream gradient, shape (N, C, H*s, W*s)
   * @param cache from {@link #upsampleBilinearForward}
   * @return dx, shape (N, C, H, W)
   */
  public static Grads upsampleBilinearBackward(Tensor dout, Cache cache) {
    Tensor g = checkDout("upsample_bilinear2d backward", dout, cache);
    Tensor x = cache.x();
    Tensor dx = Tensor.zerosLike(x);
    int planes = x.shape(0) * x.shape(1), H = x.shape(2), W = x.shape(3), s = cache.scale();
    if (x.dtype() == DType.FLOAT32) {
      forPlanes(
          planes,
          H,
          W,
          s,
          (n, small, big) ->
              Upsample2d.bilinearBackward(
                  dx.floatStorage(), small, g.floatStorage(), g.offset() + big, n, H, W, s));
    } else {
      forPlanes(
          planes,
          H,
          W,
          s,
          (n, small, big) ->
              Upsample2d.bilinearBackward(
                  dx.doubleStorage(), small, g.doubleStorage(), g.offset() + big, n, H, W, s));
    }
    return new Grads(dx);
  }

  /**
   * One of {@link Upsample2d}'s kernels on n planes, from element {@code small} of the (H, W)
   * planes and element {@code big} of the (H*s, W*s) ones.
   */
  private interface PlaneKernel {
    void run(int n, int small, int big);
  }

  /**
   * Runs a kernel over the planes in parallel chunks: planes are independent and each is computed
   * whole by one thread, so the result does not depend on the thread count.
   */
  private static void forPlanes(int planes, int H, int W, int s, PlaneKernel kernel) {
    int small = H * W, big = small * s * s;
    Parallel.forRange(
        planes,
        Math.max(1, (planes + 7) / 8),
        (long) planes * big,
        (p0, p1) -> kernel.run(p1 - p0, p0 * small, p0 * big));
  }

  private static void validate(String op, Tensor x, int scale) {
    ConvArgs.requireRank(op, "x", x, 4, "(N, C, H, W)");
    if (scale < 1) {
      throw new IllegalArgumentException(op + ": scale must be >= 1, got " + scale);
    }
    long outH = (long) x.shape(2) * scale, outW = (long) x.shape(3) * scale;
    if ((long) x.shape(0) * x.shape(1) * outH * outW > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          op + ": output for x " + x.shapeString() + " and scale " + scale + " is too large");
    }
  }

  private static Tensor outFor(Tensor x, int s) {
    return Tensor.zeros(x.dtype(), x.shape(0), x.shape(1), x.shape(2) * s, x.shape(3) * s);
  }

  private static Tensor checkDout(String op, Tensor dout, Cache cache) {
    Tensor x = cache.x();
    int s = cache.scale();
    ConvArgs.requireDout(
        op, dout, new int[] {x.shape(0), x.shape(1), x.shape(2) * s, x.shape(3) * s}, x.dtype());
    return dout.contiguous();
  }
}
