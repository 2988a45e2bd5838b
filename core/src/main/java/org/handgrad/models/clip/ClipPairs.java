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
 */
public record ClipPairs(Tensor images, Tensor captions, int[][] captionsOfImage) {
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
   * images keep an image from being its own negative.
   *
   * @param batchSize B, in [2, M]
   */
  public Batch sample(int batchSize, Rng rng) {
    if (batchSize < 2 || batchSize > numImages()) {
      throw new IllegalArgumentException(
          "clip pairs: batch size must be in [2, " + numImages() + "], got " + batchSize);
    }
    int[] idx = rng.choice(numImages(), batchSize, false);
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
