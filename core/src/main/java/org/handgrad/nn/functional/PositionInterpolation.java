package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.tensor.Tensor;

/**
 * Resizes a ViT's learned positional table to another patch grid, so one model reads images of
 * several sizes (DINO's local crops, Caron et al. 2021; the ViT paper's fine-tuning at a higher
 * resolution, Dosovitskiy et al. 2021, section 3.2). Row 0 (the CLS token's position) is kept; the
 * other rows, seen as a (gh0, gw0) grid of D-vectors, are resized bilinearly to (gh, gw) as {@code
 * F.interpolate(grid, size=(gh, gw), mode="bilinear", align_corners=False)} without antialiasing.
 * (DINO's code uses bicubic; bilinear keeps every weight in [0, 1] and is what we chose.)
 *
 * <p>The resize is a fixed linear map M, (gh gw) x (gh0 gw0), separable into a row map and a column
 * map, so the pair is
 *
 * <pre>
 *   out[0]  = pos[0]                 dpos[0]  = dout[0]
 *   out[1:] = M pos[1:]              dpos[1:] = M^T dout[1:]
 * </pre>
 *
 * <p>For an output index d of a side resized from s to o the source coordinate is {@code (d + 0.5)
 * s / o - 0.5}, clamped at 0, read between the two nearest entries (the last repeats at the end),
 * the rule of {@code org.handgrad.data.ResizedCrop}. Equal grids give the identity.
 *
 * <p>Dimension letters: D embedding, gh0 x gw0 the table's grid, gh x gw the wanted grid.
 */
public final class PositionInterpolation {
  private PositionInterpolation() {}

  /**
   * What the backward reads: the two one-dimensional maps.
   *
   * @param rows (gh, gh0) weights, row-major
   * @param cols (gw, gw0) weights, row-major
   * @param gh0 table grid height
   * @param gw0 table grid width
   * @param gh output grid height
   * @param gw output grid width
   */
  public record Cache(double[] rows, double[] cols, int gh0, int gw0, int gh, int gw) {
    /** Checks the map sizes. */
    public Cache {
      if (rows.length != gh * gh0 || cols.length != gw * gw0) {
        throw new IllegalArgumentException("positionInterpolation: map sizes do not match grids");
      }
    }
  }

  /**
   * Forward pass.
   *
   * @param pos the table, shape (1 + gh0 gw0, D), float32 or float64
   * @param gh0 the table's grid height, &gt;= 1
   * @param gw0 the table's grid width, &gt;= 1
   * @param gh wanted grid height, &gt;= 1
   * @param gw wanted grid width, &gt;= 1
   * @return out, shape (1 + gh gw, D), the dtype of pos
   * @throws IllegalArgumentException when pos does not hold 1 + gh0 gw0 rows or a side is &lt; 1
   */
  public static Forward<Cache> positionInterpolationForward(
      Tensor pos, int gh0, int gw0, int gh, int gw) {
    String op = "positionInterpolation";
    Objects.requireNonNull(pos, op + ": pos is null");
    Elementwise.requireFloat(op, "pos", pos);
    if (gh0 < 1 || gw0 < 1 || gh < 1 || gw < 1) {
      throw new IllegalArgumentException(
          op + ": grids must be positive, got " + gh0 + "x" + gw0 + " to " + gh + "x" + gw);
    }
    if (pos.ndim() != 2 || pos.shape(0) != 1 + gh0 * gw0) {
      throw new IllegalArgumentException(
          op + ": expected pos (1 + " + gh0 + "*" + gw0 + ", D), got " + pos.shapeString());
    }
    Cache cache = new Cache(map(gh0, gh), map(gw0, gw), gh0, gw0, gh, gw);
    int d = pos.shape(1);
    double[] p = pos.toDoubleArray();
    double[] out = new double[(1 + gh * gw) * d];
    System.arraycopy(p, 0, out, 0, d);
    apply(cache, p, out, d, false);
    return new Forward<>(Tensor.of(out, 1 + gh * gw, d).to(pos.dtype()), cache);
  }

  /**
   * Backward pass.
   *
   * @param dout shape (1 + gh gw, D)
   * @param cache from the forward pass
   * @return dpos, shape (1 + gh0 gw0, D), the dtype of dout
   */
  public static Tensor positionInterpolationBackward(Tensor dout, Cache cache) {
    if (dout.ndim() != 2 || dout.shape(0) != 1 + cache.gh() * cache.gw()) {
      throw new IllegalArgumentException(
          "positionInterpolation backward: expected dout (1 + "
              + cache.gh()
              + "*"
              + cache.gw()
              + ", D), got "
              + dout.shapeString());
    }
    int d = dout.shape(1);
    double[] g = dout.toDoubleArray();
    double[] dpos = new double[(1 + cache.gh0() * cache.gw0()) * d];
    System.arraycopy(g, 0, dpos, 0, d);
    apply(cache, g, dpos, d, true);
    return Tensor.of(dpos, 1 + cache.gh0() * cache.gw0(), d).to(dout.dtype());
  }

  /**
   * Forward: out[1 + (i, j)] = sum over (a, b) rows[i, a] cols[j, b] in[1 + (a, b)]; transposed:
   * the same weights scatter from the output grid back to the table grid.
   */
  private static void apply(Cache c, double[] in, double[] out, int d, boolean transposed) {
    for (int i = 0; i < c.gh(); i++) {
      for (int a = 0; a < c.gh0(); a++) {
        double wr = c.rows()[i * c.gh0() + a];
        if (wr == 0) {
          continue;
        }
        for (int j = 0; j < c.gw(); j++) {
          for (int b = 0; b < c.gw0(); b++) {
            double w = wr * c.cols()[j * c.gw0() + b];
            if (w == 0) {
              continue;
            }
            int big = 1 + i * c.gw() + j; // a position of the wanted grid
            int small = 1 + a * c.gw0() + b; // a position of the table's grid
            int src = (transposed ? big : small) * d;
            int dst = (transposed ? small : big) * d;
            for (int e = 0; e < d; e++) {
              out[dst + e] += w * in[src + e];
            }
          }
        }
      }
    }
  }

  /** The (o, s) bilinear weights resizing a side of s entries to o (align_corners=False). */
  static double[] map(int s, int o) {
    double[] m = new double[o * s];
    double scale = (double) s / o;
    for (int dIdx = 0; dIdx < o; dIdx++) {
      double src = Math.max((dIdx + 0.5) * scale - 0.5, 0);
      int i0 = Math.min((int) src, s - 1);
      int i1 = i0 < s - 1 ? i0 + 1 : i0;
      double l1 = src - i0;
      m[dIdx * s + i0] += 1 - l1;
      m[dIdx * s + i1] += l1;
    }
    return m;
  }
}
