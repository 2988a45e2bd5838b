package org.handgrad.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class ModelChecksTest {
  @Test
  void coversEveryModelAndEveryParameter() {
    assertEquals(
        List.of(
            "model_svm",
            "model_softmax",
            "model_two_layer",
            "model_fc",
            "model_fc_dropout",
            "model_fc_batchnorm",
            "model_fc_layernorm",
            "model_cnn",
            "model_bn_cnn",
            "transformer_decoder_layer",
            "model_captioning_transformer",
            "model_vit",
            "model_vit_conv_stem",
            "model_unet",
            "model_resnet_small"),
        List.copyOf(ModelChecks.checks().keySet()));
    assertEquals(
        List.of("dW1", "db1", "dW2", "db2", "dW3", "db3"),
        ModelChecks.checks().get("model_cnn").get().stream().map(GradCheckResult::input).toList());
    // batchnorm: every parameter but the two biases whose gradient vanishes (tested elsewhere)
    assertEquals(
        List.of("dW1", "dgamma1", "dbeta1", "dW2", "dgamma2", "dbeta2", "dW3", "db3"),
        ModelChecks.checks().get("model_fc_batchnorm").get().stream()
            .map(GradCheckResult::input)
            .toList());
  }

  @Test
  void fivePointGradientIsExactForACubic() {
    // The stencil is exact for polynomials up to degree 4: d/dx (x^3) at 0.7 = 1.47.
    Tensor x = Tensor.vector(0.7);
    Tensor g = ModelChecks.fivePointGradient(() -> Math.pow(x.getFlat(0), 3), x);
    assertEquals(1.47, g.getFlat(0), 1e-11);
    assertEquals(0.7, x.getFlat(0)); // restored
  }

  @TestFactory
  Stream<DynamicTest> everyParameterGradientIsWithinTolerance() {
    return ModelChecks.checks().entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    e.getKey(),
                    () -> {
                      List<GradCheckResult> rows = e.getValue().get();
                      assertTrue(!rows.isEmpty(), e.getKey() + " checks nothing");
                      for (GradCheckResult r : rows) {
                        assertEquals(1e-7, r.tolerance(), "tolerance of " + r);
                        assertTrue(r.passed(), r.toString());
                      }
                    }));
  }
}
