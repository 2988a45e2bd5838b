package org.handgrad.models.speedrun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.data.Augment;
import org.handgrad.models.LabelSmoothing;
import org.handgrad.models.Models;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.Model;
import org.handgrad.nn.checks.ModuleChecks;
import org.handgrad.nn.functional.Losses;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The speedrun network: gradients, shapes, test-time flips, the smoothed training step. */
class SpeedrunNetTest {
  private static SpeedrunNet tiny(boolean tta) {
    SpeedrunNet net =
        new SpeedrunNet(
            new SpeedrunNet.Config(
                new int[] {2, 6, 6}, new int[] {3, 4}, 3, tta, DType.FLOAT64, 5));
    ModuleChecks.perturbParameters(net, new SplittableRandom(9));
    return net;
  }

  private static Tensor images(long seed, int n, int c, int h, int w) {
    SplittableRandom rng = new SplittableRandom(seed);
    Tensor x = Tensor.zeros(DType.FLOAT64, n, c, h, w);
    for (int i = 0; i < x.size(); i++) {
      x.setFlat(i, rng.nextGaussian());
    }
    return x;
  }

  @Test
  void inputAndEveryParameterPassTheFloat64GradientCheck() {
    List<GradCheckResult> results = ModuleChecks.module("speedrun", tiny(false), 3, 4, 2, 6, 6);
    assertTrue(results.size() > 5, "checked " + results.size());
    for (GradCheckResult r : results) {
      assertTrue(r.passed(), r.toString());
    }
  }

  @Test
  void smoothedTrainingStepMatchesTheNumericalGradientOfItsLoss() {
    SpeedrunNet net = tiny(false);
    Tensor x = images(4, 3, 2, 6, 6);
    int[] y = {0, 2, 1};
    LabelSmoothing.loss(net, x, y, 0.2);
    Tensor w = net.parameter("fc.weight").value();
    Tensor analytic = net.parameter("fc.weight").grad().copy();
    // Train-mode loss as a function of the classifier weights (BatchNorm uses batch statistics
    // either way; running statistics do not feed the training loss).
    Tensor numeric =
        GradCheck.evalNumericalGradient(t -> LabelSmoothing.loss(net, x, y, 0.2), w, 1e-6);
    assertTrue(GradCheck.relError(analytic, numeric) < 1e-7);
    double plain = net.loss(x, y);
    double smoothed = LabelSmoothing.loss(net, x, y, 0.2);
    assertTrue(Math.abs(plain - smoothed) > 1e-6, "smoothing changes the loss");
  }

  @Test
  void scoresHaveTheDocumentedShapeForFashionMnist() {
    SpeedrunNet net =
        (SpeedrunNet) Models.createModel("speedrun", Map.of("widths", "4,8,16", "seed", "1"));
    Tensor x = Tensor.zeros(DType.FLOAT32, 5, 1, 28, 28);
    net.loss(x, new int[] {0, 1, 2, 3, 4}); // a training step gives BatchNorm running statistics
    assertArrayEquals(new int[] {5, 10}, net.loss(x).shape());
    assertEquals(
        List.of("stem.0.weight", "stem.1.weight", "stem.1.bias"),
        net.parameters().subList(0, 3).stream().map(p -> p.name()).toList());
  }

  @Test
  void flipTtaAveragesTheScoresOfTheImageAndItsMirror() {
    SpeedrunNet plain = tiny(false);
    SpeedrunNet tta = tiny(true); // same seed and perturbation: same weights
    Tensor x = images(8, 4, 2, 6, 6);
    int[] y = {0, 1, 2, 0};
    // The same training step on both: the same running statistics, and the training loss ignores
    // tta.
    assertEquals(plain.loss(x, y), tta.loss(x, y), 0);
    Tensor expected = plain.loss(x).add(plain.loss(Augment.hflip(x))).mul(0.5);
    Tensor got = tta.loss(x);
    assertArrayEquals(expected.doubleStorage(), got.doubleStorage(), 1e-15);
    // and it is not the plain score (the network is not mirror-symmetric)
    assertTrue(Math.abs(plain.loss(x).getFlat(0) - got.getFlat(0)) > 1e-9);
  }

  @Test
  void badConfigsAndInputsAreNamed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new SpeedrunNet.Config(
                    new int[] {1, 6, 6}, new int[] {4, 4, 4}, 10, false, DType.FLOAT32, 0));
    assertTrue(e.getMessage().contains("speedrun: image 6x6 is too small for 3 groups"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Models.createModel("speedrun", Map.of("tta", "rotate")));
    assertTrue(e.getMessage().contains("tta must be none or flip, got 'rotate'"), e.getMessage());
    SpeedrunNet net = tiny(false);
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> net.loss(Tensor.zeros(DType.FLOAT64, 2, 3, 6, 6)));
    assertTrue(e.getMessage().contains("speedrun: expected images (N, 2, H, W), got [2, 3, 6, 6]"));
    Model notTape = Models.createModel("bn-cnn", Map.of());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                LabelSmoothing.loss(
                    notTape, Tensor.zeros(DType.FLOAT32, 1, 1, 28, 28), new int[] {0}, 0.1));
    assertTrue(e.getMessage().contains("label smoothing needs a model built on the tape"));
    assertTrue(Losses.softmaxLoss(Tensor.zeros(DType.FLOAT64, 1, 2), new int[] {1}, 0).loss() > 0);
  }
}
