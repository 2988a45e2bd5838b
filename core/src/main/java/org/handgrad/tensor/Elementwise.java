package org.handgrad.tensor;

import java.util.Arrays;

/**
 * Elementwise binary ops with NumPy broadcasting, comparisons, {@code where}, and the in-place
 * updates used by optimizers.
 *
 * <p>Types (see {@link DType#promote}): the result has the promoted type of the operands. Float
 * arithmetic runs in the result type. int32 with int32 is computed in float64 and converted back to
 * int32 (exact while values stay within int range, saturating rather than wrapping beyond it),
 * except {@code div}, which is true division and returns float64 as in NumPy. A scalar operand
 * takes the tensor's type (float32 tensors stay float32); on an int32 tensor an arithmetic scalar
 * must be a whole number.
 *
 * <p>Comparisons return masks holding 1 and 0: in the promoted float type for float operands, and
 * in float32 when both operands are int32, so that {@code pred.eq(labels).mean()} is an accuracy.
 */
final class Elementwise {
  private Elementwise() {}

  // ---------------------------------------------------------------- out-of-place

  static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
    int[] shape = Broadcast.shape(op.label, a.shapeRef(), b.shapeRef());
    DType rt = DType.promote(a.dtype(), b.dtype());
    DType ct = rt == DType.INT32 ? DType.FLOAT64 : rt;
    Tensor x = a.dtype() == ct ? a : a.to(ct);
    Tensor y = b.dtype() == ct ? b : b.to(ct);
    Tensor out = Tensor.zeros(ct, shape);
    run(op, out, x, y);
    if (op.isComparison()) {
      return rt == DType.INT32 ? out.to(DType.FLOAT32) : out;
    }
    if (rt == DType.INT32 && op != BinaryOp.DIV) {
      return out.to(DType.INT32);
    }
    return out;
  }

  static Tensor binary(BinaryOp op, Tensor a, double s) {
    return intMask(op, a, binary(op, a, scalarLike(op.label, a.dtype(), s, !op.isComparison())));
  }

  static Tensor binary(BinaryOp op, double s, Tensor b) {
    return intMask(op, b, binary(op, scalarLike(op.label, b.dtype(), s, !op.isComparison()), b));
  }

  /** Comparisons of an int32 tensor with a scalar give float32 masks, like int32 with int32. */
  private static Tensor intMask(BinaryOp op, Tensor t, Tensor result) {
    return op.isComparison() && t.dtype() == DType.INT32 ? result.to(DType.FLOAT32) : result;
  }

  /**
   * A 0-d operand for a scalar: in the tensor's float type, or for an int32 tensor in int32 (exact
   * whole numbers only when {@code arithmetic}) or float64 (comparisons, which stay exact).
   */
  static Tensor scalarLike(String op, DType dtype, double s, boolean arithmetic) {
    if (dtype.isFloating()) {
      return Tensor.scalar(dtype, s);
    }
    if (!arithmetic) {
      return Tensor.scalar(DType.FLOAT64, s);
    }
    if (s != Math.rint(s) || Math.abs(s) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          op
              + ": scalar "
              + s
              + " is not an int32 value; convert the int32 tensor with to(DType.FLOAT32) first");
    }
    return Tensor.scalar(DType.INT32, s);
  }

  /** out (fresh or in-place target) = x op y, with x and y already in out's float type. */
  private static void run(BinaryOp op, Tensor out, Tensor x, Tensor y) {
    int[] shape = out.shapeRef();
    StridedLoop it =
        new StridedLoop(
            shape,
            new int[][] {
              out.stridesRef(), Broadcast.strides(x, shape), Broadcast.strides(y, shape)
            },
            new int[] {out.offset(), x.offset(), y.offset()});
    int[] p = it.pos;
    int[] s = it.step;
    if (out.dtype() == DType.FLOAT32) {
      float[] o = out.floatStorage();
      float[] xa = x.floatStorage();
      float[] ya = y.floatStorage();
      for (int r = 0; r < it.rows; r++, it.next()) {
        BinaryLoops.rowF(op, o, p[0], s[0], xa, p[1], s[1], ya, p[2], s[2], it.n);
      }
    } else {
      double[] o = out.doubleStorage();
      double[] xa = x.doubleStorage();
      double[] ya = y.doubleStorage();
      for (int r = 0; r < it.rows; r++, it.next()) {
        BinaryLoops.rowD(op, o, p[0], s[0], xa, p[1], s[1], ya, p[2], s[2], it.n);
      }
    }
  }

  static Tensor where(Tensor mask, Tensor a, Tensor b) {
    int[] shape = Broadcast.shape("where", mask.shapeRef(), a.shapeRef(), b.shapeRef());
    DType rt = DType.promote(a.dtype(), b.dtype());
    DType ct = rt == DType.INT32 ? DType.FLOAT64 : rt;
    Tensor m = mask.dtype() == ct ? mask : mask.to(ct);
    Tensor x = a.dtype() == ct ? a : a.to(ct);
    Tensor y = b.dtype() == ct ? b : b.to(ct);
    Tensor out = Tensor.zeros(ct, shape);
    StridedLoop it =
        new StridedLoop(
            shape,
            new int[][] {
              out.stridesRef(),
              Broadcast.strides(m, shape),
              Broadcast.strides(x, shape),
              Broadcast.strides(y, shape)
            },
            new int[] {0, m.offset(), x.offset(), y.offset()});
    int[] p = it.pos;
    int[] s = it.step;
    if (ct == DType.FLOAT32) {
      float[] o = out.floatStorage();
      float[] ma = m.floatStorage();
      float[] xa = x.floatStorage();
      float[] ya = y.floatStorage();
      for (int r = 0; r < it.rows; r++, it.next()) {
        whereRow(o, p[0], s[0], ma, p[1], s[1], xa, p[2], s[2], ya, p[3], s[3], it.n);
      }
    } else {
      double[] o = out.doubleStorage();
      double[] ma = m.doubleStorage();
      double[] xa = x.doubleStorage();
      double[] ya = y.doubleStorage();
      for (int r = 0; r < it.rows; r++, it.next()) {
        whereRow(o, p[0], s[0], ma, p[1], s[1], xa, p[2], s[2], ya, p[3], s[3], it.n);
      }
    }
    return rt == ct ? out : out.to(rt);
  }

  private static void whereRow(
      float[] o,
      int po,
      int so,
      float[] m,
      int pm,
      int sm,
      float[] x,
      int px,
      int sx,
      float[] y,
      int py,
      int sy,
      int n) {
    for (int i = 0; i < n; i++) {
      // Bitwise select instead of a branch, which mispredicts on random masks (4x slower): k is
      // all ones when m != 0 (any bits besides the sign, so NaN counts as true), else 0.
      int k = -(((Float.floatToRawIntBits(m[pm + i * sm]) & 0x7fffffff) + 0x7fffffff) >>> 31);
      int xb = Float.floatToRawIntBits(x[px + i * sx]);
      int yb = Float.floatToRawIntBits(y[py + i * sy]);
      o[po + i * so] = Float.intBitsToFloat((xb & k) | (yb & ~k));
    }
  }

  private static void whereRow(
      double[] o,
      int po,
      int so,
      double[] m,
      int pm,
      int sm,
      double[] x,
      int px,
      int sx,
      double[] y,
      int py,
      int sy,
      int n) {
    for (int i = 0; i < n; i++) {
      long k =
          -(((Double.doubleToRawLongBits(m[pm + i * sm]) & Long.MAX_VALUE) + Long.MAX_VALUE)
              >>> 63);
      long xb = Double.doubleToRawLongBits(x[px + i * sx]);
      long yb = Double.doubleToRawLongBits(y[py + i * sy]);
      o[po + i * so] = Double.longBitsToDouble((xb & k) | (yb & ~k));
    }
  }

  // ---------------------------------------------------------------- in-place

  /**
   * self = self op other, with other broadcast into self's shape and converted to self's type.
   *
   * @return self
   */
  static Tensor inPlace(BinaryOp op, String name, Tensor self, Tensor other) {
    Tensor y = prepareOperand(name, self, other);
    if (self.dtype() == DType.INT32) {
      if (op == BinaryOp.DIV) {
        throw new IllegalArgumentException(
            name + ": true division of an int32 tensor cannot be stored in place");
      }
      // Rare path: compute in float64 (exact for int32 values) and store back.
      Tensor tmp = self.to(DType.FLOAT64);
      run(op, tmp, tmp, y.to(DType.FLOAT64));
      copyInto(self, tmp);
      return self;
    }
    run(op, self, self, y);
    return self;
  }

  static Tensor inPlace(BinaryOp op, String name, Tensor self, double s) {
    return inPlace(op, name, self, scalarLike(name, self.dtype(), s, true));
  }

  /** self += alpha * other (BLAS axpy), other broadcast into self's shape. */
  static Tensor addScaled(Tensor self, double alpha, Tensor other) {
    Tensor y = prepareOperand("addScaledi", self, other);
    if (self.dtype() == DType.INT32) {
      Tensor tmp = self.to(DType.FLOAT64);
      addScaled(tmp, alpha, y.to(DType.FLOAT64));
      copyInto(self, tmp);
      return self;
    }
    int[] shape = self.shapeRef();
    StridedLoop it =
        new StridedLoop(
            shape,
            new int[][] {self.stridesRef(), Broadcast.strides(y, shape)},
            new int[] {self.offset(), y.offset()});
    int[] p = it.pos;
    int[] s = it.step;
    if (self.dtype() == DType.FLOAT32) {
      float[] o = self.floatStorage();
      float[] b = y.floatStorage();
      for (int r = 0; r < it.rows; r++, it.next()) {
        BinaryLoops.axpyF(o, p[0], s[0], (float) alpha, b, p[1], s[1], it.n);
      }
    } else {
      double[] o = self.doubleStorage();
      double[] b = y.doubleStorage();
      for (int r = 0; r < it.rows; r++, it.next()) {
        BinaryLoops.axpyD(o, p[0], s[0], alpha, b, p[1], s[1], it.n);
      }
    }
    return self;
  }

  /**
   * Checks that other broadcasts into self without growing it and that its type can be stored in
   * self; returns it converted to self's type and detached from self's storage when the two overlap
   * differently (NumPy buffers such operands too).
   */
  private static Tensor prepareOperand(String name, Tensor self, Tensor other) {
    requireWritable(name, self);
    if (!Broadcast.canBroadcast(other.shapeRef(), self.shapeRef())) {
      throw new IllegalArgumentException(
          name
              + ": cannot broadcast an operand of shape "
              + other.shapeString()
              + " into a tensor of shape "
              + self.shapeString()
              + " in place");
    }
    if (self.dtype() == DType.INT32 && other.dtype().isFloating()) {
      throw new IllegalArgumentException(
          name
              + ": cannot store a "
              + other.dtype().numpyName()
              + " operand into an int32 tensor in place");
    }
    if (other.dtype() != self.dtype()) {
      return other.to(self.dtype());
    }
    if (other.storage() == self.storage() && !sameLayout(self, other)) {
      return other.copy();
    }
    return other;
  }

  /**
   * Refuses in-place writes into a broadcast view (stride 0 along an axis longer than 1), where
   * several elements share one storage cell; NumPy makes such views read-only.
   */
  static void requireWritable(String name, Tensor self) {
    int[] shape = self.shapeRef();
    int[] strides = self.stridesRef();
    for (int d = 0; d < shape.length; d++) {
      if (shape[d] > 1 && strides[d] == 0) {
        throw new IllegalArgumentException(
            name
                + ": cannot write in place into a broadcast view of shape "
                + self.shapeString()
                + " (axis "
                + d
                + " repeats one element); copy() it first");
      }
    }
  }

  private static boolean sameLayout(Tensor a, Tensor b) {
    return a.offset() == b.offset()
        && Arrays.equals(a.shapeRef(), b.shapeRef())
        && Arrays.equals(a.stridesRef(), b.stridesRef());
  }

  static Tensor fill(Tensor self, double value) {
    requireWritable("fill", self);
    if (self.size() == 0) {
      return self; // an empty view's offset may lie past its storage
    }
    if (self.isContiguous()) {
      int from = self.offset();
      int to = from + self.size();
      switch (self.dtype()) {
        case FLOAT32 -> Arrays.fill(self.floatStorage(), from, to, (float) value);
        case FLOAT64 -> Arrays.fill(self.doubleStorage(), from, to, value);
        case INT32 -> Arrays.fill(self.intStorage(), from, to, (int) value);
      }
      return self;
    }
    StridedLoop it =
        new StridedLoop(
            self.shapeRef(), new int[][] {self.stridesRef()}, new int[] {self.offset()});
    for (int r = 0; r < it.rows; r++, it.next()) {
      for (int i = 0; i < it.n; i++) {
        self.writeAt(it.pos[0] + i * it.step[0], value);
      }
    }
    return self;
  }

  /** self[...] = src, broadcasting src into self's shape and converting its type (any types). */
  static Tensor copyFrom(Tensor self, Tensor src) {
    requireWritable("copyFrom", self);
    if (!Broadcast.canBroadcast(src.shapeRef(), self.shapeRef())) {
      throw new IllegalArgumentException(
          "copyFrom: cannot broadcast a tensor of shape "
              + src.shapeString()
              + " into a tensor of shape "
              + self.shapeString());
    }
    Tensor y = src;
    if (y.dtype() != self.dtype()) {
      y = y.to(self.dtype());
    } else if (y.storage() == self.storage() && !sameLayout(self, y)) {
      y = y.copy();
    }
    copyInto(self, y);
    return self;
  }

  /** Copies y (same type, broadcastable, not overlapping) into self. */
  private static void copyInto(Tensor self, Tensor y) {
    if (y.dtype() != self.dtype()) {
      y = y.to(self.dtype());
    }
    int[] shape = self.shapeRef();
    StridedLoop it =
        new StridedLoop(
            shape,
            new int[][] {self.stridesRef(), Broadcast.strides(y, shape)},
            new int[] {self.offset(), y.offset()});
    Object dst = self.storage();
    Object src = y.storage();
    for (int r = 0; r < it.rows; r++, it.next()) {
      int po = it.pos[0];
      int pb = it.pos[1];
      int so = it.step[0];
      int sb = it.step[1];
      if (so == 1 && sb == 1) {
        System.arraycopy(src, pb, dst, po, it.n);
      } else {
        for (int i = 0; i < it.n; i++) {
          self.writeAt(po + i * so, y.readAt(pb + i * sb));
        }
      }
    }
  }
}
