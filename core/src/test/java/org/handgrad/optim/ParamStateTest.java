package org.handgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Optimizer state built from given values, as the CS231n notebooks build {@code config} dicts, and
 * the copy-first (non-mutating) form of an update.
 */
class ParamStateTest {

  /** {@code np.linspace(lo, hi, num=n)} as a float64 tensor of the given shape. */
  private static Tensor linspace(double lo, double hi, int... shape) {
    int n = 1;
    for (int s : shape) {
      n *= s;
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = lo + (hi - lo) * i / (n - 1);
    }
    return Tensor.of(v, shape);
  }

  /**
   * The notebook's Adam check (FullyConnectedNets: N, D = 4, 5, learning_rate 1e-2, t = 5, m and v
   * given): the state made from (m, v, t) steps with t = 6 and the update matches Adam written out
   * element by element here.
   */
  @Test
  void adamStateFromMomentsAndStep() {
    Tensor w = linspace(-0.4, 0.6, 4, 5);
    Tensor dw = linspace(-0.6, 0.4, 4, 5);
    Tensor m = linspace(0.6, 0.9, 4, 5);
    Tensor v = linspace(0.7, 0.5, 4, 5);
    double[] w0 = w.toDoubleArray();
    double[] g = dw.toDoubleArray();
    double[] m0 = m.toDoubleArray();
    double[] v0 = v.toDoubleArray();

    ParamState.Moments state = new ParamState.Moments(m, v, 5);
    assertSame(m, state.m());
    assertEquals(5, state.t());
    ParamState.Moments next = UpdateRules.adam(w, dw, new Adam(1e-2, 0.9, 0.999, 1e-8), state);
    assertSame(state, next);
    assertEquals(6, next.t());
    for (int i = 0; i < 20; i++) {
      double mi = 0.9 * m0[i] + 0.1 * g[i];
      double vi = 0.999 * v0[i] + 0.001 * g[i] * g[i];
      double mHat = mi / (1 - Math.pow(0.9, 6));
      double vHat = vi / (1 - Math.pow(0.999, 6));
      double wi = w0[i] - 1e-2 * mHat / (Math.sqrt(vHat) + 1e-8);
      assertEquals(mi, m.getFlat(i), 1e-15, "m[" + i + "]");
      assertEquals(vi, v.getFlat(i), 1e-15, "v[" + i + "]");
      assertEquals(wi, w.getFlat(i), 1e-14, "w[" + i + "]");
    }
  }

  /** Building from (m, v, t) is the same state as restoring a checkpoint's m, v, t: same step. */
  @Test
  void momentsConstructorAgreesWithRestore() {
    for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Tensor m = linspace(0.6, 0.9, 3, 2).to(dtype);
      Tensor v = linspace(0.7, 0.5, 3, 2).to(dtype);
      ParamState.Moments built = new ParamState.Moments(m.copy(), v.copy(), 3);
      ParamState.Moments restored = new ParamState.Moments(m);
      restored.restore(Map.of("m", m, "v", v, "t", Tensor.scalar(DType.INT32, 3)), "test");
      Tensor w1 = linspace(-1, 1, 3, 2).to(dtype);
      Tensor w2 = w1.copy();
      Tensor dw = linspace(0.3, -0.2, 3, 2).to(dtype);
      UpdateRules.adamw(w1, dw, new AdamW(), built);
      UpdateRules.adamw(w2, dw, new AdamW(), restored);
      assertArrayEquals(w2.toDoubleArray(), w1.toDoubleArray(), 0.0, dtype.toString());
      assertEquals(restored.export().keySet(), built.export().keySet());
      assertEquals(4, built.t());
    }
  }

  @Test
  void momentsConstructorRejectsBadState() {
    Tensor m = Tensor.zeros(DType.FLOAT64, 2, 3);
    IllegalArgumentException shape =
        assertThrows(
            IllegalArgumentException.class,
            () -> new ParamState.Moments(m, Tensor.zeros(DType.FLOAT64, 3, 2), 0));
    assertTrue(shape.getMessage().contains("(2, 3)") && shape.getMessage().contains("(3, 2)"));
    IllegalArgumentException dtype =
        assertThrows(
            IllegalArgumentException.class,
            () -> new ParamState.Moments(m, Tensor.zeros(DType.FLOAT32, 2, 3), 0));
    assertTrue(dtype.getMessage().contains("float32"), dtype.getMessage());
    IllegalArgumentException t =
        assertThrows(IllegalArgumentException.class, () -> new ParamState.Moments(m, m.copy(), -1));
    assertTrue(t.getMessage().contains("t must be >= 0"), t.getMessage());
    IllegalArgumentException strided =
        assertThrows(
            IllegalArgumentException.class,
            () -> new ParamState.Moments(m.transpose(), m.transpose(), 0));
    assertTrue(strided.getMessage().contains("contiguous"), strided.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new ParamState.Moments(Tensor.zeros(DType.INT32, 2), Tensor.zeros(DType.INT32, 2), 0));
  }

  /**
   * Every rule writes into w and the state it is given; updating copies leaves the caller's arrays
   * as they were (CS231n's {@code next_w, config = rule(w, dw, config)}) and gives the same
   * numbers.
   */
  @Test
  void rulesUpdateInPlaceAndCopiesKeepTheOriginals() {
    Tensor dw = linspace(-0.6, 0.4, 2, 3);
    for (UpdateRule rule :
        new UpdateRule[] {
          new Sgd(), new SgdMomentum(), new Nesterov(), new RmsProp(), new Adam(), new AdamW()
        }) {
      Tensor w = linspace(-0.4, 0.6, 2, 3);
      double[] w0 = w.toDoubleArray();
      ParamState state = rule.newState(w);
      rule.update(w, dw, state); // one step so the state is not all zeros
      double[] w1 = w.toDoubleArray();
      Map<String, Tensor> s1 = state.export();

      Tensor nextW = w.copy();
      ParamState nextState = state.copy();
      assertNotSame(state, nextState);
      rule.update(nextW, dw, nextState);
      assertArrayEquals(w1, w.toDoubleArray(), 0.0, rule.name() + ": w untouched");
      for (Map.Entry<String, Tensor> e : state.export().entrySet()) {
        assertArrayEquals(
            s1.get(e.getKey()).toDoubleArray(),
            e.getValue().toDoubleArray(),
            0.0,
            rule.name() + ": state " + e.getKey() + " untouched");
      }
      // The in-place step from the same point gives the same numbers.
      rule.update(w, dw, state);
      assertArrayEquals(w.toDoubleArray(), nextW.toDoubleArray(), 0.0, rule.name());
      assertTrue(w0[0] != w1[0], rule.name() + " moved w in place");
    }
  }
}
