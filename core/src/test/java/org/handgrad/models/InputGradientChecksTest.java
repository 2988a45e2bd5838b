package org.handgrad.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.handgrad.models.cnn.BnConvNet;
import org.handgrad.models.cnn.ThreeLayerConvNet;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.Model;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class InputGradientChecksTest {
  @Test
  void coversEveryTrainableModel() {
    assertEquals(
        List.of(
            "input_svm",
            "input_softmax",
            "input_two_layer",
            "input_fc_none",
            "input_fc_batchnorm",
            "input_fc_layernorm",
            "input_cnn",
            "input_bn_cnn",
            "input_vit"),
        List.copyOf(InputGradientChecks.checks().keySet()));
    for (String name : List.of("svm", "softmax", "two-layer", "fc", "cnn", "bn-cnn", "vit")) {
      Classifier c = Models.create(name, Map.of("dtype", "float64"));
      assertTrue(c instanceof InputGradients, name + " has no input gradient");
    }
  }

  @TestFactory
  Stream<DynamicTest> inputAndParameterGradientsMatchNumericalOnes() {
    return InputGradientChecks.checks().entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    e.getKey(),
                    () -> {
                      List<GradCheckResult> rows = e.getValue().get();
                      assertEquals("dx", rows.get(0).input());
                      assertTrue(rows.size() > 1, e.getKey() + ": parameter grads not checked");
                      for (GradCheckResult r : rows) {
                        assertTrue(r.passed(), r.toString());
                      }
                    }));
  }

  @Test
  void aWrongGradientFailsTheCheck() {
    // The check can fail: a model whose dx is off by 1% is caught.
    Model cnn =
        new ThreeLayerConvNet(
            new ThreeLayerConvNet.Config(
                new int[] {2, 6, 6}, 3, 3, 5, 4, 0.4, 0, DType.FLOAT64, 41));
    Model wrong = new ScaledDx(cnn);
    List<GradCheckResult> rows = InputGradientChecks.check("wrong", wrong, 2, 2, 6, 6);
    assertTrue(!rows.get(0).passed(), rows.get(0).toString());
  }

  @Test
  void capturesNamedConvLayersAndRefusesUnknownOnes() {
    BnConvNet net =
        new BnConvNet(
            new BnConvNet.Config(
                new int[] {1, 8, 8}, new int[] {2, 3}, 2, 5, 3, 1.0, 0, DType.FLOAT64, 5));
    assertEquals(
        List.of("conv1", "conv2", "pool1", "conv3", "conv4", "pool2"), net.captureLayers());
    Tensor x = ModelChecks.normal(1, 1, 2, 1, 8, 8);
    net.loss(x, new int[] {0, 1});
    Tensor dscores = ModelChecks.normal(2, 1, 2, 3);
    InputGradients.Result r = net.inputGradient(x, dscores, "conv4");
    assertArrayEquals(new int[] {2, 3, 4, 4}, r.activation().shape());
    assertArrayEquals(new int[] {2, 3, 4, 4}, r.dactivation().shape());
    assertArrayEquals(
        new int[] {2, 3, 2, 2}, net.inputGradient(x, dscores, "pool2").activation().shape());
    InputGradients.Result none = net.inputGradient(x, dscores);
    assertNull(none.activation());
    assertArrayEquals(r.dx().toDoubleArray(), none.dx().toDoubleArray());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> net.inputGradient(x, dscores, "conv9"));
    assertTrue(e.getMessage().contains("no layer 'conv9'"), e.getMessage());
    assertTrue(e.getMessage().contains("conv1, conv2, pool1, conv3, conv4, pool2"), e.getMessage());
    InputGradients softmax = (InputGradients) Models.create("softmax", Map.of());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> softmax.inputGradient(Tensor.zeros(1, 784), Tensor.zeros(1, 10), "conv1"));
    assertTrue(e.getMessage().contains("no convolutional layers"), e.getMessage());
  }

  @Test
  void dscoresOfTheWrongShapeIsRefused() {
    InputGradients cnn = (InputGradients) Models.create("cnn", Map.of("input_shape", "1,8,8"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> cnn.inputGradient(Tensor.zeros(2, 1, 8, 8), Tensor.zeros(2, 9)));
    assertTrue(e.getMessage().contains("expected dscores (2, 10)"), e.getMessage());
    assertTrue(e.getMessage().contains("got (2, 9)"), e.getMessage());
  }

  /** A model whose input gradient is 1% too large, to show the check fails. */
  private static final class ScaledDx implements Model, InputGradients {
    private final Model inner;

    ScaledDx(Model inner) {
      this.inner = inner;
    }

    @Override
    public List<org.handgrad.nn.Parameter> parameters() {
      return inner.parameters();
    }

    @Override
    public Tensor loss(Tensor x) {
      return inner.loss(x);
    }

    @Override
    public double loss(Tensor x, int[] y) {
      return inner.loss(x, y);
    }

    @Override
    public int numClasses() {
      return ((InputGradients) inner).numClasses();
    }

    @Override
    public Result inputGradient(Tensor x, Tensor dscores) {
      Result r = ((InputGradients) inner).inputGradient(x, dscores);
      return new Result(r.scores(), r.dx().mul(1.01), null, null);
    }
  }
}
