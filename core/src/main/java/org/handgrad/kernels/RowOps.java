package org.handgrad.kernels;

import java.util.Arrays;

/**
 * Row-wise helpers on strided matrices, as float32/float64 pairs: add a matrix, add a bias vector
 * to every row, sum the rows (a bias gradient), and the softmax of every row with its backward.
 * Each matrix operand is (array, offset, leading dimension), as in {@link Gemm}.
 *
 * <p>The float32 softmax pair runs on the Vector API ({@link RowOpsVector}) when {@link
 * Kernels#useVector()} allows it, with {@link #ssoftmaxScalar} and {@link #ssoftmaxBackwardScalar}
 * as twins (equal up to the order of the row sums: a few float ulp). Both softmax pairs split rows
 * over {@link Parallel} in chunks of about {@value #SOFTMAX_GRAIN} elements that depend only on the
 * matrix size; rows are independent and every row sum is reduced in a fixed order, so the results
 * are the same for any thread count.
 */
public final class RowOps {
  private RowOps() {}

  /** {@code y[r, j] += x[r, j]} for r &lt; rows, j &lt; cols. */
  public static void saddRows(
      int rows, int cols, float[] y, int yOff, int ldy, float[] x, int xOff, int ldx) {
    for (int r = 0; r < rows; r++) {
      int py = yOff + r * ldy;
      int px = xOff + r * ldx;
      for (int j = 0; j < cols; j++) {
        y[py + j] += x[px + j];
      }
    }
  }

  /** float64 twin of {@link #saddRows}. */
  public static void daddRows(
      int rows, int cols, double[] y, int yOff, int ldy, double[] x, int xOff, int ldx) {
    for (int r = 0; r < rows; r++) {
      int py = yOff + r * ldy;
      int px = xOff + r * ldx;
      for (int j = 0; j < cols; j++) {
        y[py + j] += x[px + j];
      }
    }
  }

  /** {@code y[r, j] += v[j]}: a bias broadcast over rows. */
  public static void saddBias(
      int rows, int cols, float[] y, int yOff, int ldy, float[] v, int vOff) {
    for (int r = 0; r < rows; r++) {
      int py = yOff + r * ldy;
      for (int j = 0; j < cols; j++) {
        y[py + j] += v[vOff + j];
      }
    }
  }

  /** float64 twin of {@link #saddBias}. */
  public static void daddBias(
      int rows, int cols, double[] y, int yOff, int ldy, double[] v, int vOff) {
    for (int r = 0; r < rows; r++) {
      int py = yOff + r * ldy;
      for (int j = 0; j < cols; j++) {
        y[py + j] += v[vOff + j];
      }
    }
  }

  /**
   * {@code s[j] += sum over r of x[r, j]}: the gradient of a bias that was broadcast over rows. Row
   * by row, so the inner loop is contiguous.
   */
  public static void ssumRows(
      int rows, int cols, float[] s, int sOff, float[] x, int xOff, int ldx) {
    for (int r = 0; r < rows; r++) {
      int px = xOff + r * ldx;
      for (int j = 0; j < cols; j++) {
        s[sOff + j] += x[px + j];
      }
    }
  }

  /** float64 twin of {@link #ssumRows}. */
  public static void dsumRows(
      int rows, int cols, double[] s, int sOff, double[] x, int xOff, int ldx) {
    for (int r = 0; r < rows; r++) {
      int px = xOff + r * ldx;
      for (int j = 0; j < cols; j++) {
        s[sOff + j] += x[px + j];
      }
    }
  }

  // ---------------------------------------------------------------- softmax

  /** Elements per parallel chunk of the softmax kernels (whole rows, at least one). */
  public static final int SOFTMAX_GRAIN = 16_384;

  /**
   * Softmax of every row: {@code y[r, :] = exp(x[r, :] - m) / sum(exp(x[r, :] - m))} with m the row
   * maximum (subtracted first, so exp never overflows and the largest term is exactly 1).
   *
   * <p>Entries of -inf (masked positions) get exactly 0. A row whose entries are all -inf has no
   * finite maximum; it gets all zeros rather than 0/0 = NaN: such a row (a query whose every key is
   * masked, e.g. a padding position) then contributes nothing downstream and its backward gives a
   * zero gradient, where NaN would spread through the next matmul into every loss. A NaN or +inf
   * entry makes its row NaN, as in PyTorch.
   *
   * @param y output, rows x cols with leading dimension ldy; may be x itself (same offset and ld)
   * @param x input, rows x cols with leading dimension ldx
   */
  public static void ssoftmax(
      int rows, int cols, float[] y, int yOff, int ldy, float[] x, int xOff, int ldx) {
    boolean vector = Kernels.useVector();
    Parallel.forRange(
        rows,
        softmaxRowGrain(cols),
        (long) rows * cols,
        (r0, r1) -> {
          if (vector) {
            RowOpsVector.ssoftmax(r0, r1, cols, y, yOff, ldy, x, xOff, ldx);
          } else {
            ssoftmaxScalar(r0, r1, cols, y, yOff, ldy, x, xOff, ldx);
          }
        });
  }

  /**
   * Backward of {@link #ssoftmax} from its output: {@code dx[r, :] = y[r, :] * (dy[r, :] -
   * sum(dy[r, :] * y[r, :]))}. An all-zero row of y (an all -inf input row) gives a zero row of dx.
   *
   * @param dx output gradient, rows x cols with leading dimension lddx; may be dy itself
   * @param dy upstream gradient, rows x cols with leading dimension lddy
   * @param y the forward output, rows x cols with leading dimension ldy
   */
  public static void ssoftmaxBackward(
      int rows,
      int cols,
      float[] dx,
      int dxOff,
      int lddx,
      float[] dy,
      int dyOff,
      int lddy,
      float[] y,
      int yOff,
      int ldy) {
    boolean vector = Kernels.useVector();
    Parallel.forRange(
        rows,
        softmaxRowGrain(cols),
        (long) rows * cols,
        (r0, r1) -> {
          if (vector) {
            RowOpsVector.ssoftmaxBackward(
                r0, r1, cols, dx, dxOff, lddx, dy, dyOff, lddy, y, yOff, ldy);
          } else {
            ssoftmaxBackwardScalar(r0, r1, cols, dx, dxOff, lddx, dy, dyOff, lddy, y, yOff, ldy);
          }
        });
  }

  /** float64 twin of {@link #ssoftmax} (plain Java, Math.exp, sums in double). */
  public static void dsoftmax(
      int rows, int cols, double[] y, int yOff, int ldy, double[] x, int xOff, int ldx) {
    Parallel.forRange(
        rows,
        softmaxRowGrain(cols),
        (long) rows * cols,
        (r0, r1) -> {
          for (int r = r0; r < r1; r++) {
            int py = yOff + r * ldy;
            int px = xOff + r * ldx;
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
              m = Math.max(m, x[px + j]);
            }
            if (m == Double.NEGATIVE_INFINITY) {
              Arrays.fill(y, py, py + cols, 0.0);
              continue;
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) {
              double e = Math.exp(x[px + j] - m);
              y[py + j] = e;
              sum += e;
            }
            double inv = 1 / sum;
            for (int j = 0; j < cols; j++) {
              y[py + j] *= inv;
            }
          }
        });
  }

  /** float64 twin of {@link #ssoftmaxBackward}. */
  public static void dsoftmaxBackward(
      int rows,
      int cols,
      double[] dx,
      int dxOff,
      int lddx,
      double[] dy,
      int dyOff,
      int lddy,
      double[] y,
      int yOff,
      int ldy) {
    Parallel.forRange(
        rows,
        softmaxRowGrain(cols),
        (long) rows * cols,
        (r0, r1) -> {
          for (int r = r0; r < r1; r++) {
            int pd = dxOff + r * lddx;
            int pg = dyOff + r * lddy;
            int py = yOff + r * ldy;
            double dot = 0;
            for (int j = 0; j < cols; j++) {
              dot += dy[pg + j] * y[py + j];
            }
            for (int j = 0; j < cols; j++) {
              dx[pd + j] = y[py + j] * (dy[pg + j] - dot);
            }
          }
        });
  }

  /** Scalar twin of {@link #ssoftmax}, rows [r0, r1) on the calling thread. */
  public static void ssoftmaxScalar(
      int r0, int r1, int cols, float[] y, int yOff, int ldy, float[] x, int xOff, int ldx) {
    for (int r = r0; r < r1; r++) {
      int py = yOff + r * ldy;
      int px = xOff + r * ldx;
      float m = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < cols; j++) {
        m = Math.max(m, x[px + j]);
      }
      if (m == Float.NEGATIVE_INFINITY) {
        Arrays.fill(y, py, py + cols, 0f);
        continue;
      }
      float sum = 0;
      for (int j = 0; j < cols; j++) {
        float e = FloatMath.exp(x[px + j] - m);
        y[py + j] = e;
        sum += e;
      }
      float inv = 1f / sum;
      for (int j = 0; j < cols; j++) {
        y[py + j] *= inv;
      }
    }
  }

  /** Scalar twin of {@link #ssoftmaxBackward}, rows [r0, r1) on the calling thread. */
  public static void ssoftmaxBackwardScalar(
      int r0,
      int r1,
      int cols,
      float[] dx,
      int dxOff,
      int lddx,
      float[] dy,
      int dyOff,
      int lddy,
      float[] y,
      int yOff,
      int ldy) {
    for (int r = r0; r < r1; r++) {
      int pd = dxOff + r * lddx;
      int pg = dyOff + r * lddy;
      int py = yOff + r * ldy;
      float dot = 0;
      for (int j = 0; j < cols; j++) {
        dot = Math.fma(dy[pg + j], y[py + j], dot);
      }
      for (int j = 0; j < cols; j++) {
        dx[pd + j] = y[py + j] * (dy[pg + j] - dot);
      }
    }
  }

  /** Rows per parallel chunk: about SOFTMAX_GRAIN elements, at least one row. */
  private static int softmaxRowGrain(int cols) {
    return Math.max(1, SOFTMAX_GRAIN / Math.max(1, cols));
  }
}
