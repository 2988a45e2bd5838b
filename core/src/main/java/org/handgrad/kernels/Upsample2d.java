package org.handgrad.kernels;

/**
 * Nearest and bilinear upsampling of {@code planes} independent (H, W) planes by an integer factor
 * s to (H*s, W*s), with their adjoints for the backward pass. Outputs first; arrays row-major from
 * their offsets; planes are independent, so callers may split them across threads.
 *
 * <p>Bilinear uses PyTorch's {@code align_corners=False} source index (half-pixel centres, as
 * OpenCV's resize): {@code src = max(0, (o + 0.5) / s - 0.5)}, neighbours {@code i0 = floor(src)}
 * and {@code i1 = min(i0 + 1, H - 1)}, weights {@code 1 - (src - i0)} and {@code src - i0}. The
 * weights are separable, so they are tabulated once per call for rows and for columns.
 */
public final class Upsample2d {
  private Upsample2d() {}

  /**
   * Nearest: {@code out[p, i, j] = x[p, i / s, j / s]}. Each input row is written once, each value
   * s times, and the row then copied to the block's other s - 1 output rows.
   */
  public static void nearest(
      float[] out, int outOff, float[] x, int xOff, int planes, int H, int W, int s) {
    int OW = W * s;
    int o = outOff;
    for (int r = 0; r < planes * H; r++) { // input row r of all the planes' rows
      int first = o;
      for (int j = xOff + r * W, end = j + W; j < end; j++) {
        float v = x[j];
        for (int u = 0; u < s; u++) {
          out[o++] = v;
        }
      }
      for (int t = 1; t < s; t++, o += OW) { // the other s - 1 output rows are the same
        System.arraycopy(out, first, out, o, OW);
      }
    }
  }

  /** float64 nearest upsampling. */
  public static void nearest(
      double[] out, int outOff, double[] x, int xOff, int planes, int H, int W, int s) {
    int OW = W * s;
    int o = outOff;
    for (int r = 0; r < planes * H; r++) { // input row r of all the planes' rows
      int first = o;
      for (int j = xOff + r * W, end = j + W; j < end; j++) {
        double v = x[j];
        for (int u = 0; u < s; u++) {
          out[o++] = v;
        }
      }
      for (int t = 1; t < s; t++, o += OW) { // the other s - 1 output rows are the same
        System.arraycopy(out, first, out, o, OW);
      }
    }
  }

  /**
   * Adjoint of nearest: ADDS each s x s block of dout onto its source pixel of dx, in the block's
   * row-major order (the order of the reference loop over dout).
   */
  public static void nearestBackward(
      float[] dx, int dxOff, float[] dout, int doutOff, int planes, int H, int W, int s) {
    int o = doutOff;
    for (int r = 0; r < planes * H; r++) { // input row r; its block's s output rows in order
      int row = dxOff + r * W;
      for (int t = 0; t < s; t++) {
        for (int j = row; j < row + W; j++) {
          for (int u = 0; u < s; u++) {
            dx[j] += dout[o++];
          }
        }
      }
    }
  }

  /** float64 adjoint of nearest upsampling. */
  public static void nearestBackward(
      double[] dx, int dxOff, double[] dout, int doutOff, int planes, int H, int W, int s) {
    int o = doutOff;
    for (int r = 0; r < planes * H; r++) { // input row r; its block's s output rows in order
      int row = dxOff + r * W;
      for (int t = 0; t < s; t++) {
        for (int j = row; j < row + W; j++) {
          for (int u = 0; u < s; u++) {
            dx[j] += dout[o++];
          }
        }
      }
    }
  }

  /** Bilinear, align_corners=False; see the class comment. */
  public static void bilinear(
      float[] out, int outOff, float[] x, int xOff, int planes, int H, int W, int s) {
    Taps r = new Taps(H, s);
    Taps c = new Taps(W, s);
    int OH = H * s, OW = W * s;
    int o = outOff;
    for (int p = 0; p < planes; p++) {
      int xp = xOff + p * H * W;
      for (int i = 0; i < OH; i++) {
        int r0 = xp + r.i0[i] * W, r1 = xp + r.i1[i] * W;
        float a0 = (float) r.l0[i], a1 = (float) r.l1[i];
        for (int j = 0; j < OW; j++) {
          int c0 = c.i0[j], c1 = c.i1[j];
          float b0 = (float) c.l0[j], b1 = (float) c.l1[j];
          out[o++] =
              a0 * (b0 * x[r0 + c0] + b1 * x[r0 + c1]) + a1 * (b0 * x[r1 + c0] + b1 * x[r1 + c1]);
        }
      }
    }
  }

  /** float64 bilinear upsampling. */
  public static void bilinear(
      double[] out, int outOff, double[] x, int xOff, int planes, int H, int W, int s) {
    Taps r = new Taps(H, s);
    Taps c = new Taps(W, s);
    int OH = H * s, OW = W * s;
    int o = outOff;
    for (int p = 0; p < planes; p++) {
      int xp = xOff + p * H * W;
      for (int i = 0; i < OH; i++) {
        int r0 = xp + r.i0[i] * W, r1 = xp + r.i1[i] * W;
        double a0 = r.l0[i], a1 = r.l1[i];
        for (int j = 0; j < OW; j++) {
          int c0 = c.i0[j], c1 = c.i1[j];
          double b0 = c.l0[j], b1 = c.l1[j];
          out[o++] =
              a0 * (b0 * x[r0 + c0] + b1 * x[r0 + c1]) + a1 * (b0 * x[r1 + c0] + b1 * x[r1 + c1]);
        }
      }
    }
  }

  /**
   * Adjoint of bilinear: each dout entry is ADDED to its four source pixels with the same weights
   * the forward used (at the borders i0 == i1 and both weights land on one pixel).
   */
  public static void bilinearBackward(
      float[] dx, int dxOff, float[] dout, int doutOff, int planes, int H, int W, int s) {
    Taps r = new Taps(H, s);
    Taps c = new Taps(W, s);
    int OH = H * s, OW = W * s;
    int o = doutOff;
    for (int p = 0; p < planes; p++) {
      int xp = dxOff + p * H * W;
      for (int i = 0; i < OH; i++) {
        int r0 = xp + r.i0[i] * W, r1 = xp + r.i1[i] * W;
        float a0 = (float) r.l0[i], a1 = (float) r.l1[i];
        for (int j = 0; j < OW; j++) {
          int c0 = c.i0[j], c1 = c.i1[j];
          float b0 = (float) c.l0[j], b1 = (float) c.l1[j];
          float g = dout[o++];
          dx[r0 + c0] += a0 * b0 * g;
          dx[r0 + c1] += a0 * b1 * g;
          dx[r1 + c0] += a1 * b0 * g;
          dx[r1 + c1] += a1 * b1 * g;
        }
      }
    }
  }

  /** float64 adjoint of bilinear upsampling. */
  public static void bilinearBackward(
      double[] dx, int dxOff, double[] dout, int doutOff, int planes, int H, int W, int s) {
    Taps r = new Taps(H, s);
    Taps c = new Taps(W, s);
    int OH = H * s, OW = W * s;
    int o = doutOff;
    for (int p = 0; p < planes; p++) {
      int xp = dxOff + p * H * W;
      for (int i = 0; i < OH; i++) {
        int r0 = xp + r.i0[i] * W, r1 = xp + r.i1[i] * W;
        double a0 = r.l0[i], a1 = r.l1[i];
        for (int j = 0; j < OW; j++) {
          int c0 = c.i0[j], c1 = c.i1[j];
          double b0 = c.l0[j], b1 = c.l1[j];
          double g = dout[o++];
          dx[r0 + c0] += a0 * b0 * g;
          dx[r0 + c1] += a0 * b1 * g;
          dx[r1 + c0] += a1 * b0 * g;
          dx[r1 + c1] += a1 * b1 * g;
        }
      }
    }
  }

  /** Source neighbours and weights of every output index along one axis of size n, factor s. */
  private static final class Taps {
    final int[] i0;
    final int[] i1;
    final double[] l0;
    final double[] l1;

    Taps(int n, int s) {
      int m = n * s;
      i0 = new int[m];
      i1 = new int[m];
      l0 = new double[m];
      l1 = new double[m];
      // The same operations as PyTorch's area_pixel_compute_source_index: (1/s) * (o + 0.5) - 0.5,
      // clamped at 0 (only the first half-pixel goes negative), so float64 results match exactly.
      double scale = 1.0 / s;
      for (int o = 0; o < m; o++) {
        double src = Math.max(0.0, scale * (o + 0.5) - 0.5);
        int lo = (int) src;
        i0[o] = lo;
        i1[o] = lo < n - 1 ? lo + 1 : lo;
        l1[o] = src - lo;
        l0[o] = 1.0 - l1[o];
      }
    }
  }
}
