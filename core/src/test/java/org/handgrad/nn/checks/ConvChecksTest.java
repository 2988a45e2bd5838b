package org.handgrad.nn.checks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.GradCheckSuite;
import org.handgrad.nn.functional.Conv;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConvChecksTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "conv",
        "conv_naive",
        "maxpool",
        "avgpool",
        "conv_transpose",
        "upsample_nearest",
        "upsample_bilinear",
        "conv_relu",
        "conv_relu_pool"
      })
  void everyGradientMatchesCenteredDifferences(String layer) {
    List<GradCheckResult> results = GradCheckSuite.run(List.of(layer));
    assertFalse(results.isEmpty());
    for (GradCheckResult r : results) {
      assertEquals(layer, r.layer());
      assertEquals(1e-7, r.tolerance());
      assertTrue(r.passed(), r.layer() + " " + r.input() + " rel error " + r.relError());
    }
  }

  @Test
  void sandwichInputsStayAwayFromTheReluKink() {
    Tensor[] in = ConvChecks.sandwichInputs();
    Tensor a = Conv.convForward(in[0], in[1], in[2], new ConvParam(1, 1)).out();
    double closest = Double.POSITIVE_INFINITY;
    for (int i = 0; i < a.size(); i++) {
      closest = Math.min(closest, Math.abs(a.getFlat(i)));
    }
    assertTrue(closest > 1e-3, "a pre-activation is " + closest + " from 0");
  }

  @Test
  void maxPoolInputsHaveNoTies() {
    Tensor x = ConvChecks.distinct(new java.util.SplittableRandom(1), 2, 3, 6, 5);
    double[] v = x.toDoubleArray();
    java.util.Arrays.sort(v);
    for (int i = 1; i < v.length; i++) {
      assertTrue(v[i] - v[i - 1] > 0.04);
    }
  }
}
