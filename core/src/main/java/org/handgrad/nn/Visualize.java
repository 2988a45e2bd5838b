package org.handgrad.nn;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Pictures of weights and images, CS231n's {@code vis_utils}: {@link #visualizeGrid} tiles a batch
 * of images into one image, each tile rescaled to [0, ubound] on its own.
 *
 * <p>Dimensions: N images of C channels, H rows, W columns; G = ceil(sqrt(N)) tiles per grid side.
 */
public final class Visualize {
  private Visualize() {}

  /** Where the channel axis is. */
  public enum Layout {
    /** (N, H, W, C): CS231n's image layout; the grid comes out (Hg, Wg, C). */
    NHWC,
    /** (N, C, H, W): PyTorch's and conv weights' layout; the grid comes out (C, Hg, Wg). */
    NCHW
  }

  /** CS231n's defaults: {@code ubound = 255}, {@code padding = 1}. */
  public static Tensor visualizeGrid(Tensor xs, Layout layout) {
    return visualizeGrid(xs, layout, 255.0, 1);
  }

  /**
   * Tiles N images into a G x G grid (G = ceil(sqrt(N)), filled row by row, unused tiles and the
   * padding left at 0), CS231n's {@code visualize_grid}. Each tile is min-max rescaled to [0,
   * ubound] over all its channels, {@code ubound * (x - min) / (max - min)}, so weights of any
   * scale become visible; a constant tile (max = min, where CS231n would divide by zero) becomes 0.
   *
   * <p>Output size: {@code Hg = G * H + (G - 1) * padding}, {@code Wg = G * W + (G - 1) * padding}.
   *
   * @param xs images, shape (N, H, W, C) or (N, C, H, W) as {@code layout} says; float32 or float64
   * @param layout where the channel axis of {@code xs} is
   * @param ubound the value of each tile's maximum, finite and &gt; 0 (255 for uint8 images)
   * @param padding pixels between tiles, &gt;= 0
   * @return the grid, shape (Hg, Wg, C) for NHWC or (C, Hg, Wg) for NCHW, the dtype of xs
   * @throws IllegalArgumentException on a shape that is not 4-d, N = 0, an int32 input or a bad
   *     ubound / padding
   */
  public static Tensor visualizeGrid(Tensor xs, Layout layout, double ubound, int padding) {
    if (xs.ndim() != 4 || xs.shape(0) == 0) {
      throw new IllegalArgumentException(
          "visualizeGrid: expected xs "
              + (layout == Layout.NHWC ? "(N, H, W, C)" : "(N, C, H, W)")
              + " with N > 0, got "
              + xs.shapeString());
    }
    if (!xs.dtype().isFloating()) {
      throw new IllegalArgumentException("visualizeGrid: expected float32 or float64, got int32");
    }
    if (!(ubound > 0) || Double.isInfinite(ubound) || padding < 0) {
      throw new IllegalArgumentException(
          "visualizeGrid: need finite ubound > 0 and padding >= 0, got ubound="
              + ubound
              + ", padding="
              + padding);
    }
    boolean nhwc = layout == Layout.NHWC;
    int n = xs.shape(0);
    int c = nhwc ? xs.shape(3) : xs.shape(1);
    int h = nhwc ? xs.shape(1) : xs.shape(2);
    int w = nhwc ? xs.shape(2) : xs.shape(3);
    int g = (int) Math.ceil(Math.sqrt(n));
    int hg = g * h + (g - 1) * padding;
    int wg = g * w + (g - 1) * padding;
    double[] src = xs.contiguous().toDoubleArray();
    double[] grid = new double[hg * wg * c];
    int tile = c * h * w;
    for (int i = 0; i < n; i++) {
      int base = i * tile;
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < tile; k++) {
        lo = Math.min(lo, src[base + k]);
        hi = Math.max(hi, src[base + k]);
      }
      double scale = hi > lo ? ubound / (hi - lo) : 0;
      int y0 = (i / g) * (h + padding);
      int x0 = (i % g) * (w + padding);
      for (int ch = 0; ch < c; ch++) {
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            int s = nhwc ? base + (y * w + x) * c + ch : base + (ch * h + y) * w + x;
            int gy = y0 + y;
            int gx = x0 + x;
            int d = nhwc ? (gy * wg + gx) * c + ch : (ch * hg + gy) * wg + gx;
            grid[d] = (src[s] - lo) * scale;
          }
        }
      }
    }
    Tensor out = Tensor.of(grid, nhwc ? new int[] {hg, wg, c} : new int[] {c, hg, wg});
    return xs.dtype() == DType.FLOAT64 ? out : out.to(xs.dtype());
  }

  /**
   * The columns of an affine layer's weight as images: column m of w, read in (C, H, W) order,
   * becomes image m. This is how the first layer of a fully connected net on images flattened as
   * (N, C, H, W) is shown (CS231n reshapes its (N, H, W, C) data the same way: {@code
   * W1.reshape(32, 32, 3, -1).transpose(3, 0, 1, 2)}).
   *
   * @param w weights, shape (D, M) with D = c * h * wd; float32 or float64
   * @return images, shape (M, C, H, W), the dtype of w
   * @throws IllegalArgumentException when D != c * h * wd or w is not 2-d
   */
  public static Tensor affineWeightImages(Tensor w, int c, int h, int wd) {
    if (w.ndim() != 2 || c <= 0 || h <= 0 || wd <= 0 || w.shape(0) != c * h * wd) {
      throw new IllegalArgumentException(
          "affineWeightImages: expected w (D, M) with D = C*H*W = "
              + c
              + "*"
              + h
              + "*"
              + wd
              + ", got "
              + w.shapeString());
    }
    int d = w.shape(0);
    int m = w.shape(1);
    Tensor out = Tensor.zeros(w.dtype(), m, c, h, wd);
    Tensor wc = w.contiguous();
    // out[j, k] = w[k, j]: a transpose of the (D, M) matrix into (M, D).
    for (int k = 0; k < d; k++) {
      for (int j = 0; j < m; j++) {
        out.setFlat(j * d + k, wc.getFlat(k * m + j));
      }
    }
    return out;
  }
}
