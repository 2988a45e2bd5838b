package org.handgrad.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Replays the gradients of scripts/fixtures/optim.py through each rule and compares w after every
 * step with torch.optim: max|a - b| / max|b| below 1e-12 at float64 and 1e-5 at float32.
 */
class PyTorchOptimTest {
  private static final Map<String, Tensor> F = Fixtures.load("optim");
  private static final double TOL64 = 1e-12;
  private static final double TOL32 = 1e-5;

  private static UpdateRule rule(String name) {
    return switch (name) {
      case "sgd" -> new Sgd(1e-2);
      case "sgd_momentum" -> new SgdMomentum(1e-2, 0.9);
      case "sgd_momentum_custom" -> new SgdMomentum(5e-2, 0.5);
      case "nesterov" -> new Nesterov(1e-2, 0.9);
      case "rmsprop" -> new RmsProp(1e-2, 0.99, 1e-8);
      case "rmsprop_custom" -> new RmsProp(3e-2, 0.9, 1e-6);
      case "adam" -> new Adam(1e-3, 0.9, 0.999, 1e-8);
      case "adam_custom" -> new Adam(5e-2, 0.8, 0.95, 1e-6);
      case "adamw" -> new AdamW(1e-3, 0.9, 0.999, 1e-8, 1e-2);
      case "adamw_custom" -> new AdamW(5e-2, 0.8, 0.95, 1e-6, 0.1);
      default -> throw new IllegalArgumentException(name);
    };
  }

  /** w after each step, shape (STEPS, 3, 4); {@code lrs} (optional) sets the rate per step. */
  static Tensor replay(UpdateRule rule, String tag, double[] lrs) {
    Tensor w = Fixtures.get(F, "w0_" + tag).copy();
    Tensor grads = Fixtures.get(F, "grads_" + tag);
    int steps = grads.shape(0);
    int n = w.size();
    Tensor out = Tensor.zeros(w.dtype(), steps, 3, 4);
    ParamState state = rule.newState(w);
    for (int s = 0; s < steps; s++) {
      Tensor dw = Tensor.zeros(w.dtype(), 3, 4);
      for (int i = 0; i < n; i++) {
        dw.setFlat(i, grads.getFlat(s * n + i));
      }
      UpdateRule r = lrs == null ? rule : rule.withLearningRate(lrs[s]);
      r.update(w, dw, state);
      for (int i = 0; i < n; i++) {
        out.setFlat(s * n + i, w.getFlat(i));
      }
    }
    return out;
  }

  @ParameterizedTest
  @CsvSource({
    "sgd",
    "sgd_momentum",
    "sgd_momentum_custom",
    "nesterov",
    "rmsprop",
    "rmsprop_custom",
    "adam",
    "adam_custom",
    "adamw",
    "adamw_custom"
  })
  void matchesTorchOptimStepByStep(String name) {
    Close.assertClose(
        Fixtures.get(F, name + "_f64"), replay(rule(name), "f64", null), TOL64, name + " f64");
    Tensor w32 = replay(rule(name), "f32", null);
    assertTrue(w32.dtype() == DType.FLOAT32);
    Close.assertClose(Fixtures.get(F, name + "_f32"), w32, TOL32, name + " f32");
  }

  /**
   * After a learning-rate change, CS231n's momentum (velocity includes lr) and PyTorch's (buffer
   * without lr) part ways: we match the NumPy reference of the CS231n rule, and the fixture shows
   * PyTorch's trajectory is measurably different (so the comparison can fail).
   */
  @ParameterizedTest
  @CsvSource({"momentum, sgd_momentum", "nesterov, nesterov"})
  void afterAnLrChangeFollowsCs231nNotPyTorch(String key, String name) {
    double[] lrs = Fixtures.get(F, "lrchange_lrs").toDoubleArray();
    Tensor ours = replay(rule(name), "f64", lrs);
    Close.assertClose(
        Fixtures.get(F, "lrchange_" + key + "_cs231n_f64"), ours, TOL64, key + " vs CS231n");
    double vsTorch = Close.relError(ours, Fixtures.get(F, "lrchange_" + key + "_torch_f64"));
    assertTrue(vsTorch > 1e-3, key + ": expected to differ from PyTorch, rel error " + vsTorch);
  }

  /**
   * The fixture tells eps placements apart: the tiny gradient column makes sqrt(v) comparable to
   * eps, so Adam with eps inside the root would miss PyTorch by far more than the tolerance.
   */
  @Test
  void fixtureDetectsEpsilonInsideTheRoot() {
    Tensor w = Fixtures.get(F, "w0_f64").copy();
    Tensor grads = Fixtures.get(F, "grads_f64");
    double[] m = new double[12];
    double[] v = new double[12];
    double[] x = w.toDoubleArray();
    for (int t = 1; t <= grads.shape(0); t++) {
      for (int i = 0; i < 12; i++) {
        double g = grads.getFlat((t - 1) * 12 + i);
        m[i] = 0.9 * m[i] + 0.1 * g;
        v[i] = 0.999 * v[i] + 0.001 * g * g;
        double mt = m[i] / (1 - Math.pow(0.9, t));
        double vt = v[i] / (1 - Math.pow(0.999, t));
        x[i] -= 1e-3 * mt / Math.sqrt(vt + 1e-8); // eps inside: wrong convention
      }
    }
    Tensor wrong = Tensor.of(x, 3, 4);
    Tensor torchLast = lastStep(Fixtures.get(F, "adam_f64"));
    double err = Close.relError(wrong, torchLast);
    assertTrue(err > 1e-6, "eps inside the sqrt should be detected, rel error " + err);
  }

  private static Tensor lastStep(Tensor trajectory) {
    int steps = trajectory.shape(0);
    Tensor out = Tensor.zeros(trajectory.dtype(), 3, 4);
    for (int i = 0; i < 12; i++) {
      out.setFlat(i, trajectory.getFlat((steps - 1) * 12 + i));
    }
    return out;
  }
}
