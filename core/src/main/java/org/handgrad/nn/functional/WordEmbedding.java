package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.SeqArgs.matching;

import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Word embedding, CS231n's {@code word_embedding_forward/backward}: a table lookup, {@code out[n,
 * t] = w[x[n, t]]}, whose gradient scatters rows back into the table.
 *
 * <p>Dimensions: N batch, T time, V vocabulary, D embedding. Token ids are an INT32 tensor (N, T)
 * (what {@code Npy} reads from int64 NumPy arrays after conversion and what the caption data uses);
 * every id must lie in [0, V).
 */
public final class WordEmbedding {
  private WordEmbedding() {}

  /**
   * What {@link #wordEmbeddingBackward} reads.
   *
   * @param x token ids, int32, shape (N, T): the forward pass's validated copy
   * @param w the embedding table (its shape and dtype fix dw), shape (V, D)
   */
  public record Cache(Tensor x, Tensor w) {}

  /**
   * Looks up every token.
   *
   * @param x token ids, int32, shape (N, T), each in [0, V)
   * @param w embedding table, shape (V, D), float32 or float64
   * @return the embeddings, shape (N, T, D), dtype of w, and the cache
   * @throws IllegalArgumentException for a wrong dtype or shape, or an id outside [0, V), naming
   *     its position
   */
  public static Forward<Cache> wordEmbeddingForward(Tensor x, Tensor w) {
    String op = "wordEmbeddingForward";
    Objects.requireNonNull(x, op + ": x is null");
    w = SeqArgs.input(op, "w", w, "(V, D)", 2);
    if (x.dtype() != DType.INT32 || x.ndim() != 2) {
      throw new IllegalArgumentException(
          op
              + ": expected x int32 token ids (N, T), got "
              + x.dtype().numpyName()
              + " "
              + x.shapeString());
    }
    x = x.copy(); // the cache keeps validated ids that the caller cannot change
    int n = x.shape(0);
    int tt = x.shape(1);
    int v = w.shape(0);
    int d = w.shape(1);
    int[] ids = x.intStorage();
    int xo = x.offset();
    for (int i = 0; i < n * tt; i++) {
      int id = ids[xo + i];
      if (id < 0 || id >= v) {
        throw new IllegalArgumentException(
            op
                + ": token id "
                + id
                + " at ("
                + (i / tt)
                + ", "
                + (i % tt)
                + ") is outside [0, V) with V = "
                + v
                + " (w "
                + w.shapeString()
                + ")");
      }
    }
    Tensor out = Tensor.zeros(w.dtype(), n, tt, d);
    // Row copies work for either dtype: the storage arrays go through System.arraycopy.
    for (int i = 0; i < n * tt; i++) {
      SeqKernels.copyRows(1, d, out, i * d, d, w, ids[xo + i] * d, d);
    }
    return new Forward<>(out, new Cache(x, w));
  }

  /**
   * Backward of {@link #wordEmbeddingForward}: {@code dw[v] = sum of dout[n, t] over every (n, t)
   * with x[n, t] = v}, a scatter-add, so a token that occurs several times accumulates all its
   * gradients and rows of unused tokens stay zero. There is no gradient for the integer x.
   *
   * @param dout upstream gradient, shape (N, T, D)
   * @param cache from the forward pass
   * @return dw, shape (V, D)
   */
  public static Tensor wordEmbeddingBackward(Tensor dout, Cache cache) {
    Tensor x = cache.x();
    Tensor w = cache.w();
    int n = x.shape(0);
    int tt = x.shape(1);
    int d = w.shape(1);
    dout = matching("wordEmbeddingBackward", "dout", dout, "(N, T, D)", w, "the table w", n, tt, d);
    Tensor dw = Tensor.zeros(w.dtype(), w.shape());
    int[] ids = x.intStorage();
    for (int i = 0; i < n * tt; i++) {
      SeqKernels.addRows(1, d, dw, ids[x.offset() + i] * d, d, dout, i * d, d);
    }
    return dw;
  }
}
