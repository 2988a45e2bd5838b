package org.handgrad.models.vit;

import java.util.List;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * What a Vision Transformer looks at: the class token's attention over the patches in the last
 * layer, per head, and the attention rollout over all layers (Abnar and Zuidema 2020, "Quantifying
 * Attention Flow in Transformers").
 *
 * <p>Rollout: each layer's weights are averaged over the heads, the residual connection is
 * accounted for by {@code Â = (A + I) / 2} (rows still sum to 1), and the layers are composed,
 * {@code R = Â_depth ... Â_2 Â_1}; row 0 of R (the class token) over columns 1..L is how much each
 * patch flowed into the token the head reads.
 *
 * <p>Dimension letters: N images, H heads, L patches, L + 1 tokens (token 0 the class token).
 */
public final class AttentionRollout {
  private AttentionRollout() {}

  /**
   * The class token's attention over the patches, per head.
   *
   * @param lastLayer weights of one layer, shape (N, H, L+1, L+1)
   * @return shape (N, H, L), float64: row 0, columns 1..L of every head
   */
  public static Tensor clsAttention(Tensor lastLayer) {
    check(lastLayer);
    int l1 = lastLayer.shape(3);
    return lastLayer.select(2, 0).slice(2, 1, l1).to(DType.FLOAT64).contiguous();
  }

  /**
   * The attention rollout.
   *
   * @param layers weights of every layer, first to last, each (N, H, L+1, L+1)
   * @return shape (N, L), float64: the class token's row of the rolled-out attention over the
   *     patches (the whole row, token 0 included, sums to 1)
   * @throws IllegalArgumentException for no layers or mismatched shapes
   */
  public static Tensor rollout(List<Tensor> layers) {
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("attention rollout: needs at least one layer");
    }
    Tensor first = check(layers.get(0));
    int n = first.shape(0);
    int t = first.shape(2);
    Tensor eye = Tensor.zeros(DType.FLOAT64, t, t);
    for (int i = 0; i < t; i++) {
      eye.set(1, i, i);
    }
    Tensor r = eye.broadcastTo(n, t, t).contiguous();
    for (Tensor a : layers) {
      check(a);
      if (!a.sameShape(first)) {
        throw new IllegalArgumentException(
            "attention rollout: layer shapes differ: "
                + a.shapeString()
                + " vs "
                + first.shapeString());
      }
      Tensor mixed = a.to(DType.FLOAT64).mean(1).add(eye).mul(0.5); // (N, T, T)
      r = mixed.matmul(r);
    }
    return r.select(1, 0).slice(1, 1, t).contiguous();
  }

  private static Tensor check(Tensor a) {
    if (a.ndim() != 4 || a.shape(2) != a.shape(3) || a.shape(2) < 2) {
      throw new IllegalArgumentException(
          "attention rollout: expected weights (N, H, L+1, L+1), got " + a.shapeString());
    }
    return a;
  }
}
