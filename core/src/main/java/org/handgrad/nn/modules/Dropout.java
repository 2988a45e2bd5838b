package org.handgrad.nn.modules;

import org.handgrad.nn.PairModule;
import org.handgrad.nn.functional.Dropout.DropoutParam;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Inverted dropout over {@link org.handgrad.nn.functional.Dropout}. <b>p is the KEEP
 * probability</b>, as in CS231n; PyTorch's {@code nn.Dropout(p)} takes the drop probability, so
 * {@code new Dropout(0.8, seed)} is PyTorch's {@code nn.Dropout(0.2)}.
 *
 * <p>In training mode each forward draws a fresh mask; in evaluation mode the module is the
 * identity. Masks come from a module-owned SplitMix64 generator (Steele, Lea and Flood 2014), whose
 * whole state is one 64-bit word kept in the int32 buffer {@code rng_state} = [high, low] 32 bits,
 * so a checkpoint restores it like any buffer and a resumed run draws the same masks. Each training
 * forward advances the state once and seeds the functional pair's mask with the next output: the
 * mask seeds are exactly the stream {@code new SplittableRandom(seed).nextLong()}, ... (the JDK's
 * SplittableRandom is SplitMix64 with the same constants). Evaluation forwards leave it alone.
 */
public final class Dropout extends PairModule<org.handgrad.nn.functional.Dropout.Cache> {
  /** SplitMix64's increment, the odd integer closest to 2^64 / golden ratio. */
  private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

  private final double p;
  private final Tensor rngState;

  /**
   * A dropout layer.
   *
   * @param p keep probability, in (0, 1]
   * @param seed seeds the sequence of masks (explicit: no hidden global generator)
   */
  public Dropout(double p, long seed) {
    DropoutParam.test(p); // validates p with the functional layer's message
    this.p = p;
    this.rngState = registerBuffer("rng_state", Tensor.zeros(DType.INT32, 2));
    setState(seed);
  }

  /** The keep probability. */
  public double p() {
    return p;
  }

  /**
   * {@inheritDoc}
   *
   * @param x input, any shape, float32 or float64
   * @return out, the shape of x: x * mask / p in training mode, a copy of x in evaluation mode
   */
  @Override
  protected Forward<org.handgrad.nn.functional.Dropout.Cache> forwardPair(Tensor x) {
    return org.handgrad.nn.functional.Dropout.dropoutForward(x, nextParam());
  }

  /**
   * The functional parameters of the next forward pass, for layers that apply this module's dropout
   * inside their own pair (attention weights): in training mode a fresh mask seed from the stream
   * (advancing it, exactly as {@link #forward} does), in evaluation mode the identity.
   */
  public DropoutParam nextParam() {
    return isTraining() ? DropoutParam.train(p, nextSeed()) : DropoutParam.test(p);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout the shape of x
   * @return dx = dout * mask / p (training) or dout (evaluation), the shape of x
   */
  @Override
  protected Tensor backwardPair(Tensor dout, org.handgrad.nn.functional.Dropout.Cache cache) {
    return org.handgrad.nn.functional.Dropout.dropoutBackward(dout, cache);
  }

  /** SplitMix64's step: advance the state by the gamma, return the mixed state. */
  private long nextSeed() {
    long s = state() + GOLDEN_GAMMA;
    setState(s);
    // Stafford's "Mix13" finalizer, as in SplitMix64 and java.util.SplittableRandom.mix64.
    long z = s;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  private long state() {
    int[] s = rngState.intStorage();
    int o = rngState.offset();
    return ((long) s[o] << 32) | (s[o + 1] & 0xffffffffL);
  }

  private void setState(long state) {
    int[] s = rngState.intStorage();
    int o = rngState.offset();
    s[o] = (int) (state >>> 32);
    s[o + 1] = (int) state;
  }

  @Override
  protected String extraRepr() {
    return "p=" + p + " (keep)";
  }
}
