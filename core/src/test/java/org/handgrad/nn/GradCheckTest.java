package org.handgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class GradCheckTest {
  /** f(x) = sum(x^3): df/dx = 3 x^2. */
  private static double cubeSum(Tensor x) {
    double s = 0;
    for (int i = 0; i < x.size(); i++) {
      s += Math.pow(x.getFlat(i), 3);
    }
    return s;
  }

  @Test
  void numericalGradientOfScalarFunctionMatchesCalculus() {
    Tensor x = Tensor.of(new double[] {-1.5, 0.25, 2.0, 3.0}, 2, 2);
    Tensor g = GradCheck.evalNumericalGradient(GradCheckTest::cubeSum, x, GradCheck.DEFAULT_H);
    Tensor exact = Tensor.of(new double[] {6.75, 0.1875, 12.0, 27.0}, 2, 2);
    assertTrue(GradCheck.relError(g, exact) < 1e-9, "rel error " + GradCheck.relError(g, exact));
    assertEquals(-1.5, x.get(0, 0), 0.0, "x must be restored");
  }

  @Test
  void numericalGradientArrayContractsWithDout() {
    // f(x) = x^2 elementwise; with dout d, the gradient is 2 x d.
    Tensor x = Tensor.of(new double[] {1, -2, 3}, 3);
    Tensor dout = Tensor.of(new double[] {0.5, 2, -1}, 3);
    Tensor g =
        GradCheck.evalNumericalGradientArray(
            t -> {
              Tensor y = t.copy();
              for (int i = 0; i < y.size(); i++) {
                y.setFlat(i, t.getFlat(i) * t.getFlat(i));
              }
              return y;
            },
            x,
            dout,
            GradCheck.DEFAULT_H);
    assertTrue(GradCheck.relError(g, Tensor.of(new double[] {1, -8, -6}, 3)) < 1e-9);
  }

  @Test
  void sparseCheckCatchesAWrongGradient() {
    Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 4);
    Tensor right = Tensor.of(new double[] {3, 12, 27, 48}, 4);
    Tensor wrong = Tensor.of(new double[] {3, 12, 27.5, 48}, 4);
    assertTrue(GradCheck.gradCheckSparse(GradCheckTest::cubeSum, x, right, 20, 1e-5, 1) < 1e-8);
    assertTrue(GradCheck.gradCheckSparse(GradCheckTest::cubeSum, x, wrong, 20, 1e-5, 1) > 1e-3);
  }

  @Test
  void relErrorIsTheCs231nFormula() {
    assertEquals(1.0 / 3.0, GradCheck.relError(1.0, 2.0), 1e-15);
    assertEquals(0.0, GradCheck.relError(0.0, 0.0));
    assertTrue(Double.isNaN(GradCheck.relError(Double.NaN, 1.0)));
  }
}
