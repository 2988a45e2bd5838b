package org.handgrad.nn.modules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.handgrad.nn.Module;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/** Helpers shared by the module tests (nn and nn.modules). */
public final class ModuleTesting {
  private ModuleTesting() {}

  /** A tensor of {@code N(0, 1)} draws from a seeded generator, in the given dtype. */
  public static Tensor randn(long seed, DType dtype, int... shape) {
    SplittableRandom rng = new SplittableRandom(seed);
    Tensor t = Tensor.zeros(dtype, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, rng.nextGaussian());
    }
    return t;
  }

  /** Asserts the same shape, dtype and bit-for-bit values (same computation, same order). */
  public static void assertIdentical(String what, Tensor expected, Tensor actual) {
    assertEquals(expected.dtype(), actual.dtype(), what + ": dtype");
    assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
    assertArrayEquals(expected.toDoubleArray(), actual.toDoubleArray(), 0.0, what);
  }

  /** Asserts that every element of {@code actual} is {@code factor} times that of {@code base}. */
  public static void assertScaled(String what, Tensor base, double factor, Tensor actual) {
    double[] b = base.toDoubleArray();
    double[] a = actual.toDoubleArray();
    assertEquals(b.length, a.length, what + ": size");
    for (int i = 0; i < b.length; i++) {
      assertEquals(factor * b[i], a[i], 1e-12 * Math.max(1, Math.abs(factor * b[i])), what);
    }
  }

  /** The names of a module's parameters, in order. */
  public static List<String> names(Module m) {
    return m.parameters().stream().map(Parameter::name).toList();
  }

  /** Asserts that the call throws the given type with a message containing every fragment. */
  public static <T extends Throwable> T assertThrowsWith(
      Class<T> type, Runnable call, String... fragments) {
    T e = assertThrows(type, call::run);
    for (String f : fragments) {
      assertTrue(
          e.getMessage() != null && e.getMessage().contains(f),
          "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
    return e;
  }
}
