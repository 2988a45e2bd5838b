package org.handgrad.models.ssl;

import java.util.ArrayList;
import java.util.List;
import org.handgrad.nn.NoGrad;
import org.handgrad.tensor.Tensor;

/**
 * A frozen representation: images in, one feature vector per image out. The linear probe and the
 * kNN monitor take any extractor (a SimCLR or DINO encoder, a randomly initialised one, raw
 * pixels).
 *
 * <p>Dimension letters: N images, C H W image, D features.
 */
@FunctionalInterface
public interface FeatureExtractor {
  /**
   * Features of a batch, in evaluation mode (no parameter is changed).
   *
   * @param images shape (N, C, H, W)
   * @return features, shape (N, D)
   */
  Tensor features(Tensor images);

  /** The raw-pixel baseline: each image flattened to C*H*W values. */
  static FeatureExtractor pixels() {
    return x -> x.contiguous().reshape(x.shape(0), x.size() / Math.max(1, x.shape(0)));
  }

  /**
   * Features of a whole set, batch by batch (the extractor sees at most batchSize images at once).
   *
   * @param extractor the representation
   * @param images shape (N, C, H, W)
   * @param batchSize images per call, &gt;= 1
   * @return features, shape (N, D)
   */
  static Tensor extract(FeatureExtractor extractor, Tensor images, int batchSize) {
    if (images.ndim() != 4 || images.shape(0) < 1) {
      throw new IllegalArgumentException(
          "extract: expected images (N, C, H, W) with N >= 1, got " + images.shapeString());
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("extract: batchSize must be >= 1, got " + batchSize);
    }
    int n = images.shape(0);
    List<Tensor> parts = new ArrayList<>();
    for (int s = 0; s < n; s += batchSize) {
      Tensor batch = images.slice(0, s, Math.min(n, s + batchSize));
      Tensor f = NoGrad.get(() -> extractor.features(batch)); // evaluation: nothing kept
      if (f.ndim() != 2 || f.shape(0) != Math.min(n, s + batchSize) - s) {
        throw new IllegalArgumentException(
            "extract: the extractor returned "
                + f.shapeString()
                + " for "
                + (Math.min(n, s + batchSize) - s)
                + " images; expected (N, D)");
      }
      parts.add(f);
    }
    return parts.size() == 1 ? parts.get(0) : Tensor.concatenate(0, parts.toArray(new Tensor[0]));
  }
}
