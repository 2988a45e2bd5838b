package org.handgrad.nn.functional;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Feature-wise linear modulation, FiLM (Perez et al. 2018), as the DDPM U-Net uses it to condition
 * a feature map on the time (and class) embedding: {@code out[n, c, h, w] = x[n, c, h, w] * (1 +
 * scale[n, c]) + shift[n, c]}, one scale and one shift per sample and channel, broadcast over the H
 * x W positions. The {@code 1 +} makes a zero-initialised projection start as the identity.
 *
 * <p>Derivation (S = H*W positions of channel c of sample n): out is linear in x, scale and shift
 * separately, so
 *
 * <ul>
 *   <li>{@code dx[n, c, p] = dout[n, c, p] * (1 + scale[n, c])};
 *   <li>{@code dscale[n, c] = sum_p dout[n, c, p] * x[n, c, p]} (scale multiplies every position);
 *   <li>{@code dshift[n, c] = sum_p dout[n, c, p]} (shift is added to every position).
 * </ul>
 *
 * <p>Dimensions: N batch, C channels, H x W positions.
 */
public final class Film {
  private Film() {}

  /**
   * What {@link #filmBackward} reads.
   *
   * @param x input, contiguous, shape (N, C, H, W)
   * @param scale contiguous, shape (N, C)
   */
  public record Cache(Tensor x, Tensor scale) {}

  /**
   * Gradients.
   *
   * @param dx shape (N, C, H, W)
   * @param dscale shape (N, C)
   * @param dshift shape (N, C)
   */
  public record Grads(Tensor dx, Tensor dscale, Tensor dshift) {}

  /**
   * FiLM forward: {@code out = x * (1 + scale[:, :, None, None]) + shift[:, :, None, None]}.
   *
   * @param x feature map, shape (N, C, H, W), float32 or float64
   * @param scale shape (N, C), dtype of x
   * @param shift shape (N, C), dtype of x
   * @return out, shape (N, C, H, W), and the cache
   * @throws IllegalArgumentException for a wrong rank, shape or dtype, naming the shapes
   */
  public static Forward<Cache> filmForward(Tensor x, Tensor scale, Tensor shift) {
    String op = "film";
    ConvArgs.requireRank(op, "x", x, 4, "(N, C, H, W)");
    requireRows(op, "scale", scale, x);
    requireRows(op, "shift", shift, x);
    Tensor xc = x.contiguous();
    Tensor sc = scale.contiguous();
    Tensor sh = shift.contiguous();
    int planes = x.shape(0) * x.shape(1), s = x.shape(2) * x.shape(3);
    Tensor out = Tensor.zerosLike(xc);
    if (x.dtype() == DType.FLOAT32) {
      float[] o = out.floatStorage(), xs = xc.floatStorage();
      float[] a = sc.floatStorage(), b = sh.floatStorage();
      int xo = xc.offset(), ao = sc.offset(), bo = sh.offset();
      for (int p = 0; p < planes; p++) {
        float m = 1 + a[ao + p], add = b[bo + p];
        int base = p * s;
        for (int i = 0; i < s; i++) {
          o[base + i] = xs[xo + base + i] * m + add;
        }
      }
    } else {
      double[] o = out.doubleStorage(), xs = xc.doubleStorage();
      double[] a = sc.doubleStorage(), b = sh.doubleStorage();
      int xo = xc.offset(), ao = sc.offset(), bo = sh.offset();
      for (int p = 0; p < planes; p++) {
        double m = 1 + a[ao + p], add = b[bo + p];
        int base = p * s;
        for (int i = 0; i < s; i++) {
          o[base + i] = xs[xo + base + i] * m + add;
        }
      }
    }
    return new Forward<>(out, new Cache(xc, sc));
  }

  /**
   * Backward pass of {@link #filmForward} (see the class comment for the derivation).
   *
   * @param dout upstream gradient, shape (N, C, H, W)
   * @param cache from the forward pass
   * @return dx (N, C, H, W), dscale (N, C), dshift (N, C)
   */
  public static Grads filmBackward(Tensor dout, Cache cache) {
    Tensor x = cache.x();
    ConvArgs.requireDout("film backward", dout, x.shape(), x.dtype());
    Tensor g = dout.contiguous();
    int n = x.shape(0), c = x.shape(1), planes = n * c, s = x.shape(2) * x.shape(3);
    Tensor dx = Tensor.zerosLike(x);
    Tensor dscale = Tensor.zeros(x.dtype(), n, c);
    Tensor dshift = Tensor.zeros(x.dtype(), n, c);
    Tensor sc = cache.scale();
    if (x.dtype() == DType.FLOAT32) {
      float[] d = dx.floatStorage(), xs = x.floatStorage(), gs = g.floatStorage();
      float[] a = sc.floatStorage(), da = dscale.floatStorage(), db = dshift.floatStorage();
      int xo = x.offset(), go = g.offset(), ao = sc.offset();
      for (int p = 0; p < planes; p++) {
        float m = 1 + a[ao + p], sa = 0, sb = 0;
        int base = p * s;
        for (int i = 0; i < s; i++) {
          float gi = gs[go + base + i];
          d[base + i] = gi * m;
          sa += gi * xs[xo + base + i];
          sb += gi;
        }
        da[p] = sa;
        db[p] = sb;
      }
    } else {
      double[] d = dx.doubleStorage(), xs = x.doubleStorage(), gs = g.doubleStorage();
      double[] a = sc.doubleStorage(), da = dscale.doubleStorage(), db = dshift.doubleStorage();
      int xo = x.offset(), go = g.offset(), ao = sc.offset();
      for (int p = 0; p < planes; p++) {
        double m = 1 + a[ao + p], sa = 0, sb = 0;
        int base = p * s;
        for (int i = 0; i < s; i++) {
          double gi = gs[go + base + i];
          d[base + i] = gi * m;
          sa += gi * xs[xo + base + i];
          sb += gi;
        }
        da[p] = sa;
        db[p] = sb;
      }
    }
    return new Grads(dx, dscale, dshift);
  }

  private static void requireRows(String op, String name, Tensor t, Tensor x) {
    if (t == null
        || t.ndim() != 2
        || t.shape(0) != x.shape(0)
        || t.shape(1) != x.shape(1)
        || t.dtype() != x.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": expected "
              + name
              + " (N, C) = ("
              + x.shape(0)
              + ", "
              + x.shape(1)
              + ") "
              + x.dtype().numpyName()
              + " for x "
              + x.shapeString()
              + ", got "
              + (t == null ? "null" : t.shapeString() + " " + t.dtype().numpyName()));
    }
  }
}
