package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.SeqArgs.input;

import org.handgrad.tensor.Tensor;

/**
 * Token bookkeeping of a Vision Transformer: prepending a learned class token to the patch tokens,
 * and reading one token back out for the classification head (Dosovitskiy et al. 2021).
 *
 * <p>Dimension letters: N batch, L tokens, D embedding.
 */
public final class Tokens {
  private Tokens() {}

  /**
   * Gradients of {@link #prependTokenForward}.
   *
   * @param dx shape (N, L, D)
   * @param dtoken shape (D,): the sum over the batch of dout[:, 0]
   */
  public record Grads(Tensor dx, Tensor dtoken) {}

  /**
   * {@code out[:, 0] = token}, {@code out[:, 1:] = x}.
   *
   * @param x tokens, shape (N, L, D), float32 or float64
   * @param token shape (D,), dtype of x
   * @return out, shape (N, L + 1, D); no cache is needed
   */
  public static Tensor prependTokenForward(Tensor x, Tensor token) {
    String op = "prepend_token";
    x = input(op, "x", x, "(N, L, D)", 3);
    int n = x.shape(0);
    int d = x.shape(2);
    token = SeqArgs.matching(op, "token", token, "(D,)", x, "x", d);
    Tensor t = token.reshape(1, 1, d).broadcastTo(n, 1, d);
    return Tensor.concatenate(1, t, x);
  }

  /**
   * Backward of {@link #prependTokenForward}.
   *
   * @param dout shape (N, L + 1, D)
   */
  public static Grads prependTokenBackward(Tensor dout) {
    int l1 = dout.shape(1);
    return new Grads(dout.slice(1, 1, l1).contiguous(), dout.select(1, 0).sum(0));
  }

  /**
   * Reads token {@code index} of every example: {@code out = x[:, index]}.
   *
   * @param x shape (N, L, D)
   * @param index in [0, L)
   * @return out, shape (N, D); the cache is x's shape
   */
  public static Forward<int[]> selectTokenForward(Tensor x, int index) {
    String op = "select_token";
    x = input(op, "x", x, "(N, L, D)", 3);
    if (index < 0 || index >= x.shape(1)) {
      throw new IllegalArgumentException(
          op + ": index " + index + " is outside [0, " + x.shape(1) + ") for x " + x.shapeString());
    }
    return new Forward<>(
        x.select(1, index).contiguous(), new int[] {x.shape(0), x.shape(1), x.shape(2), index});
  }

  /**
   * Backward of {@link #selectTokenForward}: dout lands in row {@code index}; other tokens get 0.
   *
   * @param dout shape (N, D)
   * @param cache (N, L, D, index) from the forward pass
   * @return dx, shape (N, L, D)
   */
  public static Tensor selectTokenBackward(Tensor dout, int[] cache) {
    Tensor dx = Tensor.zeros(dout.dtype(), cache[0], cache[1], cache[2]);
    dx.select(1, cache[3]).copyFrom(dout);
    return dx;
  }
}
