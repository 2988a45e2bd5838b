package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.ConvTest.assertMessage;
import static org.handgrad.nn.functional.ConvTesting.assertClose;
import static org.handgrad.nn.functional.ConvTesting.dot;
import static org.handgrad.nn.functional.ConvTesting.fx;
import static org.handgrad.nn.functional.ConvTesting.fxIn;
import static org.handgrad.nn.functional.ConvTesting.fxInt;
import static org.handgrad.nn.functional.ConvTesting.randn;
import static org.handgrad.nn.functional.ConvTesting.tol;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConvTransposeTest {
  @ParameterizedTest(name = "{0} {1} naive={2}")
  @CsvSource({
    "convt_s2p1, FLOAT64, false",
    "convt_s2p1, FLOAT32, false",
    "convt_s2p1, FLOAT64, true",
    "convt_k4s2p1, FLOAT64, false",
    "convt_k4s2p1, FLOAT32, false",
    "convt_k4s2p1, FLOAT32, true",
    "convt_s1p0, FLOAT64, false",
    "convt_s1p0, FLOAT32, false",
    "convt_s1p0, FLOAT64, true"
  })
  void matchesPyTorch(String c, DType dt, boolean naive) {
    Tensor x = fxIn(c + "_x", dt), w = fxIn(c + "_w", dt), b = fxIn(c + "_b", dt);
    Tensor dout = fxIn(c + "_dout", dt);
    ConvParam p = new ConvParam(fxInt(c + "_stride"), fxInt(c + "_pad"));
    String k = c + (dt == DType.FLOAT64 ? "_f64_" : "_f32_");
    Forward<ConvTranspose.Cache> f =
        naive
            ? ConvTranspose.convTransposeForwardNaive(x, w, b, p)
            : ConvTranspose.convTransposeForward(x, w, b, p);
    ConvTranspose.Grads g =
        naive
            ? ConvTranspose.convTransposeBackwardNaive(dout, f.cache())
            : ConvTranspose.convTransposeBackward(dout, f.cache());
    assertClose(k + "out", f.out(), fx(k + "out"), tol(dt));
    assertClose(k + "dx", g.dx(), fx(k + "dx"), tol(dt));
    assertClose(k + "dw", g.dw(), fx(k + "dw"), tol(dt));
    assertClose(k + "db", g.db(), fx(k + "db"), tol(dt));
  }

  @ParameterizedTest(name = "x({0},{1},{2},{3}) w({1},{4},{5},{6}) s{7} p{8}")
  @CsvSource({
    "2, 3, 4, 5, 2, 3, 3, 2, 1",
    "1, 1, 3, 3, 4, 4, 4, 2, 1",
    "2, 2, 5, 3, 3, 2, 3, 1, 0",
    "1, 2, 2, 4, 1, 5, 3, 3, 2",
    "3, 1, 1, 1, 2, 3, 3, 1, 1"
  })
  void fastMatchesNaive(int n, int c, int h, int w, int f, int hh, int ww, int s, int p) {
    Tensor x = randn(21, DType.FLOAT64, n, c, h, w);
    Tensor wt = randn(22, DType.FLOAT64, c, f, hh, ww);
    Tensor b = randn(23, DType.FLOAT64, f);
    ConvParam param = new ConvParam(s, p);
    Forward<ConvTranspose.Cache> fast = ConvTranspose.convTransposeForward(x, wt, b, param);
    Forward<ConvTranspose.Cache> naive = ConvTranspose.convTransposeForwardNaive(x, wt, b, param);
    int ho = (h - 1) * s - 2 * p + hh, wo = (w - 1) * s - 2 * p + ww;
    assertArrayEquals(new int[] {n, f, ho, wo}, fast.out().shape());
    assertClose("out", fast.out(), naive.out(), 1e-10);
    Tensor dout = randn(24, DType.FLOAT64, n, f, ho, wo);
    ConvTranspose.Grads gf = ConvTranspose.convTransposeBackward(dout, fast.cache());
    ConvTranspose.Grads gn = ConvTranspose.convTransposeBackwardNaive(dout, naive.cache());
    assertClose("dx", gf.dx(), gn.dx(), 1e-10);
    assertClose("dw", gf.dw(), gn.dw(), 1e-10);
    assertClose("db", gf.db(), gn.db(), 1e-10);
  }

  @Test
  void isTheAdjointOfConvWithRespectToItsInput() {
    // <conv(y; w), x> = <y, convT(x; w)> for zero bias: the defining property of the transpose.
    Tensor w = randn(31, DType.FLOAT64, 3, 2, 3, 3); // conv (F=3, C=2) == convT (C_in=3, C_out=2)
    Tensor y = randn(32, DType.FLOAT64, 2, 2, 9, 7);
    ConvParam p = new ConvParam(2, 1);
    Tensor convY = Conv.convForward(y, w, Tensor.zeros(DType.FLOAT64, 3), p).out();
    Tensor x = randn(33, DType.FLOAT64, convY.shape());
    Tensor convTx =
        ConvTranspose.convTransposeForward(x, w, Tensor.zeros(DType.FLOAT64, 2), p).out();
    assertArrayEquals(y.shape(), convTx.shape());
    double lhs = dot(convY, x), rhs = dot(y, convTx);
    assertEquals(lhs, rhs, 1e-12 * Math.abs(lhs));
  }

  @Test
  void badInputsAreRejected() {
    Tensor x = Tensor.zeros(DType.FLOAT64, 1, 3, 4, 4);
    Tensor w = Tensor.zeros(DType.FLOAT64, 3, 2, 3, 3);
    Tensor b = Tensor.zeros(DType.FLOAT64, 2);
    ConvParam p = new ConvParam(2, 1);
    assertMessage(
        "conv_transpose2d: expected w (C, F, HH, WW) with C=3 to match x (1, 3, 4, 4) (PyTorch"
            + " layout: input channels first), got (2, 3, 3, 3)",
        () -> ConvTranspose.convTransposeForward(x, Tensor.zeros(DType.FLOAT64, 2, 3, 3, 3), b, p));
    assertMessage(
        "conv_transpose2d: expected b (F,) with F=2 for w (3, 2, 3, 3), got (3,)",
        () -> ConvTranspose.convTransposeForward(x, w, Tensor.zeros(DType.FLOAT64, 3), p));
    assertMessage(
        "conv_transpose2d: output size (0, 0) is empty for x (1, 3, 1, 1), w (3, 2, 2, 2),"
            + " pad 1, stride 1",
        () ->
            ConvTranspose.convTransposeForwardNaive(
                Tensor.zeros(DType.FLOAT64, 1, 3, 1, 1),
                Tensor.zeros(DType.FLOAT64, 3, 2, 2, 2),
                b,
                new ConvParam(1, 1)));
    assertMessage(
        "conv_transpose2d: b is float32 but x is float64; convert one of them with to(DType)",
        () -> ConvTranspose.convTransposeForward(x, w, b.to(DType.FLOAT32), p));
  }
}
