package org.handgrad.models.rnn;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.Tensor;

/**
 * The identity: the inputs already are features (CS231n's COCO captioning uses fc7 features of a
 * pretrained VGG-16, reduced to D = 512 by PCA), so nothing is trained in front of the decoder.
 *
 * @param featureDim D of the inputs, shape (N, D)
 */
public record FeatureEncoder(int featureDim) implements ImageEncoder {
  /** Validates D. */
  public FeatureEncoder {
    if (featureDim <= 0) {
      throw new IllegalArgumentException(
          "FeatureEncoder: featureDim must be > 0, got " + featureDim);
    }
  }

  @Override
  public List<Parameter> parameters() {
    return List.of();
  }

  @Override
  public Map<String, Tensor> buffers() {
    return Map.of();
  }

  /**
   * @param images features, shape (N, D)
   * @return the same tensor
   */
  @Override
  public Tensor forward(Tensor images, boolean train) {
    if (images.ndim() != 2 || images.shape(1) != featureDim) {
      throw new IllegalArgumentException(
          "FeatureEncoder: expected features (N, D) with D="
              + featureDim
              + ", got "
              + images.shapeString());
    }
    return images;
  }

  @Override
  public void backward(Tensor dfeatures) {
    // No parameters: the gradient stops here.
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", "features");
    m.put("feature_dim", featureDim);
    return m;
  }
}
