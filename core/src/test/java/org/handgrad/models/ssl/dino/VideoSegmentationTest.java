package org.handgrad.models.ssl.dino;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.data.SyntheticVideo;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Label propagation on cases with a known answer, IoU, patch pixels and PCA colours. */
class VideoSegmentationTest {
  @Test
  void featuresThatEqualTheMaskGiveIouOne() {
    SyntheticVideo.Video v = SyntheticVideo.generate(new SyntheticVideo.Config(4, 32, 2, 5));
    // Full-width bands of whole patch rows, half of the rows in frame 0: the standardized feature
    // is
    // then +-1, the balanced problem is symmetric, p(in) = 1 - p(out), and the bilinear map crosses
    // 1/2 exactly on the patch boundary, so the upsampled masks are exact (no corners to round).
    int t = 4;
    int s = 32;
    int p = 4;
    Tensor masks = Tensor.zeros(DType.FLOAT32, t, s, s);
    for (int f = 0; f < t; f++) {
      for (int y = 4 * f; y < 4 * f + 16; y++) {
        for (int x = 0; x < s; x++) {
          masks.set(1, f, y, x);
        }
      }
    }
    // One feature: the patch's mask fraction (0 or 1); a second: a constant.
    int l = (s / p) * (s / p);
    Tensor feats = Tensor.zeros(DType.FLOAT64, t, l, 2);
    for (int f = 0; f < t; f++) {
      Tensor frac = VideoSegmentation.patchFractions(masks.select(0, f), p);
      for (int i = 0; i < l; i++) {
        feats.set(frac.get(i), f, i, 0);
        feats.set(1.0, f, i, 1);
      }
    }
    VideoSegmentation.Result r = VideoSegmentation.propagate(feats, masks.select(0, 0), p, masks);
    for (double iou : r.iou()) {
      assertEquals(1.0, iou, 0);
    }
    assertEquals(1.0, r.meanIou(), 0);
    assertArrayEquals(new int[] {t, s, s}, r.masks().shape());
    assertTrue(v.frames().shape(0) == 4);
  }

  @Test
  void iouCountsPixels() {
    Tensor a = Tensor.of(new float[] {1, 1, 0, 0, 0, 0, 0, 0}, 2, 2, 2);
    Tensor b = Tensor.of(new float[] {1, 0, 1, 0, 0, 0, 0, 0}, 2, 2, 2);
    double[] iou = VideoSegmentation.iou(a, b);
    assertEquals(1.0 / 3, iou[0], 1e-15);
    assertEquals(1.0, iou[1], 0); // both empty
  }

  @Test
  void pixelPatchesAreRowMajorPatches() {
    Tensor x = Tensor.arange(DType.FLOAT32, 2 * 4 * 4).reshape(1, 2, 4, 4);
    Tensor p = VideoSegmentation.pixelPatches(x, 2);
    assertArrayEquals(new int[] {1, 4, 8}, p.shape());
    // patch (0, 1): channel 0 rows 0-1 cols 2-3 = 2, 3, 6, 7; channel 1 = +16
    assertArrayEquals(
        new float[] {2, 3, 6, 7, 18, 19, 22, 23}, p.select(0, 0).select(0, 1).toFloatArray());
  }

  @Test
  void pipelineRunsOnVitFeaturesAndPcaColoursAreInRange() {
    SyntheticVideo.Video v = SyntheticVideo.generate(new SyntheticVideo.Config(3, 32, 1, 2));
    VisionTransformer vit =
        new VisionTransformer(
            new VisionTransformer.Config(
                new int[] {3, 16, 16}, 4, 8, 1, 2, 16, 2, 0, DType.FLOAT32, 1));
    Tensor feats = VideoSegmentation.vitPatches(vit, v.frames());
    assertArrayEquals(new int[] {3, 64, 8}, feats.shape());
    VideoSegmentation.Result r =
        VideoSegmentation.propagate(feats, v.masks().select(0, 0), 4, v.masks());
    assertEquals(3, r.iou().length);
    Tensor pca = VideoSegmentation.pcaColours(feats, 8, 8);
    assertArrayEquals(new int[] {3, 3, 8, 8}, pca.shape());
    assertTrue(pca.min().item() >= 0 && pca.max().item() <= 1);
    assertEquals(1.0, pca.max().item(), 1e-6);
  }

  @Test
  void badInputGetsClearErrors() {
    Tensor feats = Tensor.zeros(DType.FLOAT64, 2, 16, 3);
    IllegalArgumentException grid =
        assertThrows(
            IllegalArgumentException.class,
            () -> VideoSegmentation.propagate(feats, Tensor.zeros(DType.FLOAT32, 12, 12), 4, null));
    assertTrue(
        grid.getMessage().contains("3x3 patches, but the features hold 16"), grid.getMessage());
    IllegalArgumentException empty =
        assertThrows(
            IllegalArgumentException.class,
            () -> VideoSegmentation.propagate(feats, Tensor.zeros(DType.FLOAT32, 16, 16), 4, null));
    assertTrue(empty.getMessage().contains("needs both foreground and background"));
  }
}
