package org.handgrad.nn.modules;

import org.handgrad.nn.PairModule;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Sinusoidal positional encoding followed by dropout, CS231n's {@code PositionalEncoding(embed_dim,
 * dropout=0.1, max_len=5000)} over {@link org.handgrad.nn.functional.PositionalEncoding}: {@code
 * out = dropout(x + pe[:S])} for x (N, S, E). The table is the buffer {@code pe}, shape (L, E)
 * (CS231n keeps (1, L, E)); it is fixed, not trained.
 *
 * <p><b>dropout is the DROP probability</b> (CS231n's transformer and PyTorch); the child {@code
 * dropout} keeps 1 - dropout.
 */
public final class PositionalEncoding
    extends PairModule<org.handgrad.nn.functional.PositionalEncoding.Cache> {
  private final Tensor pe;
  private final Dropout dropout;

  /**
   * An encoding with CS231n's defaults for dropout (0.1) and max_len (5000).
   *
   * @param embedDim E, even
   * @param dtype float32 or float64
   * @param seed seeds the dropout masks
   */
  public PositionalEncoding(int embedDim, DType dtype, long seed) {
    this(embedDim, 0.1, 5000, dtype, seed);
  }

  /**
   * An encoding with every choice explicit.
   *
   * @param embedDim E, even
   * @param dropout DROP probability, in [0, 1)
   * @param maxLen L, the longest sequence accepted
   * @param dtype float32 or float64
   * @param seed seeds the dropout masks
   */
  public PositionalEncoding(int embedDim, double dropout, int maxLen, DType dtype, long seed) {
    ModuleArgs.floating("PositionalEncoding", dtype);
    MultiHeadAttention.dropProbability("PositionalEncoding", dropout);
    pe =
        registerBuffer(
            "pe",
            org.handgrad.nn.functional.PositionalEncoding.sinusoidalTable(maxLen, embedDim, dtype));
    this.dropout = registerModule("dropout", new Dropout(1 - dropout, seed));
  }

  /** The table, shape (L, E). */
  public Tensor table() {
    return pe;
  }

  /**
   * {@inheritDoc}
   *
   * @param x shape (N, S, E) with S at most L
   * @return out, shape (N, S, E)
   */
  @Override
  protected Forward<org.handgrad.nn.functional.PositionalEncoding.Cache> forwardPair(Tensor x) {
    return org.handgrad.nn.functional.PositionalEncoding.positionalEncodingForward(
        x, pe, dropout.nextParam());
  }

  @Override
  protected Tensor backwardPair(
      Tensor dout, org.handgrad.nn.functional.PositionalEncoding.Cache cache) {
    return org.handgrad.nn.functional.PositionalEncoding.positionalEncodingBackward(dout, cache);
  }

  @Override
  protected String extraRepr() {
    return "embed_dim=" + pe.shape(1) + ", max_len=" + pe.shape(0);
  }
}
