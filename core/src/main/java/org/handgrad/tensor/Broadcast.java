package org.handgrad.tensor;

/**
 * NumPy broadcasting rules on shapes and strides.
 *
 * <p>Shapes are aligned on their last dimension; two dimensions are compatible when they are equal
 * or one of them is 1, and the missing leading dimensions of the shorter shape count as 1. A
 * broadcast operand is read with stride 0 along the dimensions it is stretched over, so it is never
 * copied.
 */
final class Broadcast {
  private Broadcast() {}

  /**
   * The broadcast shape of two operands.
   *
   * @param op name of the calling op, for the error message
   * @throws IllegalArgumentException when the shapes are incompatible
   */
  static int[] shape(String op, int[] a, int[] b) {
    int[] out = tryShape(a, b);
    if (out == null) {
      throw new IllegalArgumentException(
          op
              + ": operands could not be broadcast together with shapes "
              + Shapes.str(a)
              + " "
              + Shapes.str(b));
    }
    Shapes.size(op, out);
    return out;
  }

  /** The broadcast shape of any number of operands; the error message lists all of them. */
  static int[] shape(String op, int[]... shapes) {
    int[] out = new int[0];
    for (int[] s : shapes) {
      out = tryShape(out, s);
      if (out == null) {
        StringBuilder sb = new StringBuilder(op);
        sb.append(": operands could not be broadcast together with shapes");
        for (int[] t : shapes) {
          sb.append(' ').append(Shapes.str(t));
        }
        throw new IllegalArgumentException(sb.toString());
      }
    }
    Shapes.size(op, out);
    return out;
  }

  /** The broadcast shape of two shapes, or null when they are incompatible. */
  static int[] tryShape(int[] a, int[] b) {
    int n = Math.max(a.length, b.length);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int ia = i - (n - a.length);
      int ib = i - (n - b.length);
      int da = ia >= 0 ? a[ia] : 1;
      int db = ib >= 0 ? b[ib] : 1;
      if (da == db || db == 1) {
        out[i] = da;
      } else if (da == 1) {
        out[i] = db;
      } else {
        return null;
      }
    }
    return out;
  }

  /** True when a tensor of shape {@code from} can be read as shape {@code to} by broadcasting. */
  static boolean canBroadcast(int[] from, int[] to) {
    if (from.length > to.length) {
      return false;
    }
    int lead = to.length - from.length;
    for (int i = 0; i < from.length; i++) {
      if (from[i] != to[lead + i] && from[i] != 1) {
        return false;
      }
    }
    return true;
  }

  /**
   * The strides that read {@code t} as the (already validated) broadcast shape {@code shape}: 0
   * along leading dimensions that {@code t} lacks and along its size-1 dimensions.
   */
  static int[] strides(Tensor t, int[] shape) {
    int[] ts = t.shapeRef();
    int[] st = t.stridesRef();
    int lead = shape.length - ts.length;
    int[] out = new int[shape.length];
    for (int i = lead; i < shape.length; i++) {
      out[i] = ts[i - lead] == 1 ? 0 : st[i - lead];
    }
    return out;
  }
}
