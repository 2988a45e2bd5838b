package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.handgrad.nn.GradCheck;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CLIP loss against PyTorch (fixtures/clip.npz, scripts/fixtures/clip.py) at float64 1e-10 and
 * float32 1e-5, its float64 numerical gradient (embeddings and log-temperature), the similarity
 * matrix against two loops, the token gather, and the errors.
 */
class ClipLossTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("clip");

  private static Tensor get(String key, DType dt) {
    Tensor t = Fixtures.get(FIX, key);
    return dt == null ? t : t.to(dt);
  }

  @ParameterizedTest
  @ValueSource(strings = {"base", "clamped", "wide"})
  void matchesPyTorch(String c) {
    for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      String p = c + "_" + (dt == DType.FLOAT64 ? "f64" : "f32") + "_";
      double tol = dt == DType.FLOAT64 ? 1e-10 : 1e-5;
      double t = get(c + "_t", null).getFlat(0);
      ClipLoss.Result r = ClipLoss.clipLossForward(get(c + "_img", dt), get(c + "_txt", dt), t);
      Golden.assertClose(p + "loss", r.loss(), get(p + "loss", null).getFlat(0), tol);
      Golden.assertClose(p + "logits", r.logits(), get(p + "logits", null), tol);
      ClipLoss.Grads g = ClipLoss.clipLossBackward(r.cache());
      Golden.assertClose(p + "dimg", g.dimg(), get(p + "dimg", null), tol);
      Golden.assertClose(p + "dtxt", g.dtxt(), get(p + "dtxt", null), tol);
      double dtRef = get(p + "dt", null).getFlat(0);
      if (c.equals("clamped")) {
        assertEquals(0.0, g.dlogitScale(), p + "dt above log 100");
        assertEquals(dtRef, 0.0);
      } else {
        Golden.assertClose(p + "dt", g.dlogitScale(), dtRef, tol);
      }
    }
  }

  @Test
  void float64GradientsMatchCenteredDifferences() {
    Random r = new Random(7);
    Tensor img = randn(r, 5, 4);
    Tensor txt = randn(r, 5, 4);
    double[] t = {0.9};
    ClipLoss.Result res = ClipLoss.clipLossForward(img, txt, t[0]);
    ClipLoss.Grads g = ClipLoss.clipLossBackward(res.cache());
    Tensor nImg =
        GradCheck.evalNumericalGradient(
            x -> ClipLoss.clipLossForward(x, txt, t[0]).loss(), img, 1e-6);
    Tensor nTxt =
        GradCheck.evalNumericalGradient(
            x -> ClipLoss.clipLossForward(img, x, t[0]).loss(), txt, 1e-6);
    double h = 1e-6;
    double nT =
        (ClipLoss.clipLossForward(img, txt, t[0] + h).loss()
                - ClipLoss.clipLossForward(img, txt, t[0] - h).loss())
            / (2 * h);
    assertTrue(
        GradCheck.relError(g.dimg(), nImg) < 1e-7, "dimg " + GradCheck.relError(g.dimg(), nImg));
    assertTrue(
        GradCheck.relError(g.dtxt(), nTxt) < 1e-7, "dtxt " + GradCheck.relError(g.dtxt(), nTxt));
    assertTrue(GradCheck.relError(g.dlogitScale(), nT) < 1e-7, "dt " + g.dlogitScale() + " " + nT);
  }

  @Test
  void normalizationGradientMatchesCenteredDifferences() {
    Random r = new Random(3);
    Tensor x = randn(r, 3, 5);
    Tensor dout = randn(r, 3, 5);
    Forward<ClipLoss.NormalizeCache> f = ClipLoss.l2NormalizeForward(x);
    Tensor dx = ClipLoss.l2NormalizeBackward(dout, f.cache());
    Tensor num =
        GradCheck.evalNumericalGradientArray(
            v -> ClipLoss.l2NormalizeForward(v).out(), x, dout, 1e-6);
    assertTrue(GradCheck.relError(dx, num) < 1e-8, "dx " + GradCheck.relError(dx, num));
    for (int i = 0; i < 3; i++) {
      double ss = 0;
      for (int j = 0; j < 5; j++) {
        ss += f.out().get(i, j) * f.out().get(i, j);
      }
      assertEquals(1.0, ss, 1e-14);
    }
  }

  @Test
  void similarityNoLoopAgreesWithTwoLoops() {
    Random r = new Random(11);
    Tensor text = randn(r, 4, 6);
    Tensor image = randn(r, 7, 6);
    Tensor fast = ClipLoss.similarityNoLoop(text, image);
    assertEquals(4, fast.shape(0));
    assertEquals(7, fast.shape(1));
    Golden.assertClose("sim", fast, ClipLoss.similarityTwoLoops(text, image), 1e-14);
    Tensor fast32 = ClipLoss.similarityNoLoop(text.to(DType.FLOAT32), image.to(DType.FLOAT32));
    Golden.assertClose(
        "sim32", fast32.to(DType.FLOAT64), ClipLoss.similarityTwoLoops(text, image), 1e-6);
    // A row against itself scaled is exactly aligned.
    Tensor same = ClipLoss.similarityNoLoop(text, text.mul(3.0));
    for (int i = 0; i < 4; i++) {
      assertEquals(1.0, same.get(i, i), 1e-14);
    }
  }

  @Test
  void perfectlyAlignedPairsWithAHighScaleHaveAlmostNoLoss() {
    Tensor e = Tensor.zeros(DType.FLOAT64, 3, 3);
    for (int i = 0; i < 3; i++) {
      e.set(1.0 + i, i, i);
    }
    ClipLoss.Result r = ClipLoss.clipLossForward(e, e.mul(2.0), ClipLoss.MAX_LOGIT_SCALE);
    // logits are 100 on the diagonal and 0 elsewhere: loss = log(1 + 2 e^-100).
    assertEquals(Math.log1p(2 * Math.exp(-100)), r.loss(), 1e-15);
    // Orthogonal unit rows at scale 1: every row's softmax is (e, 1, 1) / (e + 2).
    ClipLoss.Result r1 = ClipLoss.clipLossForward(e, e, 0.0);
    assertEquals(Math.log(Math.E + 2) - 1, r1.loss(), 1e-14);
  }

  @Test
  void gatherTokensGradientRoutesEachRowBack() {
    Random r = new Random(5);
    Tensor x = randn(r, 3, 4, 2);
    int[] idx = {3, 0, 2};
    Forward<TokenGather.Cache> f = TokenGather.gatherTokensForward(x, idx);
    for (int n = 0; n < 3; n++) {
      for (int d = 0; d < 2; d++) {
        assertEquals(x.get(n, idx[n], d), f.out().get(n, d));
      }
    }
    Tensor dout = randn(r, 3, 2);
    Tensor num =
        GradCheck.evalNumericalGradientArray(
            v -> TokenGather.gatherTokensForward(v, idx).out(), x, dout, 1e-6);
    Tensor dx = TokenGather.gatherTokensBackward(dout, f.cache());
    assertTrue(GradCheck.relError(dx, num) < 1e-8);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TokenGather.gatherTokensForward(x, new int[] {0, 4, 1}));
    assertTrue(
        e.getMessage().contains("position 4 of example 1 is outside [0, 4)"), e.getMessage());
  }

  @Test
  void badInputsGetClearErrors() {
    Tensor a = Tensor.zeros(DType.FLOAT64, 4, 3);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ClipLoss.clipLossForward(a, Tensor.zeros(DType.FLOAT64, 5, 3), 1.0));
    assertTrue(
        e.getMessage().contains("got img (4, 3) float64 and txt (5, 3) float64"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ClipLoss.clipLossForward(
                    Tensor.ones(DType.FLOAT64, 1, 3), Tensor.ones(DType.FLOAT64, 1, 3), 1.0));
    assertTrue(e.getMessage().contains("a batch of 1 pair has no negatives"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ClipLoss.logitScaleOf(0.0));
    assertTrue(e.getMessage().contains("temperature must be > 0"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ClipLoss.logitScaleOf(-0.07));
    assertEquals(ClipLoss.INIT_LOGIT_SCALE, ClipLoss.logitScaleOf(0.07), 1e-15);
    e =
        assertThrows(
            IllegalArgumentException.class, () -> ClipLoss.clipLossForward(a, a, Double.NaN));
    assertTrue(e.getMessage().contains("logit_scale must be finite"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ClipLoss.similarityNoLoop(a, Tensor.zeros(DType.FLOAT64, 4, 2)));
    assertTrue(e.getMessage().contains("must share D"), e.getMessage());
  }

  private static Tensor randn(Random r, int... shape) {
    Tensor t = Tensor.zeros(DType.FLOAT64, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, r.nextGaussian());
    }
    return t;
  }
}
