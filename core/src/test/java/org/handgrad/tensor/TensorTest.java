package org.handgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorTest {
  @Test
  void reshapeOfContiguousIsAView() {
    Tensor t = Tensor.arange(DType.FLOAT32, 6);
    Tensor r = t.reshape(2, -1);
    assertArrayEquals(new int[] {2, 3}, r.shape());
    r.set(42, 1, 2);
    assertEquals(42.0, t.get(5));
  }

  @Test
  void reshapeRejectsWrongSize() {
    Tensor t = Tensor.zeros(2, 3);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> t.reshape(4, 2));
    assertTrue(e.getMessage().contains("(2, 3)"), e.getMessage());
  }

  @Test
  void conversionRoundTrips() {
    Tensor t = Tensor.vector(1.5, -2.5, 3.0);
    assertArrayEquals(new float[] {1.5f, -2.5f, 3f}, t.toFloatArray());
    assertArrayEquals(new int[] {1, -2, 3}, t.toIntArray());
  }

  @Test
  void indexOutOfBoundsNamesAxisAndShape() {
    Tensor t = Tensor.zeros(2, 3);
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> t.get(0, 3));
    assertTrue(e.getMessage().contains("axis 1"), e.getMessage());
  }
}
