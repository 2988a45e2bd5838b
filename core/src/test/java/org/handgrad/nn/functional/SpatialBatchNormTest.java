package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.NormTesting.assertClose;
import static org.handgrad.nn.functional.NormTesting.assertThrowsWith;
import static org.handgrad.nn.functional.NormTesting.get;
import static org.handgrad.nn.functional.NormTesting.maxRel;
import static org.handgrad.nn.functional.NormTesting.randn;
import static org.handgrad.nn.functional.NormTesting.tag;
import static org.handgrad.nn.functional.NormTesting.tol;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.handgrad.nn.functional.BatchNormParam.Mode;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SpatialBatchNormTest {
  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT32", "FLOAT64"})
  void isBitIdenticalForAnyThreadCount(DType dt) {
    // 35 planes of 32x32, 16 planes per chunk: three chunks of plane sums.
    SplittableRandom rng = new SplittableRandom(11);
    Tensor x = randn(rng, dt, 2, 0.5, 5, 7, 32, 32);
    Tensor gamma = randn(rng, dt, 1, 1, 7), beta = randn(rng, dt, 1, 0, 7);
    Tensor dout = randn(rng, dt, 1, 0, 5, 7, 32, 32);
    ThreadCounts.assertSameForAnyThreadCount(
        () -> {
          BatchNormParam param = BatchNormParam.create(dt, 7);
          Forward<SpatialBatchNorm.Cache> f =
              SpatialBatchNorm.spatialBatchnormForward(x, gamma, beta, param);
          SpatialBatchNorm.Grads g = SpatialBatchNorm.spatialBatchnormBackward(dout, f.cache());
          return java.util.List.of(
              f.out(), g.dx(), g.dgamma(), g.dbeta(), param.runningMean(), param.runningVar());
        });
  }

  private static final DType[] DTYPES = {DType.FLOAT64, DType.FLOAT32};

  @ParameterizedTest
  @EnumSource(Mode.class)
  void matchesPyTorchBatchNorm2d(Mode mode) {
    for (DType dtype : DTYPES) {
      String p = "sbn_" + mode.name().toLowerCase(java.util.Locale.ROOT) + "_" + tag(dtype) + "_";
      double tol = tol(dtype);
      BatchNormParam param = BatchNormParam.create(dtype, 3);
      param.loadStatistics(get("sbn_rm0", dtype), get("sbn_rv0", dtype));
      param = param.withMode(mode);
      Forward<SpatialBatchNorm.Cache> f =
          SpatialBatchNorm.spatialBatchnormForward(
              get("sbn_x", dtype), get("sbn_gamma", dtype), get("sbn_beta", dtype), param);
      assertClose(get(p + "out"), f.out(), tol, p + "out");
      SpatialBatchNorm.Grads g =
          SpatialBatchNorm.spatialBatchnormBackward(get("sbn_dout", dtype), f.cache());
      assertClose(get(p + "dx"), g.dx(), tol, p + "dx");
      assertClose(get(p + "dgamma"), g.dgamma(), tol, p + "dgamma");
      assertClose(get(p + "dbeta"), g.dbeta(), tol, p + "dbeta");
      if (mode == Mode.TRAIN) {
        assertClose(get(p + "running_mean"), param.runningMean(), tol, p + "running mean");
        Tensor rv = BatchNormTest.mappedRunningVar(p, "sbn_rv0", 3 * 4 * 5, dtype);
        assertClose(rv, param.runningVar(), tol, p + "running var (biased)");
      } else {
        assertClose(get("sbn_rv0", dtype), param.runningVar(), 0, "untouched in TEST mode");
      }
    }
  }

  /** CS231n's construction: transpose to (N*H*W, C) and run the (N, D) layer. */
  @ParameterizedTest
  @EnumSource(Mode.class)
  void equalsBatchNormOnTransposedInput(Mode mode) {
    SplittableRandom rng = new SplittableRandom(21);
    int n = 3;
    int c = 4;
    int h = 5;
    int w = 7;
    Tensor x = randn(rng, DType.FLOAT64, 2.0, 1.0, n, c, h, w);
    Tensor gamma = randn(rng, DType.FLOAT64, 1.0, 1.0, c);
    Tensor beta = randn(rng, DType.FLOAT64, 1.0, 0.0, c);
    Tensor dout = randn(rng, DType.FLOAT64, 1.0, 0.0, n, c, h, w);
    BatchNormParam p4 = BatchNormParam.create(DType.FLOAT64, c);
    BatchNormParam p2 = BatchNormParam.create(DType.FLOAT64, c);
    Tensor stats = Tensor.vector(0.5, 1.0, 2.0, 3.0);
    p4.loadStatistics(stats, stats);
    p2.loadStatistics(stats, stats);
    Forward<SpatialBatchNorm.Cache> f4 =
        SpatialBatchNorm.spatialBatchnormForward(x, gamma, beta, p4.withMode(mode));
    Forward<BatchNorm.Cache> f2 =
        BatchNorm.batchnormForward(toRows(x), gamma, beta, p2.withMode(mode));
    assertTrue(maxRel(toRows(f4.out()), f2.out()) < 1e-13);
    SpatialBatchNorm.Grads g4 = SpatialBatchNorm.spatialBatchnormBackward(dout, f4.cache());
    BatchNorm.Grads g2 = BatchNorm.batchnormBackward(toRows(dout), f2.cache());
    assertTrue(maxRel(toRows(g4.dx()), g2.dx()) < 1e-10, "dx " + maxRel(toRows(g4.dx()), g2.dx()));
    assertTrue(maxRel(g4.dgamma(), g2.dgamma()) < 1e-10);
    assertTrue(maxRel(g4.dbeta(), g2.dbeta()) < 1e-10);
    assertTrue(maxRel(p4.runningMean(), p2.runningMean()) < 1e-13);
    assertTrue(maxRel(p4.runningVar(), p2.runningVar()) < 1e-13);
  }

  /** (N, C, H, W) to (N*H*W, C), element by element. */
  private static Tensor toRows(Tensor x) {
    int n = x.shape(0);
    int c = x.shape(1);
    int h = x.shape(2);
    int w = x.shape(3);
    Tensor out = Tensor.zeros(x.dtype(), n * h * w, c);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < c; j++) {
        for (int y = 0; y < h; y++) {
          for (int z = 0; z < w; z++) {
            out.set(x.get(i, j, y, z), (i * h + y) * w + z, j);
          }
        }
      }
    }
    return out;
  }

  @Test
  void badArgumentsAreClearErrors() {
    Tensor x = Tensor.zeros(DType.FLOAT32, 2, 3, 4, 4);
    Tensor g = Tensor.ones(DType.FLOAT32, 3);
    Tensor b = Tensor.zeros(DType.FLOAT32, 3);
    BatchNormParam p = BatchNormParam.create(DType.FLOAT32, 3);
    Class<IllegalArgumentException> iae = IllegalArgumentException.class;
    assertThrowsWith(
        iae,
        () ->
            SpatialBatchNorm.spatialBatchnormForward(Tensor.zeros(DType.FLOAT32, 2, 3, 4), g, b, p),
        "spatial_batchnorm: expected x (N, C, H, W), got (2, 3, 4)");
    assertThrowsWith(
        iae,
        () ->
            SpatialBatchNorm.spatialBatchnormForward(
                x, Tensor.ones(DType.FLOAT32, 1, 3, 1, 1), b, p),
        "spatial_batchnorm: expected gamma (C,) with C=3 to match x (2, 3, 4, 4), got (1, 3, 1, 1)");
    assertThrowsWith(
        iae,
        () -> SpatialBatchNorm.spatialBatchnormForward(x, g, Tensor.zeros(DType.FLOAT64, 3), p),
        "beta is float64 but x is float32");
    assertThrowsWith(
        iae,
        () ->
            SpatialBatchNorm.spatialBatchnormForward(
                x, g, b, BatchNormParam.create(DType.FLOAT32, 4)),
        "has C=3");
    assertThrowsWith(
        iae,
        () ->
            SpatialBatchNorm.spatialBatchnormForward(
                Tensor.zeros(DType.FLOAT32, 1, 3, 1, 1), g, b, p),
        "more than one value per channel");
    assertThrowsWith(
        IllegalStateException.class,
        () -> SpatialBatchNorm.spatialBatchnormForward(x, g, b, p.withMode(Mode.TEST)),
        "spatial_batchnorm: TEST mode before any running statistics");
    SpatialBatchNorm.Cache cache = SpatialBatchNorm.spatialBatchnormForward(x, g, b, p).cache();
    assertThrowsWith(
        iae,
        () ->
            SpatialBatchNorm.spatialBatchnormBackward(
                Tensor.zeros(DType.FLOAT32, 2, 3, 4, 5), cache),
        "spatial_batchnorm backward: expected dout (2, 3, 4, 4)");
  }
}
