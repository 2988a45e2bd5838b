package org.handgrad.nn.functional;

import org.handgrad.kernels.Parallel;
import org.handgrad.kernels.Pool2d;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Max and average pooling over each channel of an (N, C, H, W) tensor (CS231n's {@code
 * max_pool_forward_naive}; PyTorch's {@code F.max_pool2d(x, (PH, PW), stride, padding)}).
 *
 * <p>Output size: {@code H' = 1 + (H + 2*pad - PH) / stride}, {@code W' = 1 + (W + 2*pad - PW) /
 * stride}; the window must fit ({@code PH <= H + 2*pad}) and, unless {@link PoolParam#floor()} asks
 * for PyTorch's rounding down, tile exactly ({@code (H + 2*pad - PH) % stride == 0}, same for W),
 * or the call fails naming the shapes. Only max pooling takes padding: padded positions are
 * -infinity, so they never win and receive no gradient.
 *
 * <p>Max pooling is not differentiable where a window has ties; like PyTorch, the gradient goes to
 * the FIRST maximum in row-major window order (NaN counts as the maximum). The naive pair works in
 * float64 by plain loops and re-finds the maximum in backward; the fast pair computes in the input
 * dtype and caches the argmax, and splits the N*C planes over the {@link Parallel} threads.
 */
public final class Pool {
  private Pool() {}

  /**
   * Cache of average pooling (both versions) and of the naive max pooling.
   *
   * @param x input, shape (N, C, H, W), contiguous
   * @param param window and stride
   */
  public record Cache(Tensor x, PoolParam param) {}

  /**
   * Cache of the fast max pooling.
   *
   * @param x input, shape (N, C, H, W), contiguous
   * @param param window and stride
   * @param argmax int32, shape (N, C, H', W'): index {@code h*W + w} of each window's maximum in
   *     its (H, W) plane
   */
  public record MaxCache(Tensor x, PoolParam param, Tensor argmax) {}

  /**
   * Gradient with respect to the input.
   *
   * @param dx shape (N, C, H, W)
   */
  public record Grads(Tensor dx) {}

  // --------------------------------------------------------------------------- max, naive

  /**
   * Max pooling by plain loops (the reference).
   *
   * @param x input, shape (N, C, H, W)
   * @param param window and stride
   * @return out of shape (N, C, H', W') and the cache
   * @throws IllegalArgumentException when x is not 4-D float or the window does not fit or tile
   */
  public static Forward<Cache> maxPoolForwardNaive(Tensor x, PoolParam param) {
    int[] d = validate("max_pool2d", x, param);
    double[] xs = x.toDoubleArray();
    double[] out = new double[d[0] * d[1] * d[4] * d[5]];
    int o = 0;
    for (int p = 0; p < d[0] * d[1]; p++) {
      for (int i = 0; i < d[4]; i++) {
        for (int j = 0; j < d[5]; j++) {
          out[o++] = xs[argmaxNaive(xs, p, i, j, d, param)];
        }
      }
    }
    return new Forward<>(
        ConvArgs.fromDoubles(out, x.dtype(), d[0], d[1], d[4], d[5]),
        new Cache(x.contiguous(), param));
  }

  /**
   * Backward pass of {@link #maxPoolForwardNaive}: {@code out = x[argmax of the window]}, so the
   * window's gradient is dout at the argmax and 0 elsewhere (summed where windows overlap).
   *
   * @param dout upstream gradient, shape (N, C, H', W')
   * @param cache from {@link #maxPoolForwardNaive}
   * @return dx, shape (N, C, H, W)
   */
  public static Grads maxPoolBackwardNaive(Tensor dout, Cache cache) {
    int[] d = validate("max_pool2d backward", cache.x(), cache.param());
    ConvArgs.requireDout(
        "max_pool2d backward", dout, new int[] {d[0], d[1], d[4], d[5]}, cache.x().dtype());
    double[] xs = cache.x().toDoubleArray();
    double[] g = dout.toDoubleArray();
    double[] dx = new double[xs.length];
    int o = 0;
    for (int p = 0; p < d[0] * d[1]; p++) {
      for (int i = 0; i < d[4]; i++) {
        for (int j = 0; j < d[5]; j++) {
          dx[argmaxNaive(xs, p, i, j, d, cache.param())] += g[o++];
        }
      }
    }
    return new Grads(ConvArgs.fromDoubles(dx, cache.x().dtype(), cache.x().shape()));
  }

  /** Flat index into xs of the first maximum (NaN wins) of window (i, j) of plane p. */
  private static int argmaxNaive(double[] xs, int p, int i, int j, int[] d, PoolParam q) {
    int H = d[2], W = d[3];
    int best = -1;
    for (int kh = 0; kh < q.poolHeight(); kh++) {
      for (int kw = 0; kw < q.poolWidth(); kw++) {
        int h = i * q.stride() - q.pad() + kh, w = j * q.stride() - q.pad() + kw;
        if (h < 0 || h >= H || w < 0 || w >= W) {
          continue; // -infinity padding never wins
        }
        int at = (p * H + h) * W + w;
        if (best < 0 || xs[at] > xs[best] || Double.isNaN(xs[at])) {
          best = at;
        }
      }
    }
    return best;
  }

  // --------------------------------------------------------------------------- max, fast

  /**
   * Max pooling on the storage arrays, caching the argmax (fast path for 2x2 stride 2).
   *
   * @param x input, shape (N, C, H, W)
   * @param param window and stride
   * @return out of shape (N, C, H', W') and the cache with the argmax
   * @throws IllegalArgumentException as {@link #maxPoolForwardNaive}
   */
  public static Forward<MaxCache> maxPoolForward(Tensor x, PoolParam param) {
    int[] d = validate("max_pool2d", x, param);
    Tensor xc = x.contiguous();
    Tensor out = Tensor.zeros(x.dtype(), d[0], d[1], d[4], d[5]);
    Tensor argmax = Tensor.zeros(DType.INT32, d[0], d[1], d[4], d[5]);
    int PH = param.poolHeight(), PW = param.poolWidth(), S = param.stride();
    int H = d[2], W = d[3], HO = d[4], WO = d[5];
    int[] am = argmax.intStorage();
    boolean f32 = x.dtype() == DType.FLOAT32;
    // Padded windows (a ResNet stem) take the clipping kernel. Without padding every window lies
    // inside the plane, also when the output size was rounded down (floor: the last rows or
    // columns are then read by no window), so those take the 2x2 vector kernel or the plain loop.
    // Sending floor-rounded windows to the clipping kernel as well made the speedrun net's 2x2
    // pools (PyTorch's nn.MaxPool2d(2)) run a scalar loop: 10.5% of its training step (JFR, Intel
    // Xeon).
    boolean clip = param.pad() > 0;
    int P = param.pad();
    Parallel.forRange(
        d[0] * d[1],
        planesPerChunk(H, W),
        (long) d[0] * d[1] * H * W,
        (p0, p1) -> {
          int o = p0 * HO * WO, xo = xc.offset() + p0 * H * W, planes = p1 - p0;
          if (clip && f32) {
            float[] xs = xc.floatStorage();
            Pool2d.maxPoolPadded(
                out.floatStorage(), o, am, o, xs, xo, planes, H, W, PH, PW, S, P, HO, WO);
          } else if (clip) {
            double[] xs = xc.doubleStorage();
            Pool2d.maxPoolPadded(
                out.doubleStorage(), o, am, o, xs, xo, planes, H, W, PH, PW, S, P, HO, WO);
          } else if (f32) {
            float[] xs = xc.floatStorage();
            Pool2d.maxPool(out.floatStorage(), o, am, o, xs, xo, planes, H, W, PH, PW, S, HO, WO);
          } else {
            double[] xs = xc.doubleStorage();
            Pool2d.maxPool(out.doubleStorage(), o, am, o, xs, xo, planes, H, W, PH, PW, S, HO, WO);
          }
        });
    return new Forward<>(out, new MaxCache(xc, param, argmax));
  }

  /**
   * Backward pass of {@link #maxPoolForward}: scatters dout to the cached argmax positions.
   *
   * @param dout upstream gradient, shape (N, C, H', W')
   * @param cache from {@link #maxPoolForward}
   * @return dx, shape (N, C, H, W)
   */
  public static Grads maxPoolBackward(Tensor dout, MaxCache cache) {
    int[] d = validate("max_pool2d backward", cache.x(), cache.param());
    DType dt = cache.x().dtype();
    ConvArgs.requireDout("max_pool2d backward", dout, new int[] {d[0], d[1], d[4], d[5]}, dt);
    Tensor g = dout.contiguous();
    Tensor dx = Tensor.zerosLike(cache.x());
    int[] am = cache.argmax().intStorage();
    int amOff = cache.argmax().offset();
    int H = d[2], W = d[3], HO = d[4], WO = d[5];
    // Each plane's gradients land in its own plane of dx, so plane ranges run in parallel.
    Parallel.forRange(
        d[0] * d[1],
        planesPerChunk(H, W),
        (long) d[0] * d[1] * H * W,
        (p0, p1) -> {
          int xo = p0 * H * W, o = p0 * HO * WO, planes = p1 - p0;
          if (dt == DType.FLOAT32) {
            float[] gs = g.floatStorage();
            Pool2d.maxPoolBackward(
                dx.floatStorage(), xo, gs, g.offset() + o, am, amOff + o, planes, H, W, HO, WO);
          } else {
            double[] gs = g.doubleStorage();
            Pool2d.maxPoolBackward(
                dx.doubleStorage(), xo, gs, g.offset() + o, am, amOff + o, planes, H, W, HO, WO);
          }
        });
    return new Grads(dx);
  }

  // --------------------------------------------------------------------------- average, naive

  /**
   * Average pooling by plain loops (the reference).
   *
   * @param x input, shape (N, C, H, W)
   * @param param window and stride
   * @return out of shape (N, C, H', W') and the cache
   * @throws IllegalArgumentException as {@link #maxPoolForwardNaive}
   */
  public static Forward<Cache> avgPoolForwardNaive(Tensor x, PoolParam param) {
    int[] d = validate("avg_pool2d", x, param);
    double[] xs = x.toDoubleArray();
    double[] out = new double[d[0] * d[1] * d[4] * d[5]];
    int H = d[2], W = d[3], PH = param.poolHeight(), PW = param.poolWidth(), S = param.stride();
    int o = 0;
    for (int p = 0; p < d[0] * d[1]; p++) {
      for (int i = 0; i < d[4]; i++) {
        for (int j = 0; j < d[5]; j++) {
          double s = 0;
          for (int kh = 0; kh < PH; kh++) {
            for (int kw = 0; kw < PW; kw++) {
              s += xs[(p * H + i * S + kh) * W + j * S + kw];
            }
          }
          out[o++] = s / (PH * PW);
        }
      }
    }
    return new Forward<>(
        ConvArgs.fromDoubles(out, x.dtype(), d[0], d[1], d[4], d[5]),
        new Cache(x.contiguous(), param));
  }

  /**
   * Backward pass of average pooling by plain loops: {@code out = sum(window) / (PH*PW)}, so every
   * input of the window receives {@code dout / (PH*PW)} (summed where windows overlap).
   *
   * @param dout upstream gradient, shape (N, C, H', W')
   * @param cache from {@link #avgPoolForwardNaive} or {@link #avgPoolForward}
   * @return dx, shape (N, C, H, W)
   */
  public static Grads avgPoolBackwardNaive(Tensor dout, Cache cache) {
    int[] d = validate("avg_pool2d backward", cache.x(), cache.param());
    ConvArgs.requireDout(
        "avg_pool2d backward", dout, new int[] {d[0], d[1], d[4], d[5]}, cache.x().dtype());
    PoolParam q = cache.param();
    int H = d[2], W = d[3], PH = q.poolHeight(), PW = q.poolWidth(), S = q.stride();
    double[] g = dout.toDoubleArray();
    double[] dx = new double[cache.x().size()];
    int o = 0;
    for (int p = 0; p < d[0] * d[1]; p++) {
      for (int i = 0; i < d[4]; i++) {
        for (int j = 0; j < d[5]; j++) {
          double share = g[o++] / (PH * PW);
          for (int kh = 0; kh < PH; kh++) {
            for (int kw = 0; kw < PW; kw++) {
              dx[(p * H + i * S + kh) * W + j * S + kw] += share;
            }
          }
        }
      }
    }
    return new Grads(ConvArgs.fromDoubles(dx, cache.x().dtype(), cache.x().shape()));
  }

  // --------------------------------------------------------------------------- average, fast

  /**
   * Average pooling on the storage arrays.
   *
   * @param x input, shape (N, C, H, W)
   * @param param window and stride
   * @return out of shape (N, C, H', W') and the cache
   * @throws IllegalArgumentException as {@link #maxPoolForwardNaive}
   */
  public static Forward<Cache> avgPoolForward(Tensor x, PoolParam param) {
    int[] d = validate("avg_pool2d", x, param);
    Tensor xc = x.contiguous();
    Tensor out = Tensor.zeros(x.dtype(), d[0], d[1], d[4], d[5]);
    int PH = param.poolHeight(), PW = param.poolWidth(), S = param.stride();
    int H = d[2], W = d[3], HO = d[4], WO = d[5];
    Parallel.forRange(
        d[0] * d[1],
        planesPerChunk(H, W),
        (long) d[0] * d[1] * H * W,
        (p0, p1) -> {
          int o = p0 * HO * WO, xo = xc.offset() + p0 * H * W, planes = p1 - p0;
          if (x.dtype() == DType.FLOAT32) {
            float[] xs = xc.floatStorage();
            Pool2d.avgPool(out.floatStorage(), o, xs, xo, planes, H, W, PH, PW, S, HO, WO);
          } else {
            double[] xs = xc.doubleStorage();
            Pool2d.avgPool(out.doubleStorage(), o, xs, xo, planes, H, W, PH, PW, S, HO, WO);
          }
        });
    return new Forward<>(out, new Cache(xc, param));
  }

  /**
   * Backward pass of {@link #avgPoolForward} on the storage arrays.
   *
   * @param dout upstream gradient, shape (N, C, H', W')
   * @param cache from {@link #avgPoolForward} or {@link #avgPoolForwardNaive}
   * @return dx, shape (N, C, H, W)
   */
  public static Grads avgPoolBackward(Tensor dout, Cache cache) {
    int[] d = validate("avg_pool2d backward", cache.x(), cache.param());
    DType dt = cache.x().dtype();
    ConvArgs.requireDout("avg_pool2d backward", dout, new int[] {d[0], d[1], d[4], d[5]}, dt);
    Tensor g = dout.contiguous();
    Tensor dx = Tensor.zerosLike(cache.x());
    PoolParam q = cache.param();
    int PH = q.poolHeight(), PW = q.poolWidth(), S = q.stride();
    int H = d[2], W = d[3], HO = d[4], WO = d[5];
    Parallel.forRange(
        d[0] * d[1],
        planesPerChunk(H, W),
        (long) d[0] * d[1] * H * W,
        (p0, p1) -> {
          int xo = p0 * H * W, o = g.offset() + p0 * HO * WO, planes = p1 - p0;
          if (dt == DType.FLOAT32) {
            float[] gs = g.floatStorage();
            Pool2d.avgPoolBackward(dx.floatStorage(), xo, gs, o, planes, H, W, PH, PW, S, HO, WO);
          } else {
            double[] gs = g.doubleStorage();
            Pool2d.avgPoolBackward(dx.doubleStorage(), xo, gs, o, planes, H, W, PH, PW, S, HO, WO);
          }
        });
    return new Grads(dx);
  }

  // --------------------------------------------------------------------------- threads

  /**
   * Planes per parallel chunk: about 16K input values, so a chunk outweighs its scheduling. Planes
   * are independent and each writes only its own outputs, so results do not depend on the thread
   * count (or on this chunking).
   */
  private static int planesPerChunk(int H, int W) {
    return Math.max(1, (1 << 14) / Math.max(1, H * W));
  }

  // --------------------------------------------------------------------------- checks

  /** Validates x and the window; returns N, C, H, W, H', W'. */
  private static int[] validate(String op, Tensor x, PoolParam param) {
    ConvArgs.requireRank(op, "x", x, 4, "(N, C, H, W)");
    if (param == null) {
      throw new IllegalArgumentException(op + ": param is null");
    }
    if (param.pad() > 0 && op.startsWith("avg")) {
      throw new IllegalArgumentException(
          op + ": padding is not supported (got pad " + param.pad() + "); pad only max pooling");
    }
    int P = param.pad();
    int H = x.shape(2), W = x.shape(3);
    int PH = param.poolHeight(), PW = param.poolWidth(), S = param.stride();
    if (PH > H + 2 * P || PW > W + 2 * P) {
      throw new IllegalArgumentException(
          op
              + ": the "
              + PH
              + "x"
              + PW
              + " window does not fit x "
              + x.shapeString()
              + (P > 0 ? " with pad " + P : ""));
    }
    if (!param.floor() && ((H + 2 * P - PH) % S != 0 || (W + 2 * P - PW) % S != 0)) {
      throw new IllegalArgumentException(
          op
              + ": "
              + PH
              + "x"
              + PW
              + " windows with stride "
              + S
              + " do not tile x "
              + x.shapeString()
              + ": (H - PH) = "
              + (H + 2 * P - PH)
              + " and (W - PW) = "
              + (W + 2 * P - PW)
              + " (pad included) must be divisible by the stride (PoolParam.torch rounds down)");
    }
    return new int[] {
      x.shape(0), x.shape(1), H, W, 1 + (H + 2 * P - PH) / S, 1 + (W + 2 * P - PW) / S
    };
  }
}
