package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.SeqTesting.add;
import static org.handgrad.nn.functional.SeqTesting.assertClose;
import static org.handgrad.nn.functional.SeqTesting.assertExact;
import static org.handgrad.nn.functional.SeqTesting.assertRejects;
import static org.handgrad.nn.functional.SeqTesting.dtype;
import static org.handgrad.nn.functional.SeqTesting.expected;
import static org.handgrad.nn.functional.SeqTesting.input;
import static org.handgrad.nn.functional.SeqTesting.randn;
import static org.handgrad.nn.functional.SeqTesting.setStep;
import static org.handgrad.nn.functional.SeqTesting.step;
import static org.handgrad.nn.functional.SeqTesting.steps;
import static org.handgrad.nn.functional.SeqTesting.tol;

import java.util.Random;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LstmTest {
  /** Weights are mapped from PyTorch's [i, f, g, o] gate order by the fixture script. */
  @ParameterizedTest
  @CsvSource({"f64", "f32"})
  void stepMatchesPyTorchLstmCell(String dt) {
    DType d = dtype(dt);
    String c = "lstm_step";
    Forward<Lstm.StepCache> f =
        Lstm.lstmStepForward(
            input(c, "x", d),
            input(c, "prevH", d),
            input(c, "prevC", d),
            input(c, "wx", d),
            input(c, "wh", d),
            input(c, "b", d));
    Lstm.StepGrads g =
        Lstm.lstmStepBackward(input(c, "dnextH", d), input(c, "dnextC", d), f.cache());
    assertClose(expected(c, d, "nextH"), f.out(), tol(d), "nextH");
    assertClose(expected(c, d, "nextC"), f.cache().nextC(), tol(d), "nextC");
    assertClose(expected(c, d, "dx"), g.dx(), tol(d), "dx");
    assertClose(expected(c, d, "dprevH"), g.dprevH(), tol(d), "dprevH");
    assertClose(expected(c, d, "dprevC"), g.dprevC(), tol(d), "dprevC");
    assertClose(expected(c, d, "dwx"), g.dwx(), tol(d), "dwx");
    assertClose(expected(c, d, "dwh"), g.dwh(), tol(d), "dwh");
    assertClose(expected(c, d, "db"), g.db(), tol(d), "db");
  }

  /** CS231n's {@code next_h, next_c, cache} form: the same fixture, nextC returned by name. */
  @ParameterizedTest
  @CsvSource({"f64", "f32"})
  void stepWithCellReturnsNextHAndNextC(String dt) {
    DType d = dtype(dt);
    String c = "lstm_step";
    Lstm.StepForward s =
        Lstm.lstmStepForwardWithCell(
            input(c, "x", d),
            input(c, "prevH", d),
            input(c, "prevC", d),
            input(c, "wx", d),
            input(c, "wh", d),
            input(c, "b", d));
    assertClose(expected(c, d, "nextH"), s.nextH(), tol(d), "nextH");
    assertClose(expected(c, d, "nextC"), s.nextC(), tol(d), "nextC");
    Lstm.StepGrads g =
        Lstm.lstmStepBackward(input(c, "dnextH", d), input(c, "dnextC", d), s.cache());
    assertClose(expected(c, d, "dx"), g.dx(), tol(d), "dx");
    assertClose(expected(c, d, "dprevC"), g.dprevC(), tol(d), "dprevC");
    assertRejects(
        () ->
            Lstm.lstmStepForwardWithCell(
                input(c, "x", d),
                input(c, "prevH", d),
                Tensor.zeros(d, 1, 1),
                input(c, "wx", d),
                input(c, "wh", d),
                input(c, "b", d)),
        "lstmStepForward",
        "prevC (N, H)");
  }

  /**
   * nn.LSTM with (h0, c0) and a gradient on the final cell state c_n; "lstm_long" has T = 50, where
   * backprop through time must still be exact.
   */
  @ParameterizedTest
  @CsvSource({"lstm, f64", "lstm, f32", "lstm_long, f64", "lstm_long, f32"})
  void sequenceMatchesPyTorchLstm(String c, String dt) {
    DType d = dtype(dt);
    Forward<Lstm.Cache> f =
        Lstm.lstmForward(
            input(c, "x", d),
            input(c, "h0", d),
            input(c, "c0", d),
            input(c, "wx", d),
            input(c, "wh", d),
            input(c, "b", d));
    Lstm.Grads g = Lstm.lstmBackward(input(c, "dout", d), input(c, "dcT", d), f.cache());
    assertClose(expected(c, d, "h"), f.out(), tol(d), "h");
    assertClose(expected(c, d, "cT"), f.cache().finalC(), tol(d), "cT");
    assertClose(expected(c, d, "dx"), g.dx(), tol(d), "dx");
    assertClose(expected(c, d, "dh0"), g.dh0(), tol(d), "dh0");
    assertClose(expected(c, d, "dc0"), g.dc0(), tol(d), "dc0");
    assertClose(expected(c, d, "dwx"), g.dwx(), tol(d), "dwx");
    assertClose(expected(c, d, "dwh"), g.dwh(), tol(d), "dwh");
    assertClose(expected(c, d, "db"), g.db(), tol(d), "db");
  }

  private record Params(Tensor x, Tensor h0, Tensor c0, Tensor wx, Tensor wh, Tensor b) {}

  private static Params params(Random r, int n, int tt, int dd, int h) {
    DType d = DType.FLOAT64;
    return new Params(
        randn(r, d, 1, n, tt, dd),
        randn(r, d, 0.5, n, h),
        randn(r, d, 0.5, n, h),
        randn(r, d, 0.4, dd, 4 * h),
        randn(r, d, 0.4, h, 4 * h),
        randn(r, d, 0.2, 4 * h));
  }

  /** The batched sequence pair against a plain loop over the step pair (the naive version). */
  @Test
  void sequenceAgreesWithLoopOfSteps() {
    Random r = new Random(6);
    int n = 3;
    int tt = 6;
    int dd = 4;
    int h = 5;
    DType d = DType.FLOAT64;
    Params p = params(r, n, tt, dd, h);
    Tensor dout = randn(r, d, 1, n, tt, h);
    Tensor dcT = randn(r, d, 1, n, h);

    Tensor hs = Tensor.zeros(d, n, tt, h);
    Lstm.StepCache[] caches = new Lstm.StepCache[tt];
    Tensor prevH = p.h0();
    Tensor prevC = p.c0();
    for (int t = 0; t < tt; t++) {
      Forward<Lstm.StepCache> f =
          Lstm.lstmStepForward(step(p.x(), t), prevH, prevC, p.wx(), p.wh(), p.b());
      caches[t] = f.cache();
      setStep(hs, t, f.out());
      prevH = f.out();
      prevC = f.cache().nextC();
    }
    Tensor dx = Tensor.zeros(d, n, tt, dd);
    Tensor dwx = Tensor.zeros(d, dd, 4 * h);
    Tensor dwh = Tensor.zeros(d, h, 4 * h);
    Tensor db = Tensor.zeros(d, 4 * h);
    Tensor dnextH = Tensor.zeros(d, n, h);
    Tensor dnextC = dcT;
    for (int t = tt - 1; t >= 0; t--) {
      Lstm.StepGrads g = Lstm.lstmStepBackward(add(step(dout, t), dnextH), dnextC, caches[t]);
      setStep(dx, t, g.dx());
      dwx = add(dwx, g.dwx());
      dwh = add(dwh, g.dwh());
      db = add(db, g.db());
      dnextH = g.dprevH();
      dnextC = g.dprevC();
    }

    Forward<Lstm.Cache> f = Lstm.lstmForward(p.x(), p.h0(), p.c0(), p.wx(), p.wh(), p.b());
    Lstm.Grads g = Lstm.lstmBackward(dout, dcT, f.cache());
    assertClose(hs, f.out(), 1e-10, "h");
    assertClose(prevC, f.cache().finalC(), 1e-10, "cT");
    assertClose(dx, g.dx(), 1e-10, "dx");
    assertClose(dnextH, g.dh0(), 1e-10, "dh0");
    assertClose(dnextC, g.dc0(), 1e-10, "dc0");
    assertClose(dwx, g.dwx(), 1e-10, "dwx");
    assertClose(dwh, g.dwh(), 1e-10, "dwh");
    assertClose(db, g.db(), 1e-10, "db");
  }

  /**
   * Running T = 6 as two chunks of 3, carrying (h, c) forward and (dh0, dc0) backward, gives the
   * same outputs and gradients as one run: what finalC() and the dcT argument are for.
   */
  @Test
  void chunksCarryingTheCellStateEqualOneRun() {
    Random r = new Random(7);
    int n = 2;
    int tt = 6;
    int h = 4;
    DType d = DType.FLOAT64;
    Params p = params(r, n, tt, 3, h);
    Tensor dout = randn(r, d, 1, n, tt, h);

    Forward<Lstm.Cache> whole = Lstm.lstmForward(p.x(), p.h0(), p.c0(), p.wx(), p.wh(), p.b());
    Lstm.Grads gw = Lstm.lstmBackward(dout, whole.cache());

    Forward<Lstm.Cache> a =
        Lstm.lstmForward(steps(p.x(), 0, 3), p.h0(), p.c0(), p.wx(), p.wh(), p.b());
    Tensor hMid = step(a.out(), 2);
    Forward<Lstm.Cache> b =
        Lstm.lstmForward(steps(p.x(), 3, 6), hMid, a.cache().finalC(), p.wx(), p.wh(), p.b());
    assertClose(steps(whole.out(), 3, 6), b.out(), 1e-12, "second chunk h");
    Lstm.Grads gb = Lstm.lstmBackward(steps(dout, 3, 6), b.cache());
    // dh0 of the second chunk flows into the last hidden state of the first.
    Tensor doutA = steps(dout, 0, 3);
    setStep(doutA, 2, add(step(doutA, 2), gb.dh0()));
    Lstm.Grads ga = Lstm.lstmBackward(doutA, gb.dc0(), a.cache());
    assertClose(gw.dh0(), ga.dh0(), 1e-12, "dh0");
    assertClose(gw.dc0(), ga.dc0(), 1e-12, "dc0");
    assertClose(gw.dwh(), add(ga.dwh(), gb.dwh()), 1e-12, "dwh");
    assertClose(gw.db(), add(ga.db(), gb.db()), 1e-12, "db");
  }

  @Test
  void withoutC0StartsFromZeroCell() {
    Random r = new Random(8);
    Params p = params(r, 2, 3, 3, 4);
    Tensor zero = Tensor.zeros(DType.FLOAT64, 2, 4);
    assertExact(
        Lstm.lstmForward(p.x(), p.h0(), zero, p.wx(), p.wh(), p.b()).out(),
        Lstm.lstmForward(p.x(), p.h0(), p.wx(), p.wh(), p.b()).out(),
        "h");
  }

  /**
   * float32 against float64 on a layer wider than the vector lanes (the fixtures' H = 3, 5 run the
   * scalar tails only), so the Vector API path is checked end to end.
   */
  @Test
  void float32MatchesFloat64OnAWideLayer() {
    Random r = new Random(13);
    Params p = params(r, 3, 7, 6, 19);
    Tensor dout = randn(r, DType.FLOAT64, 1, 3, 7, 19);
    Forward<Lstm.Cache> f64 = Lstm.lstmForward(p.x(), p.h0(), p.c0(), p.wx(), p.wh(), p.b());
    Lstm.Grads g64 = Lstm.lstmBackward(dout, f64.cache());
    DType s = DType.FLOAT32;
    Forward<Lstm.Cache> f32 =
        Lstm.lstmForward(
            p.x().to(s), p.h0().to(s), p.c0().to(s), p.wx().to(s), p.wh().to(s), p.b().to(s));
    Lstm.Grads g32 = Lstm.lstmBackward(dout.to(s), f32.cache());
    assertClose(f64.out().to(s), f32.out(), 1e-5, "h");
    assertClose(f64.cache().finalC().to(s), f32.cache().finalC(), 1e-5, "cT");
    assertClose(g64.dx().to(s), g32.dx(), 1e-5, "dx");
    assertClose(g64.dwh().to(s), g32.dwh(), 1e-5, "dwh");
    assertClose(g64.dc0().to(s), g32.dc0(), 1e-5, "dc0");
  }

  @Test
  void rejectsBadShapesAndMixedDtypes() {
    DType d = DType.FLOAT32;
    Tensor x = Tensor.zeros(d, 2, 3, 4);
    Tensor h0 = Tensor.zeros(d, 2, 5);
    Tensor wx = Tensor.zeros(d, 4, 20);
    Tensor wh = Tensor.zeros(d, 5, 20);
    Tensor b = Tensor.zeros(d, 20);
    assertRejects(
        () -> Lstm.lstmForward(x, h0, Tensor.zeros(d, 4, 16), wh, b),
        "lstmForward",
        "expected wx (D, 4H) = (4, 20), got (4, 16)");
    assertRejects(
        () -> Lstm.lstmForward(x, h0, Tensor.zeros(d, 3, 5), wx, wh, b),
        "c0 (N, H) = (2, 5)",
        "(3, 5)");
    assertRejects(
        () -> Lstm.lstmForward(x, h0, wx, wh, b.to(DType.FLOAT64)),
        "b is float64 but x is float32");
    assertRejects(
        () -> Lstm.lstmStepForward(Tensor.zeros(d, 2, 4), h0, h0, wx, Tensor.zeros(d, 20, 5), b),
        "lstmStepForward",
        "wh (H, 4H) = (5, 20)");
    Forward<Lstm.Cache> f = Lstm.lstmForward(x, h0, wx, wh, b);
    assertRejects(
        () -> Lstm.lstmBackward(Tensor.zeros(d, 2, 3, 5), Tensor.zeros(d, 2, 4), f.cache()),
        "lstmBackward",
        "dcT (N, H) = (2, 5)");
    assertRejects(
        () -> Lstm.lstmBackward(Tensor.zeros(DType.FLOAT64, 2, 3, 5), f.cache()),
        "dh is float64 but the forward input is float32");
  }
}
