package org.handgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.tensor.Tensor;

/**
 * Comparison used by the optimizer tests: {@code max|a - b| / max|b|} over the whole array, a
 * relative error that stays honest when individual elements are near zero (an elementwise relative
 * error would blow up there, and an absolute one would hide errors in large values).
 */
final class Close {
  private Close() {}

  static double relError(Tensor actual, Tensor expected) {
    double[] a = actual.toDoubleArray();
    double[] b = expected.toDoubleArray();
    double diff = 0;
    double scale = 0;
    for (int i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    return scale == 0 ? diff : diff / scale;
  }

  static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
    assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
    double err = relError(actual, expected);
    assertTrue(err <= tol, what + ": relative error " + err + " > " + tol);
  }
}
