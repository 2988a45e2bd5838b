package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.ConvTesting.assertClose;
import static org.handgrad.nn.functional.ConvTesting.tol;
import static org.handgrad.nn.functional.TestData.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * PyTorch's output rounding for convolutions ({@link ConvParam#torch}) and padded max pooling
 * ({@link PoolParam#torch}), the geometry of torchvision's ResNets, against
 * scripts/fixtures/resnet.py. Their gradients are checked at float64 in {@code ConvChecks}.
 */
class TorchRoundingTest {
  private static final Map<String, Tensor> FIXTURES = Fixtures.load("resnet");

  private static Tensor fx(String key) {
    return Fixtures.get(FIXTURES, key);
  }

  private static Tensor fxIn(String key, DType dt) {
    Tensor t = fx(key);
    return dt == DType.FLOAT64 ? t : t.to(dt);
  }

  @ParameterizedTest(name = "{0} {1} naive={2}")
  @CsvSource({
    "conv_stem, FLOAT64, false",
    "conv_stem, FLOAT32, false",
    "conv_stem, FLOAT64, true",
    "conv_3x3s2, FLOAT64, false",
    "conv_3x3s2, FLOAT32, false",
    "conv_3x3s2, FLOAT64, true",
    "conv_1x1s2, FLOAT64, false",
    "conv_1x1s2, FLOAT32, false",
    "conv_1x1s2, FLOAT64, true"
  })
  void convRoundsDownAsPyTorch(String c, DType dt, boolean naive) {
    Tensor x = fxIn(c + "_x", dt), w = fxIn(c + "_w", dt), b = fxIn(c + "_b", dt);
    Tensor dout = fxIn(c + "_dout", dt);
    ConvParam p =
        ConvParam.torch((int) fx(c + "_stride").getFlat(0), (int) fx(c + "_pad").getFlat(0));
    String k = c + (dt == DType.FLOAT64 ? "_f64_" : "_f32_");
    Forward<Conv.Cache> f =
        naive ? Conv.convForwardNaive(x, w, b, p) : Conv.convForward(x, w, b, p);
    Conv.Grads g =
        naive ? Conv.convBackwardNaive(dout, f.cache()) : Conv.convBackward(dout, f.cache());
    assertClose(k + "out", f.out(), fx(k + "out"), tol(dt));
    assertClose(k + "dx", g.dx(), fx(k + "dx"), tol(dt));
    assertClose(k + "dw", g.dw(), fx(k + "dw"), tol(dt));
    assertClose(k + "db", g.db(), fx(k + "db"), tol(dt));
  }

  @ParameterizedTest(name = "{0} {1} naive={2}")
  @CsvSource({
    "maxpool_3x3s2p1, FLOAT64, false",
    "maxpool_3x3s2p1, FLOAT32, false",
    "maxpool_3x3s2p1, FLOAT64, true",
    "maxpool_3x3s2p1_odd, FLOAT64, false",
    "maxpool_3x3s2p1_odd, FLOAT32, false",
    "maxpool_3x3s2p1_odd, FLOAT64, true",
    "maxpool_2x2s2_floor, FLOAT64, false",
    "maxpool_2x2s2_floor, FLOAT32, false",
    "maxpool_2x2s2_floor, FLOAT64, true"
  })
  void paddedMaxPoolMatchesPyTorch(String c, DType dt, boolean naive) {
    Tensor x = fxIn(c + "_x", dt), dout = fxIn(c + "_dout", dt);
    Tensor q = fx(c + "_pool");
    PoolParam p = PoolParam.torch((int) q.getFlat(0), (int) q.getFlat(1), (int) q.getFlat(2));
    String k = c + (dt == DType.FLOAT64 ? "_f64_" : "_f32_");
    Tensor out, dx;
    if (naive) {
      Forward<Pool.Cache> f = Pool.maxPoolForwardNaive(x, p);
      out = f.out();
      dx = Pool.maxPoolBackwardNaive(dout, f.cache()).dx();
    } else {
      Forward<Pool.MaxCache> f = Pool.maxPoolForward(x, p);
      out = f.out();
      dx = Pool.maxPoolBackward(dout, f.cache()).dx();
    }
    assertClose(k + "out", out, fx(k + "out"), tol(dt));
    assertClose(k + "dx", dx, fx(k + "dx"), tol(dt));
  }

  @Test
  void resNet18StemSizes() {
    // 224 -> 112 (7x7 s2 p3) -> 56 (3x3 s2 p1 max pool), as torchvision.
    Tensor x = Tensor.zeros(DType.FLOAT32, 1, 1, 224, 224);
    Tensor w = Tensor.zeros(DType.FLOAT32, 1, 1, 7, 7);
    Tensor h = Conv.convForward(x, w, Tensor.zeros(DType.FLOAT32, 1), ConvParam.torch(2, 3)).out();
    assertArrayEquals(new int[] {1, 1, 112, 112}, h.shape());
    assertArrayEquals(
        new int[] {1, 1, 56, 56}, Pool.maxPoolForward(h, PoolParam.torch(3, 2, 1)).out().shape());
  }

  @Test
  void badOptionsAreRejected() {
    assertMessage(
        "PoolParam: pad must be in [0, window / 2], got pad 2 for a 3x3 window",
        () -> PoolParam.torch(3, 2, 2));
    Tensor x = Tensor.zeros(DType.FLOAT32, 1, 1, 4, 4);
    assertMessage(
        "avg_pool2d: padding is not supported (got pad 1); pad only max pooling",
        () -> Pool.avgPoolForward(x, PoolParam.torch(3, 2, 1)));
    Tensor w = Tensor.zeros(DType.FLOAT32, 1, 1, 3, 3);
    assertMessage(
        "conv_transpose2d: ConvParam.floor has no meaning for a transposed convolution; use new"
            + " ConvParam(2, 1)",
        () ->
            ConvTranspose.convTransposeForward(
                x, w, Tensor.zeros(DType.FLOAT32, 1), ConvParam.torch(2, 1)));
    assertEquals(false, new ConvParam(2, 1).floor());
  }
}
