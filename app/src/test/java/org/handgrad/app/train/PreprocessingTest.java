package org.handgrad.app.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.handgrad.io.Json;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class PreprocessingTest {
  /** Two 2x1x2 images: [[1, 2]] and [[3, 6]]. */
  private static Tensor images() {
    return Tensor.of(new double[] {1, 2, 3, 6}, 2, 1, 1, 2);
  }

  @Test
  void kindsFollowCs231n() {
    assertEquals(Preprocessing.Kind.NONE, Preprocessing.kindFor("knn"));
    assertEquals(Preprocessing.Kind.MEAN_IMAGE, Preprocessing.kindFor("softmax"));
    assertEquals(Preprocessing.Kind.MEAN_IMAGE, Preprocessing.kindFor("fc"));
    assertEquals(Preprocessing.Kind.CHANNEL_NORM, Preprocessing.kindFor("cnn"));
    assertEquals(Preprocessing.Kind.CHANNEL_NORM, Preprocessing.kindFor("bn-cnn"));
    // a convnet trained on shifted crops: a per-pixel mean image would shift with the crop
    assertEquals(Preprocessing.Kind.CHANNEL_NORM, Preprocessing.kindFor("speedrun"));
  }

  @Test
  void meanImageIsFittedOnTrainAndAppliedToAnySplit() {
    Preprocessing p = Preprocessing.fit(Preprocessing.Kind.MEAN_IMAGE, images());
    assertArrayEquals(new double[] {2, 4}, p.mean());
    Tensor other = Tensor.of(new double[] {0, 0}, 1, 1, 1, 2);
    assertArrayEquals(new double[] {-2, -4}, p.apply(other).toDoubleArray());
    assertArrayEquals(new double[] {-1, -2, 1, 2}, p.apply(images()).toDoubleArray());
  }

  @Test
  void channelNormUsesThePopulationStd() {
    Preprocessing p = Preprocessing.fit(Preprocessing.Kind.CHANNEL_NORM, images());
    // mean 3, population variance ((4 + 1 + 0 + 9) / 4) = 3.5
    assertArrayEquals(new double[] {3}, p.mean());
    assertEquals(Math.sqrt(3.5), p.std()[0], 1e-15);
    Tensor y = p.apply(images().to(DType.FLOAT32));
    assertEquals(DType.FLOAT32, y.dtype());
    assertEquals((1 - 3) / Math.sqrt(3.5), y.getFlat(0), 1e-6);
  }

  @Test
  void invertUndoesEveryKind() {
    for (Preprocessing.Kind k : Preprocessing.Kind.values()) {
      Preprocessing p = Preprocessing.fit(k, images());
      Tensor back = p.invert(p.apply(images()));
      assertArrayEquals(images().toDoubleArray(), back.toDoubleArray(), 1e-12, k.key());
    }
    // Channel norm on two channels: each channel gets its own std and mean back.
    Tensor two = Tensor.of(new double[] {1, 3, 10, 30, 2, 5, 20, 50}, 2, 2, 1, 2);
    Preprocessing p = Preprocessing.fit(Preprocessing.Kind.CHANNEL_NORM, two);
    assertArrayEquals(two.toDoubleArray(), p.invert(p.apply(two)).toDoubleArray(), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> p.invert(Tensor.zeros(2, 1, 1, 2)));
  }

  @Test
  void survivesAJsonRoundTrip() {
    for (Preprocessing.Kind k : Preprocessing.Kind.values()) {
      Preprocessing p = Preprocessing.fit(k, images());
      Preprocessing back = Preprocessing.fromMap((Map<?, ?>) Json.parse(Json.write(p.toMap())));
      assertEquals(p, back, k.key());
    }
  }

  @Test
  void rejectsImagesOfAnotherShape() {
    Preprocessing p = Preprocessing.fit(Preprocessing.Kind.MEAN_IMAGE, images());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> p.apply(Tensor.zeros(DType.FLOAT64, 1, 1, 2, 1)));
    assertTrue(
        e.getMessage().contains("fitted on images (1, 1, 2), got x (1, 1, 2, 1)"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new Preprocessing(
                Preprocessing.Kind.CHANNEL_NORM,
                new int[] {3, 2, 2},
                new double[2],
                new double[3]));
  }
}
