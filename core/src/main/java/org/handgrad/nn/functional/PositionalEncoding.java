package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.SeqArgs.input;

import java.util.Objects;
import org.handgrad.nn.functional.Dropout.DropoutParam;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Positions for a transformer, which is otherwise blind to order: a fixed sinusoidal table (Vaswani
 * et al. 2017; CS231n's {@code PositionalEncoding}) or a learned embedding (BERT, ViT), added to
 * the (N, S, E) input.
 *
 * <p>Dimension letters: N batch, S sequence length, E embedding, L the table's maximum length.
 */
public final class PositionalEncoding {
  private PositionalEncoding() {}

  /**
   * The sinusoidal table: {@code pe[pos, 2i] = sin(pos * w_i)}, {@code pe[pos, 2i + 1] = cos(pos *
   * w_i)} with {@code w_i = 10000^(-2i / E)}, computed as CS231n does, {@code exp(2i * -(ln 10000 /
   * E))}.
   *
   * @param maxLen L, at least 1
   * @param e E, even and at least 2 (sine and cosine come in pairs; CS231n asserts it)
   * @return shape (L, E)
   */
  public static Tensor sinusoidalTable(int maxLen, int e, DType dtype) {
    if (maxLen < 1) {
      throw new IllegalArgumentException(
          "positional_encoding: max_len must be >= 1, got " + maxLen);
    }
    if (e < 2 || e % 2 != 0) {
      throw new IllegalArgumentException(
          "positional_encoding: embed_dim E must be even and >= 2 (sin/cos pairs), got " + e);
    }
    double[] pe = new double[maxLen * e];
    for (int i = 0; i < e; i += 2) {
      double w = Math.exp(i * -(Math.log(10000.0) / e));
      for (int pos = 0; pos < maxLen; pos++) {
        pe[pos * e + i] = Math.sin(pos * w);
        pe[pos * e + i + 1] = Math.cos(pos * w);
      }
    }
    return Tensor.of(pe, maxLen, e).to(dtype);
  }

  /**
   * Cache of {@link #positionalEncodingForward}.
   *
   * @param dropout the dropout applied after the sum
   */
  public record Cache(Dropout.Cache dropout) {
    /** Validates presence. */
    public Cache {
      Objects.requireNonNull(dropout, "dropout");
    }
  }

  /**
   * {@code out = dropout(x + table[:S])}, CS231n's {@code PositionalEncoding.forward}.
   *
   * @param x input, shape (N, S, E), float32 or float64
   * @param table positions, shape (L, E) with L >= S, dtype of x (e.g. {@link #sinusoidalTable})
   * @param dropout applied to the sum (TEST mode for none)
   * @return out (N, S, E)
   * @throws IllegalArgumentException when S exceeds the table's length, or E differs
   */
  public static Forward<Cache> positionalEncodingForward(
      Tensor x, Tensor table, DropoutParam dropout) {
    Tensor sum = addPositions("positional_encoding", x, table);
    Forward<Dropout.Cache> d = Dropout.dropoutForward(sum, dropout);
    return new Forward<>(d.out(), new Cache(d.cache()));
  }

  /**
   * Backward of {@link #positionalEncodingForward}: the table is constant, so dx = dropout's
   * backward of dout.
   *
   * @param dout shape (N, S, E)
   * @return dx, shape (N, S, E)
   */
  public static Tensor positionalEncodingBackward(Tensor dout, Cache cache) {
    return Dropout.dropoutBackward(dout, cache.dropout());
  }

  /**
   * A learned positional embedding, {@code out = x + pos[:S]} (ViT's {@code pos_embed}, BERT's
   * position embeddings).
   *
   * @param x input, shape (N, S, E)
   * @param pos the learned table, shape (L, E) with L >= S, dtype of x
   * @return out (N, S, E); the cache is the table's shape (L, E)
   */
  public static Forward<int[]> positionalEmbeddingForward(Tensor x, Tensor pos) {
    Tensor out = addPositions("positional_embedding", x, pos);
    return new Forward<>(out, pos.shape());
  }

  /**
   * Gradients of a learned positional embedding.
   *
   * @param dx shape (N, S, E), equal to dout
   * @param dpos shape (L, E): row s is the sum over the batch of dout[:, s], rows from S on are 0
   */
  public record Grads(Tensor dx, Tensor dpos) {}

  /**
   * Backward of {@link #positionalEmbeddingForward}.
   *
   * @param dout shape (N, S, E)
   * @param posShape the cache: (L, E)
   */
  public static Grads positionalEmbeddingBackward(Tensor dout, int[] posShape) {
    Tensor d = dout.contiguous();
    int s = d.shape(1);
    Tensor dpos = Tensor.zeros(d.dtype(), posShape);
    dpos.slice(0, 0, s).copyFrom(d.sum(0));
    return new Grads(d, dpos);
  }

  private static Tensor addPositions(String op, Tensor x, Tensor table) {
    x = input(op, "x", x, "(N, S, E)", 3);
    Objects.requireNonNull(table, op + ": table is null");
    int s = x.shape(1);
    int e = x.shape(2);
    if (table.ndim() != 2 || table.shape(1) != e || table.dtype() != x.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": expected a table (L, E) with E="
              + e
              + " of dtype "
              + x.dtype().numpyName()
              + ", got "
              + table.shapeString()
              + " "
              + table.dtype().numpyName());
    }
    if (s > table.shape(0)) {
      throw new IllegalArgumentException(
          op
              + ": sequence length S="
              + s
              + " exceeds the positional table's max length L="
              + table.shape(0)
              + "; build the table with a larger max_len");
    }
    return x.add(table.slice(0, 0, s));
  }
}
