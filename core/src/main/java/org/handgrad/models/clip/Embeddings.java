package org.handgrad.models.clip;

import java.util.ArrayList;
import java.util.List;
import org.handgrad.nn.NoGrad;
import org.handgrad.tensor.Tensor;

/** Embeds many images or texts in chunks (evaluation mode), to bound the activations' memory. */
public final class Embeddings {
  private Embeddings() {}

  /** Rows per chunk. */
  public static final int CHUNK = 256;

  /**
   * Image embeddings, not normalized.
   *
   * @param images shape (M, C, H, W), any dtype (converted to the model's)
   * @return shape (M, E)
   */
  public static Tensor images(Clip model, Tensor images) {
    List<Tensor> parts = new ArrayList<>();
    int m = images.shape(0);
    for (int s = 0; s < m; s += CHUNK) {
      Tensor x = images.slice(0, s, Math.min(m, s + CHUNK)).contiguous();
      parts.add(NoGrad.get(() -> model.encodeImages(x.to(model.config().dtype()))));
    }
    return Tensor.concatenate(0, parts.toArray(new Tensor[0]));
  }

  /**
   * Text embeddings, not normalized.
   *
   * @param tokens int32, shape (K, T)
   * @return shape (K, E)
   */
  public static Tensor texts(Clip model, Tensor tokens) {
    List<Tensor> parts = new ArrayList<>();
    int k = tokens.shape(0);
    for (int s = 0; s < k; s += CHUNK) {
      Tensor chunk = tokens.slice(0, s, Math.min(k, s + CHUNK)).contiguous();
      parts.add(NoGrad.get(() -> model.encodeTexts(chunk)));
    }
    return Tensor.concatenate(0, parts.toArray(new Tensor[0]));
  }
}
