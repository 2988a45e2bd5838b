package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.ConvTest.assertMessage;
import static org.handgrad.nn.functional.ConvTesting.assertClose;
import static org.handgrad.nn.functional.ConvTesting.fx;
import static org.handgrad.nn.functional.ConvTesting.fxIn;
import static org.handgrad.nn.functional.ConvTesting.maxRel;
import static org.handgrad.nn.functional.ConvTesting.randn;
import static org.handgrad.nn.functional.ConvTesting.tol;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PoolTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource({"FLOAT32", "FLOAT64"})
  void fastPairsAreBitIdenticalForAnyThreadCount(DType dt) {
    // 35 planes of 32x32 split into chunks of 16 planes: three chunks, the last one short.
    Tensor x = randn(1, dt, 5, 7, 32, 32);
    Tensor dout = randn(2, dt, 5, 7, 16, 16);
    PoolParam p = PoolParam.twoByTwo();
    PoolParam q = new PoolParam(3, 3, 1); // overlapping windows, general loops
    Tensor dq = randn(3, dt, 5, 7, 30, 30);
    ThreadCounts.assertSameForAnyThreadCount(
        () -> {
          Forward<Pool.MaxCache> m = Pool.maxPoolForward(x, p);
          Forward<Pool.MaxCache> mq = Pool.maxPoolForward(x, q);
          Forward<Pool.Cache> a = Pool.avgPoolForward(x, q);
          return java.util.List.of(
              m.out(),
              Pool.maxPoolBackward(dout, m.cache()).dx(),
              mq.out(),
              Pool.maxPoolBackward(dq, mq.cache()).dx(),
              a.out(),
              Pool.avgPoolBackward(dq, a.cache()).dx());
        });
  }

  private static PoolParam param(String c) {
    int[] q = fx(c + "_pool").toIntArray();
    return new PoolParam(q[0], q[1], q[2]);
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "maxpool_2x2, FLOAT64",
    "maxpool_2x2, FLOAT32",
    "maxpool_3x3s2, FLOAT64",
    "maxpool_3x3s2, FLOAT32",
    "maxpool_ties, FLOAT64",
    "maxpool_ties, FLOAT32"
  })
  void maxPoolMatchesPyTorch(String c, DType dt) {
    Tensor x = fxIn(c + "_x", dt), dout = fxIn(c + "_dout", dt);
    PoolParam p = param(c);
    String k = c + (dt == DType.FLOAT64 ? "_f64_" : "_f32_");
    Forward<Pool.MaxCache> fast = Pool.maxPoolForward(x, p);
    Forward<Pool.Cache> naive = Pool.maxPoolForwardNaive(x, p);
    assertClose(k + "out", fast.out(), fx(k + "out"), tol(dt));
    assertClose(k + "out naive", naive.out(), fx(k + "out"), tol(dt));
    // With ties ("maxpool_ties") this pins down PyTorch's first-maximum rule.
    assertClose(k + "dx", Pool.maxPoolBackward(dout, fast.cache()).dx(), fx(k + "dx"), tol(dt));
    assertClose(
        k + "dx naive", Pool.maxPoolBackwardNaive(dout, naive.cache()).dx(), fx(k + "dx"), tol(dt));
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "avgpool_2x2, FLOAT64",
    "avgpool_2x2, FLOAT32",
    "avgpool_3x2s1, FLOAT64",
    "avgpool_3x2s1, FLOAT32"
  })
  void avgPoolMatchesPyTorch(String c, DType dt) {
    Tensor x = fxIn(c + "_x", dt), dout = fxIn(c + "_dout", dt);
    PoolParam p = param(c);
    String k = c + (dt == DType.FLOAT64 ? "_f64_" : "_f32_");
    Forward<Pool.Cache> fast = Pool.avgPoolForward(x, p);
    assertClose(k + "out", fast.out(), fx(k + "out"), tol(dt));
    assertClose(k + "out naive", Pool.avgPoolForwardNaive(x, p).out(), fx(k + "out"), tol(dt));
    assertClose(k + "dx", Pool.avgPoolBackward(dout, fast.cache()).dx(), fx(k + "dx"), tol(dt));
    assertClose(
        k + "dx naive", Pool.avgPoolBackwardNaive(dout, fast.cache()).dx(), fx(k + "dx"), tol(dt));
  }

  @ParameterizedTest(name = "x({0},{1},{2},{3}) pool {4}x{5} s{6}")
  @CsvSource({
    "2, 3, 8, 6, 2, 2, 2",
    "1, 1, 7, 7, 3, 3, 2",
    "2, 2, 6, 5, 3, 2, 1",
    "1, 3, 5, 9, 5, 1, 4",
    "3, 1, 4, 4, 4, 4, 1",
    "1, 2, 9, 6, 1, 2, 2"
  })
  void fastMatchesNaive(int n, int c, int h, int w, int ph, int pw, int s) {
    Tensor x = randn(11, DType.FLOAT64, n, c, h, w);
    PoolParam p = new PoolParam(ph, pw, s);
    Forward<Pool.MaxCache> mf = Pool.maxPoolForward(x, p);
    Forward<Pool.Cache> mn = Pool.maxPoolForwardNaive(x, p);
    assertArrayEquals(new int[] {n, c, 1 + (h - ph) / s, 1 + (w - pw) / s}, mf.out().shape());
    assertClose("max out", mf.out(), mn.out(), 1e-10);
    Tensor dout = randn(12, DType.FLOAT64, mf.out().shape());
    assertClose(
        "max dx",
        Pool.maxPoolBackward(dout, mf.cache()).dx(),
        Pool.maxPoolBackwardNaive(dout, mn.cache()).dx(),
        1e-10);
    Forward<Pool.Cache> af = Pool.avgPoolForward(x, p);
    assertClose("avg out", af.out(), Pool.avgPoolForwardNaive(x, p).out(), 1e-10);
    assertClose(
        "avg dx",
        Pool.avgPoolBackward(dout, af.cache()).dx(),
        Pool.avgPoolBackwardNaive(dout, af.cache()).dx(),
        1e-10);
  }

  /**
   * PyTorch's rounded-down windows without padding ({@code PoolParam.torch(k, s, 0)}, the speedrun
   * net's {@code nn.MaxPool2d(2)}) run the unpadded kernels, the 2x2 vector one included for rows
   * of 4 or more outputs; against the naive loops, float32 and float64, even and odd planes.
   */
  @ParameterizedTest(name = "{0} x({1},{2}) pool {3} s{4}")
  @CsvSource({
    "FLOAT32, 28, 28, 2, 2",
    "FLOAT32, 29, 31, 2, 2",
    "FLOAT32, 14, 15, 2, 2",
    "FLOAT32, 7, 7, 2, 2",
    "FLOAT32, 9, 10, 3, 2",
    "FLOAT64, 29, 31, 2, 2",
    "FLOAT64, 9, 10, 3, 2"
  })
  void floorRoundedWindowsWithoutPaddingMatchNaive(DType dt, int h, int w, int k, int s) {
    Tensor x = randn(13, dt, 2, 3, h, w);
    PoolParam p = PoolParam.torch(k, s, 0);
    Forward<Pool.MaxCache> mf = Pool.maxPoolForward(x, p);
    Forward<Pool.Cache> mn = Pool.maxPoolForwardNaive(x, p);
    assertArrayEquals(new int[] {2, 3, 1 + (h - k) / s, 1 + (w - k) / s}, mf.out().shape());
    // A max copies one input: bit for bit. Its gradient lands on that input alone, so dx is exact
    // too unless windows overlap (k > s), where an input's gradients from two windows are summed
    // in another order.
    assertEquals(0.0, maxRel(mf.out(), mn.out()), "max out");
    Tensor dout = randn(14, dt, mf.out().shape());
    double dxErr =
        maxRel(
            Pool.maxPoolBackward(dout, mf.cache()).dx(),
            Pool.maxPoolBackwardNaive(dout, mn.cache()).dx());
    if (k <= s) {
      assertEquals(0.0, dxErr, "max dx");
    } else {
      assertTrue(dxErr < tol(dt), "max dx: " + dxErr);
    }
  }

  @Test
  void argmaxIsTheFirstMaximumAndNanWins() {
    // One 2x4 plane, two 2x2 windows: [1 3 | 5 nan; 3 2 | 9 0] -> 3 at index 1 (first of the
    // two 3s), NaN at index 3.
    Tensor x = Tensor.of(new double[] {1, 3, 5, Double.NaN, 3, 2, 9, 0}, 1, 1, 2, 4);
    Forward<Pool.MaxCache> f = Pool.maxPoolForward(x, PoolParam.twoByTwo());
    assertArrayEquals(new int[] {1, 3}, f.cache().argmax().toIntArray());
    assertEquals(3.0, f.out().getFlat(0));
    assertTrue(Double.isNaN(f.out().getFlat(1)));
    Tensor naive = Pool.maxPoolForwardNaive(x, PoolParam.twoByTwo()).out();
    assertTrue(Double.isNaN(naive.getFlat(1)));
    Tensor dx = Pool.maxPoolBackward(Tensor.of(new double[] {10, 20}, 1, 1, 1, 2), f.cache()).dx();
    assertArrayEquals(new double[] {0, 10, 0, 20, 0, 0, 0, 0}, dx.toDoubleArray());
  }

  @Test
  void badWindowsAreRejected() {
    Tensor x = Tensor.zeros(DType.FLOAT32, 2, 3, 5, 4);
    assertMessage(
        "max_pool2d: 2x2 windows with stride 2 do not tile x (2, 3, 5, 4): (H - PH) = 3 and"
            + " (W - PW) = 2 (pad included) must be divisible by the stride"
            + " (PoolParam.torch rounds down)",
        () -> Pool.maxPoolForward(x, PoolParam.twoByTwo()));
    assertMessage(
        "avg_pool2d: the 6x2 window does not fit x (2, 3, 5, 4)",
        () -> Pool.avgPoolForward(x, new PoolParam(6, 2, 1)));
    assertMessage(
        "max_pool2d: the 6x2 window does not fit x (2, 3, 5, 4)",
        () -> Pool.maxPoolForwardNaive(x, new PoolParam(6, 2, 1)));
    assertMessage(
        "avg_pool2d: expected x (N, C, H, W), got (3, 5, 4)",
        () -> Pool.avgPoolForwardNaive(Tensor.zeros(DType.FLOAT32, 3, 5, 4), PoolParam.twoByTwo()));
    assertMessage(
        "PoolParam: poolHeight, poolWidth and stride must be >= 1, got (2, 0, 1)",
        () -> new PoolParam(2, 0, 1));
    Pool.MaxCache cache =
        Pool.maxPoolForward(Tensor.zeros(DType.FLOAT32, 1, 1, 4, 4), PoolParam.twoByTwo()).cache();
    assertMessage(
        "max_pool2d backward: expected dout with the forward output shape (1, 1, 2, 2), got"
            + " (1, 1, 4, 4)",
        () -> Pool.maxPoolBackward(Tensor.zeros(DType.FLOAT32, 1, 1, 4, 4), cache));
  }
}
