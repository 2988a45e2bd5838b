package org.handgrad.kernels;

/**
 * Row-wise helpers on strided matrices, as float32/float64 pairs: add a matrix, add a bias vector
 * to every row, sum the rows (a bias gradient). Each matrix operand is (array, offset, leading
 * dimension), as in {@link Gemm}.
 */
public final class RowOps {
  private RowOps() {}

  /** {@code y[r, j] += x[r, j]} for r < rows, j < cols. */
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
}
