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

  /**
   * The filters w (F, C, KH, KW) flipped in space and with F and C swapped: a new contiguous (C,
   * F*KH*KW) tensor with {@code out[c, (f*KH + a)*KW + b] = w[f, c, KH-1-a, KW-1-b]}, the filters
   * of the stride-1 convolution that carries dout back to dx.
   */
  static Tensor flipTranspose(Tensor w) {
    int F = w.shape(0), C = w.shape(1), KK = w.shape(2) * w.shape(3);
    int[] from = new int[F * C * KK]; // from[i]: the element of w that out's element i copies
    for (int c = 0, i = 0; c < C; c++) {
      for (int f = 0; f < F; f++) {
        for (int k = 0; k < KK; k++) { // (a, b) -> (KH-1-a, KW-1-b) is k -> KK-1-k
          from[i++] = w.offset() + (f * C + c) * KK + KK - 1 - k;
        }
      }
    }
    Tensor out = Tensor.zeros(w.dtype(), C, F * KK);
    if (f32(w)) {
      for (int i = 0; i < from.length; i++) {
        out.floatStorage()[i] = w.floatStorage()[from[i]];
      }
    } else {
      for (int i = 0; i < from.length; i++) {
        out.doubleStorage()[i] = w.doubleStorage()[from[i]];
      }
    }
    return out;
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

  /**
   * {@code db[dbOff + r] += sum of row r} for {@code rows} rows of length {@code len} at {@code
   * off} of dout. Four accumulators: a single one would wait on every add's latency.
   */
  static void addRowSums(Tensor db, int dbOff, Tensor dout, int off, int rows, int len) {
    int o = dout.offset() + off;
    int bo = db.offset() + dbOff;
    if (f32(db)) {
      float[] ds = dout.floatStorage();
      float[] bs = db.floatStorage();
      for (int r = 0; r < rows; r++) {
        int i = o + r * len, end = i + len;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        for (; i <= end - 4; i += 4) {
          s0 += ds[i];
          s1 += ds[i + 1];
          s2 += ds[i + 2];
          s3 += ds[i + 3];
        }
        for (; i < end; i++) {
          s0 += ds[i];
        }
        bs[bo + r] += (s0 + s1) + (s2 + s3);
      }
    } else {
      double[] ds = dout.doubleStorage();
      double[] bs = db.doubleStorage();
      for (int r = 0; r < rows; r++) {
        int i = o + r * len, end = i + len;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (; i <= end - 4; i += 4) {
          s0 += ds[i];
          s1 += ds[i + 1];
          s2 += ds[i + 2];
          s3 += ds[i + 3];
        }
        for (; i < end; i++) {
          s0 += ds[i];
        }
        bs[bo + r] += (s0 + s1) + (s2 + s3);
      }
    }
  }

  /**
   * {@code out[i] = sum over c of partial[c * stride + from + i]} for every element i of the
   * contiguous {@code out}, adding the chunks in order 0, 1, ... (a fixed order, so the result does
   * not depend on which thread computed which chunk).
   */
  static void sumChunks(Tensor out, Tensor partial, int from, int chunks, int stride) {
    int n = out.size();
    int o = out.offset();
    int po = partial.offset() + from;
    if (f32(out)) {
      float[] os = out.floatStorage();
      float[] ps = partial.floatStorage();
      System.arraycopy(ps, po, os, o, n);
      for (int c = 1; c < chunks; c++) {
        for (int i = 0, q = po + c * stride; i < n; i++) {
          os[o + i] += ps[q + i];
        }
      }
    } else {
      double[] os = out.doubleStorage();
      double[] ps = partial.doubleStorage();
      System.arraycopy(ps, po, os, o, n);
      for (int c = 1; c < chunks; c++) {
        for (int i = 0, q = po + c * stride; i < n; i++) {
          os[o + i] += ps[q + i];
        }
      }
    }
  }
}
