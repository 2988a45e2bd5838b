package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;

/** Shared helpers of the convolution-family tests. */
final class ConvTesting {
  private ConvTesting() {}

  /** The PyTorch fixtures written by scripts/fixtures/conv.py, loaded once. */
  static final Map<String, Tensor> FIXTURES = Fixtures.load("conv");

  /** Fixture array by key. */
  static Tensor fx(String key) {
    return Fixtures.get(FIXTURES, key);
  }

  /** A float64 fixture input in the requested dtype (float32 = rounded, as the script does). */
  static Tensor fxIn(String key, DType dtype) {
    Tensor t = fx(key);
    return dtype == DType.FLOAT64 ? t : t.to(dtype);
  }

  /** Integer scalar of a fixture. */
  static int fxInt(String key) {
    return (int) fx(key).getFlat(0);
  }

  /**
   * {@code max|a - b| / max|b|}: the error relative to the scale of the expected tensor, honest for
   * elements near 0 (where an elementwise relative error blows up). 0 when both are all zero.
   */
  static double maxRel(Tensor actual, Tensor expected) {
    assertArrayEquals(expected.shape(), actual.shape(), "shape");
    double diff = 0, scale = 0;
    for (int i = 0; i < expected.size(); i++) {
      diff = Math.max(diff, Math.abs(actual.getFlat(i) - expected.getFlat(i)));
      scale = Math.max(scale, Math.abs(expected.getFlat(i)));
    }
    if (Double.isNaN(diff)) {
      return Double.NaN;
    }
    return diff == 0 ? 0 : diff / scale;
  }

  /** Asserts dtype, shape and {@link #maxRel} below tol. */
  static void assertClose(String what, Tensor actual, Tensor expected, double tol) {
    assertEquals(expected.dtype(), actual.dtype(), what + " dtype");
    double r = maxRel(actual, expected);
    assertTrue(r < tol, what + ": max rel error " + r + " >= " + tol);
  }

  /** Tolerance against PyTorch for a dtype: 1e-10 at float64, 1e-5 at float32. */
  static double tol(DType dtype) {
    return dtype == DType.FLOAT64 ? 1e-10 : 1e-5;
  }

  /** Seeded standard-normal tensor. */
  static Tensor randn(long seed, DType dtype, int... shape) {
    SplittableRandom rng = new SplittableRandom(seed);
    Tensor t = Tensor.zeros(DType.FLOAT64, shape);
    for (int i = 0; i < t.size(); i++) {
      double u = 1.0 - rng.nextDouble();
      t.setFlat(i, Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble()));
    }
    return dtype == DType.FLOAT64 ? t : t.to(dtype);
  }

  /** Sum of elementwise products, in float64. */
  static double dot(Tensor a, Tensor b) {
    assertArrayEquals(a.shape(), b.shape(), "dot shapes");
    double s = 0;
    for (int i = 0; i < a.size(); i++) {
      s += a.getFlat(i) * b.getFlat(i);
    }
    return s;
  }
}
