package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.junit.jupiter.api.function.Executable;

/** Shared helpers of the normalization tests: fixtures, seeded inputs, an honest error measure. */
final class NormTesting {
  private NormTesting() {}

  /** Golden tolerances against PyTorch, relative to the largest reference magnitude. */
  static final double TOL_F64 = 1e-10;

  static final double TOL_F32 = 1e-5;

  private static Map<String, Tensor> fixture;

  /** fixtures/norm.npz, written by scripts/fixtures/norm.py. */
  static synchronized Map<String, Tensor> fixture() {
    if (fixture == null) {
      fixture = Fixtures.load("norm");
    }
    return fixture;
  }

  /** A fixture array; float64 inputs are rounded to float32 for the "f32" cases. */
  static Tensor get(String key, DType dtype) {
    return Fixtures.get(fixture(), key).to(dtype);
  }

  /** A fixture array as stored. */
  static Tensor get(String key) {
    return Fixtures.get(fixture(), key);
  }

  /** "f64" or "f32", the fixtures' dtype tag. */
  static String tag(DType dtype) {
    return dtype == DType.FLOAT64 ? "f64" : "f32";
  }

  /**
   * {@code max|a - b| / max|b|}: relative to the scale of the reference, so elements near zero (dx
   * of a normalization sums to zero over the batch) neither inflate the error as an element-wise
   * ratio would, nor hide it as a pure absolute bound would for large values.
   */
  static double maxRel(Tensor actual, Tensor expected) {
    assertArrayEquals(expected.shape(), actual.shape(), "shape");
    double num = 0;
    double den = 0;
    for (int i = 0; i < expected.size(); i++) {
      num = Math.max(num, Math.abs(actual.getFlat(i) - expected.getFlat(i)));
      den = Math.max(den, Math.abs(expected.getFlat(i)));
    }
    return num == 0 ? 0 : num / den;
  }

  /** Asserts dtype, shape and {@link #maxRel} within tol. */
  static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
    assertEquals(expected.dtype(), actual.dtype(), what + " dtype");
    double e = maxRel(actual, expected);
    assertTrue(e <= tol, what + ": max rel error " + e + " > " + tol);
  }

  /** The tolerance for a dtype. */
  static double tol(DType dtype) {
    return dtype == DType.FLOAT64 ? TOL_F64 : TOL_F32;
  }

  /** Seeded normal values {@code scale * z + shift}. */
  static Tensor randn(SplittableRandom rng, DType dtype, double scale, double shift, int... shape) {
    Tensor t = Tensor.zeros(dtype, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, scale * rng.nextGaussian() + shift);
    }
    return t;
  }

  /** Asserts that the call throws T whose message contains every fragment. */
  static <T extends Throwable> T assertThrowsWith(
      Class<T> type, Executable call, String... fragments) {
    T e = assertThrows(type, call);
    for (String f : fragments) {
      assertTrue(
          e.getMessage() != null && e.getMessage().contains(f),
          "message \"" + e.getMessage() + "\" lacks \"" + f + "\"");
    }
    return e;
  }
}
