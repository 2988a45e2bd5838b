package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.NormTesting.assertClose;
import static org.handgrad.nn.functional.NormTesting.assertThrowsWith;
import static org.handgrad.nn.functional.NormTesting.get;
import static org.handgrad.nn.functional.NormTesting.maxRel;
import static org.handgrad.nn.functional.NormTesting.randn;
import static org.handgrad.nn.functional.NormTesting.tag;
import static org.handgrad.nn.functional.NormTesting.tol;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LayerNormTest {
  private static final double EPS = LayerNorm.DEFAULT_EPS;

  /** "ln": x (6, 7); "ln3": x (2, 3, 7), every leading index a row. */
  @ParameterizedTest
  @ValueSource(strings = {"ln", "ln3"})
  void matchesPyTorch(String family) {
    for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      String p = family + "_" + tag(dtype) + "_";
      double tol = tol(dtype);
      Tensor x = get(family + "_x", dtype);
      Forward<LayerNorm.Cache> f =
          LayerNorm.layernormForward(
              x, get(family + "_gamma", dtype), get(family + "_beta", dtype), EPS);
      assertClose(get(p + "out"), f.out(), tol, p + "out");
      assertArrayEquals(x.shape(), f.out().shape());
      LayerNorm.Grads g = LayerNorm.layernormBackward(get(family + "_dout", dtype), f.cache());
      assertClose(get(p + "dx"), g.dx(), tol, p + "dx");
      assertClose(get(p + "dgamma"), g.dgamma(), tol, p + "dgamma");
      assertClose(get(p + "dbeta"), g.dbeta(), tol, p + "dbeta");
    }
  }

  /** CS231n's hint: layer norm is batch norm on the transposed input, affine applied after. */
  @Test
  void equalsBatchNormOfTheTranspose() {
    SplittableRandom rng = new SplittableRandom(31);
    int n = 9;
    int d = 13;
    Tensor x = randn(rng, DType.FLOAT64, 3.0, 2.0, n, d);
    Tensor gamma = randn(rng, DType.FLOAT64, 1.0, 1.0, d);
    Tensor beta = randn(rng, DType.FLOAT64, 1.0, 0.0, d);
    Tensor dout = randn(rng, DType.FLOAT64, 1.0, 0.0, n, d);
    Forward<LayerNorm.Cache> ln = LayerNorm.layernormForward(x, gamma, beta, EPS);

    // xhat^T = batchnorm(x^T) with unit gamma, zero beta; out = gamma * xhat + beta.
    Forward<BatchNorm.Cache> bn =
        BatchNorm.batchnormForward(
            transpose(x),
            Tensor.ones(DType.FLOAT64, n),
            Tensor.zeros(DType.FLOAT64, n),
            BatchNormParam.create(DType.FLOAT64, n));
    Tensor xhat = transpose(bn.out());
    Tensor expected = Tensor.zeros(DType.FLOAT64, n, d);
    Tensor dxhat = Tensor.zeros(DType.FLOAT64, n, d);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        expected.set(gamma.getFlat(j) * xhat.get(i, j) + beta.getFlat(j), i, j);
        dxhat.set(gamma.getFlat(j) * dout.get(i, j), i, j);
      }
    }
    assertTrue(maxRel(ln.out(), expected) < 1e-13);
    Tensor dx = transpose(BatchNorm.batchnormBackward(transpose(dxhat), bn.cache()).dx());
    LayerNorm.Grads g = LayerNorm.layernormBackward(dout, ln.cache());
    assertTrue(maxRel(g.dx(), dx) < 1e-10, "dx " + maxRel(g.dx(), dx));
  }

  private static Tensor transpose(Tensor a) {
    Tensor t = Tensor.zeros(a.dtype(), a.shape(1), a.shape(0));
    for (int i = 0; i < a.shape(0); i++) {
      for (int j = 0; j < a.shape(1); j++) {
        t.set(a.get(i, j), j, i);
      }
    }
    return t;
  }

  @Test
  void badArgumentsAreClearErrors() {
    Tensor x = Tensor.zeros(DType.FLOAT64, 4, 5);
    Tensor g = Tensor.ones(DType.FLOAT64, 5);
    Tensor b = Tensor.zeros(DType.FLOAT64, 5);
    Class<IllegalArgumentException> iae = IllegalArgumentException.class;
    assertThrowsWith(
        iae,
        () -> LayerNorm.layernormForward(Tensor.scalar(DType.FLOAT64, 1), g, b, EPS),
        "layernorm: expected x (N, D) with D >= 1, got ()");
    assertThrowsWith(
        iae,
        () -> LayerNorm.layernormForward(x, Tensor.ones(DType.FLOAT64, 4), b, EPS),
        "layernorm: expected gamma (D,) with D=5 to match x (4, 5), got (4,)");
    assertThrowsWith(
        iae,
        () -> LayerNorm.layernormForward(x, g, Tensor.zeros(DType.FLOAT32, 5), EPS),
        "layernorm: beta is float32 but x is float64");
    assertThrowsWith(
        iae, () -> LayerNorm.layernormForward(x, g, b, 0), "layernorm: eps must be positive");
    LayerNorm.Cache cache = LayerNorm.layernormForward(x, g, b, EPS).cache();
    assertThrowsWith(
        iae,
        () -> LayerNorm.layernormBackward(Tensor.zeros(DType.FLOAT64, 5, 4), cache),
        "layernorm backward: expected dout (4, 5) float64 like x, got (5, 4)");
  }
}
