package org.handgrad.nn;

import static org.handgrad.nn.modules.ModuleTesting.assertIdentical;
import static org.handgrad.nn.modules.ModuleTesting.assertScaled;
import static org.handgrad.nn.modules.ModuleTesting.assertThrowsWith;
import static org.handgrad.nn.modules.ModuleTesting.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Affine;
import org.handgrad.nn.functional.BatchNorm;
import org.handgrad.nn.functional.BatchNormParam;
import org.handgrad.nn.functional.Conv;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.ConvTranspose;
import org.handgrad.nn.functional.Dropout.DropoutParam;
import org.handgrad.nn.functional.GroupNorm;
import org.handgrad.nn.functional.LayerNorm;
import org.handgrad.nn.functional.Pool;
import org.handgrad.nn.functional.PoolParam;
import org.handgrad.nn.functional.SpatialBatchNorm;
import org.handgrad.nn.functional.Upsample;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.AvgPool2d;
import org.handgrad.nn.modules.BatchNorm1d;
import org.handgrad.nn.modules.BatchNorm2d;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.ConvTranspose2d;
import org.handgrad.nn.modules.Dropout;
import org.handgrad.nn.modules.Flatten;
import org.handgrad.nn.modules.GELU;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.MaxPool2d;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.nn.modules.Tanh;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;

/**
 * Sequential forward and backward are the functional pairs chained by hand, in order and in
 * reverse; gradients accumulate; modes switch BatchNorm and Dropout. (The numerical gradient checks
 * of whole Sequentials are ModuleChecks' sequential_mlp and sequential_convnet.)
 */
class SequentialTest {
  private static final DType F64 = DType.FLOAT64;
  private static final long DROP_SEED = 17;

  /** Linear(no bias) - BatchNorm1d - ReLU - Dropout - Linear - LayerNorm - Tanh - Linear. */
  private static Sequential mlp(DType dtype) {
    SplittableRandom rng = new SplittableRandom(3);
    Sequential net =
        new Sequential(
            new Linear(5, 7, false, dtype, WeightInit.pytorch(), rng),
            new BatchNorm1d(7, dtype),
            new ReLU(),
            new Dropout(0.75, DROP_SEED),
            new Linear(7, 6, dtype, rng),
            new org.handgrad.nn.modules.LayerNorm(6, dtype),
            new Tanh(),
            new Linear(6, 3, dtype, rng));
    perturb(net, 4);
    return net;
  }

  /** Moves every parameter (gamma off 1, beta off 0) so that a mix-up would show. */
  private static void perturb(Module net, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (Parameter p : net.parameters()) {
      for (int i = 0; i < p.size(); i++) {
        p.value().setFlat(i, p.value().getFlat(i) + 0.3 * rng.nextGaussian());
      }
    }
  }

  private static Tensor value(Module net, String name) {
    return net.parameters().stream()
        .filter(p -> p.name().equals(name))
        .findFirst()
        .orElseThrow()
        .value();
  }

  /** The MLP's forward and backward by hand: out, then dx and every gradient by name. */
  private static Map<String, Tensor> mlpByHand(
      Sequential net, Tensor x, Tensor dout, BatchNormParam bn, long maskSeed, boolean train) {
    Tensor w0 = value(net, "0.weight");
    Tensor zero = Tensor.zeros(x.dtype(), 7);
    var a0 = Affine.affineForward(x, w0, zero);
    var a1 = BatchNorm.batchnormForward(a0.out(), value(net, "1.weight"), value(net, "1.bias"), bn);
    var a2 = Activations.reluForward(a1.out());
    var a3 =
        org.handgrad.nn.functional.Dropout.dropoutForward(
            a2.out(), train ? DropoutParam.train(0.75, maskSeed) : DropoutParam.test(0.75));
    var a4 = Affine.affineForward(a3.out(), value(net, "4.weight"), value(net, "4.bias"));
    var a5 =
        LayerNorm.layernormForward(a4.out(), value(net, "5.weight"), value(net, "5.bias"), 1e-5);
    var a6 = Activations.tanhForward(a5.out());
    var a7 = Affine.affineForward(a6.out(), value(net, "7.weight"), value(net, "7.bias"));
    // "Go in the reverse order of the forward pass."
    var g7 = Affine.affineBackward(dout, a7.cache());
    Tensor d6 = Activations.tanhBackward(g7.dx(), a6.cache());
    var g5 = LayerNorm.layernormBackward(d6, a5.cache());
    var g4 = Affine.affineBackward(g5.dx(), a4.cache());
    Tensor d3 = org.handgrad.nn.functional.Dropout.dropoutBackward(g4.dx(), a3.cache());
    Tensor d2 = Activations.reluBackward(d3, a2.cache());
    var g1 = BatchNorm.batchnormBackwardAlt(d2, a1.cache());
    var g0 = Affine.affineBackward(g1.dx(), a0.cache());
    return Map.ofEntries(
        Map.entry("out", a7.out()),
        Map.entry("dx", g0.dx()),
        Map.entry("0.weight", g0.dw()),
        Map.entry("1.weight", g1.dgamma()),
        Map.entry("1.bias", g1.dbeta()),
        Map.entry("4.weight", g4.dw()),
        Map.entry("4.bias", g4.db()),
        Map.entry("5.weight", g5.dgamma()),
        Map.entry("5.bias", g5.dbeta()),
        Map.entry("7.weight", g7.dw()),
        Map.entry("7.bias", g7.db()));
  }

  @Test
  void mlpIsThePairsChainedByHand() {
    Sequential net = mlp(F64);
    Tensor x = randn(10, F64, 8, 5);
    Tensor dout = randn(11, F64, 8, 3);
    BatchNormParam bn = BatchNormParam.create(F64, 7);
    long maskSeed = new SplittableRandom(DROP_SEED).nextLong(); // the module's first mask seed
    Map<String, Tensor> ref = mlpByHand(net, x, dout, bn, maskSeed, true);

    assertIdentical("out", ref.get("out"), net.forward(x));
    assertIdentical("dx", ref.get("dx"), net.backward(dout));
    for (Parameter p : net.parameters()) {
      assertIdentical(p.name(), ref.get(p.name()), p.grad());
    }
    assertIdentical("running mean", bn.runningMean(), net.buffers().get("1.running_mean"));
    assertIdentical("running var", bn.runningVar(), net.buffers().get("1.running_var"));
  }

  @Test
  void evalModeUsesRunningStatisticsAndNoDropout() {
    Sequential net = mlp(F64);
    BatchNormParam bn = BatchNormParam.create(F64, 7);
    net.forward(randn(20, F64, 8, 5)); // one training step fills the running statistics
    BatchNorm.batchnormForward(
        Affine.affineForward(randn(20, F64, 8, 5), value(net, "0.weight"), Tensor.zeros(F64, 7))
            .out(),
        value(net, "1.weight"),
        value(net, "1.bias"),
        bn);
    Map<String, Tensor> before = copies(net.buffers());

    net.eval();
    Tensor x = randn(21, F64, 4, 5);
    Tensor dout = randn(22, F64, 4, 3);
    Map<String, Tensor> ref =
        mlpByHand(net, x, dout, bn.withMode(BatchNormParam.Mode.TEST), 0, false);
    assertIdentical("eval out", ref.get("out"), net.forward(x));
    assertIdentical("eval dx", ref.get("dx"), net.backward(dout));
    before.forEach((k, v) -> assertIdentical(k + " unchanged in eval", v, net.buffers().get(k)));
  }

  @Test
  void gradientsAccumulateOverBackwardCallsAndBatches() {
    Sequential net = mlp(F64);
    Tensor x1 = randn(30, F64, 6, 5);
    Tensor x2 = randn(31, F64, 6, 5);
    Tensor d1 = randn(32, F64, 6, 3);
    Tensor d2 = randn(33, F64, 6, 3);
    Map<String, Tensor> buffers0 = copies(net.buffers());

    // Gradients of each batch on its own.
    net.forward(x1);
    net.backward(d1);
    Map<String, Tensor> g1 = grads(net);
    net.zeroGrad();
    net.forward(x2);
    net.backward(d2);
    Map<String, Tensor> g2 = grads(net);

    // The same two batches without zeroing in between: the sums.
    restore(net, buffers0); // same dropout masks and running statistics as above
    net.zeroGrad();
    net.forward(x1);
    net.backward(d1);
    net.forward(x2);
    net.backward(d2);
    for (Parameter p : net.parameters()) {
      Tensor sum = g1.get(p.name()).copy();
      for (int i = 0; i < sum.size(); i++) {
        sum.setFlat(i, sum.getFlat(i) + g2.get(p.name()).getFlat(i));
      }
      assertTrue(Golden.relDiff(p.grad(), sum) < 1e-15, p.name() + " accumulates over batches");
    }

    // Backward twice on one forward adds the same gradients twice; zeroGrad clears them.
    restore(net, buffers0);
    net.zeroGrad();
    net.forward(x1);
    net.backward(d1);
    net.backward(d1);
    for (Parameter p : net.parameters()) {
      assertScaled(p.name() + " twice", g1.get(p.name()), 2, p.grad());
    }
    net.zeroGrad();
    for (Parameter p : net.parameters()) {
      assertScaled(p.name() + " zeroed", g1.get(p.name()), 0, p.grad());
    }
  }

  @Test
  void float32NetworkStaysFloat32AndTracksFloat64() {
    Sequential n64 = mlp(F64);
    Sequential n32 = mlp(DType.FLOAT32);
    List<Parameter> p64 = n64.parameters();
    List<Parameter> p32 = n32.parameters();
    for (int i = 0; i < p64.size(); i++) {
      p32.get(i).assign(p64.get(i).value().to(DType.FLOAT32));
    }
    Tensor x = randn(40, F64, 8, 5);
    Tensor dout = randn(41, F64, 8, 3);
    Tensor out32 = n32.forward(x.to(DType.FLOAT32));
    Tensor dx32 = n32.backward(dout.to(DType.FLOAT32));
    assertEquals(DType.FLOAT32, out32.dtype());
    assertEquals(DType.FLOAT32, dx32.dtype());
    Golden.assertClose("out", out32.to(F64), n64.forward(x), 1e-5);
    Golden.assertClose("dx", dx32.to(F64), n64.backward(dout), 1e-5);
    for (int i = 0; i < p64.size(); i++) {
      Golden.assertClose(p64.get(i).name(), p32.get(i).grad().to(F64), p64.get(i).grad(), 1e-5);
    }
  }

  /**
   * Conv2d(no bias) - BatchNorm2d - ReLU - MaxPool2d - Conv2d - GroupNorm - GELU - ConvTranspose2d
   * - Upsample - AvgPool2d - Flatten - Linear, on (2, 3, 8, 8).
   */
  @Test
  void convStackIsThePairsChainedByHand() {
    SplittableRandom rng = new SplittableRandom(50);
    ConvParam same = new ConvParam(1, 1);
    Sequential net =
        new Sequential(
            new Conv2d(3, 4, 3, 3, same, false, F64, WeightInit.kaiming(), rng), // (2, 4, 8, 8)
            new BatchNorm2d(4, F64),
            new ReLU(),
            new MaxPool2d(2), // (2, 4, 4, 4)
            new Conv2d(4, 4, 3, same, F64, rng),
            new org.handgrad.nn.modules.GroupNorm(2, 4, F64),
            new GELU(),
            new ConvTranspose2d(4, 2, 2, new ConvParam(2, 0), F64, rng), // (2, 2, 8, 8)
            new org.handgrad.nn.modules.Upsample(
                2, org.handgrad.nn.modules.Upsample.Mode.NEAREST), // (2, 2, 16, 16)
            new AvgPool2d(new PoolParam(4, 4, 4)), // (2, 2, 4, 4)
            new Flatten(),
            new Linear(32, 5, F64, rng));
    perturb(net, 51);
    Tensor x = randn(52, F64, 2, 3, 8, 8);
    Tensor dout = randn(53, F64, 2, 5);
    Tensor out = net.forward(x);
    Tensor dx = net.backward(dout);

    BatchNormParam bn = BatchNormParam.create(F64, 4);
    var c0 = Conv.convForward(x, value(net, "0.weight"), Tensor.zeros(F64, 4), same);
    var c1 =
        SpatialBatchNorm.spatialBatchnormForward(
            c0.out(), value(net, "1.weight"), value(net, "1.bias"), bn);
    var c2 = Activations.reluForward(c1.out());
    var c3 = Pool.maxPoolForward(c2.out(), PoolParam.twoByTwo());
    var c4 = Conv.convForward(c3.out(), value(net, "4.weight"), value(net, "4.bias"), same);
    var c5 =
        GroupNorm.spatialGroupnormForward(
            c4.out(), value(net, "5.weight"), value(net, "5.bias"), 2, 1e-5);
    var c6 = Activations.geluForward(c5.out());
    var c7 =
        ConvTranspose.convTransposeForward(
            c6.out(), value(net, "7.weight"), value(net, "7.bias"), new ConvParam(2, 0));
    var c8 = Upsample.upsampleNearestForward(c7.out(), 2);
    var c9 = Pool.avgPoolForward(c8.out(), new PoolParam(4, 4, 4));
    Tensor flat = c9.out().reshape(2, 32);
    var c11 = Affine.affineForward(flat, value(net, "11.weight"), value(net, "11.bias"));
    assertIdentical("out", c11.out(), out);

    var g11 = Affine.affineBackward(dout, c11.cache());
    Tensor d9 = g11.dx().reshape(2, 2, 4, 4);
    Tensor d8 = Pool.avgPoolBackward(d9, c9.cache()).dx();
    Tensor d7 = Upsample.upsampleNearestBackward(d8, c8.cache()).dx();
    var g7 = ConvTranspose.convTransposeBackward(d7, c7.cache());
    Tensor d5 = Activations.geluBackward(g7.dx(), c6.cache());
    var g5 = GroupNorm.spatialGroupnormBackward(d5, c5.cache());
    var g4 = Conv.convBackward(g5.dx(), c4.cache());
    Tensor d2 = Pool.maxPoolBackward(g4.dx(), c3.cache()).dx();
    Tensor d1 = Activations.reluBackward(d2, c2.cache());
    var g1 = SpatialBatchNorm.spatialBatchnormBackward(d1, c1.cache());
    var g0 = Conv.convBackward(g1.dx(), c0.cache());
    assertIdentical("dx", g0.dx(), dx);
    Map<String, Tensor> ref =
        Map.ofEntries(
            Map.entry("0.weight", g0.dw()),
            Map.entry("1.weight", g1.dgamma()),
            Map.entry("1.bias", g1.dbeta()),
            Map.entry("4.weight", g4.dw()),
            Map.entry("4.bias", g4.db()),
            Map.entry("5.weight", g5.dgamma()),
            Map.entry("5.bias", g5.dbeta()),
            Map.entry("7.weight", g7.dw()),
            Map.entry("7.bias", g7.db()),
            Map.entry("11.weight", g11.dw()),
            Map.entry("11.bias", g11.db()));
    List<String> checked = new ArrayList<>();
    for (Parameter p : net.parameters()) {
      if (ref.containsKey(p.name())) {
        assertIdentical(p.name(), ref.get(p.name()), p.grad());
        checked.add(p.name());
      }
    }
    assertEquals(ref.size(), checked.size());
  }

  @Test
  void emptyIsTheIdentityAndPartialForwardsAreRefused() {
    Sequential empty = new Sequential();
    Tensor x = randn(60, F64, 2, 3);
    assertSame(x, empty.forward(x));
    assertSame(x, empty.backward(x));
    assertEquals(0, empty.size());

    Sequential net =
        new Sequential(
            new Linear(3, 4, F64, Init.rng(1)), new ReLU(), new Linear(4, 2, F64, Init.rng(2)));
    assertEquals(3, net.size());
    assertTrue(net.get(1) instanceof ReLU);
    assertEquals(3, net.layers().size());
    assertThrowsWith(
        IllegalStateException.class,
        () -> net.backward(Tensor.zeros(F64, 2, 2)),
        "Sequential.backward: no cached forward pass");
    net.forward(x);
    net.backward(randn(61, F64, 2, 2));
    // The first layer fails on a wrong width: the later layers still hold the older caches.
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> net.forward(randn(62, F64, 2, 5)),
        "Linear '0' (in=3, out=4)");
    assertThrowsWith(
        IllegalStateException.class,
        () -> net.backward(Tensor.zeros(F64, 2, 2)),
        "Sequential.backward");
  }

  private static Map<String, Tensor> grads(Module net) {
    Map<String, Tensor> out = new java.util.LinkedHashMap<>();
    net.parameters().forEach(p -> out.put(p.name(), p.grad().copy()));
    return out;
  }

  private static Map<String, Tensor> copies(Map<String, Tensor> buffers) {
    Map<String, Tensor> out = new java.util.LinkedHashMap<>();
    buffers.forEach((k, v) -> out.put(k, v.copy()));
    return out;
  }

  private static void restore(Module net, Map<String, Tensor> saved) {
    net.buffers()
        .forEach(
            (k, live) -> {
              for (int i = 0; i < live.size(); i++) {
                live.setFlat(i, saved.get(k).getFlat(i));
              }
            });
  }
}
