package org.handgrad.app.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class AugmentedModelTest {
  /** Records the batches it is given. */
  private static final class Recorder implements Model {
    final List<Tensor> seen = new ArrayList<>();

    @Override
    public List<Parameter> parameters() {
      return List.of();
    }

    @Override
    public Tensor loss(Tensor x) {
      seen.add(x);
      return Tensor.zeros(DType.FLOAT64, x.shape(0), 2);
    }

    @Override
    public double loss(Tensor x, int[] y) {
      seen.add(x);
      return 0;
    }
  }

  private static Tensor batch() {
    double[] v = new double[4 * 1 * 6 * 6];
    for (int i = 0; i < v.length; i++) {
      v[i] = i + 1;
    }
    return Tensor.of(v, 4, 1, 6, 6);
  }

  @Test
  void trainingBatchesAreAugmentedTestBatchesAreNot() {
    Recorder r = new Recorder();
    AugmentedModel m = new AugmentedModel(r, new AugmentedModel.Recipe(2, true), 7);
    Tensor x = batch();
    m.loss(x);
    assertSame(x, r.seen.get(0));
    m.loss(x, new int[4]);
    Tensor a = r.seen.get(1);
    assertArrayEquals(x.shape(), a.shape());
    assertNotEquals(
        java.util.Arrays.toString(x.toDoubleArray()), java.util.Arrays.toString(a.toDoubleArray()));
  }

  @Test
  void theRandomStreamIsABufferSoRestoringItRepeatsTheAugmentation() {
    Recorder r = new Recorder();
    AugmentedModel m = new AugmentedModel(r, new AugmentedModel.Recipe(2, true), 7);
    Tensor state = m.buffers().get(AugmentedModel.STATE);
    assertEquals(DType.INT32, state.dtype());
    Tensor saved = state.copy();
    m.loss(batch(), new int[4]);
    m.loss(batch(), new int[4]);
    state.copyFrom(saved);
    m.loss(batch(), new int[4]);
    assertArrayEquals(r.seen.get(0).toDoubleArray(), r.seen.get(2).toDoubleArray());
    assertTrue(
        !java.util.Arrays.equals(r.seen.get(0).toDoubleArray(), r.seen.get(1).toDoubleArray()));
  }

  @Test
  void recipePerDataset() {
    assertEquals(
        new AugmentedModel.Recipe(2, true),
        AugmentedModel.Recipe.forDataset("fashion-mnist", new int[] {1, 28, 28}));
    assertEquals(
        new AugmentedModel.Recipe(2, false),
        AugmentedModel.Recipe.forDataset("mnist", new int[] {1, 28, 28}));
    assertEquals(
        new AugmentedModel.Recipe(4, true),
        AugmentedModel.Recipe.forDataset("cifar10", new int[] {3, 32, 32}));
  }

  @Test
  void recipeWithErasingAndSmoothingRoundTripsAndOldMapsReadAsNone() {
    AugmentedModel.Recipe r = new AugmentedModel.Recipe(2, true, 0.25, 0.1);
    assertEquals(r, AugmentedModel.Recipe.fromMap(r.toMap()));
    assertEquals(
        "random crop (pad 2) + horizontal flip + random erasing (p 0.25) + label smoothing 0.1",
        r.toString());
    java.util.Map<String, Object> old = new java.util.LinkedHashMap<>();
    old.put("crop_pad", 2);
    old.put("hflip", true);
    assertEquals(new AugmentedModel.Recipe(2, true), AugmentedModel.Recipe.fromMap(old));
  }

  @Test
  void erasingChangesTrainingBatchesAndSmoothingNeedsATapeModel() {
    Recorder r = new Recorder();
    AugmentedModel m = new AugmentedModel(r, new AugmentedModel.Recipe(0, false, 1.0, 0), 7);
    Tensor x = batch();
    m.loss(x, new int[] {0, 1, 0, 1});
    Tensor seen = r.seen.get(0);
    int zeros = 0;
    for (int i = 0; i < seen.size(); i++) {
      zeros += seen.getFlat(i) == 0 ? 1 : 0;
    }
    assertTrue(zeros > 0, "p = 1 erases a rectangle in every image (the batch has no zeros)");
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> new AugmentedModel(r, new AugmentedModel.Recipe(0, false, 0, 0.1), 7));
    assertTrue(e.getMessage().contains("label smoothing needs a model built on the tape"));
  }
}
