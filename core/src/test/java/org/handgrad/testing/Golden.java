package org.handgrad.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.tensor.Tensor;

/**
 * Comparisons against golden (PyTorch) values with an error measure that stays honest near zero.
 *
 * <p>{@link #relDiff} is {@code max|a - b| / max|b|}: the worst absolute difference in units of the
 * largest expected magnitude. Unlike an elementwise relative error it does not blow up on entries
 * that are zero or tiny by cancellation (e.g. relu outputs, gelu(-8) ~ 5e-15, where PyTorch's 1 +
 * erf itself keeps only a few digits), and unlike an absolute error it scales with the data. When
 * every expected entry is 0 it falls back to the absolute difference.
 */
public final class Golden {
  private Golden() {}

  /** {@code max|a - b| / max|b|} (absolute when b is all zeros); NaN anywhere gives NaN. */
  public static double relDiff(Tensor actual, Tensor expected) {
    if (!actual.sameShape(expected)) {
      throw new AssertionError(
          "shape " + actual.shapeString() + " differs from expected " + expected.shapeString());
    }
    double diff = 0;
    double scale = 0;
    for (int i = 0; i < expected.size(); i++) {
      double a = actual.getFlat(i);
      double b = expected.getFlat(i);
      if (Double.isNaN(a) != Double.isNaN(b)) {
        return Double.NaN;
      }
      if (!Double.isNaN(a)) {
        diff = Math.max(diff, Math.abs(a - b));
        scale = Math.max(scale, Math.abs(b));
      }
    }
    return scale > 0 ? diff / scale : diff;
  }

  /** Asserts equal dtype and shape and {@code relDiff < tol}, naming the compared quantity. */
  public static void assertClose(String what, Tensor actual, Tensor expected, double tol) {
    assertEquals(expected.dtype(), actual.dtype(), what + ": dtype");
    double r = relDiff(actual, expected);
    assertTrue(r < tol, what + ": relative difference " + r + " >= " + tol);
  }

  /** Asserts {@code |a - b| / max(|b|, tiny) < tol} for scalars such as loss values. */
  public static void assertClose(String what, double actual, double expected, double tol) {
    double r = Math.abs(actual - expected) / Math.max(Math.abs(expected), Double.MIN_NORMAL);
    assertTrue(r < tol, what + ": " + actual + " vs " + expected + ", relative " + r);
  }
}
