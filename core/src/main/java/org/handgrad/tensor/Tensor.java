package org.handgrad.tensor;

import java.util.Arrays;

/**
 * An n-dimensional array of float32, float64 or int32 values with NumPy semantics: a shape, strides
 * in elements, and an offset into a flat storage array that views share.
 *
 * <p>Views (reshape of contiguous data, transpose, slicing, broadcasting) share storage with their
 * base and never copy; {@link #contiguous()} copies only when the layout is not already row-major.
 * Exactly one of the three storage arrays is non-null, matching {@link #dtype()}.
 *
 * <p>Fast code (kernels, layers) reads the storage directly: call {@link #contiguous()} first, then
 * index {@code floatStorage()[offset() + i]} for the i-th element in row-major order.
 */
public final class Tensor {
  private final DType dtype;
  private final float[] f32;
  private final double[] f64;
  private final int[] i32;
  private final int[] shape;
  private final int[] strides;
  private final int offset;
  private final int size;

  /**
   * Internal constructor for tensors and views; arguments are trusted (not copied).
   *
   * @param storage a float[], double[] or int[] matching dtype
   */
  Tensor(DType dtype, Object storage, int[] shape, int[] strides, int offset) {
    this.dtype = dtype;
    this.f32 = dtype == DType.FLOAT32 ? (float[]) storage : null;
    this.f64 = dtype == DType.FLOAT64 ? (double[]) storage : null;
    this.i32 = dtype == DType.INT32 ? (int[]) storage : null;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    this.size = Shapes.size(shape);
  }

  // ---------------------------------------------------------------- factories

  /** A new zero-filled tensor. */
  public static Tensor zeros(DType dtype, int... shape) {
    int n = Shapes.size(shape);
    return new Tensor(dtype, allocate(dtype, n), shape.clone(), Shapes.contiguousStrides(shape), 0);
  }

  /** A new zero-filled float32 tensor. */
  public static Tensor zeros(int... shape) {
    return zeros(DType.FLOAT32, shape);
  }

  /** A new tensor with every element equal to {@code value}. */
  public static Tensor full(DType dtype, double value, int... shape) {
    Tensor t = zeros(dtype, shape);
    switch (dtype) {
      case FLOAT32 -> Arrays.fill(t.f32, (float) value);
      case FLOAT64 -> Arrays.fill(t.f64, value);
      case INT32 -> Arrays.fill(t.i32, (int) value);
    }
    return t;
  }

  /** A new tensor of ones. */
  public static Tensor ones(DType dtype, int... shape) {
    return full(dtype, 1.0, shape);
  }

  /** A new float32 tensor of ones. */
  public static Tensor ones(int... shape) {
    return full(DType.FLOAT32, 1.0, shape);
  }

  /** A new zero-filled tensor with the dtype and shape of {@code like}. */
  public static Tensor zerosLike(Tensor like) {
    return zeros(like.dtype, like.shape);
  }

  /**
   * Wraps a float array (not copied) as a float32 tensor of the given shape.
   *
   * @throws IllegalArgumentException when the array length does not match the shape
   */
  public static Tensor of(float[] data, int... shape) {
    checkLength("Tensor.of", data.length, shape);
    return new Tensor(DType.FLOAT32, data, shape.clone(), Shapes.contiguousStrides(shape), 0);
  }

  /** Wraps a double array (not copied) as a float64 tensor of the given shape. */
  public static Tensor of(double[] data, int... shape) {
    checkLength("Tensor.of", data.length, shape);
    return new Tensor(DType.FLOAT64, data, shape.clone(), Shapes.contiguousStrides(shape), 0);
  }

  /** Wraps an int array (not copied) as an int32 tensor of the given shape. */
  public static Tensor of(int[] data, int... shape) {
    checkLength("Tensor.of", data.length, shape);
    return new Tensor(DType.INT32, data, shape.clone(), Shapes.contiguousStrides(shape), 0);
  }

  /** A 1-D float32 tensor holding a copy of the values, shape (values.length,). */
  public static Tensor vector(float... values) {
    return of(values.clone(), values.length);
  }

  /** A 1-D float64 tensor holding a copy of the values, shape (values.length,). */
  public static Tensor vector(double... values) {
    return of(values.clone(), values.length);
  }

  /** A 1-D int32 tensor holding a copy of the values, shape (values.length,). */
  public static Tensor vector(int... values) {
    return of(values.clone(), values.length);
  }

  /** A 0-d tensor holding one value, shape (). */
  public static Tensor scalar(DType dtype, double value) {
    return full(dtype, value);
  }

  /** A 1-D tensor 0, 1, ..., n-1, shape (n,). */
  public static Tensor arange(DType dtype, int n) {
    Tensor t = zeros(dtype, n);
    for (int i = 0; i < n; i++) {
      t.setFlat(i, i);
    }
    return t;
  }

  private static Object allocate(DType dtype, int n) {
    return switch (dtype) {
      case FLOAT32 -> new float[n];
      case FLOAT64 -> new double[n];
      case INT32 -> new int[n];
    };
  }

  private static void checkLength(String op, int length, int[] shape) {
    int n = Shapes.size(shape);
    if (n != length) {
      throw new IllegalArgumentException(
          op
              + ": "
              + length
              + " values cannot have shape "
              + Shapes.str(shape)
              + " ("
              + n
              + " elements)");
    }
  }

  // ---------------------------------------------------------------- metadata

  /** Element type. */
  public DType dtype() {
    return dtype;
  }

  /** A copy of the shape. */
  public int[] shape() {
    return shape.clone();
  }

  /** Size of one dimension; negative axes count from the end. */
  public int shape(int axis) {
    return shape[Shapes.axis("shape", axis, shape.length)];
  }

  /** Number of dimensions (rank). */
  public int ndim() {
    return shape.length;
  }

  /** Number of elements. */
  public int size() {
    return size;
  }

  /** A copy of the strides, in elements (not bytes, unlike NumPy). */
  public int[] strides() {
    return strides.clone();
  }

  /** Offset of the first element in the storage array. */
  public int offset() {
    return offset;
  }

  /** True when the elements are laid out in row-major order without gaps from {@link #offset()}. */
  public boolean isContiguous() {
    int expected = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      if (shape[i] != 1 && strides[i] != expected) {
        return false;
      }
      expected *= shape[i];
    }
    return true;
  }

  /** True when both tensors have the same shape. */
  public boolean sameShape(Tensor other) {
    return Arrays.equals(shape, other.shape);
  }

  /** The shape formatted as NumPy prints it, for error messages: {@code (64, 100)}. */
  public String shapeString() {
    return Shapes.str(shape);
  }

  // ---------------------------------------------------------------- raw storage

  /**
   * The float32 storage array, shared with every view of it. Index it through {@link #offset()} and
   * {@link #strides()}, or call {@link #contiguous()} first for row-major order.
   *
   * @throws IllegalStateException when the dtype is not FLOAT32
   */
  public float[] floatStorage() {
    if (f32 == null) {
      throw new IllegalStateException("floatStorage: tensor is " + dtype.numpyName());
    }
    return f32;
  }

  /** The float64 storage array; see {@link #floatStorage()}. */
  public double[] doubleStorage() {
    if (f64 == null) {
      throw new IllegalStateException("doubleStorage: tensor is " + dtype.numpyName());
    }
    return f64;
  }

  /** The int32 storage array; see {@link #floatStorage()}. */
  public int[] intStorage() {
    if (i32 == null) {
      throw new IllegalStateException("intStorage: tensor is " + dtype.numpyName());
    }
    return i32;
  }

  /** The storage array as an Object (float[], double[] or int[]), for views. */
  Object storage() {
    return switch (dtype) {
      case FLOAT32 -> f32;
      case FLOAT64 -> f64;
      case INT32 -> i32;
    };
  }

  /** A new tensor that shares this storage with another layout. Package-private: views only. */
  Tensor view(int[] newShape, int[] newStrides, int newOffset) {
    return new Tensor(dtype, storage(), newShape, newStrides, newOffset);
  }

  // ---------------------------------------------------------------- element access

  /** Storage position of a multi-index, with bounds checks that name the index and the shape. */
  private int position(int[] index) {
    if (index.length != shape.length) {
      throw new IllegalArgumentException(
          "index: " + index.length + " indices for a tensor of shape " + Shapes.str(shape));
    }
    int p = offset;
    for (int a = 0; a < index.length; a++) {
      int k = index[a] < 0 ? index[a] + shape[a] : index[a];
      if (k < 0 || k >= shape[a]) {
        throw new IndexOutOfBoundsException(
            "index: "
                + index[a]
                + " is out of bounds for axis "
                + a
                + " with size "
                + shape[a]
                + " (shape "
                + Shapes.str(shape)
                + ")");
      }
      p += k * strides[a];
    }
    return p;
  }

  /** Storage position of the i-th element in row-major (logical) order. */
  private int flatPosition(int i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException(
          "flat index " + i + " is out of bounds for size " + size + " " + Shapes.str(shape));
    }
    int p = offset;
    for (int a = shape.length - 1; a >= 0; a--) {
      int d = shape[a];
      p += (i % d) * strides[a];
      i /= d;
    }
    return p;
  }

  /** The element at a multi-index (negative indices count from the end), as a double. */
  public double get(int... index) {
    return read(position(index));
  }

  /** Sets the element at a multi-index to {@code value} (rounded for float32/int32). */
  public void set(double value, int... index) {
    write(position(index), value);
  }

  /** The i-th element in row-major order, as a double. */
  public double getFlat(int i) {
    return read(flatPosition(i));
  }

  /** Sets the i-th element in row-major order. */
  public void setFlat(int i, double value) {
    write(flatPosition(i), value);
  }

  /**
   * The single value of a tensor with one element.
   *
   * @throws IllegalStateException when the tensor has more than one element
   */
  public double item() {
    if (size != 1) {
      throw new IllegalStateException(
          "item: tensor of shape " + Shapes.str(shape) + " has " + size + " elements, not 1");
    }
    return read(offset);
  }

  private double read(int p) {
    return switch (dtype) {
      case FLOAT32 -> f32[p];
      case FLOAT64 -> f64[p];
      case INT32 -> i32[p];
    };
  }

  private void write(int p, double v) {
    switch (dtype) {
      case FLOAT32 -> f32[p] = (float) v;
      case FLOAT64 -> f64[p] = v;
      case INT32 -> i32[p] = (int) v;
    }
  }

  // ---------------------------------------------------------------- copies and conversion

  /** This tensor if it is already row-major from its offset, otherwise a row-major copy. */
  public Tensor contiguous() {
    return isContiguous() ? this : copy();
  }

  /** A new row-major tensor with the same values. */
  public Tensor copy() {
    return to(dtype);
  }

  /**
   * A new row-major tensor with the values converted to {@code target} (always a copy). Float to
   * int conversion truncates toward zero, like NumPy's {@code astype(int32)}.
   */
  public Tensor to(DType target) {
    Tensor out = zeros(target, shape);
    if (isContiguous() && target == dtype) {
      System.arraycopy(storage(), offset, out.storage(), 0, size);
      return out;
    }
    int[] idx = new int[shape.length];
    int p = offset;
    for (int i = 0; i < size; i++) {
      out.write(i, read(p));
      // Odometer step over the multi-index, updating the storage position incrementally.
      for (int a = shape.length - 1; a >= 0; a--) {
        if (++idx[a] < shape[a]) {
          p += strides[a];
          break;
        }
        p -= (shape[a] - 1) * strides[a];
        idx[a] = 0;
      }
    }
    return out;
  }

  /** The values in row-major order as a new float array (converted if needed). */
  public float[] toFloatArray() {
    return to(DType.FLOAT32).f32;
  }

  /** The values in row-major order as a new double array (converted if needed). */
  public double[] toDoubleArray() {
    return to(DType.FLOAT64).f64;
  }

  /** The values in row-major order as a new int array (truncated toward zero if needed). */
  public int[] toIntArray() {
    return to(DType.INT32).i32;
  }

  // ---------------------------------------------------------------- reshape

  /**
   * The same elements with a new shape; one dimension may be -1 and is inferred. A view when the
   * tensor is contiguous, otherwise a copy (as NumPy's reshape).
   *
   * @throws IllegalArgumentException when the sizes do not match or more than one -1 is given
   */
  public Tensor reshape(int... newShape) {
    int[] s = newShape.clone();
    int infer = -1;
    long known = 1;
    for (int a = 0; a < s.length; a++) {
      if (s[a] == -1) {
        if (infer >= 0) {
          throw new IllegalArgumentException(
              "reshape: only one dimension can be -1, got " + Arrays.toString(newShape));
        }
        infer = a;
      } else if (s[a] < 0) {
        throw new IllegalArgumentException(
            "reshape: negative dimension in " + Arrays.toString(newShape));
      } else {
        known *= s[a];
      }
    }
    if (infer >= 0) {
      if (known == 0 || size % known != 0) {
        throw new IllegalArgumentException(
            "reshape: cannot reshape "
                + Shapes.str(shape)
                + " ("
                + size
                + " elements) into "
                + Arrays.toString(newShape));
      }
      s[infer] = (int) (size / known);
      known *= s[infer];
    }
    if (known != size) {
      throw new IllegalArgumentException(
          "reshape: cannot reshape "
              + Shapes.str(shape)
              + " ("
              + size
              + " elements) into "
              + Shapes.str(s)
              + " ("
              + known
              + " elements)");
    }
    Tensor base = contiguous();
    return base.view(s, Shapes.contiguousStrides(s), base.offset);
  }

  @Override
  public String toString() {
    return "tensor(shape=" + Shapes.str(shape) + ", dtype=" + dtype.numpyName() + ")";
  }
}
