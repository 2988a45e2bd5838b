package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.function.Executable;

/** Shared helpers of the normalization tests: fixtures, seeded inputs, golden comparisons. */
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

  /** {@link Golden#relDiff}: {@code max|a - b| / max|b|}, honest for near-zero elements. */
  static double maxRel(Tensor actual, Tensor expected) {
    return Golden.relDiff(actual, expected);
  }

  /** {@link Golden#assertClose}; tol 0 asserts exact equality. */
  static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
    if (tol > 0) {
      Golden.assertClose(what, actual, expected, tol);
    } else {
      assertEquals(expected.dtype(), actual.dtype(), what + " dtype");
      assertEquals(0.0, Golden.relDiff(actual, expected), what + ": not identical");
    }
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
