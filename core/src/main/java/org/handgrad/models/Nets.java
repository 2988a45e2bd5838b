package org.handgrad.models;

import java.util.List;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/** Small helpers the models share: input checks at the model boundary and the L2 weight penalty. */
public final class Nets {
  private Nets() {}

  /**
   * Checks a model input against the per-example shape the model was built for.
   *
   * @param model model name for the message, e.g. "fc"
   * @param x input batch, shape (N, d1, ..., dk) with N >= 1
   * @param exampleShape the expected (d1, ..., dk); when {@code flatten} is true any shape whose
   *     product equals the product of exampleShape is accepted (affine layers flatten x)
   * @param dtype the model's dtype
   * @throws IllegalArgumentException naming the model, the expected and the actual shape
   */
  public static void checkInput(
      String model, Tensor x, int[] exampleShape, boolean flatten, DType dtype) {
    StringBuilder dims = new StringBuilder("(N");
    for (int v : exampleShape) {
      dims.append(", ").append(v);
    }
    String expected = dims.append(')').toString();
    if (x.ndim() < 2 || x.shape(0) < 1) {
      throw new IllegalArgumentException(
          model + ": expected x " + expected + " with N >= 1, got " + x.shapeString());
    }
    boolean ok;
    if (flatten) {
      ok = features(x) == product(exampleShape);
    } else {
      ok = x.ndim() == exampleShape.length + 1;
      for (int a = 0; ok && a < exampleShape.length; a++) {
        ok = x.shape(a + 1) == exampleShape[a];
      }
    }
    if (!ok) {
      throw new IllegalArgumentException(
          model
              + ": expected x "
              + expected
              + (flatten ? " (or any shape with " + product(exampleShape) + " features)" : "")
              + ", got "
              + x.shapeString());
    }
    if (x.dtype() != dtype) {
      throw new IllegalArgumentException(
          model
              + ": dtype mismatch: the model is "
              + dtype.numpyName()
              + " but x is "
              + x.dtype().numpyName()
              + " (convert with Tensor.to)");
    }
  }

  /**
   * Checks the labels of a batch.
   *
   * @throws IllegalArgumentException on a length other than N or a label outside [0, numClasses)
   */
  public static void checkLabels(String model, Tensor x, int[] y, int numClasses) {
    if (y == null || y.length != x.shape(0)) {
      throw new IllegalArgumentException(
          model
              + ": expected y of length N="
              + x.shape(0)
              + " for x "
              + x.shapeString()
              + ", got "
              + (y == null ? "null" : "length " + y.length));
    }
    for (int i = 0; i < y.length; i++) {
      if (y[i] < 0 || y[i] >= numClasses) {
        throw new IllegalArgumentException(
            model + ": y[" + i + "] = " + y[i] + " is out of range [0, " + numClasses + ")");
      }
    }
  }

  /** d1 * ... * dk of an (N, d1, ..., dk) tensor. */
  public static int features(Tensor x) {
    int d = 1;
    for (int a = 1; a < x.ndim(); a++) {
      d *= x.shape(a);
    }
    return d;
  }

  /** The product of the entries (1 for an empty array). */
  public static int product(int[] dims) {
    int p = 1;
    for (int v : dims) {
      p *= v;
    }
    return p;
  }

  /** {@code sum(w * w)}, accumulated in double. */
  public static double sumOfSquares(Tensor w) {
    Tensor c = w.contiguous();
    int n = c.size();
    int off = c.offset();
    double s = 0;
    if (c.dtype() == DType.FLOAT32) {
      float[] a = c.floatStorage();
      for (int i = 0; i < n; i++) {
        s += (double) a[off + i] * a[off + i];
      }
    } else {
      double[] a = c.doubleStorage();
      for (int i = 0; i < n; i++) {
        s += a[off + i] * a[off + i];
      }
    }
    return s;
  }

  /**
   * The gradient of a penalty {@code (alpha / 2) * sum(w * w)}: {@code p.grad += alpha * p.value}.
   */
  public static void addWeightDecayGrad(Parameter p, double alpha) {
    if (alpha != 0) {
      axpy(p.grad(), p.value(), alpha);
    }
  }

  /**
   * {@code y += alpha * x} in place (BLAS axpy).
   *
   * @param y contiguous float tensor, updated in place
   * @param x same shape and dtype as y, contiguous
   */
  public static void axpy(Tensor y, Tensor x, double alpha) {
    if (!y.sameShape(x) || y.dtype() != x.dtype() || !y.isContiguous() || !x.isContiguous()) {
      throw new IllegalArgumentException(
          "axpy: expected contiguous tensors of one shape and dtype, got "
              + y.shapeString()
              + " and "
              + x.shapeString());
    }
    int n = y.size();
    int yo = y.offset();
    int xo = x.offset();
    if (y.dtype() == DType.FLOAT32) {
      float[] ys = y.floatStorage();
      float[] xs = x.floatStorage();
      float a = (float) alpha;
      for (int i = 0; i < n; i++) {
        ys[yo + i] += a * xs[xo + i];
      }
    } else {
      double[] ys = y.doubleStorage();
      double[] xs = x.doubleStorage();
      for (int i = 0; i < n; i++) {
        ys[yo + i] += alpha * xs[xo + i];
      }
    }
  }

  /** Zeroes every gradient (the first thing {@code loss(x, y)} does). */
  public static void zeroGrads(List<Parameter> params) {
    for (Parameter p : params) {
      p.zeroGrad();
    }
  }

  /**
   * Checks that a model hyperparameter is finite and at least {@code min}.
   *
   * @throws IllegalArgumentException naming the model and the field
   */
  public static void requireAtLeast(String model, String field, double value, double min) {
    if (!(value >= min) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(
          model + ": " + field + " must be finite and >= " + min + ", got " + value);
    }
  }

  /**
   * Checks that a size is at least {@code min}.
   *
   * @throws IllegalArgumentException naming the model and the field
   */
  public static void requireAtLeast(String model, String field, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(
          model + ": " + field + " must be >= " + min + ", got " + value);
    }
  }

  /**
   * Checks that a dtype is float32 or float64.
   *
   * @throws IllegalArgumentException naming the model
   */
  public static DType requireFloat(String model, DType dtype) {
    if (dtype == null || !dtype.isFloating()) {
      throw new IllegalArgumentException(
          model + ": dtype must be float32 or float64, got " + dtype);
    }
    return dtype;
  }
}
