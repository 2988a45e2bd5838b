package org.handgrad.models.ssl.dino;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** EMA, centering, schedules, multi-crop and the trainer's step and resume, at tiny sizes. */
class DinoTrainerTest {
  private static DinoTrainer.Options tiny(int steps) {
    VisionTransformer.Config vit =
        new VisionTransformer.Config(new int[] {3, 8, 8}, 4, 8, 1, 2, 16, 2, 0, DType.FLOAT64, 3);
    return new DinoTrainer.Options(
        vit, 16, 8, 10, 4, 2, 0.1, 0.04, 0.07, 1, 0.996, 0.9, 1e-3, 1e-5, 1, 0.04, 3.0, 3, steps,
        11);
  }

  @Test
  void emaUpdateMatchesHandComputedValues() {
    Parameter t = new Parameter("w", Tensor.vector(1.0, 2.0));
    Parameter s = new Parameter("w", Tensor.vector(3.0, -2.0));
    DinoUpdates.emaUpdate(List.of(t), List.of(s), 0.9);
    // 0.9 * 1 + 0.1 * 3 = 1.2 ; 0.9 * 2 + 0.1 * (-2) = 1.6
    assertEquals(1.2, t.value().get(0), 1e-15);
    assertEquals(1.6, t.value().get(1), 1e-15);
    assertEquals(3.0, s.value().get(0));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            DinoUpdates.emaUpdate(
                List.of(t), List.of(new Parameter("v", Tensor.vector(1.0, 1.0))), 0.9));
    assertThrows(
        IllegalArgumentException.class, () -> DinoUpdates.emaUpdate(List.of(t), List.of(s), 1.5));
  }

  @Test
  void centerUpdateMatchesHandComputedValues() {
    Tensor c = Tensor.vector(1.0, 0.0);
    Tensor teacher = Tensor.of(new double[] {1, 2, 3, 6}, 2, 2); // row mean (2, 4)
    DinoUpdates.updateCenter(c, teacher, 0.9);
    assertEquals(0.9 * 1 + 0.1 * 2, c.get(0), 1e-15);
    assertEquals(0.1 * 4, c.get(1), 1e-15);
    assertThrows(
        IllegalArgumentException.class,
        () -> DinoUpdates.updateCenter(c, Tensor.zeros(DType.FLOAT64, 2, 3), 0.9));
  }

  @Test
  void schedulesFollowThePaper() {
    assertEquals(0.996, DinoUpdates.teacherMomentum(0, 100, 0.996), 1e-15);
    assertEquals(0.998, DinoUpdates.teacherMomentum(50, 100, 0.996), 1e-15);
    assertEquals(1.0, DinoUpdates.teacherMomentum(100, 100, 0.996), 1e-15);
    assertEquals(0.04, DinoUpdates.teacherTemperature(0, 10, 0.04, 0.07), 1e-15);
    assertEquals(0.055, DinoUpdates.teacherTemperature(5, 10, 0.04, 0.07), 1e-15);
    assertEquals(0.07, DinoUpdates.teacherTemperature(30, 10, 0.04, 0.07), 1e-15);
    assertEquals(0.5, DinoUpdates.learningRate(4, 100, 10, 1.0, 0.0), 1e-15);
    assertEquals(1.0, DinoUpdates.learningRate(10, 100, 10, 1.0, 0.0), 1e-15);
    assertEquals(0.5, DinoUpdates.learningRate(55, 100, 10, 1.0, 0.0), 1e-12);
    assertEquals(0.0, DinoUpdates.learningRate(100, 100, 10, 1.0, 0.0), 1e-15);
  }

  @Test
  void multiCropIsDeterministicWithTheRightShapes() {
    Tensor x = new Rng(1).randn(DType.FLOAT32, 3, 2, 12, 12);
    MultiCrop mc = MultiCrop.of(8, 4, 3);
    MultiCrop.Views a = mc.apply(x, new SplittableRandom(7));
    MultiCrop.Views b = mc.apply(x, new SplittableRandom(7));
    MultiCrop.Views c = mc.apply(x, new SplittableRandom(8));
    assertArrayEquals(new int[] {2, 3, 2, 8, 8}, a.globals().shape());
    assertArrayEquals(new int[] {3, 3, 2, 4, 4}, a.locals().shape());
    assertEquals(5, a.numViews());
    assertArrayEquals(a.globals().toFloatArray(), b.globals().toFloatArray());
    assertArrayEquals(a.locals().toFloatArray(), b.locals().toFloatArray());
    assertFalse(java.util.Arrays.equals(a.globals().toFloatArray(), c.globals().toFloatArray()));
    assertEquals(null, MultiCrop.of(8, 4, 0).apply(x, new SplittableRandom(1)).locals());
    assertThrows(IllegalArgumentException.class, () -> MultiCrop.of(8, 0, 2));
  }

  @Test
  void aStepTrainsTheStudentMovesTheTeacherAndResumesExactly(@TempDir Path dir) throws Exception {
    Tensor data = new Rng(2).randn(DType.FLOAT64, 6, 3, 8, 8);
    DinoTrainer a = new DinoTrainer(tiny(4));
    Tensor before = a.teacher().trainable().get(2).value().copy();
    DinoTrainer.Stats s = a.step(data);
    assertTrue(Double.isFinite(s.loss()) && s.loss() > 0, "loss " + s.loss());
    assertEquals(1e-3 * 1 / 1, s.learningRate(), 1e-15);
    assertFalse(
        java.util.Arrays.equals(
            before.toDoubleArray(), a.teacher().trainable().get(2).value().toDoubleArray()),
        "the EMA moved the teacher");
    assertTrue(a.center().abs().sum().item() > 0, "the centre moved");
    Path ckpt = dir.resolve("dino.safetensors");
    a.save(ckpt);
    double l2 = a.step(data).loss();
    double l3 = a.step(data).loss();

    DinoTrainer b = new DinoTrainer(tiny(4));
    b.restore(ckpt);
    assertEquals(1, b.step());
    assertEquals(l2, b.step(data).loss(), 0);
    assertEquals(l3, b.step(data).loss(), 0);
    assertArrayEquals(
        a.teacher().trainable().get(0).value().toDoubleArray(),
        b.teacher().trainable().get(0).value().toDoubleArray());
    assertEquals(tiny(4), DinoTrainer.readOptions(ckpt));
    VisionTransformer vit = DinoTrainer.loadTeacherBackbone(ckpt);
    assertEquals(tiny(4).vit(), vit.config());
  }

  @Test
  void badInputGetsClearErrors() {
    DinoTrainer t = new DinoTrainer(tiny(2));
    IllegalArgumentException small =
        assertThrows(
            IllegalArgumentException.class, () -> t.step(Tensor.zeros(DType.FLOAT64, 2, 3, 8, 8)));
    assertTrue(small.getMessage().contains("cannot fill a batch of 3"), small.getMessage());
    IllegalArgumentException local =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new DinoTrainer.Options(
                    tiny(2).vit(),
                    16,
                    8,
                    10,
                    6,
                    2,
                    0.1,
                    0.04,
                    0.07,
                    1,
                    0.996,
                    0.9,
                    1e-3,
                    1e-5,
                    1,
                    0.04,
                    3.0,
                    3,
                    2,
                    11));
    assertTrue(local.getMessage().contains("multiple of the patch 4"), local.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new DinoTrainer.Options(
                tiny(2).vit(),
                16,
                8,
                10,
                4,
                2,
                0,
                0.04,
                0.07,
                1,
                0.996,
                0.9,
                1e-3,
                1e-5,
                1,
                0.04,
                3.0,
                3,
                2,
                11));
  }
}
