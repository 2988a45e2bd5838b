package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.handgrad.nn.GradCheck;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;

/**
 * DINO's loss, the L2 normalization and the positional-table resize: float64 numerical gradient
 * checks, and PyTorch fixtures (fixtures/dino.npz, scripts/fixtures/dino.py) at float64 within
 * 1e-10 and float32 within 1e-5.
 */
class DinoLossTest {
  private static Map<String, Tensor> fixture;

  private static synchronized Tensor get(String key) {
    if (fixture == null) {
      fixture = Fixtures.load("dino");
    }
    return Fixtures.get(fixture, key);
  }

  private static String tag(DType dt) {
    return dt == DType.FLOAT64 ? "f64" : "f32";
  }

  private static double tol(DType dt) {
    return dt == DType.FLOAT64 ? 1e-10 : 1e-5;
  }

  @Test
  void lossMatchesPyTorch() {
    int[][] cases = {{4, 3, 7}, {2, 5, 4}};
    double[][] temps = {{0.1, 0.04}, {0.2, 0.07}};
    String[] names = {"loss4", "loss2"};
    for (int c = 0; c < 2; c++) {
      int v = cases[c][0];
      int n = cases[c][1];
      int k = cases[c][2];
      for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
        String p = names[c] + "_";
        Tensor s = get(p + "student").to(dt).reshape(v, n, k);
        Tensor t = get(p + "teacher").to(dt).reshape(2, n, k);
        Tensor center = get(p + "center").to(dt);
        Forward<DinoLoss.Cache> f =
            DinoLoss.dinoLossForward(s, t, center, temps[c][0], temps[c][1]);
        Golden.assertClose(
            p + tag(dt) + "_loss", f.out().item(), get(p + tag(dt) + "_loss").item(), tol(dt));
        Tensor ds = DinoLoss.dinoLossBackward(1.0, f.cache());
        assertEquals(dt, ds.dtype());
        Golden.assertClose(
            p + tag(dt) + "_dstudent",
            ds.reshape(v * n, k),
            get(p + tag(dt) + "_dstudent"),
            tol(dt));
      }
    }
  }

  @Test
  void blocksAddUpToTheWholeLoss() {
    Tensor s = get("loss4_student").reshape(4, 3, 7);
    Tensor t = get("loss4_teacher").reshape(2, 3, 7);
    Tensor c = get("loss4_center");
    Forward<DinoLoss.Cache> all = DinoLoss.dinoLossForward(s, t, c, 0.1, 0.04);
    Forward<DinoLoss.Cache> globals =
        DinoLoss.dinoLossForward(s.slice(0, 0, 2).contiguous(), 0, 4, t, c, 0.1, 0.04);
    Forward<DinoLoss.Cache> locals =
        DinoLoss.dinoLossForward(s.slice(0, 2, 4).contiguous(), 2, 4, t, c, 0.1, 0.04);
    assertEquals(all.out().item(), globals.out().item() + locals.out().item(), 1e-13);
    Tensor dAll = DinoLoss.dinoLossBackward(1.0, all.cache());
    Tensor dParts =
        Tensor.concatenate(
            0,
            DinoLoss.dinoLossBackward(1.0, globals.cache()),
            DinoLoss.dinoLossBackward(1.0, locals.cache()));
    assertTrue(GradCheck.relError(dAll, dParts) < 1e-14);
  }

  @Test
  void lossGradientMatchesNumericalAtFloat64() {
    Rng rng = new Rng(5);
    // Logits / tau of order 1, so no softmax entry (and no gradient entry) is tiny: the elementwise
    // relative error would otherwise compare round-off with round-off.
    Tensor s = rng.randn(DType.FLOAT64, 3, 2, 6).mul(0.1);
    Tensor t = rng.randn(DType.FLOAT64, 2, 2, 6).mul(0.04);
    Tensor c = rng.randn(DType.FLOAT64, 6).mul(0.1);
    double dout = 1.7;
    Tensor analytic =
        DinoLoss.dinoLossBackward(dout, DinoLoss.dinoLossForward(s, t, c, 0.1, 0.04).cache());
    Tensor numeric =
        GradCheck.evalNumericalGradient(
            x -> dout * DinoLoss.dinoLossForward(x, t, c, 0.1, 0.04).out().item(), s, 1e-6);
    double err = GradCheck.relError(analytic, numeric);
    assertTrue(err < 1e-8, "dinoLoss gradient rel error " + err);
  }

  @Test
  void l2NormalizeMatchesPyTorchAndNumerical() {
    for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      Forward<L2Normalize.Cache> f = L2Normalize.l2NormalizeForward(get("l2_x").to(dt));
      Golden.assertClose("l2 out " + dt, f.out(), get("l2_" + tag(dt) + "_out"), tol(dt));
      Tensor dx = L2Normalize.l2NormalizeBackward(get("l2_dout").to(dt), f.cache());
      Golden.assertClose("l2 dx " + dt, dx, get("l2_" + tag(dt) + "_dx"), tol(dt));
    }
    Tensor x = new Rng(2).randn(DType.FLOAT64, 3, 5);
    Tensor dout = new Rng(3).randn(DType.FLOAT64, 3, 5);
    Tensor analytic =
        L2Normalize.l2NormalizeBackward(dout, L2Normalize.l2NormalizeForward(x).cache());
    Tensor numeric =
        GradCheck.evalNumericalGradientArray(
            z -> L2Normalize.l2NormalizeForward(z).out(), x, dout, GradCheck.DEFAULT_H);
    double err = GradCheck.relError(analytic, numeric);
    assertTrue(err < 1e-8, "l2Normalize gradient rel error " + err);
  }

  @Test
  void weightNormLinearGradientsMatchNumericalAtFloat64() {
    org.handgrad.nn.modules.WeightNormLinear m =
        new org.handgrad.nn.modules.WeightNormLinear(
            4,
            3,
            DType.FLOAT64,
            org.handgrad.nn.init.WeightInit.normal(1.0),
            new java.util.SplittableRandom(1));
    Tensor x = new Rng(8).randn(DType.FLOAT64, 5, 4);
    Tensor dout = new Rng(9).randn(DType.FLOAT64, 5, 3);
    m.forward(x);
    Tensor dx = m.backward(dout);
    Tensor dv = m.weight().grad().copy();
    Tensor numX = GradCheck.evalNumericalGradientArray(m::forward, x, dout, GradCheck.DEFAULT_H);
    Tensor v = m.weight().value();
    Tensor numV =
        GradCheck.evalNumericalGradientArray(z -> m.forward(x), v, dout, GradCheck.DEFAULT_H);
    assertTrue(GradCheck.relError(dx, numX) < 1e-8, "dx " + GradCheck.relError(dx, numX));
    assertTrue(GradCheck.relError(dv, numV) < 1e-8, "dv " + GradCheck.relError(dv, numV));
    // each output is a cosine-like product: |out| <= ||x|| for unit weight columns
    Tensor out = m.forward(x);
    for (int i = 0; i < 5; i++) {
      double norm = Math.sqrt(x.select(0, i).square().sum().item());
      assertTrue(out.select(0, i).abs().max().item() <= norm + 1e-12);
    }
  }

  @Test
  void positionInterpolationMatchesPyTorchAndNumerical() {
    int[][] grids = {{2, 3}, {6, 5}};
    String[] names = {"pos_down", "pos_up"};
    for (int c = 0; c < 2; c++) {
      for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
        String p = names[c] + "_";
        Forward<PositionInterpolation.Cache> f =
            PositionInterpolation.positionInterpolationForward(
                get(p + "pos").to(dt), 4, 4, grids[c][0], grids[c][1]);
        Golden.assertClose(p + "out", f.out(), get(p + tag(dt) + "_out"), tol(dt));
        Tensor dpos =
            PositionInterpolation.positionInterpolationBackward(get(p + "dout").to(dt), f.cache());
        Golden.assertClose(p + "dpos", dpos, get(p + tag(dt) + "_dpos"), tol(dt));
      }
    }
    Tensor pos = new Rng(4).randn(DType.FLOAT64, 1 + 9, 3);
    Tensor dout = new Rng(6).randn(DType.FLOAT64, 1 + 10, 3);
    Tensor analytic =
        PositionInterpolation.positionInterpolationBackward(
            dout, PositionInterpolation.positionInterpolationForward(pos, 3, 3, 2, 5).cache());
    Tensor numeric =
        GradCheck.evalNumericalGradientArray(
            z -> PositionInterpolation.positionInterpolationForward(z, 3, 3, 2, 5).out(),
            pos,
            dout,
            1e-6);
    assertTrue(GradCheck.relError(analytic, numeric) < 1e-8);
    // equal grids: the identity
    Tensor same = PositionInterpolation.positionInterpolationForward(pos, 3, 3, 3, 3).out();
    assertTrue(GradCheck.relError(same, pos) == 0);
  }

  @Test
  void badInputGetsClearErrors() {
    Tensor s = Tensor.zeros(DType.FLOAT64, 1, 2, 3);
    Tensor t = Tensor.zeros(DType.FLOAT64, 1, 2, 3);
    Tensor c = Tensor.zeros(DType.FLOAT64, 3);
    IllegalArgumentException single =
        assertThrows(
            IllegalArgumentException.class, () -> DinoLoss.dinoLossForward(s, t, c, 0.1, 0.04));
    assertTrue(single.getMessage().contains("at least 2 views"), single.getMessage());
    Tensor s2 = Tensor.zeros(DType.FLOAT64, 2, 2, 3);
    IllegalArgumentException temp =
        assertThrows(
            IllegalArgumentException.class, () -> DinoLoss.dinoLossForward(s2, t, c, 0, 0.04));
    assertTrue(temp.getMessage().contains("student_temp must be > 0"), temp.getMessage());
    assertThrows(IllegalArgumentException.class, () -> DinoLoss.dinoLossForward(s2, t, c, 0.1, -1));
    IllegalArgumentException shape =
        assertThrows(
            IllegalArgumentException.class,
            () -> DinoLoss.dinoLossForward(s2, t, Tensor.zeros(DType.FLOAT64, 4), 0.1, 0.04));
    assertTrue(shape.getMessage().contains("center (K,) with K=3"), shape.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> DinoLoss.dinoLossForward(s2, Tensor.zeros(DType.FLOAT64, 2, 3, 3), c, 0.1, 0.04));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            PositionInterpolation.positionInterpolationForward(
                Tensor.zeros(DType.FLOAT64, 5, 2), 3, 3, 2, 2));
  }
}
