package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.ConvTesting.assertClose;
import static org.handgrad.nn.functional.ConvTesting.fx;
import static org.handgrad.nn.functional.ConvTesting.fxIn;
import static org.handgrad.nn.functional.ConvTesting.fxInt;
import static org.handgrad.nn.functional.ConvTesting.randn;
import static org.handgrad.nn.functional.ConvTesting.tol;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConvTest {
  // ------------------------------------------------------------------ threads

  @ParameterizedTest(name = "N={0} {1}")
  @CsvSource({"1, FLOAT32", "7, FLOAT32", "7, FLOAT64", "19, FLOAT32"})
  void fastPairIsBitIdenticalForAnyThreadCount(int n, DType dt) {
    // N=19 gives more images than chunks (16), so chunks hold one or two images.
    Tensor x = randn(1, dt, n, 3, 9, 9), w = randn(2, dt, 4, 3, 3, 3), b = randn(3, dt, 4);
    Tensor dout = randn(4, dt, n, 4, 5, 5);
    ConvParam p = new ConvParam(2, 1);
    ThreadCounts.assertSameForAnyThreadCount(
        () -> {
          Forward<Conv.Cache> f = Conv.convForward(x, w, b, p);
          Conv.Grads g = Conv.convBackward(dout, f.cache());
          return java.util.List.of(f.out(), g.dx(), g.dw(), g.db());
        });
  }

  @ParameterizedTest(name = "N={0} {1}")
  @CsvSource({"1, FLOAT32", "19, FLOAT32", "19, FLOAT64"})
  void dxAsConvolutionIsBitIdenticalForAnyThreadCount(int n, DType dt) {
    Tensor x = randn(1, dt, n, 8, 6, 6), w = randn(2, dt, 5, 8, 3, 3), b = randn(3, dt, 5);
    Tensor dout = randn(4, dt, n, 5, 6, 6);
    ThreadCounts.assertSameForAnyThreadCount(
        () -> {
          Forward<Conv.Cache> f = Conv.convForward(x, w, b, new ConvParam(1, 1));
          Conv.Grads g = Conv.convBackward(dout, f.cache());
          return java.util.List.of(f.out(), g.dx(), g.dw(), g.db());
        });
  }

  @ParameterizedTest(name = "C={0} F={1} k{2}x{3} s{4} p{5}: {6}")
  @CsvSource({
    "8, 5, 3, 3, 1, 1, true",
    "64, 32, 1, 1, 1, 0, true",
    "8, 5, 3, 3, 1, 2, true",
    "7, 5, 3, 3, 1, 1, false",
    "3, 32, 7, 7, 1, 3, false",
    "8, 5, 3, 3, 2, 1, false",
    "8, 5, 3, 2, 1, 1, false",
    "8, 5, 3, 3, 1, 3, false"
  })
  void dxIsAConvolutionOnlyWhereTheRuleSays(
      int c, int f, int kh, int kw, int s, int p, boolean expected) {
    int h = 9, ho = 1 + (h + 2 * p - kh) / s, wo = 1 + (h + 2 * p - kw) / s;
    ConvGeometry g = new ConvGeometry(c, h, h, kh, kw, s, p, ho, wo);
    assertEquals(expected, Conv.dxAsConvolution(g, f));
  }

  // ------------------------------------------------------------------ Winograd

  @ParameterizedTest(name = "C={0} F={1} k{2} s{3} p{4} {5}: {6}")
  @CsvSource({
    "64, 64, 3, 1, 1, FLOAT32, true",
    "128, 64, 3, 1, 1, FLOAT32, true",
    "32, 32, 3, 1, 1, FLOAT32, true",
    "96, 32, 3, 1, 1, FLOAT32, true",
    "32, 96, 3, 1, 1, FLOAT32, true",
    "31, 64, 3, 1, 1, FLOAT32, false",
    "64, 31, 3, 1, 1, FLOAT32, false",
    "1, 32, 3, 1, 1, FLOAT32, false",
    "64, 64, 3, 1, 1, FLOAT64, false",
    "64, 64, 3, 2, 1, FLOAT32, false",
    "64, 64, 3, 1, 0, FLOAT32, false",
    "64, 64, 5, 1, 1, FLOAT32, false"
  })
  void winogradRunsOnlyWhereTheRuleSays(
      int c, int f, int k, int s, int p, DType dt, boolean expected) {
    Tensor x = Tensor.zeros(dt, 1, c, 8, 8), w = Tensor.zeros(dt, f, c, k, k);
    Conv.Cache cache = new Conv.Cache(x, w, Tensor.zeros(dt, f), new ConvParam(s, p));
    assertEquals(expected, Conv.winograd(cache, c, f));
  }

  @ParameterizedTest(name = "x({0},64,{1},{2})")
  @CsvSource({"2, 7, 7", "1, 6, 9", "3, 14, 14"})
  void winogradPathMatchesNaiveInFloat32(int n, int h, int w) {
    int c = 64, f = 64;
    Tensor x = randn(11, DType.FLOAT32, n, c, h, w);
    Tensor wt = randn(12, DType.FLOAT32, f, c, 3, 3);
    Tensor b = randn(13, DType.FLOAT32, f);
    ConvParam p = new ConvParam(1, 1);
    assertTrue(Conv.winograd(new Conv.Cache(x, wt, b, p), c, f), "the Winograd path runs");
    Forward<Conv.Cache> fast = Conv.convForward(x, wt, b, p);
    Forward<Conv.Cache> naive = Conv.convForwardNaive(x, wt, b, p);
    // The naive pair sums in float64; the house float32 tolerance, relative to the largest value.
    assertClose("out", fast.out(), naive.out(), tol(DType.FLOAT32));
    Tensor dout = randn(14, DType.FLOAT32, n, f, h, w);
    Conv.Grads gf = Conv.convBackward(dout, fast.cache());
    Conv.Grads gn = Conv.convBackwardNaive(dout, naive.cache());
    assertClose("dx", gf.dx(), gn.dx(), tol(DType.FLOAT32));
    assertClose("dw", gf.dw(), gn.dw(), tol(DType.FLOAT32));
    assertClose("db", gf.db(), gn.db(), tol(DType.FLOAT32));
  }

  @Test
  void winogradPathIsBitIdenticalForAnyThreadCount() {
    Tensor x = randn(1, DType.FLOAT32, 5, 64, 10, 10), w = randn(2, DType.FLOAT32, 64, 64, 3, 3);
    Tensor b = randn(3, DType.FLOAT32, 64), dout = randn(4, DType.FLOAT32, 5, 64, 10, 10);
    ThreadCounts.assertSameForAnyThreadCount(
        () -> {
          Forward<Conv.Cache> f = Conv.convForward(x, w, b, new ConvParam(1, 1));
          Conv.Grads g = Conv.convBackward(dout, f.cache());
          return java.util.List.of(f.out(), g.dx(), g.dw(), g.db());
        });
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"FLOAT32", "FLOAT64"})
  void inputOnlyBackwardGivesTheSameDxAndDbWithoutDw(DType dt) {
    Tensor x = randn(11, dt, 5, 3, 9, 9), w = randn(12, dt, 4, 3, 3, 3), b = randn(13, dt, 4);
    Tensor dout = randn(14, dt, 5, 4, 5, 5);
    Forward<Conv.Cache> f = Conv.convForward(x, w, b, new ConvParam(2, 1));
    Conv.Grads all = Conv.convBackward(dout, f.cache());
    Conv.Grads in = Conv.convBackwardInput(dout, f.cache());
    assertArrayEquals(all.dx().toDoubleArray(), in.dx().toDoubleArray(), "dx");
    assertArrayEquals(all.db().toDoubleArray(), in.db().toDoubleArray(), "db");
    assertEquals(null, in.dw());
  }

  @Test
  void emptyBatchGivesEmptyOutputAndZeroWeightGradients() {
    Tensor x = Tensor.zeros(DType.FLOAT32, 0, 2, 5, 5), w = randn(2, DType.FLOAT32, 3, 2, 3, 3);
    Tensor b = randn(3, DType.FLOAT32, 3);
    Forward<Conv.Cache> f = Conv.convForward(x, w, b, new ConvParam(1, 1));
    assertArrayEquals(new int[] {0, 3, 5, 5}, f.out().shape());
    Conv.Grads g = Conv.convBackward(Tensor.zeros(DType.FLOAT32, 0, 3, 5, 5), f.cache());
    assertArrayEquals(new double[3 * 2 * 9], g.dw().toDoubleArray());
    assertArrayEquals(new double[3], g.db().toDoubleArray());
  }

  // ------------------------------------------------------------------ PyTorch fixtures

  @ParameterizedTest(name = "{0} {1} naive={2}")
  @CsvSource({
    "conv_s2p1, FLOAT64, false",
    "conv_s2p1, FLOAT32, false",
    "conv_s2p1, FLOAT64, true",
    "conv_s2p1, FLOAT32, true",
    "conv_s1p2, FLOAT64, false",
    "conv_s1p2, FLOAT32, false",
    "conv_s1p2, FLOAT64, true",
    "conv_s1p2, FLOAT32, true",
    "conv_s1p0, FLOAT64, false",
    "conv_s1p0, FLOAT32, false",
    "conv_s1p0, FLOAT64, true",
    "conv_s1p0, FLOAT32, true",
    "conv_s1p1_c8, FLOAT64, false",
    "conv_s1p1_c8, FLOAT32, false"
  })
  void matchesPyTorch(String c, DType dt, boolean naive) {
    Tensor x = fxIn(c + "_x", dt), w = fxIn(c + "_w", dt), b = fxIn(c + "_b", dt);
    Tensor dout = fxIn(c + "_dout", dt);
    ConvParam p = new ConvParam(fxInt(c + "_stride"), fxInt(c + "_pad"));
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

  // ------------------------------------------------------------------ naive vs fast

  @ParameterizedTest(name = "x({0},{1},{2},{3}) w({4},{1},{5},{6}) s{7} p{8}")
  @CsvSource({
    "2, 3, 7, 7, 4, 3, 3, 2, 1",
    "1, 1, 5, 6, 3, 3, 2, 1, 2",
    "3, 2, 8, 6, 2, 5, 3, 1, 0",
    "2, 3, 9, 7, 5, 3, 3, 2, 2",
    "1, 2, 6, 6, 3, 2, 2, 2, 0",
    "2, 1, 4, 5, 2, 4, 5, 1, 0",
    "1, 2, 3, 3, 2, 3, 3, 3, 3",
    "2, 3, 31, 31, 5, 3, 3, 2, 1",
    "2, 8, 7, 6, 3, 3, 3, 1, 1",
    "1, 9, 5, 5, 4, 5, 5, 1, 0",
    "2, 8, 4, 4, 3, 3, 3, 1, 2",
    "1, 8, 6, 5, 2, 1, 1, 1, 0",
    "1, 8, 3, 3, 2, 2, 2, 1, 1",
    "2, 8, 5, 5, 3, 3, 3, 1, 3",
    "2, 8, 9, 9, 3, 3, 3, 2, 1"
  })
  void fastMatchesNaive(int n, int c, int h, int w, int f, int hh, int ww, int s, int p) {
    Tensor x = randn(1, DType.FLOAT64, n, c, h, w);
    Tensor wt = randn(2, DType.FLOAT64, f, c, hh, ww);
    Tensor b = randn(3, DType.FLOAT64, f);
    ConvParam param = new ConvParam(s, p);
    Forward<Conv.Cache> fast = Conv.convForward(x, wt, b, param);
    Forward<Conv.Cache> naive = Conv.convForwardNaive(x, wt, b, param);
    int ho = 1 + (h + 2 * p - hh) / s, wo = 1 + (w + 2 * p - ww) / s;
    assertArrayEquals(new int[] {n, f, ho, wo}, fast.out().shape());
    assertClose("out", fast.out(), naive.out(), 1e-10);
    Tensor dout = randn(4, DType.FLOAT64, n, f, ho, wo);
    Conv.Grads gf = Conv.convBackward(dout, fast.cache());
    Conv.Grads gn = Conv.convBackwardNaive(dout, naive.cache());
    assertClose("dx", gf.dx(), gn.dx(), 1e-10);
    assertClose("dw", gf.dw(), gn.dw(), 1e-10);
    assertClose("db", gf.db(), gn.db(), 1e-10);
  }

  @Test
  void float32FastTracksFloat64() {
    Tensor x = randn(5, DType.FLOAT64, 2, 3, 9, 9);
    Tensor w = randn(6, DType.FLOAT64, 4, 3, 3, 3);
    Tensor b = randn(7, DType.FLOAT64, 4);
    ConvParam p = new ConvParam(2, 1);
    Tensor ref = Conv.convForward(x, w, b, p).out();
    Tensor out =
        Conv.convForward(x.to(DType.FLOAT32), w.to(DType.FLOAT32), b.to(DType.FLOAT32), p).out();
    assertEquals(DType.FLOAT32, out.dtype());
    assertClose("out", out.to(DType.FLOAT64), ref, 1e-5);
  }

  @Test
  void oneByOneConvIsAPerPixelMatrixProduct() {
    // x (1, 2, 1, 2) with w (1, 2, 1, 1): out[0, 0, 0, j] = b + w0 * x[0, 0, 0, j] + w1 * x[0, 1,
    // 0, j]
    Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 1, 2, 1, 2);
    Tensor w = Tensor.of(new double[] {10, 100}, 1, 2, 1, 1);
    Tensor b = Tensor.vector(0.5);
    Tensor out = Conv.convForward(x, w, b, new ConvParam(1, 0)).out();
    assertArrayEquals(new double[] {310.5, 420.5}, out.toDoubleArray());
  }

  // ------------------------------------------------------------------ bad input

  @Test
  void strideThatDoesNotDivideIsRejected() {
    Tensor x = Tensor.zeros(DType.FLOAT64, 2, 3, 8, 8);
    Tensor w = Tensor.zeros(DType.FLOAT64, 4, 3, 3, 3);
    Tensor b = Tensor.zeros(DType.FLOAT64, 4);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Conv.convForward(x, w, b, new ConvParam(2, 1)));
    assertEquals(
        "conv2d: H + 2*pad - HH = 7 is not divisible by the stride for x (2, 3, 8, 8),"
            + " w (4, 3, 3, 3), pad 1, stride 2"
            + " (ConvParam.torch rounds the output size down, as PyTorch)",
        e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> Conv.convForwardNaive(x, w, b, new ConvParam(2, 1)));
  }

  @Test
  void channelMismatchNamesBothShapes() {
    Tensor x = Tensor.zeros(DType.FLOAT32, 64, 3, 28, 28);
    Tensor w = Tensor.zeros(DType.FLOAT32, 25, 1, 3, 3);
    Tensor b = Tensor.zeros(DType.FLOAT32, 25);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Conv.convForward(x, w, b, new ConvParam(1, 1)));
    assertEquals(
        "conv2d: expected w (F, C, HH, WW) with C=3 to match x (64, 3, 28, 28), got (25, 1, 3, 3)",
        e.getMessage());
  }

  @Test
  void otherBadInputsAreRejected() {
    Tensor x = Tensor.zeros(DType.FLOAT64, 1, 2, 5, 5);
    Tensor w = Tensor.zeros(DType.FLOAT64, 3, 2, 3, 3);
    Tensor b = Tensor.zeros(DType.FLOAT64, 3);
    ConvParam p = new ConvParam(1, 0);
    assertMessage(
        "conv2d: expected x (N, C, H, W), got (2, 5, 5)",
        () -> Conv.convForward(Tensor.zeros(DType.FLOAT64, 2, 5, 5), w, b, p));
    assertMessage(
        "conv2d: expected b (F,) with F=3 for w (3, 2, 3, 3), got (4,)",
        () -> Conv.convForward(x, w, Tensor.zeros(DType.FLOAT64, 4), p));
    assertMessage(
        "conv2d: w is float32 but x is float64; convert one of them with to(DType)",
        () -> Conv.convForward(x, w.to(DType.FLOAT32), b, p));
    assertMessage(
        "conv2d: the 7-wide filter does not fit H + 2*pad for x (1, 2, 5, 5),"
            + " w (3, 2, 7, 7), pad 0, stride 1",
        () -> Conv.convForward(x, Tensor.zeros(DType.FLOAT64, 3, 2, 7, 7), b, p));
    assertMessage(
        "conv2d: x must be float32 or float64, got int32",
        () -> Conv.convForward(Tensor.zeros(DType.INT32, 1, 2, 5, 5), w, b, p));
    assertMessage("ConvParam: stride must be >= 1, got 0", () -> new ConvParam(0, 1));
    assertMessage("ConvParam: pad must be >= 0, got -1", () -> new ConvParam(1, -1));
    Conv.Cache cache = Conv.convForward(x, w, b, p).cache();
    assertMessage(
        "conv2d backward: expected dout with the forward output shape (1, 3, 3, 3), got (1, 3, 3, 2)",
        () -> Conv.convBackward(Tensor.zeros(DType.FLOAT64, 1, 3, 3, 2), cache));
    assertMessage(
        "conv2d backward: dout is float32 but x is float64",
        () -> Conv.convBackwardNaive(Tensor.zeros(DType.FLOAT32, 1, 3, 3, 3), cache));
  }

  static void assertMessage(String expected, Runnable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
    assertEquals(expected, e.getMessage());
    assertTrue(e.getMessage().length() > 0);
  }
}
