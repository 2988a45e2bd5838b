package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.NormTesting.assertClose;
import static org.handgrad.nn.functional.NormTesting.assertThrowsWith;
import static org.handgrad.nn.functional.NormTesting.get;
import static org.handgrad.nn.functional.NormTesting.maxRel;
import static org.handgrad.nn.functional.NormTesting.randn;
import static org.handgrad.nn.functional.NormTesting.tag;
import static org.handgrad.nn.functional.NormTesting.tol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GroupNormTest {
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void isBitIdenticalForAnyThreadCount(boolean f32) {
    DType dt = f32 ? DType.FLOAT32 : DType.FLOAT64;
    // 5 * 8 = 40 planes of 32x32, 16 planes per chunk: chunks cut through groups of 2 planes.
    SplittableRandom rng = new SplittableRandom(12);
    Tensor x = randn(rng, dt, 2, 0.5, 5, 8, 32, 32);
    Tensor gamma = randn(rng, dt, 1, 1, 8), beta = randn(rng, dt, 1, 0, 8);
    Tensor dout = randn(rng, dt, 1, 0, 5, 8, 32, 32);
    ThreadCounts.assertSameForAnyThreadCount(
        () -> {
          Forward<GroupNorm.Cache> f = GroupNorm.spatialGroupnormForward(x, gamma, beta, 4, 1e-5);
          GroupNorm.Grads g = GroupNorm.spatialGroupnormBackward(dout, f.cache());
          return java.util.List.of(f.out(), g.dx(), g.dgamma(), g.dbeta());
        });
  }

  private static final double EPS = GroupNorm.DEFAULT_EPS;

  /** "gn": G=3 of C=6; "gn1": G=1. */
  @ParameterizedTest
  @ValueSource(strings = {"gn", "gn1"})
  void matchesPyTorch(String family) {
    int groups = (int) get(family + "_groups").item();
    for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      String p = family + "_" + tag(dtype) + "_";
      double tol = tol(dtype);
      Forward<GroupNorm.Cache> f =
          GroupNorm.spatialGroupnormForward(
              get(family + "_x", dtype),
              get(family + "_gamma", dtype),
              get(family + "_beta", dtype),
              groups,
              EPS);
      assertEquals(groups, f.cache().groups());
      assertClose(get(p + "out"), f.out(), tol, p + "out");
      GroupNorm.Grads g =
          GroupNorm.spatialGroupnormBackward(get(family + "_dout", dtype), f.cache());
      assertClose(get(p + "dx"), g.dx(), tol, p + "dx");
      assertClose(get(p + "dgamma"), g.dgamma(), tol, p + "dgamma");
      assertClose(get(p + "dbeta"), g.dbeta(), tol, p + "dbeta");
    }
  }

  /**
   * With G=1 a sample is one group: group norm is layer norm of the flattened (C*H*W) sample with
   * gamma and beta repeated over each channel's H*W positions.
   */
  @Test
  void oneGroupEqualsLayerNormOfTheFlattenedSample() {
    SplittableRandom rng = new SplittableRandom(41);
    int n = 3;
    int c = 4;
    int hw = 6;
    Tensor x = randn(rng, DType.FLOAT64, 2.0, 5.0, n, c, 2, 3);
    Tensor gamma = randn(rng, DType.FLOAT64, 1.0, 1.0, c);
    Tensor beta = randn(rng, DType.FLOAT64, 1.0, 0.0, c);
    Tensor dout = randn(rng, DType.FLOAT64, 1.0, 0.0, n, c, 2, 3);
    Tensor gammaLong = Tensor.zeros(DType.FLOAT64, c * hw);
    Tensor betaLong = Tensor.zeros(DType.FLOAT64, c * hw);
    for (int i = 0; i < c * hw; i++) {
      gammaLong.setFlat(i, gamma.getFlat(i / hw));
      betaLong.setFlat(i, beta.getFlat(i / hw));
    }
    Forward<GroupNorm.Cache> gn = GroupNorm.spatialGroupnormForward(x, gamma, beta, 1, EPS);
    Forward<LayerNorm.Cache> ln =
        LayerNorm.layernormForward(x.reshape(n, c * hw), gammaLong, betaLong, EPS);
    assertTrue(maxRel(gn.out().reshape(n, c * hw), ln.out()) < 1e-13);
    GroupNorm.Grads g = GroupNorm.spatialGroupnormBackward(dout, gn.cache());
    LayerNorm.Grads l = LayerNorm.layernormBackward(dout.reshape(n, c * hw), ln.cache());
    assertTrue(maxRel(g.dx().reshape(n, c * hw), l.dx()) < 1e-10);
    for (int ch = 0; ch < c; ch++) {
      double dgamma = 0;
      double dbeta = 0;
      for (int i = 0; i < hw; i++) {
        dgamma += l.dgamma().getFlat(ch * hw + i);
        dbeta += l.dbeta().getFlat(ch * hw + i);
      }
      assertEquals(dgamma, g.dgamma().getFlat(ch), 1e-12);
      assertEquals(dbeta, g.dbeta().getFlat(ch), 1e-12);
    }
  }

  /** Groups are consecutive channels: G=C normalises every (n, c) plane on its own. */
  @Test
  void groupsAreConsecutiveChannels() {
    SplittableRandom rng = new SplittableRandom(42);
    Tensor x = randn(rng, DType.FLOAT64, 1.0, 0.0, 2, 4, 3, 3);
    Tensor out =
        GroupNorm.spatialGroupnormForward(
                x, Tensor.ones(DType.FLOAT64, 4), Tensor.zeros(DType.FLOAT64, 4), 2, EPS)
            .out();
    for (int n = 0; n < 2; n++) {
      for (int g = 0; g < 2; g++) {
        double s = 0;
        double q = 0;
        for (int c = 2 * g; c < 2 * g + 2; c++) {
          for (int i = 0; i < 9; i++) {
            double v = out.get(n, c, i / 3, i % 3);
            s += v;
            q += v * v;
          }
        }
        assertEquals(0, s / 18, 1e-12);
        assertEquals(1, q / 18, 1e-4); // var/(var+eps)
      }
    }
  }

  @Test
  void badArgumentsAreClearErrors() {
    Tensor x = Tensor.zeros(DType.FLOAT32, 2, 6, 4, 4);
    Tensor g = Tensor.ones(DType.FLOAT32, 6);
    Tensor b = Tensor.zeros(DType.FLOAT32, 6);
    Class<IllegalArgumentException> iae = IllegalArgumentException.class;
    assertThrowsWith(
        iae,
        () -> GroupNorm.spatialGroupnormForward(x, g, b, 4, EPS),
        "groupnorm: C=6 channels of x (2, 6, 4, 4) cannot be split into G=4 equal groups");
    assertThrowsWith(
        iae, () -> GroupNorm.spatialGroupnormForward(x, g, b, 0, EPS), "G=0", "G must divide C");
    assertThrowsWith(
        iae,
        () -> GroupNorm.spatialGroupnormForward(Tensor.zeros(DType.FLOAT32, 2, 6), g, b, 2, EPS),
        "groupnorm: expected x (N, C, H, W), got (2, 6)");
    assertThrowsWith(
        iae,
        () ->
            GroupNorm.spatialGroupnormForward(x, Tensor.ones(DType.FLOAT32, 1, 6, 1, 1), b, 2, EPS),
        "groupnorm: expected gamma (C,) with C=6 to match x (2, 6, 4, 4), got (1, 6, 1, 1)");
    assertThrowsWith(
        iae,
        () -> GroupNorm.spatialGroupnormForward(x, Tensor.ones(DType.FLOAT64, 6), b, 2, EPS),
        "groupnorm: gamma is float64 but x is float32");
    assertThrowsWith(
        iae, () -> GroupNorm.spatialGroupnormForward(x, g, b, 2, -1), "eps must be positive");
    GroupNorm.Cache cache = GroupNorm.spatialGroupnormForward(x, g, b, 2, EPS).cache();
    assertThrowsWith(
        iae,
        () -> GroupNorm.spatialGroupnormBackward(Tensor.zeros(DType.FLOAT64, 2, 6, 4, 4), cache),
        "groupnorm backward: expected dout (2, 6, 4, 4) float32 like x");
  }
}
