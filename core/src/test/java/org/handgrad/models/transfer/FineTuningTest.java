package org.handgrad.models.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.models.resnet.ResNet;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.Adam;
import org.handgrad.optim.Optimizer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Freezing and per-parameter learning rates through real optimizer steps. */
class FineTuningTest {
  private static Tensor batch() {
    Tensor x = Tensor.zeros(DType.FLOAT32, 4, 1, 8, 8);
    for (int i = 0; i < x.size(); i++) {
      x.setFlat(i, Math.cos(i * 0.41));
    }
    return x;
  }

  @Test
  void frozenParametersAreBitIdenticalAfterSteps() {
    ResNet m = TorchStateDictTest.small(3, 4, 6);
    List<Parameter> frozen = FineTuning.freeze(m, List.of("conv1", "bn1", "layer1"));
    assertEquals(
        List.of(
            "conv1.weight",
            "bn1.weight",
            "bn1.bias",
            "layer1.0.conv1.weight",
            "layer1.0.bn1.weight",
            "layer1.0.bn1.bias",
            "layer1.0.conv2.weight",
            "layer1.0.bn2.weight",
            "layer1.0.bn2.bias"),
        frozen.stream().map(Parameter::name).toList());
    Map<String, double[]> before = new HashMap<>();
    m.parameters().forEach(p -> before.put(p.name(), p.value().toDoubleArray()));
    // AdamW-style decay or momentum would move a parameter with zero gradient: Adam's moments and
    // the decoupled decay must skip frozen ones entirely.
    Optimizer opt = new Optimizer(new Adam(1e-2, 0.9, 0.999, 1e-8));
    for (int step = 0; step < 3; step++) {
      m.loss(batch(), new int[] {0, 1, 2, 0});
      for (Parameter p : frozen) {
        assertArrayEquals(new double[p.size()], p.grad().toDoubleArray(), p.name() + " grad");
      }
      opt.step(m.parameters());
    }
    for (Parameter p : m.parameters()) {
      boolean same = java.util.Arrays.equals(before.get(p.name()), p.value().toDoubleArray());
      assertEquals(!p.requiresGrad(), same, p.name() + (same ? " did not change" : " changed"));
    }
  }

  @Test
  void bodyLearningRateScalesTheStep() {
    ResNet a = TorchStateDictTest.small(3, 4, 6);
    ResNet b = TorchStateDictTest.small(3, 4, 6);
    FineTuning.bodyLearningRate(b, "fc", 0.5);
    assertEquals(1.0, b.parameter("fc.bias").lrMultiplier());
    assertEquals(0.5, b.parameter("layer2.0.conv1.weight").lrMultiplier());
    double[] w0 = a.parameter("layer2.0.conv1.weight").value().toDoubleArray();
    Optimizer oa = new Optimizer(new org.handgrad.optim.Sgd(0.1));
    Optimizer ob = new Optimizer(new org.handgrad.optim.Sgd(0.1));
    a.loss(batch(), new int[] {0, 1, 2, 0});
    b.loss(batch(), new int[] {0, 1, 2, 0});
    oa.step(a.parameters());
    ob.step(b.parameters());
    double[] wa = a.parameter("layer2.0.conv1.weight").value().toDoubleArray();
    double[] wb = b.parameter("layer2.0.conv1.weight").value().toDoubleArray();
    for (int i = 0; i < w0.length; i++) {
      assertEquals((wa[i] - w0[i]) * 0.5, wb[i] - w0[i], 1e-6, "element " + i);
    }
    assertArrayEquals(
        a.parameter("fc.weight").value().toDoubleArray(),
        b.parameter("fc.weight").value().toDoubleArray());
  }

  @Test
  void unknownNamesListTheExistingOnes() {
    ResNet m = TorchStateDictTest.small(3, 4, 6);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> FineTuning.freeze(m, List.of("conv1", "layer9")));
    assertEquals(
        "no parameter or sub-module named 'layer9'; top-level names: conv1, bn1, layer1, layer2,"
            + " fc (deeper paths such as fc.bias work too)",
        e.getMessage());
    assertTrue(m.parameter("conv1.weight").requiresGrad()); // nothing frozen on error
    assertThrows(IllegalArgumentException.class, () -> m.parameter("fc.bias").setLrMultiplier(0));
    assertFalse(FineTuning.select(m, "layer2.0").isEmpty());
  }
}
