package org.handgrad.nn.functional;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The bridge between tensors and the elementwise kernels of the activations and dropout: checks
 * dtypes and shapes at the API boundary, then streams the data through small {@code double[]}
 * buffers so each kernel is written once, for doubles, instead of once per dtype.
 *
 * <p>float32 values widen exactly to double and the result rounds once back to float32, so the
 * float32 path is at least as accurate as computing in float32. The kernel is called once per
 * chunk, not once per element, so its (megamorphic) interface call costs nothing measurable and its
 * loop body is compiled monomorphic. Chunks are independent: a parallel-for over chunks (with one
 * pair of buffers per worker) drops in here once {@code kernels.Parallel} exists.
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
    requireFloat(op, "x", x);
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
