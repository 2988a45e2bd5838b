package org.handgrad.nn.modules;

import static org.handgrad.nn.modules.ModuleTesting.assertIdentical;
import static org.handgrad.nn.modules.ModuleTesting.assertThrowsWith;
import static org.handgrad.nn.modules.ModuleTesting.names;
import static org.handgrad.nn.modules.ModuleTesting.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.handgrad.nn.functional.Conv;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.ConvTranspose;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Pool;
import org.handgrad.nn.functional.PoolParam;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ConvModulesTest {
  private static final DType F64 = DType.FLOAT64;

  @Test
  void conv2dIsTheFastConvPair() {
    Conv2d conv = new Conv2d(3, 4, 3, new ConvParam(2, 1), F64, Init.rng(1));
    assertEquals(List.of("weight", "bias"), names(conv));
    assertArrayEquals(new int[] {4, 3, 3, 3}, conv.weight().shape());
    Tensor x = randn(2, F64, 2, 3, 7, 7);
    Tensor w = conv.weight().value();
    Tensor b = conv.bias().orElseThrow().value();
    Forward<Conv.Cache> f = Conv.convForward(x, w, b, new ConvParam(2, 1));
    Tensor out = conv.forward(x);
    assertIdentical("out", f.out(), out);
    assertArrayEquals(new int[] {2, 4, 4, 4}, out.shape()); // 1 + (7 + 2 - 3) / 2 = 4
    Tensor dout = randn(3, F64, 2, 4, 4, 4);
    Conv.Grads g = Conv.convBackward(dout, f.cache());
    assertIdentical("dx", g.dx(), conv.backward(dout));
    assertIdentical("dw", g.dw(), conv.weight().grad());
    assertIdentical("db", g.db(), conv.bias().orElseThrow().grad());
    assertEquals(
        "Conv2d(3, 4, kernel=(3, 3), stride=2, pad=1, bias=true, float64)", conv.toString());
  }

  @Test
  void frozenConv2dStillPassesDxBackAndLeavesItsGradientsZero() {
    Conv2d conv = new Conv2d(3, 4, 3, new ConvParam(2, 1), F64, Init.rng(1));
    Tensor x = randn(2, F64, 2, 3, 7, 7);
    Tensor dout = randn(3, F64, 2, 4, 4, 4);
    conv.forward(x);
    Tensor dx = conv.backward(dout);
    Tensor db = conv.bias().orElseThrow().grad().copy();
    conv.zeroGrad();
    conv.weight().setRequiresGrad(false); // the dx-only backward: no weight-gradient GEMM
    conv.forward(x);
    assertIdentical("dx of the frozen layer", dx, conv.backward(dout));
    assertArrayEquals(new double[4 * 3 * 3 * 3], conv.weight().grad().toDoubleArray());
    assertIdentical("db of the unfrozen bias", db, conv.bias().orElseThrow().grad());
  }

  @Test
  void conv2dWithoutBiasAndWithANonSquareKernel() {
    Conv2d conv =
        new Conv2d(2, 3, 3, 2, new ConvParam(1, 0), false, F64, WeightInit.kaiming(), Init.rng(5));
    assertEquals(List.of("weight"), names(conv));
    assertTrue(conv.bias().isEmpty());
    Tensor x = randn(6, F64, 1, 2, 5, 4);
    Tensor w = conv.weight().value();
    assertIdentical(
        "out",
        Conv.convForward(x, w, Tensor.zeros(F64, 3), new ConvParam(1, 0)).out(),
        conv.forward(x));
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> conv.forward(randn(6, F64, 1, 3, 5, 4)),
        "conv",
        "(3, 2, 3, 2)",
        "(1, 3, 5, 4)");
  }

  @Test
  void convTranspose2dHasInputChannelsFirst() {
    ConvTranspose2d up = new ConvTranspose2d(4, 2, 2, new ConvParam(2, 0), F64, Init.rng(9));
    assertArrayEquals(new int[] {4, 2, 2, 2}, up.weight().shape()); // (C, F, HH, WW)
    // PyTorch's fan_in for this layer reads dimension 1: F * HH * WW = 8.
    double bound = 1 / Math.sqrt(8);
    Tensor w = up.weight().value();
    for (int i = 0; i < w.size(); i++) {
      assertTrue(Math.abs(w.getFlat(i)) <= bound);
    }
    Tensor x = randn(10, F64, 2, 4, 3, 3);
    Forward<ConvTranspose.Cache> f =
        ConvTranspose.convTransposeForward(
            x, w, up.bias().orElseThrow().value(), new ConvParam(2, 0));
    Tensor out = up.forward(x);
    assertIdentical("out", f.out(), out);
    assertArrayEquals(new int[] {2, 2, 6, 6}, out.shape()); // (3 - 1) * 2 + 2 = 6
    Tensor dout = randn(11, F64, 2, 2, 6, 6);
    ConvTranspose.Grads g = ConvTranspose.convTransposeBackward(dout, f.cache());
    assertIdentical("dx", g.dx(), up.backward(dout));
    assertIdentical("dw", g.dw(), up.weight().grad());
    assertIdentical("db", g.db(), up.bias().orElseThrow().grad());
  }

  @Test
  void poolsAreTheFastPoolPairs() {
    Tensor x = randn(12, DType.FLOAT32, 2, 3, 6, 4);
    Tensor dout = randn(13, DType.FLOAT32, 2, 3, 3, 2);
    MaxPool2d max = new MaxPool2d(2);
    assertEquals(PoolParam.twoByTwo(), max.param());
    Forward<Pool.MaxCache> fm = Pool.maxPoolForward(x, PoolParam.twoByTwo());
    assertIdentical("max out", fm.out(), max.forward(x));
    assertIdentical("max dx", Pool.maxPoolBackward(dout, fm.cache()).dx(), max.backward(dout));

    PoolParam p = new PoolParam(2, 2, 2);
    AvgPool2d avg = new AvgPool2d(p);
    Forward<Pool.Cache> fa = Pool.avgPoolForward(x, p);
    assertIdentical("avg out", fa.out(), avg.forward(x));
    assertIdentical("avg dx", Pool.avgPoolBackward(dout, fa.cache()).dx(), avg.backward(dout));
    assertTrue(max.parameters().isEmpty() && avg.parameters().isEmpty());
    assertEquals("MaxPool2d(kernel=(2, 2), stride=2)", max.toString());
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> new MaxPool2d(0),
        "PoolParam: poolHeight, poolWidth and stride must be >= 1");
  }

  @Test
  void upsampleNearestAndBilinear() {
    Tensor x = randn(14, F64, 1, 2, 3, 3);
    Tensor dout = randn(15, F64, 1, 2, 6, 6);
    Upsample nearest = new Upsample(2, Upsample.Mode.NEAREST);
    var fn = org.handgrad.nn.functional.Upsample.upsampleNearestForward(x, 2);
    assertIdentical("nearest out", fn.out(), nearest.forward(x));
    assertIdentical(
        "nearest dx",
        org.handgrad.nn.functional.Upsample.upsampleNearestBackward(dout, fn.cache()).dx(),
        nearest.backward(dout));
    Upsample bilinear = new Upsample(2, Upsample.Mode.BILINEAR);
    var fb = org.handgrad.nn.functional.Upsample.upsampleBilinearForward(x, 2);
    assertIdentical("bilinear out", fb.out(), bilinear.forward(x));
    assertIdentical(
        "bilinear dx",
        org.handgrad.nn.functional.Upsample.upsampleBilinearBackward(dout, fb.cache()).dx(),
        bilinear.backward(dout));
    assertEquals("Upsample(scale=2, mode=bilinear)", bilinear.toString());
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> new Upsample(0, Upsample.Mode.NEAREST),
        "Upsample: scale must be >= 1, got 0");
  }

  @Test
  void flattenReshapesWithoutCopying() {
    Flatten flat = new Flatten();
    Tensor x = randn(16, F64, 2, 3, 2, 2);
    Tensor out = flat.forward(x);
    assertArrayEquals(new int[] {2, 12}, out.shape());
    assertSame(x.doubleStorage(), out.doubleStorage(), "a view of x");
    assertArrayEquals(x.toDoubleArray(), out.toDoubleArray(), 0.0);
    Tensor dout = randn(17, F64, 2, 12);
    Tensor dx = flat.backward(dout);
    assertArrayEquals(new int[] {2, 3, 2, 2}, dx.shape());
    assertArrayEquals(dout.toDoubleArray(), dx.toDoubleArray(), 0.0);
    assertArrayEquals(new int[] {0, 6}, flat.forward(Tensor.zeros(F64, 0, 2, 3)).shape());
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> {
          flat.forward(x);
          flat.backward(Tensor.zeros(F64, 2, 11));
        },
        "Flatten.backward: expected dout (N, D) = (2, 12) for x (2, 3, 2, 2), got (2, 11)");
  }
}
