package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.SeqTesting.add;
import static org.handgrad.nn.functional.SeqTesting.assertClose;
import static org.handgrad.nn.functional.SeqTesting.assertRejects;
import static org.handgrad.nn.functional.SeqTesting.dtype;
import static org.handgrad.nn.functional.SeqTesting.expected;
import static org.handgrad.nn.functional.SeqTesting.input;
import static org.handgrad.nn.functional.SeqTesting.randn;
import static org.handgrad.nn.functional.SeqTesting.setStep;
import static org.handgrad.nn.functional.SeqTesting.step;
import static org.handgrad.nn.functional.SeqTesting.tol;

import java.util.Random;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RnnTest {
  @ParameterizedTest
  @CsvSource({"f64", "f32"})
  void stepMatchesPyTorchRnnCell(String dt) {
    DType d = dtype(dt);
    String c = "rnn_step";
    Forward<Rnn.StepCache> f =
        Rnn.rnnStepForward(
            input(c, "x", d),
            input(c, "prevH", d),
            input(c, "wx", d),
            input(c, "wh", d),
            input(c, "b", d));
    Rnn.StepGrads g = Rnn.rnnStepBackward(input(c, "dnextH", d), f.cache());
    assertClose(expected(c, d, "nextH"), f.out(), tol(d), "nextH");
    assertClose(expected(c, d, "dx"), g.dx(), tol(d), "dx");
    assertClose(expected(c, d, "dprevH"), g.dprevH(), tol(d), "dprevH");
    assertClose(expected(c, d, "dwx"), g.dwx(), tol(d), "dwx");
    assertClose(expected(c, d, "dwh"), g.dwh(), tol(d), "dwh");
    assertClose(expected(c, d, "db"), g.db(), tol(d), "db");
  }

  /** "rnn": N=3, T=5; "rnn_long": T=50, where backprop through time must still be exact. */
  @ParameterizedTest
  @CsvSource({"rnn, f64", "rnn, f32", "rnn_long, f64", "rnn_long, f32"})
  void sequenceMatchesPyTorchRnn(String c, String dt) {
    DType d = dtype(dt);
    Forward<Rnn.Cache> f =
        Rnn.rnnForward(
            input(c, "x", d),
            input(c, "h0", d),
            input(c, "wx", d),
            input(c, "wh", d),
            input(c, "b", d));
    Rnn.Grads g = Rnn.rnnBackward(input(c, "dout", d), f.cache());
    assertClose(expected(c, d, "h"), f.out(), tol(d), "h");
    assertClose(expected(c, d, "dx"), g.dx(), tol(d), "dx");
    assertClose(expected(c, d, "dh0"), g.dh0(), tol(d), "dh0");
    assertClose(expected(c, d, "dwx"), g.dwx(), tol(d), "dwx");
    assertClose(expected(c, d, "dwh"), g.dwh(), tol(d), "dwh");
    assertClose(expected(c, d, "db"), g.db(), tol(d), "db");
  }

  /** The batched sequence pair against a plain loop over the step pair (the naive version). */
  @Test
  void sequenceAgreesWithLoopOfSteps() {
    Random r = new Random(5);
    int n = 3;
    int tt = 6;
    int dd = 4;
    int h = 5;
    DType d = DType.FLOAT64;
    Tensor x = randn(r, d, 1, n, tt, dd);
    Tensor h0 = randn(r, d, 0.5, n, h);
    Tensor wx = randn(r, d, 0.4, dd, h);
    Tensor wh = randn(r, d, 0.4, h, h);
    Tensor b = randn(r, d, 0.2, h);
    Tensor dout = randn(r, d, 1, n, tt, h);

    Tensor hs = Tensor.zeros(d, n, tt, h);
    Rnn.StepCache[] caches = new Rnn.StepCache[tt];
    Tensor prev = h0;
    for (int t = 0; t < tt; t++) {
      Forward<Rnn.StepCache> f = Rnn.rnnStepForward(step(x, t), prev, wx, wh, b);
      caches[t] = f.cache();
      setStep(hs, t, f.out());
      prev = f.out();
    }
    Tensor dx = Tensor.zeros(d, n, tt, dd);
    Tensor dwx = Tensor.zeros(d, dd, h);
    Tensor dwh = Tensor.zeros(d, h, h);
    Tensor db = Tensor.zeros(d, h);
    Tensor dnext = Tensor.zeros(d, n, h);
    for (int t = tt - 1; t >= 0; t--) {
      Rnn.StepGrads g = Rnn.rnnStepBackward(add(step(dout, t), dnext), caches[t]);
      setStep(dx, t, g.dx());
      dwx = add(dwx, g.dwx());
      dwh = add(dwh, g.dwh());
      db = add(db, g.db());
      dnext = g.dprevH();
    }

    Forward<Rnn.Cache> f = Rnn.rnnForward(x, h0, wx, wh, b);
    Rnn.Grads g = Rnn.rnnBackward(dout, f.cache());
    assertClose(hs, f.out(), 1e-10, "h");
    assertClose(dx, g.dx(), 1e-10, "dx");
    assertClose(dnext, g.dh0(), 1e-10, "dh0");
    assertClose(dwx, g.dwx(), 1e-10, "dwx");
    assertClose(dwh, g.dwh(), 1e-10, "dwh");
    assertClose(db, g.db(), 1e-10, "db");
  }

  /**
   * float32 against float64 on a layer wider than the vector lanes (the fixtures' H = 3, 5 run the
   * scalar tails only), so the Vector API path is checked end to end.
   */
  @Test
  void float32MatchesFloat64OnAWideLayer() {
    Random r = new Random(12);
    DType d = DType.FLOAT64;
    Tensor x = randn(r, d, 1, 3, 7, 6);
    Tensor h0 = randn(r, d, 0.5, 3, 19);
    Tensor wx = randn(r, d, 0.3, 6, 19);
    Tensor wh = randn(r, d, 0.3, 19, 19);
    Tensor b = randn(r, d, 0.2, 19);
    Tensor dout = randn(r, d, 1, 3, 7, 19);
    Forward<Rnn.Cache> f64 = Rnn.rnnForward(x, h0, wx, wh, b);
    Rnn.Grads g64 = Rnn.rnnBackward(dout, f64.cache());
    DType s = DType.FLOAT32;
    Forward<Rnn.Cache> f32 = Rnn.rnnForward(x.to(s), h0.to(s), wx.to(s), wh.to(s), b.to(s));
    Rnn.Grads g32 = Rnn.rnnBackward(dout.to(s), f32.cache());
    assertClose(f64.out().to(s), f32.out(), 1e-5, "h");
    assertClose(g64.dx().to(s), g32.dx(), 1e-5, "dx");
    assertClose(g64.dwh().to(s), g32.dwh(), 1e-5, "dwh");
  }

  @Test
  void rejectsBadShapesAndMixedDtypes() {
    DType d = DType.FLOAT64;
    Tensor x = Tensor.zeros(d, 2, 3, 4);
    Tensor h0 = Tensor.zeros(d, 2, 5);
    Tensor wx = Tensor.zeros(d, 4, 5);
    Tensor wh = Tensor.zeros(d, 5, 5);
    Tensor b = Tensor.zeros(d, 5);
    assertRejects(
        () -> Rnn.rnnForward(x, h0, Tensor.zeros(d, 3, 5), wh, b),
        "rnnForward",
        "wx (D, H) = (4, 5)",
        "(3, 5)");
    assertRejects(
        () -> Rnn.rnnForward(x, Tensor.zeros(d, 3, 5), wx, wh, b), "h0 (N, H) = (2, 5)", "(3, 5)");
    assertRejects(() -> Rnn.rnnForward(x, h0, wx, wh, Tensor.zeros(d, 4)), "b (H,) = (5,)");
    assertRejects(
        () -> Rnn.rnnForward(Tensor.zeros(d, 2, 4), h0, wx, wh, b),
        "expected x (N, T, D)",
        "(2, 4)");
    assertRejects(
        () -> Rnn.rnnForward(x, h0, wx.to(DType.FLOAT32), wh, b), "wx is float32 but x is float64");
    assertRejects(
        () -> Rnn.rnnForward(Tensor.zeros(DType.INT32, 2, 3, 4), h0, wx, wh, b),
        "x must be float32 or float64, got int32");
    assertRejects(
        () -> Rnn.rnnStepForward(Tensor.zeros(d, 2, 4), h0, wx, Tensor.zeros(d, 5, 4), b),
        "rnnStepForward",
        "wh (H, H) = (5, 5)");
    Forward<Rnn.Cache> f = Rnn.rnnForward(x, h0, wx, wh, b);
    assertRejects(
        () -> Rnn.rnnBackward(Tensor.zeros(d, 2, 3, 4), f.cache()),
        "rnnBackward",
        "dh (N, T, H) = (2, 3, 5)",
        "(2, 3, 4)");
  }
}
