package org.handgrad.tensor;

import java.util.Arrays;

/** Small helpers on shapes ({@code int[]} of dimension sizes) shared by every op. */
public final class Shapes {
  private Shapes() {}

  /** Formats a shape the way NumPy prints it: {@code (64, 100)}, {@code (5,)}, {@code ()}. */
  public static String str(int... shape) {
    if (shape.length == 1) {
      return "(" + shape[0] + ",)";
    }
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(shape[i]);
    }
    return sb.append(')').toString();
  }

  /**
   * Number of elements of a shape, checked against {@code Integer.MAX_VALUE}.
   *
   * @throws IllegalArgumentException on a negative dimension or a size that does not fit an int
   */
  public static int size(int... shape) {
    return size("shape", shape);
  }

  /**
   * Number of elements of a shape, with errors that name the calling op.
   *
   * @param op name of the calling op, for the error message
   * @throws IllegalArgumentException on a negative dimension or a size that does not fit an int
   */
  public static int size(String op, int... shape) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(op + ": negative dimension in shape " + str(shape));
      }
    }
    for (int d : shape) {
      n *= d;
      if (n > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            op + ": shape " + str(shape) + " has more than 2^31-1 elements");
      }
    }
    return (int) n;
  }

  /** Row-major (C order) strides in elements for a shape. */
  public static int[] contiguousStrides(int... shape) {
    int[] strides = new int[shape.length];
    int s = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      strides[i] = s;
      s *= Math.max(shape[i], 1);
    }
    return strides;
  }

  /**
   * Resolves a possibly negative axis ({@code -1} is the last) against a rank.
   *
   * @param op name of the calling op, for the error message
   * @throws IllegalArgumentException when the axis is out of range
   */
  public static int axis(String op, int axis, int ndim) {
    int a = axis < 0 ? axis + ndim : axis;
    if (a < 0 || a >= ndim) {
      throw new IllegalArgumentException(
          op + ": axis " + axis + " is out of range for a tensor of rank " + ndim);
    }
    return a;
  }

  /** True when two shapes are equal. */
  public static boolean same(int[] a, int[] b) {
    return Arrays.equals(a, b);
  }
}
