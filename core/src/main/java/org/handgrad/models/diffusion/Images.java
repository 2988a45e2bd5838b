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

  /** Requires b to have a's shape and dtype. */
  static void requireLike(String op, String nameA, Tensor a, String nameB, Tensor b) {
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

  /**
   * coef[n] as a tensor of shape (N, 1, 1, 1) in {@code like}'s dtype, which broadcasts over the
   * image dimensions.
   */
  static Tensor perSample(double[] coef, Tensor like) {
    Tensor c = Tensor.of(coef.clone(), coef.length, 1, 1, 1);
    return like.dtype() == DType.FLOAT64 ? c : c.to(like.dtype());
  }

  /**
   * buffer[t[n]] for each n, shape (N, 1, 1, 1) in {@code like}'s dtype ("extract" in DDPM code).
   */
  static Tensor extract(double[] buffer, int[] t, Tensor like) {
    double[] c = new double[t.length];
    for (int n = 0; n < t.length; n++) {
      c[n] = buffer[t[n]];
    }
    return perSample(c, like);
  }
}
