package org.handgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.OffsetViews;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Each rule stepped by hand: two updates of a 2-element w, the arithmetic written out. */
class UpdateRulesTest {
  private static final double TOL = 1e-15;

  private static Tensor w() {
    return Tensor.vector(1.0, -2.0);
  }

  private static final Tensor DW1 = Tensor.vector(0.5, 0.25);
  private static final Tensor DW2 = Tensor.vector(1.0, -1.0);

  private static void assertValues(Tensor w, double... expected) {
    double[] actual = w.toDoubleArray();
    for (int i = 0; i < expected.length; i++) {
      assertEquals(
          expected[i], actual[i], TOL * Math.max(1, Math.abs(expected[i])), "w[" + i + "]");
    }
  }

  @Test
  void cs231nDefaults() {
    assertEquals(new Sgd(1e-2), new Sgd());
    assertEquals(new SgdMomentum(1e-2, 0.9), new SgdMomentum());
    assertEquals(new Nesterov(1e-2, 0.9), new Nesterov());
    assertEquals(new RmsProp(1e-2, 0.99, 1e-8), new RmsProp());
    assertEquals(new Adam(1e-3, 0.9, 0.999, 1e-8), new Adam());
    assertEquals(new AdamW(1e-3, 0.9, 0.999, 1e-8, 1e-2), new AdamW());
    for (String name : List.of("sgd", "sgd_momentum", "nesterov", "rmsprop", "adam", "adamw")) {
      assertEquals(name, UpdateRule.byName(name).name());
    }
    assertEquals(new Adam(), UpdateRule.byName("adam"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> UpdateRule.byName("adagrad"));
    assertTrue(e.getMessage().contains("adagrad") && e.getMessage().contains("rmsprop"));
  }

  @Test
  void sgdByHand() {
    Tensor w = w();
    Sgd cfg = new Sgd(0.1);
    UpdateRules.sgd(w, DW1, cfg);
    assertValues(w, 1.0 - 0.1 * 0.5, -2.0 - 0.1 * 0.25); // 0.95, -2.025
    UpdateRules.sgd(w, DW2, cfg);
    assertValues(w, 0.95 - 0.1, -2.025 + 0.1);
  }

  @Test
  void momentumByHand() {
    Tensor w = w();
    SgdMomentum cfg = new SgdMomentum(0.1, 0.9);
    ParamState.Velocity s = UpdateRules.sgdMomentum(w, DW1, cfg, null);
    // v = 0.9 * 0 - 0.1 * dw1 = (-0.05, -0.025); w += v
    assertValues(s.velocity(), -0.05, -0.025);
    assertValues(w, 0.95, -2.025);
    assertSame(s, UpdateRules.sgdMomentum(w, DW2, cfg, s));
    // v = 0.9 * (-0.05, -0.025) - 0.1 * (1, -1) = (-0.145, 0.0775)
    assertValues(s.velocity(), -0.145, 0.0775);
    assertValues(w, 0.95 - 0.145, -2.025 + 0.0775);
  }

  @Test
  void nesterovByHand() {
    Tensor w = w();
    Nesterov cfg = new Nesterov(0.1, 0.9);
    ParamState.Velocity s = UpdateRules.nesterov(w, DW1, cfg, null);
    // vPrev = 0, v = (-0.05, -0.025); w += -0.9 * 0 + 1.9 * v = (-0.095, -0.0475)
    assertValues(w, 0.905, -2.0475);
    UpdateRules.nesterov(w, DW2, cfg, s);
    // vPrev = (-0.05, -0.025), v = (-0.145, 0.0775)
    // w += -0.9 * vPrev + 1.9 * v = (0.045 - 0.2755, 0.0225 + 0.14725) = (-0.2305, 0.16975)
    assertValues(s.velocity(), -0.145, 0.0775);
    assertValues(w, 0.905 - 0.2305, -2.0475 + 0.16975);
  }

  @Test
  void rmspropByHand() {
    Tensor w = w();
    RmsProp cfg = new RmsProp(0.1, 0.9, 1e-8);
    ParamState.SquareAverage s = UpdateRules.rmsprop(w, DW1, cfg, null);
    // cache = 0.1 * dw^2 = (0.025, 0.00625); step = 0.1 * dw / (sqrt(cache) + eps): on the
    // first step dw / sqrt(0.1 dw^2) = sign(dw) / sqrt(0.1), whatever the gradient's size.
    assertValues(s.cache(), 0.025, 0.00625);
    double c0 = Math.sqrt(0.025);
    double c1 = Math.sqrt(0.00625);
    double w0 = 1.0 - 0.1 * 0.5 / (c0 + 1e-8);
    double w1 = -2.0 - 0.1 * 0.25 / (c1 + 1e-8);
    assertValues(w, w0, w1);
    // eps moves it by lr * |dw| / cache * eps = 0.1 * 0.5 / 0.025 * 1e-8 = 2e-8:
    assertEquals(1.0 - 0.1 / Math.sqrt(0.1) + 2e-8, w.getFlat(0), 1e-14); // + O(eps^2)
    UpdateRules.rmsprop(w, DW2, cfg, s);
    // cache = 0.9 * (0.025, 0.00625) + 0.1 * (1, 1) = (0.1225, 0.105625)
    assertValues(s.cache(), 0.1225, 0.105625);
    assertValues(w, w0 - 0.1 / (0.35 + 1e-8), w1 + 0.1 / (0.325 + 1e-8));
  }

  @Test
  void adamByHand() {
    Tensor w = w();
    Adam cfg = new Adam(0.1, 0.9, 0.999, 1e-8);
    ParamState.Moments s = UpdateRules.adam(w, DW1, cfg, null);
    assertEquals(1, s.t()); // incremented before use
    // t = 1: m = 0.1 dw, v = 0.001 dw^2; mt = m / 0.1 = dw, vt = v / 0.001 = dw^2, so the first
    // step is lr * dw / (|dw| + eps): about lr per weight, whatever the gradient's size.
    assertValues(s.m(), 0.05, 0.025);
    assertValues(s.v(), 0.001 * 0.25, 0.001 * 0.0625);
    double w0 = 1.0 - 0.1 * 0.5 / (0.5 + 1e-8);
    double w1 = -2.0 - 0.1 * 0.25 / (0.25 + 1e-8);
    assertValues(w, w0, w1);
    UpdateRules.adam(w, DW2, cfg, s);
    assertEquals(2, s.t());
    // t = 2: m = 0.9 m + 0.1 dw2, v = 0.999 v + 0.001 dw2^2; mt = m / (1 - 0.81),
    // vt = v / (1 - 0.998001)
    double m0 = 0.9 * 0.05 + 0.1 * 1.0;
    double m1 = 0.9 * 0.025 - 0.1 * 1.0;
    double v0 = 0.999 * 0.00025 + 0.001;
    double v1 = 0.999 * 0.0000625 + 0.001;
    assertValues(s.m(), m0, m1);
    assertValues(s.v(), v0, v1);
    double bc1 = 1 - 0.9 * 0.9;
    double bc2 = 1 - 0.999 * 0.999;
    assertValues(
        w,
        w0 - 0.1 * (m0 / bc1) / (Math.sqrt(v0 / bc2) + 1e-8),
        w1 - 0.1 * (m1 / bc1) / (Math.sqrt(v1 / bc2) + 1e-8));
  }

  @Test
  void adamwDecaysBeforeTheAdamStep() {
    Tensor w = w();
    AdamW cfg = new AdamW(0.1, 0.9, 0.999, 1e-8, 0.5);
    ParamState.Moments s = UpdateRules.adamw(w, DW1, cfg, null);
    // w *= 1 - 0.1 * 0.5 = 0.95, then the Adam step (the gradient is not touched by the decay)
    double w0 = 1.0 * 0.95 - 0.1 * 0.5 / (0.5 + 1e-8);
    double w1 = -2.0 * 0.95 - 0.1 * 0.25 / (0.25 + 1e-8);
    assertValues(w, w0, w1);
    assertValues(s.m(), 0.05, 0.025);
    // With weightDecay 0 AdamW is Adam exactly.
    Tensor a = w();
    Tensor b = w();
    ParamState.Moments sa = UpdateRules.adamw(a, DW1, new AdamW(0.1, 0.9, 0.999, 1e-8, 0), null);
    ParamState.Moments sb = UpdateRules.adam(b, DW1, new Adam(0.1, 0.9, 0.999, 1e-8), null);
    UpdateRules.adamw(a, DW2, new AdamW(0.1, 0.9, 0.999, 1e-8, 0), sa);
    UpdateRules.adam(b, DW2, new Adam(0.1, 0.9, 0.999, 1e-8), sb);
    assertArrayEquals(b.toDoubleArray(), a.toDoubleArray(), 0.0);
  }

  /** The float32 kernels against the float64 ones on the same inputs (state in float32). */
  @Test
  void float32MatchesFloat64() {
    for (UpdateRule rule :
        List.of(
            new Sgd(0.1),
            new SgdMomentum(0.1, 0.9),
            new Nesterov(0.1, 0.9),
            new RmsProp(0.1, 0.9, 1e-8),
            new Adam(0.1, 0.9, 0.999, 1e-8),
            new AdamW(0.1, 0.9, 0.999, 1e-8, 0.5))) {
      Tensor w64 = Tensor.arange(DType.FLOAT64, 7).reshape(7);
      Tensor w32 = w64.to(DType.FLOAT32);
      ParamState s64 = rule.newState(w64);
      ParamState s32 = rule.newState(w32);
      for (int step = 0; step < 3; step++) {
        Tensor g64 = Tensor.zeros(DType.FLOAT64, 7);
        for (int i = 0; i < 7; i++) {
          g64.setFlat(i, Math.sin(3 * i + step) * (i + 1));
        }
        rule.update(w64, g64, s64);
        rule.update(w32, g64.to(DType.FLOAT32), s32);
      }
      assertEquals(DType.FLOAT32, w32.dtype());
      Close.assertClose(w64, w32, 1e-6, rule.name() + " float32");
    }
  }

  /**
   * A parameter that is a view at offset 2 of a larger buffer, and a gradient at offset 1: the
   * update must land in the view's elements only and equal the update of offset-0 copies.
   */
  @Test
  void honoursStorageOffsets() {
    for (UpdateRule rule :
        List.of(
            new Sgd(0.1), new SgdMomentum(0.1, 0.9), new RmsProp(0.1, 0.9, 1e-8), new AdamW())) {
      double[] storage = {9, 9, 1.0, -2.0, 0.5};
      Tensor w = OffsetViews.tail(Tensor.of(storage, 5), 2);
      Tensor dw = OffsetViews.tail(Tensor.vector(7.0, 0.5, 0.25, -1.0), 1);
      assertEquals(2, w.offset());
      Tensor wRef = Tensor.vector(1.0, -2.0, 0.5);
      Tensor dwRef = Tensor.vector(0.5, 0.25, -1.0);
      ParamState s = rule.newState(w);
      ParamState sRef = rule.newState(wRef);
      for (int step = 0; step < 2; step++) {
        rule.update(w, dw, s);
        rule.update(wRef, dwRef, sRef);
      }
      assertEquals(9.0, storage[0]);
      assertEquals(9.0, storage[1]);
      assertArrayEquals(wRef.toDoubleArray(), w.toDoubleArray(), 0.0, rule.name());
      for (String key : sRef.export().keySet()) {
        assertArrayEquals(
            sRef.export().get(key).toDoubleArray(),
            s.export().get(key).toDoubleArray(),
            0.0,
            rule.name() + " " + key);
      }
    }
  }

  @Test
  void badInputsNameTheOpAndShapes() {
    Tensor w = Tensor.zeros(DType.FLOAT64, 3, 4);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> UpdateRules.adam(w, Tensor.zeros(DType.FLOAT64, 4, 3), new Adam(), null));
    assertEquals("adam: expected dw with the shape of w (3, 4), got (4, 3)", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> UpdateRules.sgd(w, Tensor.zeros(DType.FLOAT32, 3, 4), new Sgd()));
    assertTrue(e.getMessage().startsWith("sgd: w is float64 but dw is float32"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                UpdateRules.sgdMomentum(
                    w,
                    Tensor.zeros(DType.FLOAT64, 3, 4),
                    new SgdMomentum(),
                    ParamState.Velocity.zerosLike(Tensor.zeros(DType.FLOAT64, 12))));
    assertEquals(
        "sgd_momentum: state velocity is (12,) float64 but w is (3, 4) float64", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Adam().update(w, Tensor.zerosLike(w), ParamState.Velocity.zerosLike(w)));
    assertTrue(e.getMessage().startsWith("adam: expected Moments state, got Velocity"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                UpdateRules.sgd(Tensor.zeros(DType.INT32, 2), Tensor.zeros(DType.INT32, 2), null));
    assertEquals("sgd: w must be float32 or float64, got int32", e.getMessage());
  }

  @Test
  void hyperparametersAreValidated() {
    assertThrows(IllegalArgumentException.class, () -> new Sgd(0));
    assertThrows(IllegalArgumentException.class, () -> new Sgd(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new Sgd(Double.POSITIVE_INFINITY));
    assertThrows(IllegalArgumentException.class, () -> new SgdMomentum(1e-2, 1.0));
    assertThrows(IllegalArgumentException.class, () -> new Nesterov(1e-2, -0.1));
    assertThrows(IllegalArgumentException.class, () -> new RmsProp(1e-2, 0.99, 0));
    assertThrows(IllegalArgumentException.class, () -> new Adam(1e-3, 0.9, 1.0, 1e-8));
    assertThrows(IllegalArgumentException.class, () -> new AdamW(1e-3, 0.9, 0.999, 1e-8, -1));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Adam(1e-3, 1.5, 0.999, 1e-8));
    assertEquals("adam: beta1 must be in [0, 1), got 1.5", e.getMessage());
    assertEquals(0.5, new Adam().withLearningRate(0.5).learningRate());
    assertEquals(0.9, new Adam().withLearningRate(0.5).beta1());
  }
}
