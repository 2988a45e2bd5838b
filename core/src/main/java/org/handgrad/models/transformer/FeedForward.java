package org.handgrad.models.transformer;

import java.util.random.RandomGenerator;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.Dropout;
import org.handgrad.nn.modules.GELU;
import org.handgrad.nn.modules.Linear;
import org.handgrad.tensor.DType;

/**
 * The position-wise feed-forward block of a transformer, {@code Linear(E, F) - GELU - Dropout -
 * Linear(F, E)} applied to every position of a (N, T, E) input (CS231n's {@code
 * FeedForwardNetwork}; PyTorch's {@code linear1}, {@code activation}, {@code dropout}, {@code
 * linear2}). Children {@code linear1}, {@code gelu}, {@code dropout}, {@code linear2}.
 *
 * <p><b>dropout is the DROP probability</b>, as in CS231n's transformer and PyTorch.
 */
public final class FeedForward extends TapeModule {
  private final Linear linear1;
  private final GELU gelu;
  private final Dropout dropout;
  private final Linear linear2;

  /**
   * A block with the given initializer for both linear layers.
   *
   * @param embedDim E
   * @param hiddenDim F
   * @param dropout DROP probability after the GELU, in [0, 1)
   * @param dtype float32 or float64
   * @param init weight initializer of both linear layers
   * @param rng draws linear1's then linear2's parameters
   * @param seed seeds the dropout masks
   */
  public FeedForward(
      int embedDim,
      int hiddenDim,
      double dropout,
      DType dtype,
      WeightInit init,
      RandomGenerator rng,
      long seed) {
    linear1 = registerModule("linear1", new Linear(embedDim, hiddenDim, true, dtype, init, rng));
    gelu = registerModule("gelu", new GELU());
    this.dropout = registerModule("dropout", new Dropout(1 - drop(dropout), seed));
    linear2 = registerModule("linear2", new Linear(hiddenDim, embedDim, true, dtype, init, rng));
  }

  static double drop(double dropout) {
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException(
          "transformer: dropout must be in [0, 1) (the DROP probability), got " + dropout);
    }
    return dropout;
  }

  /** The first linear layer, E to F. */
  public Linear linear1() {
    return linear1;
  }

  /** The second linear layer, F to E. */
  public Linear linear2() {
    return linear2;
  }

  /**
   * {@inheritDoc}
   *
   * @param x shape (N, T, E)
   * @return out, shape (N, T, E)
   */
  @Override
  public Var forward(Tape tape, Var x) {
    int[] shape = x.shape();
    int e = shape[shape.length - 1];
    // The linear layers act on rows: (N, T, E) -> (N*T, E) and back (views, no copies).
    Var h = tape.reshape(x, -1, e);
    h = tape.module(linear1, h);
    h = tape.module(gelu, h);
    h = tape.module(dropout, h);
    h = tape.module(linear2, h);
    return tape.reshape(h, shape);
  }
}
