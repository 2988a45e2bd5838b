package org.handgrad.nn.checks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.GradCheckSuite;
import org.handgrad.nn.Module;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.modules.LeakyReLU;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.MaxPool2d;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.nn.modules.Tanh;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class ModuleChecksTest {
  private static final List<String> LAYERS =
      List.of(
          "affine_norm_relu",
          "affine_norm_relu_test",
          "affine_norm_relu_layernorm",
          "sequential_mlp",
          "sequential_convnet");

  @TestFactory
  Stream<DynamicTest> everyGradientIsWithinTolerance() {
    return ModuleChecks.checks().entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    e.getKey(),
                    () -> {
                      List<GradCheckResult> rows = e.getValue().get();
                      assertFalse(rows.isEmpty(), e.getKey() + " checks nothing");
                      for (GradCheckResult r : rows) {
                        assertEquals(1e-7, r.tolerance(), "tolerance of " + r);
                        assertTrue(r.passed(), r.toString());
                      }
                    }));
  }

  @Test
  void coversEveryInputAndParameter() {
    var checks = ModuleChecks.checks();
    assertEquals(LAYERS, List.copyOf(checks.keySet()));
    assertEquals(List.of("dx", "dw", "dgamma", "dbeta"), inputs("affine_norm_relu"));
    assertEquals(List.of("dx", "dw", "db", "dgamma", "dbeta"), inputs("affine_norm_relu_test"));
    assertEquals(
        List.of("dx", "dw", "db", "dgamma", "dbeta"), inputs("affine_norm_relu_layernorm"));
    assertEquals(
        List.of(
            "dx",
            "d0.weight",
            "d1.weight",
            "d1.bias",
            "d4.weight",
            "d4.bias",
            "d5.weight",
            "d5.bias",
            "d7.weight",
            "d7.bias"),
        inputs("sequential_mlp"));
    assertEquals(
        List.of(
            "dx",
            "d0.weight",
            "d1.weight",
            "d1.bias",
            "d4.weight",
            "d4.bias",
            "d5.weight",
            "d5.bias",
            "d7.weight",
            "d7.bias",
            "d13.weight",
            "d13.bias"),
        inputs("sequential_convnet"));
  }

  private static List<String> inputs(String layer) {
    return ModuleChecks.checks().get(layer).get().stream().map(GradCheckResult::input).toList();
  }

  @Test
  void registeredInTheSuite() {
    assertTrue(GradCheckSuite.all().keySet().containsAll(LAYERS));
  }

  /** A layer whose backward is wrong by a factor of 2: the check must catch it. */
  private static final class BrokenTanh extends Module {
    private final Tanh tanh = new Tanh();

    @Override
    public Tensor forward(Tensor x) {
      return tanh.forward(x);
    }

    @Override
    public Tensor backward(Tensor dout) {
      Tensor dx = tanh.backward(dout);
      for (int i = 0; i < dx.size(); i++) {
        dx.setFlat(i, 2 * dx.getFlat(i));
      }
      return dx;
    }
  }

  @Test
  void theSequentialCheckCatchesAWrongBackward() {
    var rng = Init.rng(3);
    Sequential net =
        new Sequential(
            new Linear(4, 3, DType.FLOAT64, rng),
            new BrokenTanh(),
            new Linear(3, 2, DType.FLOAT64, rng));
    List<GradCheckResult> rows = ModuleChecks.sequential("broken", net, 1, 3, 4);
    for (GradCheckResult r : rows) {
      boolean upstream = !r.input().startsWith("d2."); // everything before the broken layer
      assertEquals(!upstream, r.passed(), r.toString());
    }
  }

  @Test
  void kinkDetection() {
    double m = ModuleChecks.MARGIN;
    Sequential relu = new Sequential(new ReLU());
    assertFalse(ModuleChecks.kinkFree(relu, Tensor.vector(1.0, -0.5 * m, 2.0).reshape(1, 3)));
    assertTrue(ModuleChecks.kinkFree(relu, Tensor.vector(1.0, -2 * m, 2.0).reshape(1, 3)));
    Sequential leaky = new Sequential(new LeakyReLU(0.1));
    assertFalse(ModuleChecks.kinkFree(leaky, Tensor.vector(0.5 * m, 1.0).reshape(1, 2)));
    Sequential pool = new Sequential(new MaxPool2d(2));
    Tensor tie = Tensor.vector(1.0, 1 + 0.5 * m, 0.0, -1.0).reshape(1, 1, 2, 2);
    assertFalse(ModuleChecks.kinkFree(pool, tie));
    Tensor clear = Tensor.vector(1.0, 1 + 2 * m, 0.0, -1.0).reshape(1, 1, 2, 2);
    assertTrue(ModuleChecks.kinkFree(pool, clear));
    Tensor zeros = Tensor.vector(0.0, 0.0, -1.0, -2.0).reshape(1, 1, 2, 2); // ReLU zeros
    assertTrue(ModuleChecks.kinkFree(pool, zeros));
  }
}
