package org.handgrad.tensor;

import java.util.Arrays;
import org.handgrad.kernels.Gemm;

/**
 * Matrix products with NumPy's {@code matmul} rules, on top of {@link Gemm}.
 *
 * <p>Operands of rank >= 2 are stacks of matrices in their last two axes; the leading (batch) axes
 * broadcast. A 1-D left operand is treated as a row (1, k) and a 1-D right operand as a column (k,
 * 1); the added axis is removed from the result. A matrix whose last two axes are a transposed view
 * (column-major) is handed to GEMM with its transpose flag and leading dimension, so {@code
 * x.matmul(w.transpose())} copies nothing; only layouts GEMM cannot express (e.g. broadcast or
 * doubly strided matrices) are copied first.
 */
final class LinearAlgebra {
  private LinearAlgebra() {}

  /** How GEMM reads one matrix operand: transposed or not, with its leading dimension. */
  private record Layout(boolean trans, int ld) {}

  static Tensor matmul(Tensor a, Tensor b) {
    if (a.ndim() == 0 || b.ndim() == 0) {
      throw new IllegalArgumentException(
          "matmul: operands must have at least one dimension, got shapes "
              + a.shapeString()
              + " and "
              + b.shapeString());
    }
    DType rt = DType.promote(a.dtype(), b.dtype());
    DType ct = rt == DType.INT32 ? DType.FLOAT64 : rt;
    boolean aVec = a.ndim() == 1;
    boolean bVec = b.ndim() == 1;
    Tensor x = a.dtype() == ct ? a : a.to(ct);
    Tensor y = b.dtype() == ct ? b : b.to(ct);
    if (aVec) {
      x = x.unsqueeze(0);
    }
    if (bVec) {
      y = y.unsqueeze(1);
    }
    int[] xs = x.shapeRef();
    int[] ys = y.shapeRef();
    int m = xs[xs.length - 2];
    int k = xs[xs.length - 1];
    int n = ys[ys.length - 1];
    if (ys[ys.length - 2] != k) {
      throw new IllegalArgumentException(
          "matmul: cannot multiply "
              + a.shapeString()
              + " by "
              + b.shapeString()
              + " (inner dimensions "
              + k
              + " and "
              + ys[ys.length - 2]
              + " differ)");
    }
    int[] xb = Arrays.copyOf(xs, xs.length - 2);
    int[] yb = Arrays.copyOf(ys, ys.length - 2);
    int[] batch = Broadcast.tryShape(xb, yb);
    if (batch == null) {
      throw new IllegalArgumentException(
          "matmul: batch dimensions of "
              + a.shapeString()
              + " and "
              + b.shapeString()
              + " could not be broadcast together");
    }
    int nb = batch.length;
    int[] outShape = Arrays.copyOf(batch, nb + 2);
    outShape[nb] = m;
    outShape[nb + 1] = n;
    Shapes.size("matmul", outShape);
    Tensor out = Tensor.zeros(ct, outShape);
    if (out.size() > 0 && k > 0) {
      gemmAll(out, x, y, batch, m, n, k);
    }
    if (aVec && bVec) {
      return finish(out.reshape(Arrays.copyOf(batch, nb)), rt);
    }
    if (aVec) {
      return finish(out.squeeze(-2), rt);
    }
    if (bVec) {
      return finish(out.squeeze(-1), rt);
    }
    return finish(out, rt);
  }

  private static Tensor finish(Tensor out, DType rt) {
    return out.dtype() == rt ? out : out.to(rt);
  }

  static Tensor dot(Tensor a, Tensor b) {
    if (a.ndim() != 1 || b.ndim() != 1 || a.size() != b.size()) {
      throw new IllegalArgumentException(
          "dot: expected two 1-D tensors of equal length, got shapes "
              + a.shapeString()
              + " and "
              + b.shapeString());
    }
    return matmul(a, b);
  }

  private static void gemmAll(Tensor out, Tensor x, Tensor y, int[] batch, int m, int n, int k) {
    Layout lx = layout(x, m, k);
    if (lx == null) {
      x = x.copy();
      lx = layout(x, m, k);
    }
    Layout ly = layout(y, k, n);
    if (ly == null) {
      y = y.copy();
      ly = layout(y, k, n);
    }
    int nb = batch.length;
    int[] xbs = batchStrides(x, batch);
    int[] ybs = batchStrides(y, batch);
    int[] obs = Arrays.copyOf(out.stridesRef(), nb);
    // A stack of row-major matrices times one shared matrix is one tall GEMM: (B*m, k) @ (k, n).
    if (!lx.trans() && allZero(ybs) && x.isContiguous() && x.size() == Shapes.size(batch) * m * k) {
      int rows = Shapes.size(batch) * m;
      call(out, 0, x, x.offset(), lx, y, y.offset(), ly, rows, n, k);
      return;
    }
    StridedLoop it =
        new StridedLoop(batch, new int[][] {obs, xbs, ybs}, new int[] {0, x.offset(), y.offset()});
    for (int r = 0; r < it.rows; r++, it.next()) {
      for (int i = 0; i < it.n; i++) {
        call(
            out,
            it.pos[0] + i * it.step[0],
            x,
            it.pos[1] + i * it.step[1],
            lx,
            y,
            it.pos[2] + i * it.step[2],
            ly,
            m,
            n,
            k);
      }
    }
  }

  private static void call(
      Tensor out,
      int oOff,
      Tensor x,
      int xOff,
      Layout lx,
      Tensor y,
      int yOff,
      Layout ly,
      int m,
      int n,
      int k) {
    if (out.dtype() == DType.FLOAT32) {
      Gemm.sgemm(
          out.floatStorage(),
          oOff,
          n,
          x.floatStorage(),
          xOff,
          lx.ld(),
          lx.trans(),
          y.floatStorage(),
          yOff,
          ly.ld(),
          ly.trans(),
          m,
          n,
          k,
          1f,
          0f);
    } else {
      Gemm.dgemm(
          out.doubleStorage(),
          oOff,
          n,
          x.doubleStorage(),
          xOff,
          lx.ld(),
          lx.trans(),
          y.doubleStorage(),
          yOff,
          ly.ld(),
          ly.trans(),
          m,
          n,
          k,
          1.0,
          0.0);
    }
  }

  private static boolean allZero(int[] s) {
    for (int v : s) {
      if (v != 0) {
        return false;
      }
    }
    return true;
  }

  /** Strides of t's batch axes read as the broadcast batch shape (0 where t is broadcast). */
  private static int[] batchStrides(Tensor t, int[] batch) {
    int nd = t.ndim();
    int[] shape = t.shapeRef();
    int[] strides = t.stridesRef();
    int lead = batch.length - (nd - 2);
    int[] out = new int[batch.length];
    for (int i = lead; i < batch.length; i++) {
      out[i] = shape[i - lead] == 1 ? 0 : strides[i - lead];
    }
    return out;
  }

  /**
   * How GEMM can read the (rows, cols) matrix in t's last two axes: row-major with leading
   * dimension = row stride, or column-major (a transposed view) with leading dimension = column
   * stride; null when neither holds (broadcast or doubly strided), and the caller copies.
   */
  private static Layout layout(Tensor t, int rows, int cols) {
    int nd = t.ndim();
    int s0 = t.stridesRef()[nd - 2];
    int s1 = t.stridesRef()[nd - 1];
    if ((cols == 1 || s1 == 1) && (rows == 1 || s0 >= cols)) {
      return new Layout(false, rows == 1 ? cols : s0);
    }
    if ((rows == 1 || s0 == 1) && (cols == 1 || s1 >= rows)) {
      return new Layout(true, cols == 1 ? rows : s1);
    }
    return null;
  }
}
