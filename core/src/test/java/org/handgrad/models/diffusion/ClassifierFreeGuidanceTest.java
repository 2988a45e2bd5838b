package org.handgrad.models.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;

/** Condition dropout and the guided prediction, batched and unbatched. */
class ClassifierFreeGuidanceTest {
  /** A conditional "network" whose output depends on x, t and the label: x (1 + y) + t. */
  private static final class LabelDenoiser implements Denoiser {
    int calls;

    @Override
    public Tensor forward(Tensor x, double[] t, int[] y) {
      calls++;
      int per = x.size() / x.shape(0);
      Tensor out = x.copy();
      for (int i = 0; i < out.size(); i++) {
        int n = i / per;
        // null labels mean "no class" for every sample (the Denoiser contract)
        int label = y == null ? numClasses() : y[n];
        out.setFlat(i, x.getFlat(i) * (1 + label) + t[n]);
      }
      return out;
    }

    @Override
    public Tensor backward(Tensor dout) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<Parameter> parameters() {
      return List.of();
    }

    @Override
    public int numClasses() {
      return 5;
    }
  }

  @Test
  void dropLabelsReplacesWithTheNullLabel() {
    int[] y = {0, 1, 2, 3, 4};
    assertArrayEquals(y, ClassifierFreeGuidance.dropLabels(y, 0, 5, new Rng(1)));
    assertArrayEquals(
        new int[] {5, 5, 5, 5, 5}, ClassifierFreeGuidance.dropLabels(y, 1, 5, new Rng(1)));
    assertArrayEquals(new int[] {0, 1, 2, 3, 4}, y, "the input is not modified");
    assertEquals(null, ClassifierFreeGuidance.dropLabels(null, 0.5, 5, new Rng(1)));
    GaussianDiffusionTest.assertMessage(
        "label 5 at 1 is outside [0, 5)",
        () -> ClassifierFreeGuidance.dropLabels(new int[] {0, 5}, 0.1, 5, new Rng(1)));
  }

  @Test
  void guidedPredictionEqualsSeparateCalls() {
    Tensor x = new Rng(2).randn(DType.FLOAT64, 3, 2, 2, 2);
    double[] t = {10, 20, 30};
    int[] y = {0, 4, 2};
    int[] nulls = {5, 5, 5};
    LabelDenoiser d = new LabelDenoiser();
    Tensor cond = d.forward(x, t, y);
    Tensor uncond = d.forward(x, t, nulls);
    for (double w : new double[] {0, 1, 3, -0.5}) {
      d.calls = 0;
      Tensor got = ClassifierFreeGuidance.predict(x, t, d, Conditioning.classes(y, w));
      Golden.assertClose("w=" + w, got, uncond.add(cond.sub(uncond).mul(w)), 1e-14);
      assertEquals(1, d.calls, "one call (2N-batched when w is not 0 or 1)");
    }
    d.calls = 0;
    Golden.assertClose(
        "no labels",
        ClassifierFreeGuidance.predict(x, t, d, Conditioning.unconditional()),
        uncond,
        1e-15);
  }
}
