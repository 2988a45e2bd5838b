package org.handgrad.nn.functional;

import org.handgrad.kernels.Im2col;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * dtype dispatch from contiguous tensors to the float/double array kernels, so that each
 * convolution layer is written once: every method picks the s- or d-variant of a kernel and passes
 * the storage arrays. Offsets are element offsets from the first element of each tensor (its {@link
 * Tensor#offset()} is added here). All tensors must be contiguous and share one dtype.
 */
final class ConvKernels {
  private ConvKernels() {}

  private static boolean f32(Tensor t) {
    return t.dtype() == DType.FLOAT32;
  }

  /**
   * Column matrix (g.colRows(), g.colCols()) of the image of {@code x} starting at {@code xOff}.
   */
  static void im2col(Tensor cols, Tensor x, int xOff, ConvGeometry g) {
    int xo = x.offset() + xOff;
    if (f32(x)) {
      Im2col.im2col(
          cols.floatStorage(),
          cols.offset(),
          x.floatStorage(),
          xo,
          g.C(),
          g.H(),
          g.W(),
          g.KH(),
          g.KW(),
          g.S(),
          g.P(),
          g.HO(),
          g.WO());
    } else {
      Im2col.im2col(
          cols.doubleStorage(),
          cols.offset(),
          x.doubleStorage(),
          xo,
          g.C(),
          g.H(),
          g.W(),
          g.KH(),
          g.KW(),
          g.S(),
          g.P(),
          g.HO(),
          g.WO());
    }
  }

  /** Adds the column matrix {@code cols} (starting at colsOff) back onto the image at xOff. */
  static void col2im(Tensor x, int xOff, Tensor cols, int colsOff, ConvGeometry g) {
    int xo = x.offset() + xOff;
    int co = cols.offset() + colsOff;
    if (f32(x)) {
      Im2col.col2im(
          x.floatStorage(),
          xo,
          cols.floatStorage(),
          co,
          g.C(),
          g.H(),
          g.W(),
          g.KH(),
          g.KW(),
          g.S(),
          g.P(),
          g.HO(),
          g.WO());
    } else {
      Im2col.col2im(
          x.doubleStorage(),
          xo,
          cols.doubleStorage(),
          co,
          g.C(),
          g.H(),
          g.W(),
          g.KH(),
          g.KW(),
          g.S(),
          g.P(),
          g.HO(),
          g.WO());
    }
  }

  /** Sets each of {@code rows} rows of length {@code len} at {@code off} to its bias value. */
  static void fillRows(Tensor out, int off, Tensor b, int rows, int len) {
    int o = out.offset() + off;
    if (f32(out)) {
      float[] os = out.floatStorage();
      float[] bs = b.floatStorage();
      for (int r = 0; r < rows; r++) {
        java.util.Arrays.fill(os, o + r * len, o + (r + 1) * len, bs[b.offset() + r]);
      }
    } else {
      double[] os = out.doubleStorage();
      double[] bs = b.doubleStorage();
      for (int r = 0; r < rows; r++) {
        java.util.Arrays.fill(os, o + r * len, o + (r + 1) * len, bs[b.offset() + r]);
      }
    }
  }

  /** {@code db[r] += sum of row r} for {@code rows} rows of length {@code len} at {@code off}. */
  static void addRowSums(Tensor db, Tensor dout, int off, int rows, int len) {
    int o = dout.offset() + off;
    if (f32(db)) {
      float[] ds = dout.floatStorage();
      float[] bs = db.floatStorage();
      for (int r = 0; r < rows; r++) {
        float s = 0f;
        for (int i = o + r * len, end = i + len; i < end; i++) {
          s += ds[i];
        }
        bs[db.offset() + r] += s;
      }
    } else {
      double[] ds = dout.doubleStorage();
      double[] bs = db.doubleStorage();
      for (int r = 0; r < rows; r++) {
        double s = 0;
        for (int i = o + r * len, end = i + len; i < end; i++) {
          s += ds[i];
        }
        bs[db.offset() + r] += s;
      }
    }
  }
}
