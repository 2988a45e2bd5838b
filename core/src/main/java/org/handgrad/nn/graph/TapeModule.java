package org.handgrad.nn.graph;

import org.handgrad.nn.Module;
import org.handgrad.tensor.Tensor;

/**
 * A module whose forward pass records itself on a {@link Tape} instead of keeping one cache: the
 * base of every block whose graph is not a chain (a residual block, a transformer layer, a U-Net).
 *
 * <p>Subclasses write only {@link #forward(Tape, Var)}, calling layer pairs and sub-modules through
 * the tape in forward order; the backward pass is the tape's replay, so nobody writes the reverse
 * order by hand. Because the caches live on the tape, a TapeModule that records only pairs and
 * other TapeModules (as {@code MultiHeadAttention} does) may be called several times in one pass
 * (shared weights: the gradients of all calls add into its parameters); one that records plain
 * modules with {@link Tape#module} may not, since each of those keeps a single cache.
 *
 * <p>Used on its own, as a plain {@link Module} ({@code forward(x)} then {@code backward(dout)}),
 * it records a private tape in {@link #forward(Tensor)} and replays it in {@link
 * #backward(Tensor)}.
 */
public abstract class TapeModule extends Module {
  private Tape lastTape;
  private Var lastIn;
  private Var lastOut;

  /**
   * Records this module's forward pass on a tape.
   *
   * @param tape the tape of the enclosing pass
   * @param x input, shape as the module documents
   * @return output, shape as the module documents
   */
  public abstract Var forward(Tape tape, Var x);

  /**
   * Forward on a private tape, kept for {@link #backward(Tensor)}.
   *
   * @param x input, shape as the module documents
   * @return the output
   */
  @Override
  public final Tensor forward(Tensor x) {
    lastTape = null;
    Tape tape = new Tape();
    Var in = tape.input(x);
    Var out = forward(tape, in);
    lastTape = tape;
    lastIn = in;
    lastOut = out;
    return out.value();
  }

  /**
   * Replays the private tape of the last {@link #forward(Tensor)}: adds every parameter gradient
   * and returns dx. A tape replays once, so call forward again before another backward.
   *
   * @param dout gradient of the last output
   * @return dx, the shape of the last input
   */
  @Override
  public final Tensor backward(Tensor dout) {
    if (lastTape == null) {
      throw noForward();
    }
    Tape tape = lastTape;
    lastTape = null;
    tape.backward(lastOut, dout);
    return tape.grad(lastIn);
  }
}
