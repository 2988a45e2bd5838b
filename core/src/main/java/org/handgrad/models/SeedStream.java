package org.handgrad.models;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * A SplitMix64 generator (Steele, Lea and Flood 2014) whose whole 64-bit state lives in a tensor,
 * so a model can expose it through {@link org.handgrad.nn.Model#buffers()}: a checkpoint that saves
 * the buffers and later copies them back resumes the same sequence of dropout masks.
 *
 * <p>The state is a shape (2,) int32 tensor holding the high and low 32 bits (int32 because a
 * 64-bit integer does not round-trip through float64). Every {@link #next()} reads the state from
 * the tensor, so restoring values into the tensor takes effect immediately.
 */
public final class SeedStream {
  private static final long GAMMA = 0x9E3779B97F4A7C15L; // the golden-ratio increment

  private final Tensor state = Tensor.zeros(DType.INT32, 2);

  /** A stream starting from {@code seed}. */
  public SeedStream(long seed) {
    write(seed);
  }

  /** The live state tensor, shape (2,), int32: {high 32 bits, low 32 bits}. */
  public Tensor state() {
    return state;
  }

  /** The next 64-bit value; advances the state. */
  public long next() {
    long s = read() + GAMMA;
    write(s);
    long z = s;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private long read() {
    int[] s = state.intStorage();
    return ((long) s[0] << 32) | (s[1] & 0xFFFFFFFFL);
  }

  private void write(long v) {
    int[] s = state.intStorage();
    s[0] = (int) (v >>> 32);
    s[1] = (int) v;
  }
}
