package org.handgrad.tensor;

import java.util.Arrays;

/**
 * Integer and boolean indexing: take (NumPy {@code take} / PyTorch {@code index_select}), its
 * inverse scatter-add, take-along-axis and the CS231n {@code x[arange(N), y]} pick, one-hot
 * encoding, and boolean masks. Indices may be negative (counting from the end, as NumPy); out of
 * range indices throw {@link IndexOutOfBoundsException} naming the op, axis and size.
 */
final class Indexing {
  private Indexing() {}

  private static int checkIndex(String op, int index, int axis, int size) {
    int k = index < 0 ? index + size : index;
    if (k < 0 || k >= size) {
      throw new IndexOutOfBoundsException(
          op + ": index " + index + " is out of bounds for axis " + axis + " with size " + size);
    }
    return k;
  }

  private static void requireInt(String op, Tensor indices) {
    if (indices.dtype() != DType.INT32) {
      throw new IllegalArgumentException(
          op + ": indices must be int32, got " + indices.dtype().numpyName());
    }
  }

  private static int prod(int[] shape, int from, int to) {
    int p = 1;
    for (int i = from; i < to; i++) {
      p *= shape[i];
    }
    return p;
  }

  /** shape[:axis] + mid + shape[axis+1:]. */
  private static int[] spliceShape(int[] shape, int axis, int[] mid) {
    int[] out = new int[shape.length - 1 + mid.length];
    System.arraycopy(shape, 0, out, 0, axis);
    System.arraycopy(mid, 0, out, axis, mid.length);
    System.arraycopy(shape, axis + 1, out, axis + mid.length, shape.length - axis - 1);
    return out;
  }

  private static int[] resolveAll(String op, Tensor indices, int axis, int size) {
    int[] ids = indices.toIntArray();
    for (int j = 0; j < ids.length; j++) {
      ids[j] = checkIndex(op, ids[j], axis, size);
    }
    return ids;
  }

  static Tensor take(Tensor x, int axis, Tensor indices) {
    requireInt("take", indices);
    int[] shape = x.shapeRef();
    int a = Shapes.axis("take", axis, shape.length);
    int[] ids = resolveAll("take", indices, a, shape[a]);
    int outer = prod(shape, 0, a);
    int dim = shape[a];
    int inner = prod(shape, a + 1, shape.length);
    int[] outShape = spliceShape(shape, a, indices.shapeRef());
    Shapes.size("take", outShape);
    Tensor out = Tensor.zeros(x.dtype(), outShape);
    if (out.size() == 0) {
      return out;
    }
    Tensor src = x.contiguous();
    Object s = src.storage();
    Object d = out.storage();
    int k = ids.length;
    for (int o = 0; o < outer; o++) {
      for (int j = 0; j < k; j++) {
        System.arraycopy(
            s, src.offset() + (o * dim + ids[j]) * inner, d, (o * k + j) * inner, inner);
      }
    }
    return out;
  }

  /** x[..., indices[j], ...] += src[..., j, ...] in place; duplicate indices accumulate. */
  static Tensor scatterAdd(Tensor x, int axis, Tensor indices, Tensor src) {
    Elementwise.requireWritable("scatterAdd", x);
    requireInt("scatterAdd", indices);
    int[] shape = x.shapeRef();
    int a = Shapes.axis("scatterAdd", axis, shape.length);
    int[] expected = spliceShape(shape, a, indices.shapeRef());
    if (!Arrays.equals(expected, src.shapeRef())) {
      throw new IllegalArgumentException(
          "scatterAdd: src of shape "
              + src.shapeString()
              + " does not match "
              + Shapes.str(expected)
              + ", expected for indices of shape "
              + indices.shapeString()
              + " along axis "
              + axis
              + " of a tensor of shape "
              + x.shapeString());
    }
    if (x.dtype() == DType.INT32 && src.dtype().isFloating()) {
      throw new IllegalArgumentException(
          "scatterAdd: cannot add a " + src.dtype().numpyName() + " src into an int32 tensor");
    }
    int[] ids = resolveAll("scatterAdd", indices, a, shape[a]);
    Tensor s = src.dtype() == x.dtype() ? src.contiguous() : src.to(x.dtype());
    if (!x.isContiguous() || s.storage() == x.storage()) {
      // Accumulate into a contiguous copy, then write back through the view.
      Tensor tmp = x.copy();
      accumulate(tmp, a, ids, s.copy());
      x.copyFrom(tmp);
    } else {
      accumulate(x, a, ids, s);
    }
    return x;
  }

  /** x[o, ids[j], e] += s[o, j, e] for contiguous x and s of the same type. */
  private static void accumulate(Tensor x, int a, int[] ids, Tensor s) {
    int[] shape = x.shapeRef();
    int outer = prod(shape, 0, a);
    int dim = shape[a];
    int inner = prod(shape, a + 1, shape.length);
    int k = ids.length;
    int xo = x.offset();
    int so = s.offset();
    for (int o = 0; o < outer; o++) {
      for (int j = 0; j < k; j++) {
        int dst = xo + (o * dim + ids[j]) * inner;
        int from = so + (o * k + j) * inner;
        switch (x.dtype()) {
          case FLOAT32 -> {
            float[] t = x.floatStorage();
            float[] v = s.floatStorage();
            for (int e = 0; e < inner; e++) {
              t[dst + e] += v[from + e];
            }
          }
          case FLOAT64 -> {
            double[] t = x.doubleStorage();
            double[] v = s.doubleStorage();
            for (int e = 0; e < inner; e++) {
              t[dst + e] += v[from + e];
            }
          }
          case INT32 -> {
            int[] t = x.intStorage();
            int[] v = s.intStorage();
            for (int e = 0; e < inner; e++) {
              t[dst + e] += v[from + e];
            }
          }
        }
      }
    }
  }

  static Tensor takeAlongAxis(Tensor x, Tensor indices, int axis) {
    requireInt("takeAlongAxis", indices);
    int nd = x.ndim();
    if (indices.ndim() != nd) {
      throw new IllegalArgumentException(
          "takeAlongAxis: indices of shape "
              + indices.shapeString()
              + " must have the rank of the tensor, shape "
              + x.shapeString());
    }
    int a = Shapes.axis("takeAlongAxis", axis, nd);
    int[] xs = x.shapeRef();
    int[] is = indices.shapeRef();
    int[] outShape = new int[nd];
    for (int d = 0; d < nd; d++) {
      if (d == a) {
        outShape[d] = is[d];
      } else if (xs[d] == is[d] || xs[d] == 1 || is[d] == 1) {
        outShape[d] = xs[d] == 1 ? is[d] : xs[d];
      } else {
        throw new IllegalArgumentException(
            "takeAlongAxis: indices of shape "
                + indices.shapeString()
                + " do not broadcast against a tensor of shape "
                + x.shapeString()
                + " outside axis "
                + axis);
      }
    }
    int[] baseStrides = new int[nd];
    int[] idxStrides = new int[nd];
    for (int d = 0; d < nd; d++) {
      baseStrides[d] = d == a || xs[d] == 1 ? 0 : x.stridesRef()[d];
      idxStrides[d] = is[d] == 1 ? 0 : indices.stridesRef()[d];
    }
    int axisStride = x.stridesRef()[a];
    int axisSize = xs[a];
    Tensor out = Tensor.zeros(x.dtype(), outShape);
    int[] idx = indices.intStorage();
    StridedLoop it =
        new StridedLoop(
            outShape,
            new int[][] {out.stridesRef(), idxStrides, baseStrides},
            new int[] {0, indices.offset(), x.offset()});
    for (int r = 0; r < it.rows; r++, it.next()) {
      for (int i = 0; i < it.n; i++) {
        int k = checkIndex("takeAlongAxis", idx[it.pos[1] + i * it.step[1]], a, axisSize);
        out.writeAt(
            it.pos[0] + i * it.step[0], x.readAt(it.pos[2] + i * it.step[2] + k * axisStride));
      }
    }
    return out;
  }

  /** out[i] = x[i, cols[i]] for a 2-D x. */
  static Tensor pick(Tensor x, int[] cols) {
    if (x.ndim() != 2 || x.shapeRef()[0] != cols.length) {
      throw new IllegalArgumentException(
          "pick: expected a 2-D tensor (N, C) and N column indices, got shape "
              + x.shapeString()
              + " and "
              + cols.length
              + " indices");
    }
    int n = cols.length;
    int c = x.shapeRef()[1];
    int s0 = x.stridesRef()[0];
    int s1 = x.stridesRef()[1];
    Tensor out = Tensor.zeros(x.dtype(), n);
    for (int i = 0; i < n; i++) {
      int k = checkIndex("pick", cols[i], 1, c);
      out.writeAt(i, x.readAt(x.offset() + i * s0 + k * s1));
    }
    return out;
  }

  static Tensor oneHot(DType dtype, int[] labels, int classes) {
    if (classes < 0) {
      throw new IllegalArgumentException("oneHot: classes must be >= 0, got " + classes);
    }
    Shapes.size("oneHot", labels.length, classes);
    Tensor out = Tensor.zeros(dtype, labels.length, classes);
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IndexOutOfBoundsException(
            "oneHot: label "
                + labels[i]
                + " at position "
                + i
                + " is out of range for "
                + classes
                + " classes");
      }
      out.writeAt(i * classes + labels[i], 1);
    }
    return out;
  }

  private static StridedLoop maskLoop(String op, Tensor x, Tensor mask) {
    if (!Broadcast.canBroadcast(mask.shapeRef(), x.shapeRef())) {
      throw new IllegalArgumentException(
          op
              + ": mask of shape "
              + mask.shapeString()
              + " cannot be broadcast to the tensor's shape "
              + x.shapeString());
    }
    int[] shape = x.shapeRef();
    return new StridedLoop(
        shape,
        new int[][] {x.stridesRef(), Broadcast.strides(mask, shape)},
        new int[] {x.offset(), mask.offset()});
  }

  /** The elements where the (broadcast) mask is non-zero, in row-major order, shape (k,). */
  static Tensor maskedSelect(Tensor x, Tensor mask) {
    StridedLoop it = maskLoop("maskedSelect", x, mask);
    Tensor buf = Tensor.zeros(x.dtype(), x.size());
    int k = 0;
    for (int r = 0; r < it.rows; r++, it.next()) {
      for (int i = 0; i < it.n; i++) {
        if (mask.readAt(it.pos[1] + i * it.step[1]) != 0) {
          buf.writeAt(k++, x.readAt(it.pos[0] + i * it.step[0]));
        }
      }
    }
    return buf.slice(0, 0, k).copy();
  }

  /** x[mask != 0] = value in place. */
  static Tensor maskedFill(Tensor x, Tensor mask, double value) {
    Elementwise.requireWritable("maskedFill", x);
    StridedLoop it = maskLoop("maskedFill", x, mask);
    for (int r = 0; r < it.rows; r++, it.next()) {
      for (int i = 0; i < it.n; i++) {
        if (mask.readAt(it.pos[1] + i * it.step[1]) != 0) {
          x.writeAt(it.pos[0] + i * it.step[0], value);
        }
      }
    }
    return x;
  }
}
