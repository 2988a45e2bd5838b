package org.handgrad.nn.modules;

import static org.handgrad.nn.modules.ModuleTesting.assertIdentical;
import static org.handgrad.nn.modules.ModuleTesting.assertScaled;
import static org.handgrad.nn.modules.ModuleTesting.assertThrowsWith;
import static org.handgrad.nn.modules.ModuleTesting.names;
import static org.handgrad.nn.modules.ModuleTesting.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.handgrad.nn.functional.BatchNorm;
import org.handgrad.nn.functional.BatchNormParam;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.SpatialBatchNorm;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class NormModulesTest {
  private static final DType F64 = DType.FLOAT64;

  /** Gives gamma and beta values other than 1 and 0, so a mix-up would show. */
  private static void randomize(Tensor gamma, Tensor beta, long seed) {
    Tensor g = randn(seed, gamma.dtype(), gamma.shape());
    Tensor b = randn(seed + 1, beta.dtype(), beta.shape());
    for (int i = 0; i < gamma.size(); i++) {
      gamma.setFlat(i, 1 + 0.3 * g.getFlat(i));
      beta.setFlat(i, b.getFlat(i));
    }
  }

  @Test
  void batchNorm1dTrainsWithBatchStatisticsAndEvaluatesWithRunningOnes() {
    BatchNorm1d bn = new BatchNorm1d(4, F64);
    randomize(bn.weight().value(), bn.bias().value(), 1);
    Tensor gamma = bn.weight().value();
    Tensor beta = bn.bias().value();
    BatchNormParam ref = BatchNormParam.create(F64, 4); // the functional layer's own buffers
    Tensor x = randn(3, F64, 6, 4);
    Tensor dout = randn(4, F64, 6, 4);

    Forward<BatchNorm.Cache> f = BatchNorm.batchnormForward(x, gamma, beta, ref);
    assertIdentical("train out", f.out(), bn.forward(x));
    BatchNorm.Grads g = BatchNorm.batchnormBackwardAlt(dout, f.cache());
    assertIdentical("train dx", g.dx(), bn.backward(dout));
    assertIdentical("dgamma", g.dgamma(), bn.weight().grad());
    assertIdentical("dbeta", g.dbeta(), bn.bias().grad());
    assertIdentical("running_mean", ref.runningMean(), bn.buffers().get("running_mean"));
    assertIdentical("running_var", ref.runningVar(), bn.buffers().get("running_var"));
    assertEquals(1, bn.buffers().get("num_batches_tracked").item());

    bn.eval();
    BatchNormParam test = ref.withMode(BatchNormParam.Mode.TEST);
    Tensor x2 = randn(5, F64, 3, 4);
    Tensor dout2 = randn(6, F64, 3, 4);
    Forward<BatchNorm.Cache> fe = BatchNorm.batchnormForward(x2, gamma, beta, test);
    assertIdentical("eval out", fe.out(), bn.forward(x2));
    assertIdentical(
        "eval dx", BatchNorm.batchnormBackwardAlt(dout2, fe.cache()).dx(), bn.backward(dout2));
    assertIdentical("eval leaves running_mean", ref.runningMean(), bn.bnParam().runningMean());
    assertEquals(1, bn.bnParam().numBatchesTracked().item());
  }

  @Test
  void batchNorm2dIsSpatialBatchNorm() {
    BatchNorm2d bn = new BatchNorm2d(3, DType.FLOAT32, 1e-3, 0.8);
    randomize(bn.weight().value(), bn.bias().value(), 7);
    BatchNormParam ref =
        new BatchNormParam(
            BatchNormParam.Mode.TRAIN,
            1e-3,
            0.8,
            Tensor.zeros(DType.FLOAT32, 3),
            Tensor.zeros(DType.FLOAT32, 3),
            Tensor.scalar(DType.INT32, 0));
    Tensor x = randn(8, DType.FLOAT32, 2, 3, 4, 5);
    Tensor dout = randn(9, DType.FLOAT32, 2, 3, 4, 5);
    Forward<SpatialBatchNorm.Cache> f =
        SpatialBatchNorm.spatialBatchnormForward(x, bn.weight().value(), bn.bias().value(), ref);
    assertIdentical("out", f.out(), bn.forward(x));
    SpatialBatchNorm.Grads g = SpatialBatchNorm.spatialBatchnormBackward(dout, f.cache());
    assertIdentical("dx", g.dx(), bn.backward(dout));
    assertIdentical("dgamma", g.dgamma(), bn.weight().grad());
    assertIdentical("running_var", ref.runningVar(), bn.bnParam().runningVar());
    assertEquals("BatchNorm2d(3, eps=0.001, momentum=0.8, float32)", bn.toString());
  }

  @Test
  void batchNormNamesBuffersAsPyTorchAndRefusesEvalWithoutStatistics() {
    BatchNorm1d bn = new BatchNorm1d(5, F64);
    assertEquals(List.of("weight", "bias"), names(bn));
    assertEquals(
        List.of("running_mean", "running_var", "num_batches_tracked"),
        List.copyOf(bn.buffers().keySet()));
    bn.eval();
    assertThrowsWith(
        IllegalStateException.class, () -> bn.forward(randn(1, F64, 4, 5)), "batchnorm");
    // Loaded statistics (e.g. from a PyTorch checkpoint) make evaluation possible.
    bn.bnParam().loadStatistics(Tensor.zeros(F64, 5), Tensor.ones(F64, 5));
    Tensor x = randn(2, F64, 4, 5);
    Tensor out = bn.forward(x);
    assertScaled("(x - 0) / sqrt(1 + eps)", x, 1 / Math.sqrt(1 + 1e-5), out);
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> new BatchNorm1d(3, F64, 1e-5, 1.5),
        "momentum must be in [0, 1]");
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> new BatchNorm2d(0, F64),
        "BatchNorm2d: numFeatures must be >= 1, got 0");
    BatchNorm1d train = new BatchNorm1d(3, F64);
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> train.forward(randn(1, F64, 4, 5)),
        "batchnorm",
        "(4, 5)");
  }

  @Test
  void layerNormIsTheLayerNormPair() {
    LayerNorm ln = new LayerNorm(6, F64, 1e-4);
    randomize(ln.weight().value(), ln.bias().value(), 11);
    Tensor x = randn(12, F64, 2, 3, 6); // (N, T, D), as in a transformer
    Tensor dout = randn(13, F64, 2, 3, 6);
    var f =
        org.handgrad.nn.functional.LayerNorm.layernormForward(
            x, ln.weight().value(), ln.bias().value(), 1e-4);
    var g = org.handgrad.nn.functional.LayerNorm.layernormBackward(dout, f.cache());
    assertIdentical("out", f.out(), ln.forward(x));
    assertIdentical("dx", g.dx(), ln.backward(dout));
    ln.backward(dout);
    assertScaled("dgamma accumulates", g.dgamma(), 2, ln.weight().grad());
    assertScaled("dbeta accumulates", g.dbeta(), 2, ln.bias().grad());
    // Train and eval are the same for LayerNorm.
    ln.eval();
    assertIdentical("eval out", f.out(), ln.forward(x));
    assertEquals(List.of("weight", "bias"), names(ln));
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> new LayerNorm(4, F64, 0),
        "LayerNorm: eps must be positive, got 0.0");
  }

  @Test
  void groupNormIsTheGroupNormPair() {
    GroupNorm gn = new GroupNorm(2, 6, F64);
    randomize(gn.weight().value(), gn.bias().value(), 21);
    Tensor x = randn(22, F64, 2, 6, 3, 2);
    Tensor dout = randn(23, F64, 2, 6, 3, 2);
    var f =
        org.handgrad.nn.functional.GroupNorm.spatialGroupnormForward(
            x, gn.weight().value(), gn.bias().value(), 2, 1e-5);
    var g = org.handgrad.nn.functional.GroupNorm.spatialGroupnormBackward(dout, f.cache());
    assertIdentical("out", f.out(), gn.forward(x));
    assertIdentical("dx", g.dx(), gn.backward(dout));
    assertIdentical("dgamma", g.dgamma(), gn.weight().grad());
    assertIdentical("dbeta", g.dbeta(), gn.bias().grad());
    assertEquals("GroupNorm(2, 6, eps=1.0E-5, float64)", gn.toString());
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> new GroupNorm(4, 6, F64),
        "GroupNorm: groups G=4 must divide channels C=6");
  }
}
