package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.nn.functional.AffineNormRelu.Norm;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AffineNormReluTest {
  private static final Map<String, Tensor> FX = Fixtures.load("modules");
  private static final DType F64 = DType.FLOAT64;

  private final SplittableRandom rng = new SplittableRandom(77);
  private final Tensor x = TestData.randn(rng, 5, 2, 4); // (N, d1, d2), D = 8
  private final Tensor w = TestData.randn(rng, 8, 6);
  private final Tensor b = TestData.randn(rng, 6);
  private final Tensor gamma = TestData.randn(rng, 6);
  private final Tensor beta = TestData.randn(rng, 6);
  private final Tensor dout = TestData.randn(rng, 5, 6);

  private static void assertSameValues(String what, Tensor expected, Tensor actual) {
    assertEquals(expected.dtype(), actual.dtype(), what);
    org.junit.jupiter.api.Assertions.assertArrayEquals(expected.shape(), actual.shape(), what);
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        expected.toDoubleArray(), actual.toDoubleArray(), 0.0, what);
  }

  @Test
  void batchnormVariantIsTheThreePairsChained() {
    BatchNormParam mine = BatchNormParam.create(F64, 6);
    BatchNormParam ref = BatchNormParam.create(F64, 6);
    Forward<AffineNormRelu.Cache> f =
        AffineNormRelu.affineNormReluForward(x, w, b, gamma, beta, Norm.batchnorm(mine));
    AffineNormRelu.Grads g = AffineNormRelu.affineNormReluBackward(dout, f.cache());

    var a = Affine.affineForward(x, w, b);
    var n = BatchNorm.batchnormForward(a.out(), gamma, beta, ref);
    var r = Activations.reluForward(n.out());
    var gn = BatchNorm.batchnormBackwardAlt(Activations.reluBackward(dout, r.cache()), n.cache());
    var ga = Affine.affineBackward(gn.dx(), a.cache());
    assertSameValues("out", r.out(), f.out());
    assertSameValues("dx", ga.dx(), g.dx());
    assertSameValues("dw", ga.dw(), g.dw());
    assertSameValues("db", ga.db(), g.db());
    assertSameValues("dgamma", gn.dgamma(), g.dgamma());
    assertSameValues("dbeta", gn.dbeta(), g.dbeta());
    assertSameValues("running mean updated in place", ref.runningMean(), mine.runningMean());
    assertTrue(f.cache().layernorm() == null && f.cache().batchnorm() != null);
  }

  @Test
  void layernormVariantIsTheThreePairsChained() {
    Forward<AffineNormRelu.Cache> f =
        AffineNormRelu.affineNormReluForward(x, w, b, gamma, beta, new Norm.Layer(1e-3));
    AffineNormRelu.Grads g = AffineNormRelu.affineNormReluBackward(dout, f.cache());
    var a = Affine.affineForward(x, w, b);
    var n = LayerNorm.layernormForward(a.out(), gamma, beta, 1e-3);
    var r = Activations.reluForward(n.out());
    var gn = LayerNorm.layernormBackward(Activations.reluBackward(dout, r.cache()), n.cache());
    var ga = Affine.affineBackward(gn.dx(), a.cache());
    assertSameValues("out", r.out(), f.out());
    assertSameValues("dx", ga.dx(), g.dx());
    assertSameValues("dw", ga.dw(), g.dw());
    assertSameValues("db", ga.db(), g.db());
    assertSameValues("dgamma", gn.dgamma(), g.dgamma());
    assertSameValues("dbeta", gn.dbeta(), g.dbeta());
  }

  /** Why the batchnorm gradient check leaves db out: in TRAIN mode it is exactly zero. */
  @Test
  void trainModeBatchnormMakesTheAffineBiasGradientVanish() {
    AffineNormRelu.Grads g =
        AffineNormRelu.affineNormReluBackward(
            dout,
            AffineNormRelu.affineNormReluForward(
                    x, w, b, gamma, beta, Norm.batchnorm(BatchNormParam.create(F64, 6)))
                .cache());
    double dw = 0;
    for (int i = 0; i < g.dw().size(); i++) {
      dw = Math.max(dw, Math.abs(g.dw().getFlat(i)));
    }
    for (int j = 0; j < 6; j++) {
      assertTrue(Math.abs(g.db().getFlat(j)) < 1e-14 * dw, "db[" + j + "] = " + g.db().getFlat(j));
    }
    // In TEST mode (constant statistics) it does not vanish.
    BatchNormParam test = BatchNormParam.create(F64, 6).withMode(BatchNormParam.Mode.TEST);
    test.loadStatistics(Tensor.zeros(F64, 6), Tensor.ones(F64, 6));
    AffineNormRelu.Grads gt =
        AffineNormRelu.affineNormReluBackward(
            dout,
            AffineNormRelu.affineNormReluForward(x, w, b, gamma, beta, Norm.batchnorm(test))
                .cache());
    double db = 0;
    for (int j = 0; j < 6; j++) {
      db = Math.max(db, Math.abs(gt.db().getFlat(j)));
    }
    assertTrue(db > 0.1, "TEST-mode db = " + db);
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"anr_bn, f64, 1e-10", "anr_bn, f32, 1e-5", "anr_ln, f64, 1e-10", "anr_ln, f32, 1e-5"})
  void matchesPyTorch(String c, String sfx, double tol) {
    DType dt = sfx.equals("f64") ? F64 : DType.FLOAT32;
    Tensor fx = in(c + "_x", dt);
    Tensor fw = in(c + "_w", dt);
    Tensor fb = in(c + "_b", dt);
    Tensor fg = in(c + "_gamma", dt);
    Tensor fbeta = in(c + "_beta", dt);
    BatchNormParam bn = BatchNormParam.create(dt, 5);
    Norm norm = c.equals("anr_bn") ? Norm.batchnorm(bn) : Norm.layernorm();
    Forward<AffineNormRelu.Cache> f =
        AffineNormRelu.affineNormReluForward(fx, fw, fb, fg, fbeta, norm);
    Golden.assertClose(c + " out", f.out(), fx(c + "_out_" + sfx), tol);
    AffineNormRelu.Grads g = AffineNormRelu.affineNormReluBackward(in(c + "_dout", dt), f.cache());
    Golden.assertClose(c + " dx", g.dx(), fx(c + "_dx_" + sfx), tol);
    Golden.assertClose(c + " dw", g.dw(), fx(c + "_dw_" + sfx), tol);
    Golden.assertClose(c + " dgamma", g.dgamma(), fx(c + "_dgamma_" + sfx), tol);
    Golden.assertClose(c + " dbeta", g.dbeta(), fx(c + "_dbeta_" + sfx), tol);
    if (c.equals("anr_ln")) {
      Golden.assertClose(c + " db", g.db(), fx(c + "_db_" + sfx), tol);
    } else {
      // db is round-off on both sides (see above); the running statistics are compared instead:
      // same mean, and PyTorch's unbiased variance is N/(N-1) ours (both start at 0).
      Golden.assertClose(
          c + " running_mean", bn.runningMean(), fx(c + "_running_mean_" + sfx), tol);
      int n = fx.shape(0);
      Tensor var = bn.runningVar().copy();
      for (int j = 0; j < var.size(); j++) {
        var.setFlat(j, var.getFlat(j) * n / (n - 1));
      }
      Golden.assertClose(c + " running_var", var, fx(c + "_running_var_" + sfx), tol);
    }
  }

  private static Tensor fx(String key) {
    return Fixtures.get(FX, key);
  }

  private static Tensor in(String key, DType dt) {
    Tensor t = fx(key + "_f64");
    return dt == F64 ? t : t.to(dt);
  }

  @Test
  void errorsNameTheFailingLayer() {
    TestData.assertMessage(
        "batchnorm: expected gamma (D,) with D=6 to match x (5, 6), got (5,)",
        () ->
            AffineNormRelu.affineNormReluForward(
                x,
                w,
                b,
                TestData.randn(rng, 5),
                beta,
                Norm.batchnorm(BatchNormParam.create(F64, 6))));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                AffineNormRelu.affineNormReluForward(
                    x, TestData.randn(rng, 7, 6), b, gamma, beta, Norm.layernorm()));
    assertTrue(e.getMessage().startsWith("affine: expected w (D, M) with D=8"), e.getMessage());
    assertThrows(
        NullPointerException.class,
        () -> AffineNormRelu.affineNormReluForward(x, w, b, gamma, beta, null));
    TestData.assertMessage(
        "affine_norm_relu: exactly one of the batchnorm and layernorm caches must be set",
        () ->
            new AffineNormRelu.Cache(
                Affine.affineForward(x, w, b).cache(),
                null,
                null,
                Activations.reluForward(dout).cache()));
    Forward<AffineNormRelu.Cache> f =
        AffineNormRelu.affineNormReluForward(x, w, b, gamma, beta, Norm.layernorm());
    assertThrows(
        IllegalArgumentException.class,
        () -> AffineNormRelu.affineNormReluBackward(TestData.randn(rng, 5, 7), f.cache()));
  }

  @Test
  void float32StaysFloat32() {
    Forward<AffineNormRelu.Cache> f =
        AffineNormRelu.affineNormReluForward(
            x.to(DType.FLOAT32),
            w.to(DType.FLOAT32),
            b.to(DType.FLOAT32),
            gamma.to(DType.FLOAT32),
            beta.to(DType.FLOAT32),
            Norm.batchnorm(BatchNormParam.create(DType.FLOAT32, 6)));
    assertEquals(DType.FLOAT32, f.out().dtype());
    AffineNormRelu.Grads g =
        AffineNormRelu.affineNormReluBackward(dout.to(DType.FLOAT32), f.cache());
    assertEquals(DType.FLOAT32, g.dx().dtype());
    assertEquals(DType.FLOAT32, g.dgamma().dtype());
  }
}
