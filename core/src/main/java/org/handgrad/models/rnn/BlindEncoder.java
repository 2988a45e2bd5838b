package org.handgrad.models.rnn;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The image-blind baseline: every image maps to the zero feature vector, so the decoder's h0 is the
 * learned bias {@code b_proj} alone and the model is a plain language model of the training
 * captions. Trained the same way as the real captioner, it measures how much of a caption the
 * language prior alone gets right; the gap to the real captioner is what the image contributes.
 *
 * <p>D = 1 is enough: {@code W_proj} (1, H) then only ever sees zeros (its gradient stays zero).
 *
 * @param dtype of the zero features (the decoder's dtype)
 */
public record BlindEncoder(DType dtype) implements ImageEncoder {
  /** Validates the dtype. */
  public BlindEncoder {
    if (dtype == null || !dtype.isFloating()) {
      throw new IllegalArgumentException("BlindEncoder: dtype must be float32 or float64");
    }
  }

  @Override
  public int featureDim() {
    return 1;
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
   * @param images any batch, shape (N, ...); only N is read
   * @return zeros, shape (N, 1)
   */
  @Override
  public Tensor forward(Tensor images, boolean train) {
    return Tensor.zeros(dtype, images.shape(0), 1);
  }

  @Override
  public void backward(Tensor dfeatures) {
    // The features are constants: nothing to train.
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", "blind");
    m.put("dtype", dtype.numpyName());
    return m;
  }
}
