package org.handgrad.nn.functional;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The bridge between tensors and the elementwise kernels of the activations and dropout: checks
 * dtypes and shapes at the API boundary, then runs a kernel over the contiguous data.
 *
 * <p>Two kinds of kernel. A {@link Unary} or {@link Binary} kernel is written once, for doubles:
 * the data streams through small {@code double[]} buffers, float32 values widen exactly to double
 * and the result rounds once back to float32 (correctly rounded results, but ~10-30x slower in
 * float32 than a float32 kernel, and single-threaded). That is the float64 path of every op and the
 * float32 path of the ops that have no float32 kernel (leaky ReLU, ELU, SELU, dropout). The hot
 * float32 activations pass a {@link FloatUnary} / {@link FloatBinary} as well, which runs directly
 * on the float32 storage: {@link org.handgrad.kernels.ActivationKernels}, vectorized and threaded.
 *
 * <p>A double kernel is called once per chunk, not once per element, so its (megamorphic) interface
 * call costs nothing measurable and its loop body is compiled monomorphic.
 */
final class Elementwise {
  private Elementwise() {}

  /** Elements per chunk: 3 buffers of 8 KB stay in L1. */
  static final int CHUNK = 1024;

  /** An elementwise kernel {@code y[i] = f(x[i])} for {@code i < n}; y and x do not alias. */
  @FunctionalInterface
  interface Unary {
    void apply(double[] y, double[] x, int n);
  }

  /** An elementwise kernel {@code y[i] = f(a[i], b[i])} for {@code i < n}; y does not alias. */
  @FunctionalInterface
  interface Binary {
    void apply(double[] y, double[] a, double[] b, int n);
  }

  /**
   * A float32 kernel {@code y[yOff + i] = f(x[xOff + i])} for {@code i < n}, on the tensors' own
   * storage; y and x do not alias.
   */
  @FunctionalInterface
  interface FloatUnary {
    void apply(float[] y, int yOff, float[] x, int xOff, int n);
  }

  /**
   * A float32 kernel {@code y[yOff + i] = f(a[aOff + i], b[bOff + i])} for {@code i < n}; y does
   * not alias.
   */
  @FunctionalInterface
  interface FloatBinary {
    void apply(float[] y, int yOff, float[] a, int aOff, float[] b, int bOff, int n);
  }

  /**
   * Checks that a tensor argument has a floating dtype.
   *
   * @throws IllegalArgumentException unless {@code t} is float32 or float64
   */
  static void requireFloat(String op, String name, Tensor t) {
    if (!t.dtype().isFloating()) {
      throw new IllegalArgumentException(
          op + ": expected " + name + " float32 or float64, got " + t.dtype().numpyName());
    }
  }

  /**
   * Applies a unary kernel: out has the shape and dtype of x.
   *
   * @param op layer name for error messages
   */
  static Tensor unary(String op, Tensor x, Unary kernel) {
    return unary(op, x, kernel, null);
  }

  /**
   * Applies a unary kernel: out has the shape and dtype of x. float32 data goes through {@code
   * f32Kernel} when it is not null, else through the double kernel.
   *
   * @param op layer name for error messages
   */
  static Tensor unary(String op, Tensor x, Unary kernel, FloatUnary f32Kernel) {
    requireFloat(op, "x", x);
    if (f32Kernel != null && x.dtype() == DType.FLOAT32) {
      Tensor xc = x.contiguous();
      Tensor out = Tensor.zeros(DType.FLOAT32, x.shape());
      f32Kernel.apply(out.floatStorage(), out.offset(), xc.floatStorage(), xc.offset(), x.size());
      return out;
    }
    Tensor xc = x.contiguous();
    Tensor out = Tensor.zeros(x.dtype(), x.shape());
    int n = x.size();
    double[] xb = new double[Math.min(CHUNK, n)];
    double[] yb = new double[xb.length];
    for (int start = 0; start < n; start += CHUNK) {
      int len = Math.min(CHUNK, n - start);
      load(xc, start, xb, len);
      kernel.apply(yb, xb, len);
      store(out, start, yb, len);
    }
    return out;
  }

  /**
   * Applies a binary kernel to two tensors of the same shape and dtype: out has that shape and
   * dtype. Backward passes use it as {@code dx = kernel(dout, cached)}.
   *
   * @param op layer name for error messages
   * @throws IllegalArgumentException when the shapes or dtypes differ
   */
  static Tensor binary(String op, String aName, Tensor a, String bName, Tensor b, Binary kernel) {
    return binary(op, aName, a, bName, b, kernel, null);
  }

  /**
   * {@link #binary(String, String, Tensor, String, Tensor, Binary)} with a float32 kernel that runs
   * on float32 data when it is not null.
   */
  static Tensor binary(
      String op,
      String aName,
      Tensor a,
      String bName,
      Tensor b,
      Binary kernel,
      FloatBinary f32Kernel) {
    requireFloat(op, aName, a);
    if (!a.sameShape(b)) {
      throw new IllegalArgumentException(
          op
              + ": "
              + aName
              + " "
              + a.shapeString()
              + " does not match "
              + bName
              + " "
              + b.shapeString());
    }
    if (a.dtype() != b.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": dtype mismatch: "
              + aName
              + " is "
              + a.dtype().numpyName()
              + " but "
              + bName
              + " is "
              + b.dtype().numpyName());
    }
    Tensor ac = a.contiguous();
    Tensor bc = b.contiguous();
    Tensor out = Tensor.zeros(a.dtype(), a.shape());
    int n = a.size();
    if (f32Kernel != null && a.dtype() == DType.FLOAT32) {
      f32Kernel.apply(
          out.floatStorage(),
          out.offset(),
          ac.floatStorage(),
          ac.offset(),
          bc.floatStorage(),
          bc.offset(),
          n);
      return out;
    }
    double[] ab = new double[Math.min(CHUNK, n)];
    double[] bb = new double[ab.length];
    double[] yb = new double[ab.length];
    for (int start = 0; start < n; start += CHUNK) {
      int len = Math.min(CHUNK, n - start);
      load(ac, start, ab, len);
      load(bc, start, bb, len);
      kernel.apply(yb, ab, bb, len);
      store(out, start, yb, len);
    }
    return out;
  }

  /** Copies elements [start, start + len) of a contiguous float tensor into buf[0, len). */
  private static void load(Tensor t, int start, double[] buf, int len) {
    int off = t.offset() + start;
    if (t.dtype() == DType.FLOAT64) {
      System.arraycopy(t.doubleStorage(), off, buf, 0, len);
    } else {
      float[] s = t.floatStorage();
      for (int i = 0; i < len; i++) {
        buf[i] = s[off + i];
      }
    }
  }

  /** Writes buf[0, len) into elements [start, start + len) of a new (offset 0) float tensor. */
  private static void store(Tensor t, int start, double[] buf, int len) {
    if (t.dtype() == DType.FLOAT64) {
      System.arraycopy(buf, 0, t.doubleStorage(), start, len);
    } else {
      float[] s = t.floatStorage();
      for (int i = 0; i < len; i++) {
        s[start + i] = (float) buf[i];
      }
    }
  }
}
