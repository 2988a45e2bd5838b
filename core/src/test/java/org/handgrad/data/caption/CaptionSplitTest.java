package org.handgrad.data.caption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class CaptionSplitTest {
  // <NULL>=0 <START>=1 <END>=2 <UNK>=3 a=4 cat=5 dog=6
  private static final Vocab V = Vocab.withSpecials(List.of("a", "cat", "dog"));

  /** Three images with 2, 0 and 1 captions; features (3, 2) = image index * 10 + column. */
  private static CaptionSplit split() {
    Tensor captions = Tensor.of(new int[] {1, 4, 5, 2, 1, 6, 2, 0, 1, 5, 5, 2}, 3, 4);
    Tensor features = Tensor.of(new float[] {0, 1, 10, 11, 20, 21}, 3, 2);
    return new CaptionSplit(captions, new int[] {0, 2, 0}, features, List.of("u0", "u1", "u2"));
  }

  @Test
  void sizesAndReferences() {
    CaptionSplit s = split();
    assertEquals(3, s.numCaptions());
    assertEquals(3, s.numImages());
    assertEquals(4, s.captionLength());
    assertEquals(
        List.of(
            List.of(List.of("a", "cat"), List.of("cat", "cat")),
            List.of(),
            List.of(List.of("dog"))),
        s.referencesByImage(V));
  }

  @Test
  void gatherAndMinibatch() {
    CaptionSplit.Minibatch m = split().gather(new int[] {1, 0, 1});
    assertArrayEquals(new int[] {3, 4}, m.captions().shape());
    assertArrayEquals(new int[] {1, 6, 2, 0, 1, 4, 5, 2, 1, 6, 2, 0}, m.captions().toIntArray());
    assertArrayEquals(new int[] {2, 0, 2}, m.imageIdxs());
    assertArrayEquals(new float[] {20, 21, 0, 1, 20, 21}, m.features().toFloatArray());
    assertEquals(List.of("u2", "u0", "u2"), m.urls());
    // Sampling: rows drawn with replacement from the seeded generator, reproducibly.
    CaptionSplit.Minibatch a = split().sampleMinibatch(50, new Rng(3));
    CaptionSplit.Minibatch b = split().sampleMinibatch(50, new Rng(3));
    assertArrayEquals(a.captions().toIntArray(), b.captions().toIntArray());
    int[] rows = new Rng(3).choice(3, 50, true);
    assertArrayEquals(split().gather(rows).imageIdxs(), a.imageIdxs());
    for (int i = 0; i < 50; i++) {
      assertEquals(a.imageIdxs()[i] * 10, a.features().getFlat(i * 2));
    }
    assertThrows(IndexOutOfBoundsException.class, () -> split().gather(new int[] {3}));
    assertThrows(IllegalArgumentException.class, () -> split().sampleMinibatch(0, new Rng(1)));
  }

  @Test
  void subsampleKeepsFeaturesWhole() {
    CaptionSplit s = split().subsample(5, new Rng(9));
    assertEquals(5, s.numCaptions());
    assertEquals(3, s.numImages());
    assertEquals(split().features().shape()[0], s.features().shape()[0]);
    assertArrayEquals(split().gather(new Rng(9).choice(3, 5, true)).imageIdxs(), s.imageIdxs());
    assertEquals(0, split().subsample(0, new Rng(1)).numCaptions());
  }

  @Test
  void validation() {
    Tensor f = Tensor.zeros(3, 2);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new CaptionSplit(Tensor.zeros(2, 4), new int[2], f, List.of()));
    assertEquals(
        "CaptionSplit: expected captions (M, T) int32 with T >= 2, got (2, 4) float32",
        e.getMessage());
    Tensor c = Tensor.of(new int[8], 2, 4);
    e =
        assertThrows(
            IllegalArgumentException.class, () -> new CaptionSplit(c, new int[3], f, List.of()));
    assertEquals("CaptionSplit: captions (2, 4) but 3 image indices", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new CaptionSplit(c, new int[] {0, 3}, f, List.of()));
    assertEquals(
        "CaptionSplit: caption 1 points at image 3, outside [0, 3) of features (3, 2)",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new CaptionSplit(c, new int[2], f, List.of("only one")));
    assertEquals("CaptionSplit: 1 urls for 3 images (3, 2)", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new CaptionDataset("toy", V, Map.of("train", split())).split("val"));
    assertEquals("toy: no split 'val', has [train]", e.getMessage());
    Tensor big = Tensor.of(new int[] {1, 7, 2, 0}, 1, 4);
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new CaptionDataset(
                    "toy", V, Map.of("train", new CaptionSplit(big, new int[1], f, List.of()))));
    assertEquals(
        "toy: train caption 0 holds token 7, outside the vocabulary [0, 7)", e.getMessage());
  }
}
