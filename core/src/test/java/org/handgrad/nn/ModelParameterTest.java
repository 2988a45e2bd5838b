package org.handgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.handgrad.models.Models;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Notebook-style conveniences: {@code model.params[name]}, {@code x.std(axis)}. */
class ModelParameterTest {
  @Test
  void parametersAreFoundByName() {
    Model m = Models.createModel("two-layer", Map.of("input_shape", "4", "hidden_dim", "3"));
    assertSame(m.parameters().get(0), m.parameter(m.parameters().get(0).name()));
    assertArrayEquals(new int[] {4, 3}, m.parameter("W1").shape());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> m.parameter("W9"));
    assertEquals("no parameter 'W9'; parameters: [W1, b1, W2, b2]", e.getMessage());
  }

  @Test
  void varianceAndDeviationTakeAnAxisAlone() {
    Tensor x = Tensor.of(new double[] {1, 2, 3, 5, 6, 10}, 2, 3);
    assertArrayEquals(x.var(1, false).toDoubleArray(), x.var(1).toDoubleArray(), 0.0);
    assertArrayEquals(x.std(0, false).toDoubleArray(), x.std(0).toDoubleArray(), 0.0);
    assertArrayEquals(new double[] {4, 4, 12.25}, x.var(0).toDoubleArray(), 1e-12);
  }
}
