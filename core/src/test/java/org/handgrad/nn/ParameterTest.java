package org.handgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ParameterTest {
  @Test
  void gradStartsAtZeroAccumulatesAndClears() {
    Tensor w = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Parameter p = new Parameter("fc1.w", w);
    assertSame(w, p.value());
    assertArrayEquals(new int[] {2, 3}, p.grad().shape());
    assertEquals(DType.FLOAT64, p.grad().dtype());
    assertArrayEquals(new double[6], p.grad().toDoubleArray(), 0.0);

    Tensor d = Tensor.of(new double[] {1, -1, 0.5, 0, 2, 3}, 2, 3);
    p.accumulateGrad(d);
    p.accumulateGrad(d); // a parameter used twice receives the sum
    assertArrayEquals(new double[] {2, -2, 1, 0, 4, 6}, p.grad().toDoubleArray(), 0.0);
    p.zeroGrad();
    assertArrayEquals(new double[6], p.grad().toDoubleArray(), 0.0);
    assertEquals("Parameter(fc1.w, (2, 3), float64)", p.toString());
  }

  @Test
  void float32GradientsAndAssign() {
    Parameter p = new Parameter("b", Tensor.zeros(DType.FLOAT32, 3));
    p.accumulateGrad(Tensor.vector(1f, 2f, 3f));
    assertArrayEquals(new float[] {1f, 2f, 3f}, p.grad().toFloatArray(), 0f);
    p.assign(Tensor.vector(7f, 8f, 9f));
    assertArrayEquals(new float[] {7f, 8f, 9f}, p.value().toFloatArray(), 0f);
    assertArrayEquals(new float[] {1f, 2f, 3f}, p.grad().toFloatArray(), 0f);
    assertEquals(3, p.size());
    assertArrayEquals(new int[] {3}, p.shape());
  }

  @Test
  void badInputsNameTheParameterAndShapes() {
    Parameter p = new Parameter("fc1.w", Tensor.zeros(DType.FLOAT64, 4, 3));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> p.accumulateGrad(Tensor.zeros(DType.FLOAT64, 3, 4)));
    assertEquals(
        "accumulateGrad: parameter fc1.w has shape (4, 3) float64, got gradient (3, 4) float64",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> p.assign(Tensor.zeros(DType.FLOAT32, 4, 3)));
    assertEquals(
        "assign: parameter fc1.w has shape (4, 3) float64, got value (4, 3) float32",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Parameter("ids", Tensor.zeros(DType.INT32, 2)));
    assertEquals("Parameter ids: value must be float32 or float64, got int32", e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> new Parameter(" ", Tensor.zeros(DType.FLOAT64, 2)));
  }

  @Test
  void withNameSharesValueAndGradient() {
    Parameter p = new Parameter("weight", Tensor.of(new double[] {1, 2}, 2));
    Parameter q = p.withName("0.weight");
    assertEquals("0.weight", q.name());
    assertEquals("weight", p.name());
    assertSame(p.value(), q.value());
    assertSame(p.grad(), q.grad());
    q.accumulateGrad(Tensor.vector(3.0, 4.0));
    assertArrayEquals(new double[] {3, 4}, p.grad().toDoubleArray(), 0.0);
    assertThrows(IllegalArgumentException.class, () -> p.withName(" "));
  }
}
