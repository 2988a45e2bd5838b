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
  void conversionsCastEachElementOnceContiguousOrNot() {
    double[] values = {
      0,
      -0.0,
      1.5,
      -2.5,
      0.1,
      1e-40,
      3.4e38,
      -7.99,
      123456789.123,
      2147483520,
      -2147483648.0,
      Double.NaN,
      Double.POSITIVE_INFINITY,
      16777217,
      -1e300
    };
    for (DType from : DType.values()) {
      Tensor base = Tensor.of(values, 15).to(from).reshape(3, 5);
      Tensor contiguous = base.slice(0, 1, 3); // rows 1..2: contiguous from an offset
      Tensor strided = base.transpose(); // the element-wise walk
      assertTrue(contiguous.isContiguous() && !strided.isContiguous());
      for (Tensor src : new Tensor[] {contiguous, strided}) {
        for (DType to : DType.values()) {
          Tensor out = src.to(to);
          assertEquals(to, out.dtype());
          assertArrayEquals(src.shape(), out.shape());
          for (int r = 0; r < src.shape(0); r++) {
            for (int c = 0; c < src.shape(1); c++) {
              double v = src.get(r, c); // read element by element, exact for every dtype
              double expected =
                  switch (to) {
                    case FLOAT32 -> (float) v;
                    case FLOAT64 -> v;
                    case INT32 -> (int) v;
                  };
              assertEquals(expected, out.get(r, c), from + " -> " + to + " at " + r + ", " + c);
            }
          }
        }
      }
    }
  }

  @Test
  void indexOutOfBoundsNamesAxisAndShape() {
    Tensor t = Tensor.zeros(2, 3);
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> t.get(0, 3));
    assertTrue(e.getMessage().contains("axis 1"), e.getMessage());
  }
}
