package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/** Small helpers shared by the layer tests of this package. */
final class TestData {
  private TestData() {}

  /** A float64 tensor of standard normal draws. */
  static Tensor randn(SplittableRandom rng, int... shape) {
    Tensor t = Tensor.zeros(DType.FLOAT64, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, rng.nextGaussian());
    }
    return t;
  }

  /** Asserts that the call throws IllegalArgumentException with exactly this message. */
  static void assertMessage(String expected, Runnable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
    assertEquals(expected, e.getMessage());
  }
}
