package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.NormTesting.assertThrowsWith;
import static org.handgrad.nn.functional.NormTesting.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.nn.functional.BatchNormParam.Mode;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * One settings record for every norm pair: each pair given a {@link NormParam} computes exactly
 * what it computes with the same settings passed the older way (whose results the golden tests
 * check against PyTorch), and a non-default eps really reaches the maths.
 */
class NormParamTest {
  private static final NormParam SETTINGS =
      NormParam.defaults().withEps(1e-1).withMomentum(0.5); // eps large enough to show

  @Test
  void defaultsAndWithMethods() {
    NormParam d = NormParam.defaults();
    assertEquals(new NormParam(Mode.TRAIN, 1e-5, 0.9), d);
    assertEquals(BatchNormParam.create(DType.FLOAT64, 3).settings(), d);
    assertEquals(
        new NormParam(Mode.TEST, 1e-3, 0.7), d.withMode(Mode.TEST).withEps(1e-3).withMomentum(0.7));
    assertEquals(
        new NormParam(Mode.TEST, 1e-3, 0.9), NormParam.of(Map.of("mode", "test", "eps", 1e-3)));
    assertEquals(d, NormParam.of(Map.of()));
  }

  @Test
  void badSettingsAreClearErrors() {
    Class<IllegalArgumentException> iae = IllegalArgumentException.class;
    assertThrowsWith(iae, () -> NormParam.defaults().withEps(0), "eps must be finite and > 0");
    assertThrowsWith(iae, () -> NormParam.defaults().withMomentum(1.5), "momentum", "1.5");
    assertThrowsWith(
        iae, () -> NormParam.of(Map.of("running_mean", 0)), "unknown key 'running_mean'");
    assertThrowsWith(
        iae, () -> NormParam.of(Map.of("mode", "eval")), "\"train\" or \"test\"", "eval");
    assertThrowsWith(iae, () -> NormParam.of(Map.of("eps", "small")), "eps must be a number");
  }

  @Test
  void batchNormFromSettingsEqualsTheSixArgumentConstructor() {
    SplittableRandom rng = new SplittableRandom(3);
    Tensor x = randn(rng, DType.FLOAT64, 2, 1, 6, 4);
    Tensor gamma = randn(rng, DType.FLOAT64, 1, 1, 4);
    Tensor beta = randn(rng, DType.FLOAT64, 1, 0, 4);
    BatchNormParam fromSettings = BatchNormParam.create(DType.FLOAT64, 4, SETTINGS);
    BatchNormParam old =
        new BatchNormParam(
            Mode.TRAIN,
            1e-1,
            0.5,
            Tensor.zeros(DType.FLOAT64, 4),
            Tensor.zeros(DType.FLOAT64, 4),
            Tensor.scalar(DType.INT32, 0));
    assertEquals(SETTINGS, fromSettings.settings());
    Tensor a = BatchNorm.batchnormForward(x, gamma, beta, fromSettings).out();
    Tensor b = BatchNorm.batchnormForward(x, gamma, beta, old).out();
    assertArrayEquals(b.toDoubleArray(), a.toDoubleArray(), 0.0);
    assertArrayEquals(
        old.runningMean().toDoubleArray(), fromSettings.runningMean().toDoubleArray(), 0.0);
    assertArrayEquals(
        old.runningVar().toDoubleArray(), fromSettings.runningVar().toDoubleArray(), 0.0);
    // momentum 0.5 from zero buffers: running mean = 0.5 * batch mean
    double[] batchMean = x.mean(0).toDoubleArray();
    assertEquals(0.5 * batchMean[2], fromSettings.runningMean().getFlat(2), 1e-15);
    Tensor withDefaultEps =
        BatchNorm.batchnormForward(x, gamma, beta, BatchNormParam.create(DType.FLOAT64, 4)).out();
    assertTrue(maxDiff(a, withDefaultEps) > 1e-3, "eps 0.1 changes the output");

    // withEps / withMomentum keep the buffers
    BatchNormParam changed = fromSettings.withEps(1e-3).withMomentum(0.8);
    assertSame(fromSettings.runningMean(), changed.runningMean());
    assertSame(fromSettings.numBatchesTracked(), changed.numBatchesTracked());
    assertEquals(new NormParam(Mode.TRAIN, 1e-3, 0.8), changed.settings());
  }

  @Test
  void spatialBatchNormTakesTheSameSettings() {
    SplittableRandom rng = new SplittableRandom(4);
    Tensor x = randn(rng, DType.FLOAT32, 2, 1, 3, 2, 4, 4);
    Tensor gamma = randn(rng, DType.FLOAT32, 1, 1, 2);
    Tensor beta = randn(rng, DType.FLOAT32, 1, 0, 2);
    BatchNormParam p = BatchNormParam.create(DType.FLOAT32, 2, SETTINGS);
    BatchNormParam old =
        new BatchNormParam(
            Mode.TRAIN,
            1e-1,
            0.5,
            Tensor.zeros(DType.FLOAT32, 2),
            Tensor.zeros(DType.FLOAT32, 2),
            Tensor.scalar(DType.INT32, 0));
    Tensor a = SpatialBatchNorm.spatialBatchnormForward(x, gamma, beta, p).out();
    Tensor b = SpatialBatchNorm.spatialBatchnormForward(x, gamma, beta, old).out();
    assertArrayEquals(b.toDoubleArray(), a.toDoubleArray(), 0.0);
    assertArrayEquals(old.runningVar().toDoubleArray(), p.runningVar().toDoubleArray(), 0.0);
  }

  @Test
  void layerAndGroupNormReadEpsFromTheSettings() {
    SplittableRandom rng = new SplittableRandom(5);
    Tensor x = randn(rng, DType.FLOAT64, 1, 0, 3, 6);
    Tensor g = randn(rng, DType.FLOAT64, 1, 1, 6);
    Tensor b = randn(rng, DType.FLOAT64, 1, 0, 6);
    // mode and momentum are not read: TEST mode gives the same output
    Tensor ln = LayerNorm.layernormForward(x, g, b, SETTINGS.withMode(Mode.TEST)).out();
    assertArrayEquals(
        LayerNorm.layernormForward(x, g, b, 1e-1).out().toDoubleArray(), ln.toDoubleArray(), 0.0);
    assertTrue(maxDiff(ln, LayerNorm.layernormForward(x, g, b, 1e-5).out()) > 1e-3);

    Tensor x4 = randn(rng, DType.FLOAT64, 1, 0, 2, 6, 3, 3);
    Tensor gn = GroupNorm.spatialGroupnormForward(x4, g, b, 3, SETTINGS).out();
    assertArrayEquals(
        GroupNorm.spatialGroupnormForward(x4, g, b, 3, 1e-1).out().toDoubleArray(),
        gn.toDoubleArray(),
        0.0);
    assertTrue(maxDiff(gn, GroupNorm.spatialGroupnormForward(x4, g, b, 3, 1e-5).out()) > 1e-3);

    assertEquals(new AffineNormRelu.Norm.Layer(1e-1), AffineNormRelu.Norm.layernorm(SETTINGS));
  }

  private static double maxDiff(Tensor a, Tensor b) {
    double[] x = a.toDoubleArray();
    double[] y = b.toDoubleArray();
    double m = 0;
    for (int i = 0; i < x.length; i++) {
      m = Math.max(m, Math.abs(x[i] - y[i]));
    }
    return m;
  }
}
