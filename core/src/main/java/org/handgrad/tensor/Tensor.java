package org.handgrad.tensor;

import java.util.Arrays;
import java.util.List;

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
 *
 * <p>The ops are NumPy's, as instance methods that delegate to one class per family: {@code Views}
 * (transpose, permute, slice, squeeze, broadcastTo), {@code Elementwise} (broadcasting arithmetic,
 * comparisons, where, in-place updates), {@code Unary}, {@code Reductions}, {@code LinearAlgebra}
 * (matmul over {@code kernels.Gemm}), {@code Indexing}, {@code Joining} and {@code TensorFormat}.
 * Randomness comes from an explicit {@link Rng}.
 *
 * <p>Types: binary ops promote with {@link DType#promote} (float32 with float64 gives float64,
 * int32 with a float type gives that float type). Comparisons return 1/0 masks in the promoted
 * float type (float32 for two int32 operands). Errors in arguments throw {@link
 * IllegalArgumentException} (or {@link IndexOutOfBoundsException} for indices) naming the op and
 * the shapes, axes or types involved.
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
    int n = Shapes.size("zeros", shape);
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
    int n = Shapes.size(op, shape);
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
    if (size == 0) {
      return true;
    }
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

  /** The shape array itself (not a copy): package code must not modify it. */
  int[] shapeRef() {
    return shape;
  }

  /** The strides array itself (not a copy): package code must not modify it. */
  int[] stridesRef() {
    return strides;
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
    return readAt(position(index));
  }

  /** Sets the element at a multi-index to {@code value} (rounded for float32/int32). */
  public void set(double value, int... index) {
    writeAt(position(index), value);
  }

  /** The i-th element in row-major order, as a double. */
  public double getFlat(int i) {
    return readAt(flatPosition(i));
  }

  /** Sets the i-th element in row-major order. */
  public void setFlat(int i, double value) {
    writeAt(flatPosition(i), value);
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
    return readAt(offset);
  }

  /** The element at storage position p, as a double (slow paths only). */
  double readAt(int p) {
    return switch (dtype) {
      case FLOAT32 -> f32[p];
      case FLOAT64 -> f64[p];
      case INT32 -> i32[p];
    };
  }

  /** Writes the element at storage position p, rounding for float32/int32 (slow paths only). */
  void writeAt(int p, double v) {
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
    if (size == 0) {
      // An empty view's offset may lie past its storage (e.g. a flipped axis next to a 0 axis).
      return out;
    }
    if (isContiguous() && target == dtype) {
      System.arraycopy(storage(), offset, out.storage(), 0, size);
      return out;
    }
    if (target == dtype) {
      // A view of the same type: copyFrom's strided walk merges the axes that are contiguous in
      // both and copies each such row with System.arraycopy (a channel slice of an (N, C, H, W)
      // map: rows of H*W), where the walk below reads and writes element by element.
      Elementwise.copyFrom(out, this);
      return out;
    }
    if (isContiguous()) {
      convertRun(out);
      return out;
    }
    int[] idx = new int[shape.length];
    int p = offset;
    for (int i = 0; i < size; i++) {
      out.writeAt(i, readAt(p));
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

  /**
   * Converts this contiguous tensor's {@code size} elements from {@code offset} into {@code out}, a
   * new row-major tensor of another dtype: one typed loop per pair of dtypes instead of {@link
   * #readAt} / {@link #writeAt} per element (the VAE's likelihoods convert every decoder output to
   * float64). The casts are those of the element-wise path: through double, which holds every
   * float32 and int32 exactly, so each result is rounded once, as a direct cast rounds it.
   */
  private void convertRun(Tensor out) {
    int n = size;
    int o = offset;
    switch (dtype) {
      case FLOAT32 -> {
        if (out.dtype == DType.FLOAT64) {
          for (int i = 0; i < n; i++) {
            out.f64[i] = f32[o + i];
          }
        } else {
          for (int i = 0; i < n; i++) {
            out.i32[i] = (int) f32[o + i];
          }
        }
      }
      case FLOAT64 -> {
        if (out.dtype == DType.FLOAT32) {
          for (int i = 0; i < n; i++) {
            out.f32[i] = (float) f64[o + i];
          }
        } else {
          for (int i = 0; i < n; i++) {
            out.i32[i] = (int) f64[o + i];
          }
        }
      }
      case INT32 -> {
        if (out.dtype == DType.FLOAT32) {
          for (int i = 0; i < n; i++) {
            out.f32[i] = i32[o + i];
          }
        } else {
          for (int i = 0; i < n; i++) {
            out.f64[i] = i32[o + i];
          }
        }
      }
    }
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

  // ---------------------------------------------------------------- views (no copies)

  /**
   * Reverses the axes (NumPy {@code .T}): a (M, N) matrix becomes (N, M). A view; rank 0 and 1 are
   * returned unchanged.
   */
  public Tensor transpose() {
    return Views.transpose(this);
  }

  /** Swaps two axes (negative axes count from the end). A view. */
  public Tensor transpose(int axis1, int axis2) {
    return Views.swapAxes(this, axis1, axis2);
  }

  /**
   * Reorders the axes: result axis i is input axis {@code axes[i]}. A view.
   *
   * @param axes a permutation of 0..ndim-1 (negative values count from the end)
   */
  public Tensor permute(int... axes) {
    return Views.permute(this, axes);
  }

  /** Python {@code x[start:stop]} along one axis, with clamping and negative indices. A view. */
  public Tensor slice(int axis, int start, int stop) {
    return Views.slice(this, axis, new Slice(start, stop, 1));
  }

  /**
   * Python {@code x[start:stop:step]} along one axis. Negative start/stop count from the end and
   * out-of-range bounds clamp as in Python; a negative step walks backwards, with {@link
   * Integer#MAX_VALUE} / {@link Integer#MIN_VALUE} as open bounds (see {@link Slice}). A view.
   *
   * @throws IllegalArgumentException when step is 0 or the axis is out of range
   */
  public Tensor slice(int axis, int start, int stop, int step) {
    return Views.slice(this, axis, new Slice(start, stop, step));
  }

  /**
   * Slices several leading axes at once, {@code x[s0, s1, ...]}; axes without a slice are kept
   * whole. A view.
   */
  public Tensor slice(Slice... perAxis) {
    return Views.slice(this, perAxis);
  }

  /** {@code x[..., index, ...]} along one axis, removing that axis. A view. */
  public Tensor select(int axis, int index) {
    return Views.select(this, axis, index);
  }

  /** Reverses one axis ({@code x[::-1]} along it). A view with a negative stride. */
  public Tensor flip(int axis) {
    return Views.slice(this, axis, Slice.reversed());
  }

  /** Removes every axis of size 1. A view. */
  public Tensor squeeze() {
    return Views.squeezeAll(this);
  }

  /**
   * Removes one axis of size 1. A view.
   *
   * @throws IllegalArgumentException when that axis does not have size 1
   */
  public Tensor squeeze(int axis) {
    return Views.squeeze(this, axis);
  }

  /**
   * Inserts an axis of size 1 at position {@code axis} of the result (-1 appends). A view: a (D,)
   * bias becomes (1, D).
   */
  public Tensor unsqueeze(int axis) {
    return Views.unsqueeze(this, axis);
  }

  /**
   * Reads this tensor as a larger shape by NumPy broadcasting (stride 0 along stretched axes). A
   * read-only view: its elements share storage, so in-place ops on it throw (call {@link #copy()}
   * for a writable tensor).
   */
  public Tensor broadcastTo(int... shape) {
    return Views.broadcastTo(this, shape);
  }

  /** The elements as one axis, shape (size,): a view when contiguous, otherwise a copy. */
  public Tensor flatten() {
    return reshape(-1);
  }

  // ---------------------------------------------------------------- elementwise binary

  /**
   * {@code this + other} with NumPy broadcasting. The result type is {@link DType#promote}; int32
   * with int32 stays int32 (computed in float64, saturating at the int range).
   *
   * @throws IllegalArgumentException when the shapes do not broadcast
   */
  public Tensor add(Tensor other) {
    return Elementwise.binary(BinaryOp.ADD, this, other);
  }

  /** {@code this + s}; the scalar takes this tensor's type (see {@link #add(Tensor)}). */
  public Tensor add(double s) {
    return Elementwise.binary(BinaryOp.ADD, this, s);
  }

  /** {@code this - other} with broadcasting; see {@link #add(Tensor)}. */
  public Tensor sub(Tensor other) {
    return Elementwise.binary(BinaryOp.SUB, this, other);
  }

  /** {@code this - s}. */
  public Tensor sub(double s) {
    return Elementwise.binary(BinaryOp.SUB, this, s);
  }

  /** {@code s - this} (reversed subtraction, e.g. {@code 1 - p}). */
  public Tensor rsub(double s) {
    return Elementwise.binary(BinaryOp.SUB, s, this);
  }

  /** {@code this * other} with broadcasting; see {@link #add(Tensor)}. */
  public Tensor mul(Tensor other) {
    return Elementwise.binary(BinaryOp.MUL, this, other);
  }

  /** {@code this * s}. */
  public Tensor mul(double s) {
    return Elementwise.binary(BinaryOp.MUL, this, s);
  }

  /**
   * {@code this / other} with broadcasting. Division of two int32 tensors is true division and
   * returns float64, as NumPy.
   */
  public Tensor div(Tensor other) {
    return Elementwise.binary(BinaryOp.DIV, this, other);
  }

  /** {@code this / s}. */
  public Tensor div(double s) {
    return Elementwise.binary(BinaryOp.DIV, this, s);
  }

  /** {@code s / this} (reversed division, e.g. {@code 1 / x}). */
  public Tensor rdiv(double s) {
    return Elementwise.binary(BinaryOp.DIV, s, this);
  }

  /** {@code this ** other} elementwise ({@link Math#pow}), with broadcasting. */
  public Tensor pow(Tensor other) {
    return Elementwise.binary(BinaryOp.POW, this, other);
  }

  /** {@code this ** s}; {@code pow(2)} is {@link #square()}. */
  public Tensor pow(double s) {
    if (s == 2) {
      return square();
    }
    return Elementwise.binary(BinaryOp.POW, this, s);
  }

  /** Elementwise maximum with broadcasting; NaN wins, as NumPy's {@code maximum}. */
  public Tensor maximum(Tensor other) {
    return Elementwise.binary(BinaryOp.MAXIMUM, this, other);
  }

  /** Elementwise {@code max(this, s)}. */
  public Tensor maximum(double s) {
    return Elementwise.binary(BinaryOp.MAXIMUM, this, s);
  }

  /** Elementwise minimum with broadcasting; NaN wins. */
  public Tensor minimum(Tensor other) {
    return Elementwise.binary(BinaryOp.MINIMUM, this, other);
  }

  /** Elementwise {@code min(this, s)}. */
  public Tensor minimum(double s) {
    return Elementwise.binary(BinaryOp.MINIMUM, this, s);
  }

  /**
   * Mask of {@code this == other} with broadcasting: 1 where true, 0 where false, in the promoted
   * float type (float32 when both operands are int32). The same holds for every comparison.
   */
  public Tensor eq(Tensor other) {
    return Elementwise.binary(BinaryOp.EQ, this, other);
  }

  /** Mask of {@code this == s}; see {@link #eq(Tensor)}. */
  public Tensor eq(double s) {
    return Elementwise.binary(BinaryOp.EQ, this, s);
  }

  /** Mask of {@code this != other}; see {@link #eq(Tensor)}. */
  public Tensor ne(Tensor other) {
    return Elementwise.binary(BinaryOp.NE, this, other);
  }

  /** Mask of {@code this != s}. */
  public Tensor ne(double s) {
    return Elementwise.binary(BinaryOp.NE, this, s);
  }

  /** Mask of {@code this < other}; see {@link #eq(Tensor)}. */
  public Tensor lt(Tensor other) {
    return Elementwise.binary(BinaryOp.LT, this, other);
  }

  /** Mask of {@code this < s}. */
  public Tensor lt(double s) {
    return Elementwise.binary(BinaryOp.LT, this, s);
  }

  /** Mask of {@code this <= other}; see {@link #eq(Tensor)}. */
  public Tensor le(Tensor other) {
    return Elementwise.binary(BinaryOp.LE, this, other);
  }

  /** Mask of {@code this <= s}. */
  public Tensor le(double s) {
    return Elementwise.binary(BinaryOp.LE, this, s);
  }

  /** Mask of {@code this > other}; see {@link #eq(Tensor)}. */
  public Tensor gt(Tensor other) {
    return Elementwise.binary(BinaryOp.GT, this, other);
  }

  /** Mask of {@code this > s}, e.g. the ReLU mask {@code x.gt(0)}. */
  public Tensor gt(double s) {
    return Elementwise.binary(BinaryOp.GT, this, s);
  }

  /** Mask of {@code this >= other}; see {@link #eq(Tensor)}. */
  public Tensor ge(Tensor other) {
    return Elementwise.binary(BinaryOp.GE, this, other);
  }

  /** Mask of {@code this >= s}. */
  public Tensor ge(double s) {
    return Elementwise.binary(BinaryOp.GE, this, s);
  }

  /**
   * {@code a} where the mask is non-zero, {@code b} elsewhere, all three broadcast together (NumPy
   * {@code where}). The result has the promoted type of a and b.
   *
   * @param mask any type; non-zero (including NaN) selects a
   */
  public static Tensor where(Tensor mask, Tensor a, Tensor b) {
    return Elementwise.where(mask, a, b);
  }

  /** {@code where(mask, a, b)} with a scalar b in a's type. */
  public static Tensor where(Tensor mask, Tensor a, double b) {
    return Elementwise.where(mask, a, Elementwise.scalarLike("where", a.dtype, b, true));
  }

  // ---------------------------------------------------------------- in-place updates

  /**
   * {@code this += other} in place, broadcasting other into this shape. other is converted to this
   * type (float64 into float32 rounds); storing a float into an int32 tensor is refused.
   *
   * @return this
   * @throws IllegalArgumentException when other would need this tensor to grow
   */
  public Tensor addi(Tensor other) {
    return Elementwise.inPlace(BinaryOp.ADD, "addi", this, other);
  }

  /** {@code this += s} in place; returns this. */
  public Tensor addi(double s) {
    return Elementwise.inPlace(BinaryOp.ADD, "addi", this, s);
  }

  /** {@code this -= other} in place; see {@link #addi(Tensor)}. */
  public Tensor subi(Tensor other) {
    return Elementwise.inPlace(BinaryOp.SUB, "subi", this, other);
  }

  /** {@code this -= s} in place; returns this. */
  public Tensor subi(double s) {
    return Elementwise.inPlace(BinaryOp.SUB, "subi", this, s);
  }

  /** {@code this *= other} in place; see {@link #addi(Tensor)}. */
  public Tensor muli(Tensor other) {
    return Elementwise.inPlace(BinaryOp.MUL, "muli", this, other);
  }

  /** {@code this *= s} in place; returns this. */
  public Tensor muli(double s) {
    return Elementwise.inPlace(BinaryOp.MUL, "muli", this, s);
  }

  /** {@code this /= other} in place (float tensors only); see {@link #addi(Tensor)}. */
  public Tensor divi(Tensor other) {
    return Elementwise.inPlace(BinaryOp.DIV, "divi", this, other);
  }

  /** {@code this /= s} in place (float tensors only); returns this. */
  public Tensor divi(double s) {
    return Elementwise.inPlace(BinaryOp.DIV, "divi", this, s);
  }

  /**
   * {@code this += alpha * other} in place (BLAS axpy), e.g. the SGD step {@code w.addScaledi(-lr,
   * dw)}. other broadcasts into this shape.
   *
   * @return this
   */
  public Tensor addScaledi(double alpha, Tensor other) {
    return Elementwise.addScaled(this, alpha, other);
  }

  /** Sets every element to {@code value} (rounded to this type); returns this. */
  public Tensor fill(double value) {
    return Elementwise.fill(this, value);
  }

  /**
   * {@code this[...] = src}: copies src into this tensor (or view), broadcasting it into this shape
   * and converting its type (float to int32 truncates toward zero).
   *
   * @return this
   */
  public Tensor copyFrom(Tensor src) {
    return Elementwise.copyFrom(this, src);
  }

  // ---------------------------------------------------------------- unary maths

  /** {@code -x}. */
  public Tensor neg() {
    return Unary.apply(UnaryOp.NEG, this);
  }

  /** {@code e^x}; int32 input gives float64 (as do log, sqrt, tanh, sigmoid and erf). */
  public Tensor exp() {
    return Unary.apply(UnaryOp.EXP, this);
  }

  /** Natural logarithm (NaN below 0, -inf at 0). */
  public Tensor log() {
    return Unary.apply(UnaryOp.LOG, this);
  }

  /** Square root (NaN below 0). */
  public Tensor sqrt() {
    return Unary.apply(UnaryOp.SQRT, this);
  }

  /** {@code x * x}. */
  public Tensor square() {
    return Unary.apply(UnaryOp.SQUARE, this);
  }

  /** Hyperbolic tangent. */
  public Tensor tanh() {
    return Unary.apply(UnaryOp.TANH, this);
  }

  /**
   * Logistic sigmoid {@code 1 / (1 + e^-x)}, evaluated as {@code e^x / (1 + e^x)} for negative x so
   * that no exp overflows: exact 0 and 1 limits, never NaN for finite x.
   */
  public Tensor sigmoid() {
    return Unary.apply(UnaryOp.SIGMOID, this);
  }

  /** {@code max(x, 0)}. */
  public Tensor relu() {
    return Unary.apply(UnaryOp.RELU, this);
  }

  /** {@code |x|}. */
  public Tensor abs() {
    return Unary.apply(UnaryOp.ABS, this);
  }

  /** -1, 0 or 1 by the sign of x (NaN stays NaN). */
  public Tensor sign() {
    return Unary.apply(UnaryOp.SIGN, this);
  }

  /** The error function (see {@link SpecialFunctions#erf}), e.g. for the exact GELU. */
  public Tensor erf() {
    return Unary.apply(UnaryOp.ERF, this);
  }

  /**
   * Limits every element to [lo, hi] (NaN stays NaN), e.g. gradient value clipping.
   *
   * @throws IllegalArgumentException when lo &gt; hi
   */
  public Tensor clip(double lo, double hi) {
    return Unary.clip(this, lo, hi);
  }

  // ---------------------------------------------------------------- reductions

  /** Sum of all elements, shape (). Read it with {@link #item()}. */
  public Tensor sum() {
    return Reductions.reduce(Reductions.Kind.SUM, "sum", this, null, false, 0);
  }

  /** Sum over one axis, which is removed: (N, D).sum(0) has shape (D,). */
  public Tensor sum(int axis) {
    return sum(axis, false);
  }

  /** Sum over one axis, kept with size 1 when {@code keepdims}: (N, D).sum(1, true) is (N, 1). */
  public Tensor sum(int axis, boolean keepdims) {
    return Reductions.reduce(Reductions.Kind.SUM, "sum", this, new int[] {axis}, keepdims, 0);
  }

  /** Sum over several axes, which are removed: (N, C, H, W).sum(new int[] {0, 2, 3}) is (C,). */
  public Tensor sum(int[] axes) {
    return sum(axes, false);
  }

  /**
   * Sum over several axes. float32 is accumulated in float64 (see {@code Reductions}).
   *
   * @param axes axes to reduce, or null for all
   */
  public Tensor sum(int[] axes, boolean keepdims) {
    return Reductions.reduce(Reductions.Kind.SUM, "sum", this, axes, keepdims, 0);
  }

  /** Mean of all elements, shape () (NaN when empty). */
  public Tensor mean() {
    return Reductions.reduce(Reductions.Kind.MEAN, "mean", this, null, false, 0);
  }

  /** Mean over one axis, which is removed. */
  public Tensor mean(int axis) {
    return mean(axis, false);
  }

  /** Mean over one axis, kept with size 1 when {@code keepdims}. */
  public Tensor mean(int axis, boolean keepdims) {
    return Reductions.reduce(Reductions.Kind.MEAN, "mean", this, new int[] {axis}, keepdims, 0);
  }

  /** Mean over several axes, which are removed (NumPy's {@code x.mean(axis=(0, 2, 3))}). */
  public Tensor mean(int[] axes) {
    return mean(axes, false);
  }

  /** Mean over several axes (null for all), e.g. axes {0, 2, 3} for spatial batch norm. */
  public Tensor mean(int[] axes, boolean keepdims) {
    return Reductions.reduce(Reductions.Kind.MEAN, "mean", this, axes, keepdims, 0);
  }

  /** Largest element, shape () (NaN if any element is NaN). */
  public Tensor max() {
    return Reductions.reduce(Reductions.Kind.MAX, "max", this, null, false, 0);
  }

  /** Largest element along one axis, which is removed. */
  public Tensor max(int axis) {
    return max(axis, false);
  }

  /** Largest element along one axis, e.g. {@code scores.max(1, true)} for a stable softmax. */
  public Tensor max(int axis, boolean keepdims) {
    return Reductions.reduce(Reductions.Kind.MAX, "max", this, new int[] {axis}, keepdims, 0);
  }

  /** Largest element over several axes, which are removed. */
  public Tensor max(int[] axes) {
    return max(axes, false);
  }

  /**
   * Largest element over several axes (null for all).
   *
   * @throws IllegalArgumentException when a reduced axis has size 0
   */
  public Tensor max(int[] axes, boolean keepdims) {
    return Reductions.reduce(Reductions.Kind.MAX, "max", this, axes, keepdims, 0);
  }

  /** Smallest element, shape (). */
  public Tensor min() {
    return Reductions.reduce(Reductions.Kind.MIN, "min", this, null, false, 0);
  }

  /** Smallest element along one axis, which is removed. */
  public Tensor min(int axis) {
    return min(axis, false);
  }

  /** Smallest element along one axis, kept with size 1 when {@code keepdims}. */
  public Tensor min(int axis, boolean keepdims) {
    return Reductions.reduce(Reductions.Kind.MIN, "min", this, new int[] {axis}, keepdims, 0);
  }

  /** Smallest element over several axes, which are removed. */
  public Tensor min(int[] axes) {
    return min(axes, false);
  }

  /** Smallest element over several axes (null for all). */
  public Tensor min(int[] axes, boolean keepdims) {
    return Reductions.reduce(Reductions.Kind.MIN, "min", this, axes, keepdims, 0);
  }

  /** Population variance (ddof 0) of all elements, shape (). */
  public Tensor var() {
    return Reductions.reduce(Reductions.Kind.VAR, "var", this, null, false, 0);
  }

  /** Population variance along one axis, which is removed (as {@link #mean(int)}). */
  public Tensor var(int axis) {
    return var(axis, false);
  }

  /** Population variance along one axis (batch norm: {@code x.var(0, false)} on (N, D)). */
  public Tensor var(int axis, boolean keepdims) {
    return Reductions.reduce(Reductions.Kind.VAR, "var", this, new int[] {axis}, keepdims, 0);
  }

  /**
   * Variance along one axis with {@code ddof} (NumPy's {@code x.var(axis=0, ddof=1)}); see {@link
   * #var(int[], boolean, int)}.
   */
  public Tensor var(int axis, boolean keepdims, int ddof) {
    return Reductions.reduce(Reductions.Kind.VAR, "var", this, new int[] {axis}, keepdims, ddof);
  }

  /** Population variance over several axes, which are removed (spatial batch norm's statistic). */
  public Tensor var(int[] axes) {
    return var(axes, false, 0);
  }

  /** Population variance over several axes, kept with size 1 when {@code keepdims}. */
  public Tensor var(int[] axes, boolean keepdims) {
    return var(axes, keepdims, 0);
  }

  /**
   * Variance over several axes: sum of squared deviations from the mean divided by {@code count -
   * ddof} (ddof 1 gives the unbiased estimate).
   *
   * @param axes axes to reduce, or null for all
   */
  public Tensor var(int[] axes, boolean keepdims, int ddof) {
    return Reductions.reduce(Reductions.Kind.VAR, "var", this, axes, keepdims, ddof);
  }

  /** Population standard deviation of all elements, shape (). */
  public Tensor std() {
    return Reductions.reduce(Reductions.Kind.STD, "std", this, null, false, 0);
  }

  /** Population standard deviation along one axis, which is removed (as {@link #mean(int)}). */
  public Tensor std(int axis) {
    return std(axis, false);
  }

  /** Population standard deviation along one axis. */
  public Tensor std(int axis, boolean keepdims) {
    return Reductions.reduce(Reductions.Kind.STD, "std", this, new int[] {axis}, keepdims, 0);
  }

  /** Standard deviation along one axis with {@code ddof}; see {@link #var(int, boolean, int)}. */
  public Tensor std(int axis, boolean keepdims, int ddof) {
    return Reductions.reduce(Reductions.Kind.STD, "std", this, new int[] {axis}, keepdims, ddof);
  }

  /** Population standard deviation over several axes, which are removed. */
  public Tensor std(int[] axes) {
    return std(axes, false, 0);
  }

  /** Population standard deviation over several axes, kept with size 1 when {@code keepdims}. */
  public Tensor std(int[] axes, boolean keepdims) {
    return std(axes, keepdims, 0);
  }

  /** Standard deviation over several axes (null for all) with {@code ddof}; see {@link #var}. */
  public Tensor std(int[] axes, boolean keepdims, int ddof) {
    return Reductions.reduce(Reductions.Kind.STD, "std", this, axes, keepdims, ddof);
  }

  /** Row-major flat index of the largest element, as an int32 tensor of shape (). */
  public Tensor argmax() {
    return Reductions.argAll(true, "argmax", this);
  }

  /**
   * Index of the largest element along an axis (first on ties, first NaN if any), int32, with that
   * axis removed: predictions from (N, C) scores are {@code scores.argmax(1)}, shape (N,).
   */
  public Tensor argmax(int axis) {
    return Reductions.arg(true, "argmax", this, axis, false);
  }

  /** {@link #argmax(int)} keeping the axis with size 1 when {@code keepdims}. */
  public Tensor argmax(int axis, boolean keepdims) {
    return Reductions.arg(true, "argmax", this, axis, keepdims);
  }

  /** Row-major flat index of the smallest element, as an int32 tensor of shape (). */
  public Tensor argmin() {
    return Reductions.argAll(false, "argmin", this);
  }

  /** Index of the smallest element along an axis, int32, with that axis removed. */
  public Tensor argmin(int axis) {
    return Reductions.arg(false, "argmin", this, axis, false);
  }

  /** {@link #argmin(int)} keeping the axis with size 1 when {@code keepdims}. */
  public Tensor argmin(int axis, boolean keepdims) {
    return Reductions.arg(false, "argmin", this, axis, keepdims);
  }

  // ---------------------------------------------------------------- linear algebra

  /**
   * Matrix product with NumPy's {@code matmul} rules: (M, K) @ (K, N) is (M, N); stacks (..., M,
   * K) @ (..., K, N) broadcast their batch axes; a 1-D left operand is a row and a 1-D right
   * operand a column, the added axis being removed. Transposed views are passed to GEMM without
   * copying. Types promote as for {@link #add(Tensor)}; int32 with int32 is computed in float64 and
   * returned as int32.
   *
   * @throws IllegalArgumentException e.g. {@code matmul: cannot multiply (64, 100) by (3072, 100)}
   */
  public Tensor matmul(Tensor other) {
    return LinearAlgebra.matmul(this, other);
  }

  /**
   * Inner product of two 1-D tensors of equal length, shape ().
   *
   * @throws IllegalArgumentException unless both are 1-D with the same length
   */
  public Tensor dot(Tensor other) {
    return LinearAlgebra.dot(this, other);
  }

  // ---------------------------------------------------------------- indexing

  /**
   * Gathers entries along an axis by integer index (NumPy {@code take}, PyTorch {@code
   * index_select}): {@code x.take(0, idx)} picks rows. Output shape is {@code shape[:axis] +
   * (indices.length,) + shape[axis+1:]}.
   *
   * @throws IndexOutOfBoundsException for an index outside [-size, size)
   */
  public Tensor take(int axis, int... indices) {
    return Indexing.take(this, axis, vector(indices));
  }

  /**
   * Gathers along an axis with an int32 index tensor of any shape: the output shape is {@code
   * shape[:axis] + indices.shape + shape[axis+1:]}. A word-embedding lookup is {@code w.take(0,
   * captions)}: (V, D) with (N, T) indices gives (N, T, D).
   */
  public Tensor take(int axis, Tensor indices) {
    return Indexing.take(this, axis, indices);
  }

  /**
   * The inverse of {@link #take(int, Tensor)}, in place: {@code this[..., indices[j], ...] +=
   * src[..., j, ...]}, with duplicate indices accumulating (the word-embedding backward pass).
   *
   * @param src shape {@code shape[:axis] + indices.shape + shape[axis+1:]}
   * @return this
   */
  public Tensor scatterAddi(int axis, Tensor indices, Tensor src) {
    return Indexing.scatterAdd(this, axis, indices, src);
  }

  /** A copy of this tensor with {@link #scatterAddi} applied. */
  public Tensor scatterAdd(int axis, Tensor indices, Tensor src) {
    return Indexing.scatterAdd(copy(), axis, indices, src);
  }

  /**
   * NumPy {@code take_along_axis}: {@code out[..., j, ...] = x[..., indices[..., j, ...], ...]}
   * along {@code axis}. indices (int32) has this tensor's rank and broadcasts against it on the
   * other axes.
   */
  public Tensor takeAlongAxis(Tensor indices, int axis) {
    return Indexing.takeAlongAxis(this, indices, axis);
  }

  /**
   * CS231n's {@code x[np.arange(N), y]}: one entry per row of a (N, C) tensor, shape (N,), e.g. the
   * correct-class scores.
   *
   * @param cols one column index per row
   */
  public Tensor pick(int[] cols) {
    return Indexing.pick(this, cols);
  }

  /** One-hot float32 rows for labels in [0, classes), shape (labels.length, classes). */
  public static Tensor oneHot(int[] labels, int classes) {
    return Indexing.oneHot(DType.FLOAT32, labels, classes);
  }

  /** One-hot rows of the given type, shape (labels.length, classes). */
  public static Tensor oneHot(DType dtype, int[] labels, int classes) {
    return Indexing.oneHot(dtype, labels, classes);
  }

  /**
   * The elements where {@code mask} (broadcast to this shape, any type) is non-zero, in row-major
   * order, shape (k,).
   */
  public Tensor maskedSelect(Tensor mask) {
    return Indexing.maskedSelect(this, mask);
  }

  /** A copy with {@code value} wherever the broadcast mask is non-zero (attention masking). */
  public Tensor maskedFill(Tensor mask, double value) {
    return Indexing.maskedFill(copy(), mask, value);
  }

  /** {@link #maskedFill} in place; returns this. */
  public Tensor maskedFilli(Tensor mask, double value) {
    return Indexing.maskedFill(this, mask, value);
  }

  // ---------------------------------------------------------------- joining and padding

  /**
   * Joins tensors along an existing axis; the other axes must match. The result has the promoted
   * type of all parts.
   */
  public static Tensor concatenate(int axis, Tensor... parts) {
    return Joining.concatenate(axis, parts);
  }

  /** Joins tensors of equal shape along a new axis at position {@code axis}. */
  public static Tensor stack(int axis, Tensor... parts) {
    return Joining.stack(axis, parts);
  }

  /**
   * Splits an axis into {@code sections} equal parts, returned as views.
   *
   * @throws IllegalArgumentException when the axis size is not divisible, or {@code sections} is
   *     not in [1, max(size, 1)] (NumPy lets an empty axis split into any count; we allow one)
   */
  public List<Tensor> split(int axis, int sections) {
    return Joining.split(this, axis, sections);
  }

  /** Splits an axis into consecutive parts of the given sizes (summing to the axis size), views. */
  public List<Tensor> splitSizes(int axis, int... sizes) {
    return Joining.splitSizes(this, axis, sizes);
  }

  /**
   * Constant padding (NumPy {@code pad(mode="constant")}): {@code widths[a] = {before, after}}
   * entries added to axis a. A conv input (N, C, H, W) with padding p uses {@code {{0, 0}, {0, 0},
   * {p, p}, {p, p}}}; the output has H + 2p rows.
   */
  public Tensor pad(int[][] widths, double value) {
    return Joining.pad(this, widths, value);
  }

  // ---------------------------------------------------------------- comparison and printing

  /**
   * True when the shapes are equal and every pair of elements satisfies {@code |a - b| <= atol +
   * rtol * |b|} (NumPy {@code allclose}; NaN never matches).
   */
  public boolean allClose(Tensor other, double rtol, double atol) {
    if (!sameShape(other)) {
      return false;
    }
    for (int i = 0; i < size; i++) {
      double a = getFlat(i);
      double b = other.getFlat(i);
      if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b)) && a != b) {
        return false;
      }
    }
    return true;
  }

  /**
   * NumPy-style text: nested brackets, aligned columns, summarised with "..." beyond 1000 elements,
   * dtype appended when not float32. See {@code TensorFormat}.
   */
  @Override
  public String toString() {
    return TensorFormat.format(this);
  }
}
