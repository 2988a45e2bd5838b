package org.handgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Expected strings follow NumPy 1.2x's repr, with "array(" replaced by "tensor(". */
class TensorFormatTest {
  @Test
  void vectorsAndMatrices() {
    assertEquals("tensor([1., 2., 3.])", Tensor.vector(1f, 2f, 3f).toString());
    assertEquals(
        "tensor([[ 1.5 , -2.25],\n        [ 3.  ,  4.  ]], dtype=float64)",
        Tensor.of(new double[] {1.5, -2.25, 3, 4}, 2, 2).toString());
    assertEquals("tensor([ 0.1 ,  0.25, -0.3 ])", Tensor.vector(0.1f, 0.25f, -0.3f).toString());
    assertEquals("tensor(3.5)", Tensor.scalar(DType.FLOAT32, 3.5).toString());
    assertEquals("tensor(7, dtype=int32)", Tensor.scalar(DType.INT32, 7).toString());
    assertEquals("tensor([-0.,  0.], dtype=float64)", Tensor.vector(-0.0, 0.0).toString());
  }

  @Test
  void threeDimensionsSeparateBlocksWithABlankLine() {
    assertEquals(
        "tensor([[[0., 1.],\n"
            + "         [2., 3.]],\n"
            + "\n"
            + "        [[4., 5.],\n"
            + "         [6., 7.]]])",
        Tensor.arange(DType.FLOAT32, 8).reshape(2, 2, 2).toString());
  }

  @Test
  void scientificAndNonFinite() {
    assertEquals("tensor([1.0e-05, 1.5e+00], dtype=float64)", Tensor.vector(1e-5, 1.5).toString());
    assertEquals(
        "tensor([-1.0e-05,  1.5e+00,      nan], dtype=float64)",
        Tensor.vector(-1e-5, 1.5, Double.NaN).toString());
    assertEquals("tensor([1.e+10, 1.e+00], dtype=float64)", Tensor.vector(1e10, 1).toString());
    assertEquals(
        "tensor([ 1., nan, inf], dtype=float64)",
        Tensor.vector(1.0, Double.NaN, Double.POSITIVE_INFINITY).toString());
  }

  @Test
  void longRowsWrapAt75Characters() {
    assertEquals(
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12.,\n"
            + "        13., 14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25.,\n"
            + "        26., 27., 28., 29.])",
        Tensor.arange(DType.FLOAT32, 30).toString());
  }

  @Test
  void largeTensorsAreSummarised() {
    assertEquals(
        "tensor([   0,    1,    2, ..., 1997, 1998, 1999], dtype=int32)",
        Tensor.arange(DType.INT32, 2000).toString());
    String s = Tensor.arange(DType.INT32, 3000).reshape(300, 10).toString();
    assertTrue(s.startsWith("tensor([[   0,    1,    2, ...,    7,    8,    9],\n"), s);
    assertTrue(s.contains("],\n        ...,\n        ["), s);
    assertTrue(s.endsWith("[2990, 2991, 2992, ..., 2997, 2998, 2999]], dtype=int32)"), s);
    // Views print their logical order.
    assertEquals(
        "tensor([[0, 2],\n        [1, 3]], dtype=int32)",
        Tensor.arange(DType.INT32, 4).reshape(2, 2).transpose().toString());
  }

  @Test
  void emptyTensors() {
    assertEquals("tensor([], shape=(0, 3))", Tensor.zeros(0, 3).toString());
    assertEquals("tensor([], dtype=float64)", Tensor.zeros(DType.FLOAT64, 0).toString());
  }
}
