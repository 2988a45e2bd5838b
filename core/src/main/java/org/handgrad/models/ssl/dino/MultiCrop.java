package org.handgrad.models.ssl.dino;

import java.util.random.RandomGenerator;
import org.handgrad.data.ResizedCrop;
import org.handgrad.tensor.Tensor;

/**
 * DINO's multi-crop views (Caron et al. 2020 and 2021): two global crops covering 40 to 100% of the
 * image at the model's input size, and several local crops covering 5 to 40% at a smaller size.
 * Each crop is a {@link ResizedCrop} box (aspect ratio in [3/4, 4/3]) followed by a horizontal flip
 * with probability 1/2. DINO's photometric augmentations (colour jitter, blur, solarization) are
 * not applied here.
 *
 * <p>Draw order, from one generator: the global views, view by view and image by image (box, then
 * the flip coin), then the local views in the same order, so a seed fixes every crop.
 *
 * <p>Dimension letters: N images, C H W image, G global size, S local size.
 *
 * @param globalSize G, side of the global crops (the ViT's input size)
 * @param localSize S, side of the local crops, &gt;= 1
 * @param numLocal local crops per image, &gt;= 0
 * @param globalMinScale smallest area fraction of a global crop (0.4)
 * @param localMaxScale largest area fraction of a local crop (0.4); local crops start at 0.05
 */
public record MultiCrop(
    int globalSize, int localSize, int numLocal, double globalMinScale, double localMaxScale) {
  /** The smallest area fraction of a local crop. */
  public static final double LOCAL_MIN_SCALE = 0.05;

  /** Validates the sizes and scales. */
  public MultiCrop {
    if (globalSize < 1 || localSize < 1 || numLocal < 0) {
      throw new IllegalArgumentException(
          "multiCrop: sizes must be >= 1 and numLocal >= 0, got global "
              + globalSize
              + ", local "
              + localSize
              + ", numLocal "
              + numLocal);
    }
    if (!(globalMinScale > 0 && globalMinScale <= 1)
        || !(localMaxScale > LOCAL_MIN_SCALE && localMaxScale <= 1)) {
      throw new IllegalArgumentException(
          "multiCrop: need 0 < globalMinScale <= 1 and 0.05 < localMaxScale <= 1, got "
              + globalMinScale
              + ", "
              + localMaxScale);
    }
  }

  /** The paper's scales: globals (0.4, 1), locals (0.05, 0.4). */
  public static MultiCrop of(int globalSize, int localSize, int numLocal) {
    return new MultiCrop(globalSize, localSize, numLocal, 0.4, 0.4);
  }

  /**
   * The views of one batch.
   *
   * @param globals shape (2, N, C, G, G)
   * @param locals shape (numLocal, N, C, S, S), or null when numLocal is 0
   */
  public record Views(Tensor globals, Tensor locals) {
    /** Number of student views, 2 + numLocal. */
    public int numViews() {
      return 2 + (locals == null ? 0 : locals.shape(0));
    }
  }

  /**
   * Draws the views of a batch.
   *
   * @param x images, shape (N, C, H, W)
   * @param rng the only source of randomness
   * @return the global and local views
   */
  public Views apply(Tensor x, RandomGenerator rng) {
    Tensor g = views(x, 2, globalSize, globalMinScale, 1.0, rng);
    Tensor l =
        numLocal == 0 ? null : views(x, numLocal, localSize, LOCAL_MIN_SCALE, localMaxScale, rng);
    return new Views(g, l);
  }

  private static Tensor views(
      Tensor x, int count, int size, double minScale, double maxScale, RandomGenerator rng) {
    if (x.ndim() != 4) {
      throw new IllegalArgumentException(
          "multiCrop: expected images (N, C, H, W), got " + x.shapeString());
    }
    int n = x.shape(0);
    Tensor[] out = new Tensor[count];
    for (int v = 0; v < count; v++) {
      ResizedCrop.Box[] boxes = new ResizedCrop.Box[n];
      boolean[] flip = new boolean[n];
      for (int i = 0; i < n; i++) {
        boxes[i] =
            ResizedCrop.sample(x.shape(2), x.shape(3), minScale, maxScale, 3.0 / 4, 4.0 / 3, rng);
        flip[i] = rng.nextDouble() < 0.5;
      }
      Tensor crops = ResizedCrop.crop(x, boxes, size, size);
      for (int i = 0; i < n; i++) {
        if (flip[i]) {
          Tensor img = crops.select(0, i);
          img.copyFrom(img.flip(2).contiguous());
        }
      }
      out[v] = crops;
    }
    return Tensor.stack(0, out);
  }
}
