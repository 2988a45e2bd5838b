package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.SeqTesting.assertClose;
import static org.handgrad.nn.functional.SeqTesting.assertRejects;
import static org.handgrad.nn.functional.SeqTesting.dtype;
import static org.handgrad.nn.functional.SeqTesting.expected;
import static org.handgrad.nn.functional.SeqTesting.input;
import static org.handgrad.nn.functional.SeqTesting.tol;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TemporalAffineTest {
  /** F.linear with PyTorch's (M, D) weight, transposed by the fixture script. */
  @ParameterizedTest
  @CsvSource({"f64", "f32"})
  void matchesPyTorchLinear(String dt) {
    DType d = dtype(dt);
    Forward<TemporalAffine.Cache> f =
        TemporalAffine.temporalAffineForward(
            input("affine", "x", d), input("affine", "w", d), input("affine", "b", d));
    TemporalAffine.Grads g =
        TemporalAffine.temporalAffineBackward(input("affine", "dout", d), f.cache());
    assertClose(expected("affine", d, "out"), f.out(), tol(d), "out");
    assertClose(expected("affine", d, "dx"), g.dx(), tol(d), "dx");
    assertClose(expected("affine", d, "dw"), g.dw(), tol(d), "dw");
    assertClose(expected("affine", d, "db"), g.db(), tol(d), "db");
  }

  /** Against a naive triple loop, the CS231n definition out[n, t, m] = sum_d x w + b. */
  @Test
  void agreesWithNaiveLoops() {
    Tensor x = SeqTesting.randn(new java.util.Random(3), DType.FLOAT64, 1, 2, 3, 4);
    Tensor w = SeqTesting.randn(new java.util.Random(4), DType.FLOAT64, 1, 4, 5);
    Tensor b = SeqTesting.randn(new java.util.Random(5), DType.FLOAT64, 1, 5);
    Tensor naive = Tensor.zeros(DType.FLOAT64, 2, 3, 5);
    for (int n = 0; n < 2; n++) {
      for (int t = 0; t < 3; t++) {
        for (int m = 0; m < 5; m++) {
          double s = b.get(m);
          for (int k = 0; k < 4; k++) {
            s += x.get(n, t, k) * w.get(k, m);
          }
          naive.set(s, n, t, m);
        }
      }
    }
    assertClose(naive, TemporalAffine.temporalAffineForward(x, w, b).out(), 1e-14, "out");
  }

  @Test
  void rejectsBadShapesAndMixedDtypes() {
    Tensor x = Tensor.zeros(DType.FLOAT32, 2, 3, 4);
    assertRejects(
        () ->
            TemporalAffine.temporalAffineForward(
                x, Tensor.zeros(DType.FLOAT32, 5, 6), Tensor.zeros(DType.FLOAT32, 6)),
        "temporalAffineForward",
        "expected w (D, M) = (4, 6), got (5, 6)");
    assertRejects(
        () ->
            TemporalAffine.temporalAffineForward(
                x, Tensor.zeros(DType.FLOAT64, 4, 6), Tensor.zeros(DType.FLOAT32, 6)),
        "w is float64 but x is float32");
    assertRejects(
        () ->
            TemporalAffine.temporalAffineForward(
                x, Tensor.zeros(DType.FLOAT32, 4, 6), Tensor.zeros(DType.FLOAT32, 4)),
        "expected b (M,) = (6,), got (4,)");
    Forward<TemporalAffine.Cache> f =
        TemporalAffine.temporalAffineForward(
            x, Tensor.zeros(DType.FLOAT32, 4, 6), Tensor.zeros(DType.FLOAT32, 6));
    assertRejects(
        () ->
            TemporalAffine.temporalAffineBackward(Tensor.zeros(DType.FLOAT32, 2, 3, 4), f.cache()),
        "temporalAffineBackward",
        "dout (N, T, M) = (2, 3, 6)");
  }
}
