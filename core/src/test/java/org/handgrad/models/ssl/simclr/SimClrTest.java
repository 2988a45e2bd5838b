package org.handgrad.models.ssl.simclr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.handgrad.data.Split;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.data.ViewPipeline;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.checks.ModuleChecks;
import org.handgrad.optim.Adam;
import org.handgrad.optim.Optimizer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class SimClrTest {
  private static SimClr tiny(DType dt) {
    return new SimClr(
        new SimClr.Config(new int[] {2, 5, 5}, new int[] {3, 4}, new int[] {1, 1}, 5, 3, dt, 21));
  }

  @Test
  void wholeModelPassesTheFloat64GradientCheck() {
    SimClr model = tiny(DType.FLOAT64);
    ModuleChecks.perturbParameters(model, new SplittableRandom(2));
    SplittableRandom r = new SplittableRandom(3);
    Tensor views = Tensor.zeros(DType.FLOAT64, 6, 2, 5, 5);
    for (int i = 0; i < views.size(); i++) {
      views.setFlat(i, r.nextGaussian());
    }
    double tau = 0.5;
    model.trainStep(views, tau);
    int checked = 0;
    for (Parameter p : model.parameters()) {
      Tensor analytic = p.grad().copy();
      if (p.name().equals("head.0.bias")) {
        // fc1's bias feeds a BatchNorm, whose mean subtraction removes any per-feature constant:
        // the gradient is 0 up to rounding (~1e-16), and the centered difference is rounding noise
        // (~1e-11), which a relative error would blow up. Check both in absolute terms instead.
        assertTrue(analytic.abs().max().item() < 1e-12, p.name() + " analytic " + analytic);
        Tensor numeric =
            GradCheck.evalNumericalGradient(t -> model.loss(views, tau), p.value(), 1e-5);
        assertTrue(numeric.abs().max().item() < 1e-9, p.name() + " numeric " + numeric);
      } else {
        double err =
            GradCheck.gradCheckSparse(
                t -> model.loss(views, tau), p.value(), analytic, 6, GradCheck.DEFAULT_H, 5);
        assertTrue(err < 1e-6, p.name() + " rel error " + err);
      }
      checked++;
    }
    assertEquals(model.parameters().size(), checked);
    assertTrue(checked >= 20, "encoder and head parameters: " + checked);
  }

  @Test
  void aFewStepsOnTinyShapesLowerTheLoss() {
    Split shapes = SyntheticShapes.generateSplit(16, 1, 12, 7, 0);
    SimClr model =
        new SimClr(
            new SimClr.Config(
                new int[] {1, 10, 10},
                new int[] {8, 16},
                new int[] {1, 1},
                16,
                16,
                DType.FLOAT32,
                1));
    ViewPipeline views = ViewPipeline.simclr(10, 0.3);
    Optimizer opt = new Optimizer(new Adam().withLearningRate(3e-3));
    SplittableRandom rng = new SplittableRandom(4);
    // Fixed views, so the loss values are comparable: the model must fit them.
    Tensor batch = views.twoViews(shapes.x(), rng);
    double first = model.loss(batch, 0.5);
    for (int step = 0; step < 10; step++) {
      model.trainStep(batch, 0.5);
      opt.step(model.parameters());
    }
    double last = model.loss(batch, 0.5);
    assertTrue(last < first - 0.2, "loss " + first + " -> " + last);
    Tensor h = model.features(shapes.x().slice(0, 0, 5).contiguous());
    assertArrayEquals(new int[] {5, 16}, h.shape());
    // Evaluation mode does not touch the training flag of an explicit caller afterwards.
    assertTrue(model.isTraining());
  }

  @Test
  void anUntrainedModelEvaluatesWithPyTorchsInitialStatistics() {
    SimClr.Config c =
        new SimClr.Config(
            new int[] {1, 6, 6}, new int[] {3}, new int[] {1}, 4, 2, DType.FLOAT64, 3);
    Tensor x = Tensor.ones(DType.FLOAT64, 2, 1, 6, 6);
    // A fresh model refuses evaluation mode: it has no running statistics.
    assertThrows(IllegalStateException.class, () -> new SimClr(c).features(x));
    SimClr fresh = SimClr.untrained(c);
    Tensor h = fresh.features(x);
    assertArrayEquals(new int[] {2, 3}, h.shape());
    // Mean 0 and variance 1 make each BatchNorm the identity up to eps: the encoder is then
    // relu(conv) stacks; with identical images both rows agree.
    assertArrayEquals(h.select(0, 0).toDoubleArray(), h.select(0, 1).toDoubleArray());
    assertEquals(1, fresh.buffers().get("encoder.bn1.num_batches_tracked").item());
  }

  @Test
  void badInputGetsAClearError() {
    SimClr model = tiny(DType.FLOAT32);
    Tensor one = Tensor.zeros(DType.FLOAT32, 1, 2, 5, 5);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> model.trainStep(one, 0.5));
    assertEquals(
        "simclr: expected two views per image, (2N, C, H, W) with rows k and k + N from image k,"
            + " got (1, 2, 5, 5)",
        e.getMessage());
    Tensor rgb = Tensor.zeros(DType.FLOAT32, 2, 3, 5, 5);
    e = assertThrows(IllegalArgumentException.class, () -> model.trainStep(rgb, 0.5));
    assertEquals("ResNetEncoder: expected images (N, 2, H, W), got [2, 3, 5, 5]", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new SimClr.Config(
                    new int[] {1, 8, 8}, new int[] {4}, new int[] {1, 1}, 4, 4, DType.FLOAT32, 0));
    assertEquals(
        "simclr: widths and blocks must be non-empty and of equal length, got widths [4],"
            + " blocks [1, 1]",
        e.getMessage());
  }
}
