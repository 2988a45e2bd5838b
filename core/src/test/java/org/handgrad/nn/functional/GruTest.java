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
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GruTest {
  /** PyTorch's b_ih = b and b_hh = [0, 0, bhn] (fixture script). */
  @ParameterizedTest
  @CsvSource({"f64", "f32"})
  void stepMatchesPyTorchGruCell(String dt) {
    DType d = dtype(dt);
    String c = "gru_step";
    Forward<Gru.StepCache> f =
        Gru.gruStepForward(
            input(c, "x", d),
            input(c, "prevH", d),
            input(c, "wx", d),
            input(c, "wh", d),
            input(c, "b", d),
            input(c, "bhn", d));
    Gru.StepGrads g = Gru.gruStepBackward(input(c, "dnextH", d), f.cache());
    assertClose(expected(c, d, "nextH"), f.out(), tol(d), "nextH");
    assertClose(expected(c, d, "dx"), g.dx(), tol(d), "dx");
    assertClose(expected(c, d, "dprevH"), g.dprevH(), tol(d), "dprevH");
    assertClose(expected(c, d, "dwx"), g.dwx(), tol(d), "dwx");
    assertClose(expected(c, d, "dwh"), g.dwh(), tol(d), "dwh");
    assertClose(expected(c, d, "db"), g.db(), tol(d), "db");
    assertClose(expected(c, d, "dbhn"), g.dbhn(), tol(d), "dbhn");
  }

  @ParameterizedTest
  @CsvSource({"gru, f64", "gru, f32", "gru_long, f64", "gru_long, f32"})
  void sequenceMatchesPyTorchGru(String c, String dt) {
    DType d = dtype(dt);
    Forward<Gru.Cache> f =
        Gru.gruForward(
            input(c, "x", d),
            input(c, "h0", d),
            input(c, "wx", d),
            input(c, "wh", d),
            input(c, "b", d),
            input(c, "bhn", d));
    Gru.Grads g = Gru.gruBackward(input(c, "dout", d), f.cache());
    assertClose(expected(c, d, "h"), f.out(), tol(d), "h");
    assertClose(expected(c, d, "dx"), g.dx(), tol(d), "dx");
    assertClose(expected(c, d, "dh0"), g.dh0(), tol(d), "dh0");
    assertClose(expected(c, d, "dwx"), g.dwx(), tol(d), "dwx");
    assertClose(expected(c, d, "dwh"), g.dwh(), tol(d), "dwh");
    assertClose(expected(c, d, "db"), g.db(), tol(d), "db");
    assertClose(expected(c, d, "dbhn"), g.dbhn(), tol(d), "dbhn");
  }

  /** The batched sequence pair against a plain loop over the step pair (the naive version). */
  @Test
  void sequenceAgreesWithLoopOfSteps() {
    Random r = new Random(11);
    int n = 3;
    int tt = 6;
    int dd = 4;
    int h = 5;
    DType d = DType.FLOAT64;
    Tensor x = randn(r, d, 1, n, tt, dd);
    Tensor h0 = randn(r, d, 0.5, n, h);
    Tensor wx = randn(r, d, 0.4, dd, 3 * h);
    Tensor wh = randn(r, d, 0.4, h, 3 * h);
    Tensor b = randn(r, d, 0.2, 3 * h);
    Tensor bhn = randn(r, d, 0.2, h);
    Tensor dout = randn(r, d, 1, n, tt, h);

    Tensor hs = Tensor.zeros(d, n, tt, h);
    Gru.StepCache[] caches = new Gru.StepCache[tt];
    Tensor prev = h0;
    for (int t = 0; t < tt; t++) {
      Forward<Gru.StepCache> f = Gru.gruStepForward(step(x, t), prev, wx, wh, b, bhn);
      caches[t] = f.cache();
      setStep(hs, t, f.out());
      prev = f.out();
    }
    Tensor dx = Tensor.zeros(d, n, tt, dd);
    Tensor dwx = Tensor.zeros(d, dd, 3 * h);
    Tensor dwh = Tensor.zeros(d, h, 3 * h);
    Tensor db = Tensor.zeros(d, 3 * h);
    Tensor dbhn = Tensor.zeros(d, h);
    Tensor dnext = Tensor.zeros(d, n, h);
    for (int t = tt - 1; t >= 0; t--) {
      Gru.StepGrads g = Gru.gruStepBackward(add(step(dout, t), dnext), caches[t]);
      setStep(dx, t, g.dx());
      dwx = add(dwx, g.dwx());
      dwh = add(dwh, g.dwh());
      db = add(db, g.db());
      dbhn = add(dbhn, g.dbhn());
      dnext = g.dprevH();
    }

    Forward<Gru.Cache> f = Gru.gruForward(x, h0, wx, wh, b, bhn);
    Gru.Grads g = Gru.gruBackward(dout, f.cache());
    assertClose(hs, f.out(), 1e-10, "h");
    assertClose(dx, g.dx(), 1e-10, "dx");
    assertClose(dnext, g.dh0(), 1e-10, "dh0");
    assertClose(dwx, g.dwx(), 1e-10, "dwx");
    assertClose(dwh, g.dwh(), 1e-10, "dwh");
    assertClose(db, g.db(), 1e-10, "db");
    assertClose(dbhn, g.dbhn(), 1e-10, "dbhn");
  }

  /** The update-gate convention: z = 1 keeps the old state, z = 0 takes the candidate n. */
  @Test
  void updateGateOneKeepsThePreviousState() {
    int h = 3;
    Tensor x = Tensor.of(new double[] {0.3, -0.7}, 1, 2);
    Tensor prevH = Tensor.of(new double[] {0.5, -0.25, 0.125}, 1, h);
    Tensor wx = Tensor.zeros(DType.FLOAT64, 2, 3 * h);
    Tensor wh = Tensor.zeros(DType.FLOAT64, h, 3 * h);
    Tensor b = Tensor.zeros(DType.FLOAT64, 3 * h);
    Tensor bhn = Tensor.zeros(DType.FLOAT64, h);
    for (int j = 0; j < h; j++) {
      b.set(40.0, h + j); // z = sigmoid(40) = 1 - 4e-18: rounds to 1
    }
    Tensor next = Gru.gruStepForward(x, prevH, wx, wh, b, bhn).out();
    for (int j = 0; j < h; j++) {
      assertEquals(prevH.get(0, j), next.get(0, j), 0.0);
    }
  }

  /**
   * float32 against float64 on a layer wider than the vector lanes (the fixtures' H = 3, 5 run the
   * scalar tails only), so the Vector API path is checked end to end.
   */
  @Test
  void float32MatchesFloat64OnAWideLayer() {
    Random r = new Random(14);
    DType d = DType.FLOAT64;
    Tensor x = randn(r, d, 1, 3, 7, 6);
    Tensor h0 = randn(r, d, 0.5, 3, 19);
    Tensor wx = randn(r, d, 0.3, 6, 57);
    Tensor wh = randn(r, d, 0.3, 19, 57);
    Tensor b = randn(r, d, 0.2, 57);
    Tensor bhn = randn(r, d, 0.2, 19);
    Tensor dout = randn(r, d, 1, 3, 7, 19);
    Forward<Gru.Cache> f64 = Gru.gruForward(x, h0, wx, wh, b, bhn);
    Gru.Grads g64 = Gru.gruBackward(dout, f64.cache());
    DType s = DType.FLOAT32;
    Forward<Gru.Cache> f32 =
        Gru.gruForward(x.to(s), h0.to(s), wx.to(s), wh.to(s), b.to(s), bhn.to(s));
    Gru.Grads g32 = Gru.gruBackward(dout.to(s), f32.cache());
    assertClose(f64.out().to(s), f32.out(), 1e-5, "h");
    assertClose(g64.dx().to(s), g32.dx(), 1e-5, "dx");
    assertClose(g64.dwh().to(s), g32.dwh(), 1e-5, "dwh");
    assertClose(g64.dbhn().to(s), g32.dbhn(), 1e-5, "dbhn");
  }

  @Test
  void rejectsBadShapesAndMixedDtypes() {
    DType d = DType.FLOAT64;
    Tensor x = Tensor.zeros(d, 2, 3, 4);
    Tensor h0 = Tensor.zeros(d, 2, 5);
    Tensor wx = Tensor.zeros(d, 4, 15);
    Tensor wh = Tensor.zeros(d, 5, 15);
    Tensor b = Tensor.zeros(d, 15);
    Tensor bhn = Tensor.zeros(d, 5);
    assertRejects(
        () -> Gru.gruForward(x, h0, wx, wh, b, Tensor.zeros(d, 15)),
        "gruForward",
        "expected bhn (H,) = (5,), got (15,)");
    assertRejects(
        () -> Gru.gruForward(x, h0, wx, Tensor.zeros(d, 5, 20), b, bhn),
        "expected wh (H, 3H) = (5, 15), got (5, 20)");
    assertRejects(
        () -> Gru.gruStepForward(Tensor.zeros(d, 2, 4), h0, wx, wh, b.to(DType.FLOAT32), bhn),
        "gruStepForward",
        "b is float32 but x is float64");
    Forward<Gru.Cache> f = Gru.gruForward(x, h0, wx, wh, b, bhn);
    assertRejects(
        () -> Gru.gruBackward(Tensor.zeros(d, 2, 4, 5), f.cache()),
        "gruBackward",
        "dh (N, T, H) = (2, 3, 5), got (2, 4, 5)");
  }
}
