package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.TestData.assertMessage;
import static org.handgrad.nn.functional.TestData.randn;
import static org.handgrad.testing.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.checks.DenseChecks;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AffineTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("dense");

  @ParameterizedTest
  @CsvSource({"f64, 1e-10", "f32, 1e-5"})
  void matchesPyTorchLinear(String dt, double tol) {
    Tensor x = get(FIX, "affine_x_" + dt);
    Tensor w = get(FIX, "affine_w_" + dt);
    Tensor b = get(FIX, "affine_b_" + dt);
    Forward<Affine.Cache> f = Affine.affineForward(x, w, b);
    Golden.assertClose("out", f.out(), get(FIX, "affine_out_" + dt), tol);
    Affine.Grads g = Affine.affineBackward(get(FIX, "affine_dout_" + dt), f.cache());
    Golden.assertClose("dx", g.dx(), get(FIX, "affine_dx_" + dt), tol);
    Golden.assertClose("dw", g.dw(), get(FIX, "affine_dw_" + dt), tol);
    Golden.assertClose("db", g.db(), get(FIX, "affine_db_" + dt), tol);
    assertArrayEquals(x.shape(), g.dx().shape(), "dx has the shape of x, not (N, D)");
  }

  @ParameterizedTest
  @CsvSource({"f64, 1e-10", "f32, 1e-5"})
  void sandwichMatchesPyTorchReluOfLinear(String dt, double tol) {
    Forward<AffineRelu.Cache> f =
        AffineRelu.affineReluForward(
            get(FIX, "affine_x_" + dt), get(FIX, "affine_w_" + dt), get(FIX, "affine_b_" + dt));
    Golden.assertClose("out", f.out(), get(FIX, "affinerelu_out_" + dt), tol);
    Affine.Grads g = AffineRelu.affineReluBackward(get(FIX, "affine_dout_" + dt), f.cache());
    Golden.assertClose("dx", g.dx(), get(FIX, "affinerelu_dx_" + dt), tol);
    Golden.assertClose("dw", g.dw(), get(FIX, "affinerelu_dw_" + dt), tol);
    Golden.assertClose("db", g.db(), get(FIX, "affinerelu_db_" + dt), tol);
  }

  /** Triple loops straight from the definitions: the reference for the GEMM-based pair. */
  @Test
  void agreesWithNaiveLoopsOnAwkwardSizes() {
    SplittableRandom rng = new SplittableRandom(7);
    int[][] shapes = {{1, 1, 1}, {7, 3, 5}, {13, 17, 1}, {2, 31, 9}};
    for (int[] s : shapes) {
      int n = s[0];
      int d = s[1];
      int m = s[2];
      Tensor x = randn(rng, n, d);
      Tensor w = randn(rng, d, m);
      Tensor b = randn(rng, m);
      Tensor dout = randn(rng, n, m);
      Tensor out = Tensor.zeros(DType.FLOAT64, n, m);
      Tensor dx = Tensor.zeros(DType.FLOAT64, n, d);
      Tensor dw = Tensor.zeros(DType.FLOAT64, d, m);
      Tensor db = Tensor.zeros(DType.FLOAT64, m);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < m; j++) {
          double acc = b.get(j);
          for (int k = 0; k < d; k++) {
            acc += x.get(i, k) * w.get(k, j);
            dx.set(dx.get(i, k) + dout.get(i, j) * w.get(k, j), i, k);
            dw.set(dw.get(k, j) + x.get(i, k) * dout.get(i, j), k, j);
          }
          out.set(acc, i, j);
          db.set(db.get(j) + dout.get(i, j), j);
        }
      }
      Forward<Affine.Cache> f = Affine.affineForward(x, w, b);
      Affine.Grads g = Affine.affineBackward(dout, f.cache());
      String at = " at (N, D, M) = (" + n + ", " + d + ", " + m + ")";
      Golden.assertClose("out" + at, f.out(), out, 1e-10);
      Golden.assertClose("dx" + at, g.dx(), dx, 1e-10);
      Golden.assertClose("dw" + at, g.dw(), dw, 1e-10);
      Golden.assertClose("db" + at, g.db(), db, 1e-10);
    }
  }

  @Test
  void inputOnlyBackwardGivesTheSameDx() {
    SplittableRandom rng = new SplittableRandom(3);
    Tensor x = randn(rng, 6, 5), w = randn(rng, 5, 4), b = randn(rng, 4);
    Affine.Cache cache = Affine.affineForward(x, w, b).cache();
    Tensor dout = randn(rng, 6, 4);
    assertArrayEquals(
        Affine.affineBackward(dout, cache).dx().toDoubleArray(),
        Affine.affineBackwardInput(dout, cache).toDoubleArray());
  }

  @Test
  void gradientsPassTheNumericalCheck() {
    for (String layer : new String[] {"affine", "affine_relu"}) {
      for (GradCheckResult r : DenseChecks.checks().get(layer).get()) {
        assertTrue(r.passed(), r.toString());
      }
    }
  }

  @Test
  void float32InFloat32Out() {
    Tensor x = Tensor.ones(DType.FLOAT32, 2, 3);
    Tensor w = Tensor.ones(DType.FLOAT32, 3, 4);
    Tensor b = Tensor.ones(DType.FLOAT32, 4);
    Forward<Affine.Cache> f = Affine.affineForward(x, w, b);
    assertEquals(DType.FLOAT32, f.out().dtype());
    assertEquals(4.0, f.out().get(1, 3));
    Affine.Grads g = Affine.affineBackward(Tensor.ones(DType.FLOAT32, 2, 4), f.cache());
    assertEquals(DType.FLOAT32, g.dx().dtype());
    assertEquals(2.0, g.db().get(0));
  }

  @Test
  void rejectsBadShapesAndDtypes() {
    Tensor x = Tensor.zeros(DType.FLOAT64, 4, 3, 5);
    Tensor w = Tensor.zeros(DType.FLOAT64, 15, 6);
    Tensor b = Tensor.zeros(DType.FLOAT64, 6);
    assertMessage(
        "affine: expected w (D, M) with D=15 (x (4, 3, 5) flattened to (N, D)), got (12, 6)",
        () -> Affine.affineForward(x, Tensor.zeros(DType.FLOAT64, 12, 6), b));
    assertMessage(
        "affine: expected b (M,) with M=6 (w (15, 6)), got (5,)",
        () -> Affine.affineForward(x, w, Tensor.zeros(DType.FLOAT64, 5)));
    assertMessage(
        "affine: expected x (N, d1, ..., dk) with k >= 1, got (15,)",
        () -> Affine.affineForward(Tensor.zeros(DType.FLOAT64, 15), w, b));
    assertMessage(
        "affine: dtype mismatch: x is float32, w is float64, b is float64 (convert with Tensor.to)",
        () -> Affine.affineForward(x.to(DType.FLOAT32), w, b));
    assertMessage(
        "affine: expected x float32 or float64, got int32",
        () -> Affine.affineForward(x.to(DType.INT32), w, b));
    Affine.Cache cache = Affine.affineForward(x, w, b).cache();
    assertMessage(
        "affine_backward: expected dout (N, M) = (4, 6), got (4, 5)",
        () -> Affine.affineBackward(Tensor.zeros(DType.FLOAT64, 4, 5), cache));
    assertMessage(
        "affine_backward: dtype mismatch: dout is float32 but x is float64",
        () -> Affine.affineBackward(Tensor.zeros(DType.FLOAT32, 4, 6), cache));
  }
}
