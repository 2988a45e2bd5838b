package org.handgrad.nn.functional;

import org.handgrad.kernels.RecurrentCells;
import org.handgrad.kernels.RowOps;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Dtype dispatch from contiguous tensors to the float32/float64 kernel pairs, so that each sequence
 * layer is written once. Offsets are in elements from the tensor's first element (the storage
 * offset of a view is added here); leading dimensions are row strides in elements. All tensors of
 * one call share a dtype, which the layers check at their API boundary.
 */
final class SeqKernels {
  private SeqKernels() {}

  private static boolean f32(Tensor t) {
    return t.dtype() == DType.FLOAT32;
  }

  /** {@code y[r, :] += x[r, :]} for r < rows. */
  static void addRows(
      int rows, int cols, Tensor y, int yOff, int ldy, Tensor x, int xOff, int ldx) {
    if (f32(y)) {
      RowOps.saddRows(
          rows,
          cols,
          y.floatStorage(),
          y.offset() + yOff,
          ldy,
          x.floatStorage(),
          x.offset() + xOff,
          ldx);
    } else {
      RowOps.daddRows(
          rows,
          cols,
          y.doubleStorage(),
          y.offset() + yOff,
          ldy,
          x.doubleStorage(),
          x.offset() + xOff,
          ldx);
    }
  }

  /** {@code y[r, :] += v} for r < rows. */
  static void addBias(int rows, int cols, Tensor y, int yOff, int ldy, Tensor v) {
    if (f32(y)) {
      RowOps.saddBias(
          rows, cols, y.floatStorage(), y.offset() + yOff, ldy, v.floatStorage(), v.offset());
    } else {
      RowOps.daddBias(
          rows, cols, y.doubleStorage(), y.offset() + yOff, ldy, v.doubleStorage(), v.offset());
    }
  }

  /** {@code s[sOff + j] += sum over r of x[r, j]}. */
  static void sumRows(int rows, int cols, Tensor s, int sOff, Tensor x, int xOff, int ldx) {
    if (f32(s)) {
      RowOps.ssumRows(
          rows,
          cols,
          s.floatStorage(),
          s.offset() + sOff,
          x.floatStorage(),
          x.offset() + xOff,
          ldx);
    } else {
      RowOps.dsumRows(
          rows,
          cols,
          s.doubleStorage(),
          s.offset() + sOff,
          x.doubleStorage(),
          x.offset() + xOff,
          ldx);
    }
  }

  /** Copies {@code rows} rows of {@code cols} elements; dtype-agnostic (System.arraycopy). */
  static void copyRows(
      int rows, int cols, Tensor dst, int dOff, int ldd, Tensor src, int sOff, int lds) {
    Object d = storage(dst);
    Object s = storage(src);
    for (int r = 0; r < rows; r++) {
      System.arraycopy(s, src.offset() + sOff + r * lds, d, dst.offset() + dOff + r * ldd, cols);
    }
  }

  private static Object storage(Tensor t) {
    return f32(t) ? t.floatStorage() : t.doubleStorage();
  }

  /** See {@link RecurrentCells#stanhBias}. */
  static void tanhBias(int rows, int hid, Tensor a, int aOff, int lda, Tensor b) {
    if (f32(a)) {
      RecurrentCells.stanhBias(
          rows, hid, a.floatStorage(), a.offset() + aOff, lda, b.floatStorage(), b.offset());
    } else {
      RecurrentCells.dtanhBias(
          rows, hid, a.doubleStorage(), a.offset() + aOff, lda, b.doubleStorage(), b.offset());
    }
  }

  /** See {@link RecurrentCells#stanhBackward}. */
  static void tanhBackward(
      int rows,
      int hid,
      Tensor da,
      int daOff,
      int ldda,
      Tensor dh,
      int dhOff,
      int lddh,
      Tensor h,
      int hOff,
      int ldh) {
    if (f32(da)) {
      RecurrentCells.stanhBackward(
          rows,
          hid,
          da.floatStorage(),
          da.offset() + daOff,
          ldda,
          dh.floatStorage(),
          dh.offset() + dhOff,
          lddh,
          h.floatStorage(),
          h.offset() + hOff,
          ldh);
    } else {
      RecurrentCells.dtanhBackward(
          rows,
          hid,
          da.doubleStorage(),
          da.offset() + daOff,
          ldda,
          dh.doubleStorage(),
          dh.offset() + dhOff,
          lddh,
          h.doubleStorage(),
          h.offset() + hOff,
          ldh);
    }
  }

  /**
   * See {@link RecurrentCells#slstmForward}; c, tc and h must be fresh tensors of one layout
   * (storage offset 0).
   */
  static void lstmForward(
      int rows,
      int hid,
      Tensor gates,
      int gOff,
      int ldg,
      Tensor b,
      Tensor cPrev,
      int cpOff,
      int ldcp,
      Tensor c,
      Tensor tc,
      Tensor h,
      int off,
      int ld) {
    assert c.offset() == 0 && tc.offset() == 0 && h.offset() == 0;
    if (f32(gates)) {
      RecurrentCells.slstmForward(
          rows,
          hid,
          gates.floatStorage(),
          gates.offset() + gOff,
          ldg,
          b.floatStorage(),
          b.offset(),
          cPrev.floatStorage(),
          cPrev.offset() + cpOff,
          ldcp,
          c.floatStorage(),
          tc.floatStorage(),
          h.floatStorage(),
          off,
          ld);
    } else {
      RecurrentCells.dlstmForward(
          rows,
          hid,
          gates.doubleStorage(),
          gates.offset() + gOff,
          ldg,
          b.doubleStorage(),
          b.offset(),
          cPrev.doubleStorage(),
          cPrev.offset() + cpOff,
          ldcp,
          c.doubleStorage(),
          tc.doubleStorage(),
          h.doubleStorage(),
          off,
          ld);
    }
  }

  /**
   * See {@link RecurrentCells#slstmBackward}; dh and dc must be fresh workspaces of one layout
   * (storage offset 0).
   */
  static void lstmBackward(
      int rows,
      int hid,
      Tensor da,
      int daOff,
      int ldda,
      Tensor gates,
      int gOff,
      int ldg,
      Tensor cPrev,
      int cpOff,
      int ldcp,
      Tensor tc,
      int tcOff,
      int ldtc,
      Tensor dh,
      Tensor dc,
      int ldd) {
    assert dh.offset() == 0 && dc.offset() == 0;
    if (f32(da)) {
      RecurrentCells.slstmBackward(
          rows,
          hid,
          da.floatStorage(),
          da.offset() + daOff,
          ldda,
          gates.floatStorage(),
          gates.offset() + gOff,
          ldg,
          cPrev.floatStorage(),
          cPrev.offset() + cpOff,
          ldcp,
          tc.floatStorage(),
          tc.offset() + tcOff,
          ldtc,
          dh.floatStorage(),
          dc.floatStorage(),
          0,
          ldd);
    } else {
      RecurrentCells.dlstmBackward(
          rows,
          hid,
          da.doubleStorage(),
          da.offset() + daOff,
          ldda,
          gates.doubleStorage(),
          gates.offset() + gOff,
          ldg,
          cPrev.doubleStorage(),
          cPrev.offset() + cpOff,
          ldcp,
          tc.doubleStorage(),
          tc.offset() + tcOff,
          ldtc,
          dh.doubleStorage(),
          dc.doubleStorage(),
          0,
          ldd);
    }
  }

  /**
   * See {@link RecurrentCells#sgruForward}; hn and h must be fresh tensors of one layout (storage
   * offset 0).
   */
  static void gruForward(
      int rows,
      int hid,
      Tensor gates,
      int gOff,
      int ldg,
      Tensor gh,
      int ghOff,
      int ldgh,
      Tensor b,
      Tensor bhn,
      Tensor hPrev,
      int hpOff,
      int ldhp,
      Tensor hn,
      Tensor h,
      int off,
      int ld) {
    assert hn.offset() == 0 && h.offset() == 0;
    if (f32(gates)) {
      RecurrentCells.sgruForward(
          rows,
          hid,
          gates.floatStorage(),
          gates.offset() + gOff,
          ldg,
          gh.floatStorage(),
          gh.offset() + ghOff,
          ldgh,
          b.floatStorage(),
          b.offset(),
          bhn.floatStorage(),
          bhn.offset(),
          hPrev.floatStorage(),
          hPrev.offset() + hpOff,
          ldhp,
          hn.floatStorage(),
          h.floatStorage(),
          off,
          ld);
    } else {
      RecurrentCells.dgruForward(
          rows,
          hid,
          gates.doubleStorage(),
          gates.offset() + gOff,
          ldg,
          gh.doubleStorage(),
          gh.offset() + ghOff,
          ldgh,
          b.doubleStorage(),
          b.offset(),
          bhn.doubleStorage(),
          bhn.offset(),
          hPrev.doubleStorage(),
          hPrev.offset() + hpOff,
          ldhp,
          hn.doubleStorage(),
          h.doubleStorage(),
          off,
          ld);
    }
  }

  /** See {@link RecurrentCells#sgruBackward}. */
  static void gruBackward(
      int rows,
      int hid,
      Tensor dgx,
      int dgxOff,
      int lddgx,
      Tensor dgh,
      int dghOff,
      int lddgh,
      Tensor gates,
      int gOff,
      int ldg,
      Tensor hn,
      int hnOff,
      int ldhn,
      Tensor hPrev,
      int hpOff,
      int ldhp,
      Tensor dh,
      int dhOff,
      int lddh) {
    if (f32(dgx)) {
      RecurrentCells.sgruBackward(
          rows,
          hid,
          dgx.floatStorage(),
          dgx.offset() + dgxOff,
          lddgx,
          dgh.floatStorage(),
          dgh.offset() + dghOff,
          lddgh,
          gates.floatStorage(),
          gates.offset() + gOff,
          ldg,
          hn.floatStorage(),
          hn.offset() + hnOff,
          ldhn,
          hPrev.floatStorage(),
          hPrev.offset() + hpOff,
          ldhp,
          dh.floatStorage(),
          dh.offset() + dhOff,
          lddh);
    } else {
      RecurrentCells.dgruBackward(
          rows,
          hid,
          dgx.doubleStorage(),
          dgx.offset() + dgxOff,
          lddgx,
          dgh.doubleStorage(),
          dgh.offset() + dghOff,
          lddgh,
          gates.doubleStorage(),
          gates.offset() + gOff,
          ldg,
          hn.doubleStorage(),
          hn.offset() + hnOff,
          ldhn,
          hPrev.doubleStorage(),
          hPrev.offset() + hpOff,
          ldhp,
          dh.doubleStorage(),
          dh.offset() + dhOff,
          lddh);
    }
  }
}
