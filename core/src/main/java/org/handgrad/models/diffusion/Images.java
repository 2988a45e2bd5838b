package org.handgrad.models.diffusion;

import java.util.Arrays;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Argument checks and per-sample coefficients for batches of images (package-private). N, C, H, W
 * as everywhere for images.
 */
final class Images {
  private Images() {}

  /** Requires a float32/float64 tensor of shape (N, C, H, W). */
  static void require(String op, String name, Tensor x) {
    if (x == null) {
      throw new IllegalArgumentException(op + ": " + name + " must not be null");
    }
    if (x.ndim() != 4 || !x.dtype().isFloating()) {
      throw new IllegalArgumentException(
          op
              + ": expected "
              + name
              + " float32/float64 of shape (N, C, H, W), got "
              + x.dtype()
              + " "
              + x.shapeString());
    }
  }

  /** Requires a of shape (N, C, H, W) and b of a's shape and dtype. */
  static void requireLike(String op, String nameA, Tensor a, String nameB, Tensor b) {
    require(op, nameA, a);
    require(op, nameB, b);
    if (!a.sameShape(b) || a.dtype() != b.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": "
              + nameB
              + " "
              + b.dtype()
              + " "
              + b.shapeString()
              + " must match "
              + nameA
              + " "
              + a.dtype()
              + " "
              + a.shapeString());
    }
  }

  /** Requires a sample shape (N, C, H, W) with positive sizes and a floating dtype. */
  static void requireShape(String op, int[] shape, DType dtype) {
    if (shape == null || shape.length != 4 || Arrays.stream(shape).anyMatch(s -> s < 1)) {
      throw new IllegalArgumentException(
          op
              + ": expected a sample shape (N, C, H, W) of positive sizes, got "
              + Arrays.toString(shape));
    }
    if (dtype == null || !dtype.isFloating()) {
      throw new IllegalArgumentException(op + ": dtype must be float32 or float64, got " + dtype);
    }
  }

  /** Requires labels of length n (or null); their range is the denoiser's to check. */
  static void requireLabels(String op, int[] y, int n) {
    if (y != null && y.length != n) {
      throw new IllegalArgumentException(
          op + ": expected " + n + " labels (one per image), got " + y.length);
    }
  }

  /** buffer[t[n]] for each n ("extract" in DDPM code). */
  static double[] gather(double[] buffer, int[] t) {
    double[] c = new double[t.length];
    for (int n = 0; n < t.length; n++) {
      c[n] = buffer[t[n]];
    }
    return c;
  }

  /**
   * coef[n] as a tensor of shape (N, 1, 1, 1) in {@code like}'s dtype, which broadcasts over the
   * image dimensions.
   */
  static Tensor perSample(double[] coef, Tensor like) {
    Tensor c = Tensor.of(coef.clone(), coef.length, 1, 1, 1);
    return like.dtype() == DType.FLOAT64 ? c : c.to(like.dtype());
  }

  /**
   * out[n, ...] = a[n] x[n, ...] + b[n] y[n, ...], the one operation every forward-process formula
   * is made of. Each element is computed in double and rounded once to the images' dtype; one pass
   * over raw arrays (the broadcasting Tensor ops would make three).
   *
   * @param x shape (N, C, H, W)
   * @param y same shape and dtype as x
   * @return shape (N, C, H, W), x's dtype
   */
  static Tensor combine(double[] a, Tensor x, double[] b, Tensor y) {
    int n = x.shape(0);
    int per = x.size() / n;
    Tensor xc = x.contiguous();
    Tensor yc = y.contiguous();
    Tensor out = Tensor.zeros(x.dtype(), x.shape());
    if (x.dtype() == DType.FLOAT64) {
      double[] xs = xc.doubleStorage();
      double[] ys = yc.doubleStorage();
      double[] o = out.doubleStorage();
      int xo = xc.offset();
      int yo = yc.offset();
      for (int i = 0; i < n; i++) {
        for (int j = i * per; j < (i + 1) * per; j++) {
          o[j] = a[i] * xs[xo + j] + b[i] * ys[yo + j];
        }
      }
    } else {
      float[] xs = xc.floatStorage();
      float[] ys = yc.floatStorage();
      float[] o = out.floatStorage();
      int xo = xc.offset();
      int yo = yc.offset();
      for (int i = 0; i < n; i++) {
        for (int j = i * per; j < (i + 1) * per; j++) {
          o[j] = (float) (a[i] * xs[xo + j] + b[i] * ys[yo + j]);
        }
      }
    }
    return out;
  }

  /** {@link #combine} with the same a and b for every sample. */
  static Tensor combine(double a, Tensor x, double b, Tensor y) {
    int n = x.shape(0);
    double[] as = new double[n];
    double[] bs = new double[n];
    java.util.Arrays.fill(as, a);
    java.util.Arrays.fill(bs, b);
    return combine(as, x, bs, y);
  }
}
