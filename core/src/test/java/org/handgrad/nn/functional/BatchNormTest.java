package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.NormTesting.assertClose;
import static org.handgrad.nn.functional.NormTesting.assertThrowsWith;
import static org.handgrad.nn.functional.NormTesting.get;
import static org.handgrad.nn.functional.NormTesting.maxRel;
import static org.handgrad.nn.functional.NormTesting.randn;
import static org.handgrad.nn.functional.NormTesting.tag;
import static org.handgrad.nn.functional.NormTesting.tol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.handgrad.nn.functional.BatchNormParam.Mode;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BatchNormTest {
  /** A TRAIN or TEST parameter whose buffers start at the fixture's rm0, rv0. */
  private static BatchNormParam fixtureParam(Mode mode, DType dtype) {
    BatchNormParam p = BatchNormParam.create(dtype, 5);
    p.loadStatistics(get("bn_rm0", dtype), get("bn_rv0", dtype));
    return p.withMode(mode);
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void trainModeMatchesPyTorch(DType dtype) {
    String p = "bn_train_" + tag(dtype) + "_";
    double tol = tol(dtype);
    BatchNormParam param = fixtureParam(Mode.TRAIN, dtype);
    Forward<BatchNorm.Cache> f =
        BatchNorm.batchnormForward(
            get("bn_x", dtype), get("bn_gamma", dtype), get("bn_beta", dtype), param);
    assertClose(get(p + "out"), f.out(), tol, "out");
    Tensor dout = get("bn_dout", dtype);
    for (BatchNorm.Grads g :
        new BatchNorm.Grads[] {
          BatchNorm.batchnormBackward(dout, f.cache()),
          BatchNorm.batchnormBackwardAlt(dout, f.cache())
        }) {
      assertClose(get(p + "dx"), g.dx(), tol, "dx");
      assertClose(get(p + "dgamma"), g.dgamma(), tol, "dgamma");
      assertClose(get(p + "dbeta"), g.dbeta(), tol, "dbeta");
    }
    // Same update rule (PyTorch momentum 0.1 == CS231n momentum 0.9), so the means agree...
    assertClose(get(p + "running_mean"), param.runningMean(), tol, "running mean");
    // ...while PyTorch accumulates the unbiased variance: map it to the biased one we keep.
    assertClose(mappedRunningVar(p, "bn_rv0", 8, dtype), param.runningVar(), tol, "running var");
    assertEquals(2, (int) param.numBatchesTracked().item(), "loaded (1) + one TRAIN step");
  }

  /**
   * Our running variance from PyTorch's: var_unbiased = (rv - 0.9 rv0) / 0.1, biased = unbiased *
   * (M - 1) / M, then the same update with the biased value.
   */
  static Tensor mappedRunningVar(String prefix, String rv0Key, int m, DType dtype) {
    Tensor rv = get(prefix + "running_var").to(DType.FLOAT64);
    Tensor rv0 = get(rv0Key, dtype).to(DType.FLOAT64);
    Tensor expected = Tensor.zeros(DType.FLOAT64, rv.shape());
    for (int j = 0; j < rv.size(); j++) {
      double unbiased = (rv.getFlat(j) - 0.9 * rv0.getFlat(j)) / 0.1;
      expected.setFlat(j, 0.9 * rv0.getFlat(j) + 0.1 * unbiased * (m - 1) / m);
    }
    return expected.to(dtype);
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void testModeMatchesPyTorchAndLeavesBuffersAlone(DType dtype) {
    String p = "bn_test_" + tag(dtype) + "_";
    double tol = tol(dtype);
    BatchNormParam param = fixtureParam(Mode.TEST, dtype);
    Forward<BatchNorm.Cache> f =
        BatchNorm.batchnormForward(
            get("bn_x", dtype), get("bn_gamma", dtype), get("bn_beta", dtype), param);
    assertClose(get(p + "out"), f.out(), tol, "out");
    Tensor dout = get("bn_dout", dtype);
    for (BatchNorm.Grads g :
        new BatchNorm.Grads[] {
          BatchNorm.batchnormBackward(dout, f.cache()),
          BatchNorm.batchnormBackwardAlt(dout, f.cache())
        }) {
      assertClose(get(p + "dx"), g.dx(), tol, "dx");
      assertClose(get(p + "dgamma"), g.dgamma(), tol, "dgamma");
      assertClose(get(p + "dbeta"), g.dbeta(), tol, "dbeta");
    }
    assertClose(get("bn_rm0", dtype), param.runningMean(), 0, "running mean untouched");
    assertClose(get("bn_rv0", dtype), param.runningVar(), 0, "running var untouched");
    assertEquals(1, (int) param.numBatchesTracked().item());
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void graphAndClosedFormBackwardAgree(Mode mode) {
    SplittableRandom rng = new SplittableRandom(7);
    int n = 50;
    int d = 37;
    Tensor x = randn(rng, DType.FLOAT64, 5.0, 12.0, n, d);
    Tensor gamma = randn(rng, DType.FLOAT64, 1.0, 1.0, d);
    Tensor beta = randn(rng, DType.FLOAT64, 1.0, 0.0, d);
    Tensor dout = randn(rng, DType.FLOAT64, 1.0, 0.0, n, d);
    BatchNormParam param = BatchNormParam.create(DType.FLOAT64, d);
    param.loadStatistics(randn(rng, DType.FLOAT64, 1, 12, d), Tensor.full(DType.FLOAT64, 20, d));
    BatchNorm.Cache cache =
        BatchNorm.batchnormForward(x, gamma, beta, param.withMode(mode)).cache();
    BatchNorm.Grads naive = BatchNorm.batchnormBackward(dout, cache);
    BatchNorm.Grads alt = BatchNorm.batchnormBackwardAlt(dout, cache);
    assertTrue(maxRel(alt.dx(), naive.dx()) < 1e-10, "dx " + maxRel(alt.dx(), naive.dx()));
    assertTrue(maxRel(alt.dgamma(), naive.dgamma()) < 1e-10);
    assertTrue(maxRel(alt.dbeta(), naive.dbeta()) < 1e-10);
  }

  @Test
  void float32AgreesWithFloat64() {
    SplittableRandom rng = new SplittableRandom(8);
    Tensor x = randn(rng, DType.FLOAT64, 3.0, -7.0, 64, 33);
    Tensor gamma = randn(rng, DType.FLOAT64, 1.0, 1.0, 33);
    Tensor beta = randn(rng, DType.FLOAT64, 1.0, 0.0, 33);
    Tensor dout = randn(rng, DType.FLOAT64, 1.0, 0.0, 64, 33);
    Forward<BatchNorm.Cache> f64 =
        BatchNorm.batchnormForward(x, gamma, beta, BatchNormParam.create(DType.FLOAT64, 33));
    Forward<BatchNorm.Cache> f32 =
        BatchNorm.batchnormForward(
            x.to(DType.FLOAT32),
            gamma.to(DType.FLOAT32),
            beta.to(DType.FLOAT32),
            BatchNormParam.create(DType.FLOAT32, 33));
    assertEquals(DType.FLOAT32, f32.out().dtype());
    assertTrue(maxRel(f32.out(), f64.out()) < 1e-6);
    BatchNorm.Grads g64 = BatchNorm.batchnormBackwardAlt(dout, f64.cache());
    BatchNorm.Grads g32 = BatchNorm.batchnormBackwardAlt(dout.to(DType.FLOAT32), f32.cache());
    assertEquals(DType.FLOAT32, g32.dx().dtype());
    assertEquals(DType.FLOAT32, g32.dgamma().dtype());
    assertTrue(maxRel(g32.dx(), g64.dx()) < 1e-5);
    assertTrue(maxRel(g32.dgamma(), g64.dgamma()) < 1e-5);
  }

  @Test
  void trainOutputHasMeanBetaAndStdGamma() {
    // The CS231n notebook's first check: per feature, mean(out) = beta and std(out) = gamma.
    SplittableRandom rng = new SplittableRandom(9);
    Tensor x = randn(rng, DType.FLOAT64, 10.0, 40.0, 200, 3);
    Tensor gamma = Tensor.vector(1.0, 2.0, 3.0);
    Tensor beta = Tensor.vector(11.0, 12.0, 13.0);
    Tensor out =
        BatchNorm.batchnormForward(x, gamma, beta, BatchNormParam.create(DType.FLOAT64, 3)).out();
    for (int j = 0; j < 3; j++) {
      double s = 0;
      double q = 0;
      for (int i = 0; i < 200; i++) {
        s += out.get(i, j);
      }
      double mean = s / 200;
      for (int i = 0; i < 200; i++) {
        q += (out.get(i, j) - mean) * (out.get(i, j) - mean);
      }
      assertEquals(beta.getFlat(j), mean, 1e-12);
      // var/(var+eps) with var ~ 100: the std is gamma to ~5e-8.
      assertEquals(gamma.getFlat(j), Math.sqrt(q / 200), 1e-6 * gamma.getFlat(j));
    }
  }

  @Test
  void runningStatisticsFollowTheCs231nRule() {
    SplittableRandom rng = new SplittableRandom(10);
    BatchNormParam p = BatchNormParam.create(DType.FLOAT64, 2);
    assertEquals(Mode.TRAIN, p.mode());
    assertEquals(0.9, p.momentum());
    assertEquals(1e-5, p.eps());
    double[] rm = {0, 0};
    double[] rv = {0, 0};
    for (int step = 1; step <= 3; step++) {
      Tensor x = randn(rng, DType.FLOAT64, 2.0, step, 6, 2);
      BatchNorm.batchnormForward(
          x, Tensor.ones(DType.FLOAT64, 2), Tensor.zeros(DType.FLOAT64, 2), p);
      for (int j = 0; j < 2; j++) {
        double mean = 0;
        for (int i = 0; i < 6; i++) {
          mean += x.get(i, j) / 6;
        }
        double var = 0;
        for (int i = 0; i < 6; i++) {
          var += (x.get(i, j) - mean) * (x.get(i, j) - mean) / 6; // biased
        }
        rm[j] = 0.9 * rm[j] + 0.1 * mean;
        rv[j] = 0.9 * rv[j] + 0.1 * var;
        assertEquals(rm[j], p.runningMean().getFlat(j), 1e-14);
        assertEquals(rv[j], p.runningVar().getFlat(j), 1e-14);
      }
      assertEquals(step, (int) p.numBatchesTracked().item());
    }
    BatchNormParam test = p.withMode(Mode.TEST);
    assertSame(p.runningMean(), test.runningMean(), "withMode shares the buffers");
    Tensor out =
        BatchNorm.batchnormForward(
                Tensor.of(new double[] {rm[0], rm[1] + Math.sqrt(rv[1] + 1e-5)}, 1, 2),
                Tensor.ones(DType.FLOAT64, 2),
                Tensor.zeros(DType.FLOAT64, 2),
                test)
            .out();
    assertEquals(0, out.get(0, 0), 1e-12, "test mode subtracts the running mean");
    assertEquals(1, out.get(0, 1), 1e-12, "and divides by the running std");
    assertEquals(3, (int) p.numBatchesTracked().item(), "TEST mode does not count");
  }

  @Test
  void statisticsStayAccurateFarFromZero() {
    // A one-pass E[x^2] - E[x]^2 loses ~1e-4 relative here (1e12 / 1 cancellation in double);
    // the shifted sums keep full precision. Reference: two-pass in double.
    SplittableRandom rng = new SplittableRandom(11);
    Tensor x = randn(rng, DType.FLOAT64, 1.0, 1e6, 100, 4);
    BatchNorm.Cache c =
        BatchNorm.batchnormForward(
                x,
                Tensor.ones(DType.FLOAT64, 4),
                Tensor.zeros(DType.FLOAT64, 4),
                BatchNormParam.create(DType.FLOAT64, 4))
            .cache();
    for (int j = 0; j < 4; j++) {
      double mean = 0;
      for (int i = 0; i < 100; i++) {
        mean += x.get(i, j);
      }
      mean /= 100;
      double var = 0;
      for (int i = 0; i < 100; i++) {
        var += (x.get(i, j) - mean) * (x.get(i, j) - mean);
      }
      var /= 100;
      assertEquals(mean, c.mean().getFlat(j), 1e-15 * 1e6 * 4);
      assertEquals(var, c.var().getFlat(j), 1e-9 * var);
    }
  }

  @Test
  void testModeBeforeStatisticsIsAClearError() {
    BatchNormParam p = BatchNormParam.create(DType.FLOAT64, 3).withMode(Mode.TEST);
    assertTrue(!p.hasStatistics());
    assertThrowsWith(
        IllegalStateException.class,
        () ->
            BatchNorm.batchnormForward(
                Tensor.zeros(DType.FLOAT64, 4, 3),
                Tensor.ones(DType.FLOAT64, 3),
                Tensor.zeros(DType.FLOAT64, 3),
                p),
        "batchnorm",
        "TEST mode before any running statistics",
        "TRAIN",
        "loadStatistics");
  }

  @Test
  void badArgumentsAreClearErrors() {
    Tensor x = Tensor.zeros(DType.FLOAT64, 4, 5);
    Tensor g = Tensor.ones(DType.FLOAT64, 5);
    Tensor b = Tensor.zeros(DType.FLOAT64, 5);
    BatchNormParam p = BatchNormParam.create(DType.FLOAT64, 5);
    Class<IllegalArgumentException> iae = IllegalArgumentException.class;
    assertThrowsWith(
        iae,
        () -> BatchNorm.batchnormForward(Tensor.zeros(DType.FLOAT64, 4, 5, 1), g, b, p),
        "batchnorm: expected x (N, D), got (4, 5, 1)");
    assertThrowsWith(
        iae,
        () -> BatchNorm.batchnormForward(x, Tensor.ones(DType.FLOAT64, 4), b, p),
        "batchnorm: expected gamma (D,) with D=5 to match x (4, 5), got (4,)");
    assertThrowsWith(
        iae,
        () -> BatchNorm.batchnormForward(x, g, Tensor.zeros(DType.FLOAT64, 1, 5), p),
        "expected beta (D,) with D=5",
        "got (1, 5)");
    assertThrowsWith(
        iae,
        () -> BatchNorm.batchnormForward(x, Tensor.ones(DType.FLOAT32, 5), b, p),
        "batchnorm: gamma is float32 but x is float64");
    assertThrowsWith(
        iae,
        () -> BatchNorm.batchnormForward(x, g, b, BatchNormParam.create(DType.FLOAT64, 6)),
        "batchnorm: bnParam running statistics have shape (6,) but x (4, 5) has D=5");
    assertThrowsWith(
        iae,
        () -> BatchNorm.batchnormForward(x, g, b, BatchNormParam.create(DType.FLOAT32, 5)),
        "running statistics are float32 but x is float64");
    assertThrowsWith(
        iae,
        () -> BatchNorm.batchnormForward(Tensor.zeros(DType.INT32, 4, 5), g, b, p),
        "batchnorm: x must be float32 or float64, got int32");
    assertThrowsWith(
        iae,
        () -> BatchNorm.batchnormForward(Tensor.zeros(DType.FLOAT64, 1, 5), g, b, p),
        "batchnorm: TRAIN mode needs more than one value per channel",
        "(1, 5)");
    BatchNorm.Cache cache = BatchNorm.batchnormForward(x, g, b, p).cache();
    assertThrowsWith(
        iae,
        () -> BatchNorm.batchnormBackward(Tensor.zeros(DType.FLOAT64, 4, 6), cache),
        "batchnorm backward: expected dout (4, 5) float64 like x, got (4, 6) float64");
    assertThrowsWith(
        iae,
        () -> BatchNorm.batchnormBackwardAlt(Tensor.zeros(DType.FLOAT32, 4, 5), cache),
        "got (4, 5) float32");
  }

  @Test
  void paramValidation() {
    Tensor m = Tensor.zeros(DType.FLOAT64, 3);
    Tensor v = Tensor.zeros(DType.FLOAT64, 3);
    Tensor k = Tensor.scalar(DType.INT32, 0);
    Class<IllegalArgumentException> iae = IllegalArgumentException.class;
    assertThrowsWith(
        iae, () -> new BatchNormParam(Mode.TRAIN, 0, 0.9, m, v, k), "eps must be positive");
    assertThrowsWith(
        iae,
        () -> new BatchNormParam(Mode.TRAIN, 1e-5, 1.5, m, v, k),
        "momentum must be in [0, 1]");
    assertThrowsWith(
        iae,
        () -> new BatchNormParam(Mode.TRAIN, 1e-5, 0.9, m, Tensor.zeros(DType.FLOAT64, 4), k),
        "runningMean and runningVar of shape (D,), got (3,) and (4,)");
    assertThrowsWith(
        iae,
        () -> new BatchNormParam(Mode.TRAIN, 1e-5, 0.9, m, Tensor.zeros(DType.FLOAT32, 3), k),
        "share a float dtype, got float64 and float32");
    assertThrowsWith(
        iae,
        () -> new BatchNormParam(Mode.TRAIN, 1e-5, 0.9, m, v, Tensor.scalar(DType.FLOAT64, 0)),
        "numBatchesTracked must be an int32 scalar");
    BatchNormParam p = new BatchNormParam(Mode.TRAIN, 1e-5, 0.9, m, v, k);
    assertThrowsWith(
        iae,
        () -> p.loadStatistics(Tensor.zeros(DType.FLOAT64, 2), Tensor.zeros(DType.FLOAT64, 3)),
        "loadStatistics: expected mean and var of shape (3,)");
    assertThrowsWith(
        iae, () -> p.loadStatistics(m, Tensor.vector(1.0, -1.0, 1.0)), "var[1] = -1.0 is not >= 0");
  }
}
