package org.handgrad.models.clip;

import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * Image-text training pairs: images, captions, and which captions describe which image (a shape
 * scene has one or two captions; a Fashion-MNIST image has one per template).
 *
 * @param images shape (M, C, H, W), float32
 * @param captions token ids, int32, shape (K, T)
 * @param captionsOfImage for every image, the rows of {@code captions} that describe it (at least
 *     one)
 * @param groupSize images that a batch takes together: 1 for independent images, 2 when images 2j
 *     and 2j+1 are twins (a scene and its {@link
 *     org.handgrad.data.caption.SyntheticCaptions#shapeTwin shape twin}), so every batch holds each
 *     image's hard negative
 */
public record ClipPairs(Tensor images, Tensor captions, int[][] captionsOfImage, int groupSize) {
  /** Checks the pieces fit. */
  public ClipPairs {
    Objects.requireNonNull(images, "clip pairs: images");
    Objects.requireNonNull(captions, "clip pairs: captions");
    if (images.ndim() != 4 || captions.ndim() != 2 || captions.dtype() != DType.INT32) {
      throw new IllegalArgumentException(
          "clip pairs: expected images (M, C, H, W) and int32 captions (K, T), got "
              + images.shapeString()
              + " and "
              + captions.shapeString());
    }
    if (captionsOfImage.length != images.shape(0)) {
      throw new IllegalArgumentException(
          "clip pairs: "
              + images.shape(0)
              + " images but captions listed for "
              + captionsOfImage.length);
    }
    if (groupSize < 1 || captionsOfImage.length % groupSize != 0) {
      throw new IllegalArgumentException(
          "clip pairs: group size " + groupSize + " does not divide " + captionsOfImage.length);
    }
    for (int i = 0; i < captionsOfImage.length; i++) {
      if (captionsOfImage[i].length == 0) {
        throw new IllegalArgumentException("clip pairs: image " + i + " has no caption");
      }
      for (int c : captionsOfImage[i]) {
        if (c < 0 || c >= captions.shape(0)) {
          throw new IllegalArgumentException(
              "clip pairs: image " + i + " lists caption " + c + " of " + captions.shape(0));
        }
      }
    }
  }

  /** Independent images: no groups. */
  public ClipPairs(Tensor images, Tensor captions, int[][] captionsOfImage) {
    this(images, captions, captionsOfImage, 1);
  }

  /** Number of images M. */
  public int numImages() {
    return images.shape(0);
  }

  /** Caption length T. */
  public int contextLength() {
    return captions.shape(1);
  }

  /**
   * A batch.
   *
   * @param images shape (B, C, H, W)
   * @param tokens int32, shape (B, T): row b describes image b
   * @param imageIdxs the images' indices
   */
  public record Batch(Tensor images, Tensor tokens, int[] imageIdxs) {}

  /**
   * B distinct images drawn without replacement, each with one of its captions at random. Distinct
   * images keep an image from being its own negative. With groups, B / groupSize groups are drawn
   * and each brings all its images.
   *
   * @param batchSize B, in [2, M], a multiple of the group size
   */
  public Batch sample(int batchSize, Rng rng) {
    if (batchSize < 2 || batchSize > numImages() || batchSize % groupSize != 0) {
      throw new IllegalArgumentException(
          "clip pairs: batch size must be in [2, "
              + numImages()
              + "]"
              + (groupSize > 1 ? " and a multiple of " + groupSize : "")
              + ", got "
              + batchSize);
    }
    int[] groups = rng.choice(numImages() / groupSize, batchSize / groupSize, false);
    int[] idx = new int[batchSize];
    for (int g = 0; g < groups.length; g++) {
      for (int j = 0; j < groupSize; j++) {
        idx[g * groupSize + j] = groups[g] * groupSize + j;
      }
    }
    int[] caps = new int[batchSize];
    for (int b = 0; b < batchSize; b++) {
      int[] options = captionsOfImage[idx[b]];
      caps[b] = options[rng.nextInt(0, options.length)];
    }
    return gather(idx, caps);
  }

  /** The images {@code idx} with their first captions, for evaluation. */
  public Batch firstCaptions(int[] idx) {
    int[] caps = new int[idx.length];
    for (int b = 0; b < idx.length; b++) {
      caps[b] = captionsOfImage[idx[b]][0];
    }
    return gather(idx, caps);
  }

  private Batch gather(int[] idx, int[] caps) {
    Tensor img = images.take(0, idx).contiguous();
    Tensor tok = captions.take(0, caps).contiguous();
    return new Batch(img, tok, idx.clone());
  }
}
