package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Reads one token per example at its own position: {@code out[n] = x[n, index[n]]}. A text encoder
 * pools a sentence at its end-of-text token (CLIP, Radford et al. 2021: "the activations of the
 * highest layer of the transformer at the [EOS] token are treated as the feature representation"),
 * and sentences of a batch end at different positions. {@link Tokens#selectTokenForward} reads the
 * same position for every example; this pair generalizes it.
 *
 * <p>Dimension letters: N batch, L tokens, D embedding.
 */
public final class TokenGather {
  private TokenGather() {}

  /**
   * Cache of {@link #gatherTokensForward}.
   *
   * @param shape (N, L, D) of x
   * @param index the positions read, length N
   * @param dtype x's dtype
   */
  public record Cache(int[] shape, int[] index, DType dtype) {}

  /**
   * {@code out[n] = x[n, index[n]]}.
   *
   * @param x tokens, shape (N, L, D), float32 or float64
   * @param index positions, length N, each in [0, L)
   * @return out, shape (N, D)
   */
  public static Forward<Cache> gatherTokensForward(Tensor x, int[] index) {
    String op = "gather_tokens";
    Objects.requireNonNull(x, op + ": x");
    Objects.requireNonNull(index, op + ": index");
    if (x.ndim() != 3) {
      throw new IllegalArgumentException(
          op + ": expected x of shape (N, L, D), got " + x.shapeString());
    }
    int n = x.shape(0);
    int l = x.shape(1);
    int d = x.shape(2);
    if (index.length != n) {
      throw new IllegalArgumentException(
          op + ": expected " + n + " positions for x " + x.shapeString() + ", got " + index.length);
    }
    Tensor out = Tensor.zeros(x.dtype(), n, d);
    for (int i = 0; i < n; i++) {
      if (index[i] < 0 || index[i] >= l) {
        throw new IllegalArgumentException(
            op
                + ": position "
                + index[i]
                + " of example "
                + i
                + " is outside [0, "
                + l
                + ") for x "
                + x.shapeString());
      }
      out.select(0, i).copyFrom(x.select(0, i).select(0, index[i]));
    }
    return new Forward<>(out, new Cache(x.shape(), index.clone(), x.dtype()));
  }

  /**
   * Backward of {@link #gatherTokensForward}: row n of dout lands at position index[n]; every other
   * token gets 0.
   *
   * @param dout shape (N, D)
   * @param cache from the forward pass
   * @return dx, shape (N, L, D)
   */
  public static Tensor gatherTokensBackward(Tensor dout, Cache cache) {
    int[] s = cache.shape();
    if (dout.ndim() != 2 || dout.shape(0) != s[0] || dout.shape(1) != s[2]) {
      throw new IllegalArgumentException(
          "gather_tokens_backward: expected dout ("
              + s[0]
              + ", "
              + s[2]
              + "), got "
              + dout.shapeString());
    }
    Tensor dx = Tensor.zeros(cache.dtype(), s[0], s[1], s[2]);
    for (int i = 0; i < s[0]; i++) {
      dx.select(0, i).select(0, cache.index()[i]).copyFrom(dout.select(0, i));
    }
    return dx;
  }
}
