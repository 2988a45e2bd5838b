package org.handgrad.models;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * A stream of seeds (one per dropout layer per training step) from the project's {@link Rng}, whose
 * whole state lives in a tensor so a model can expose it through {@link
 * org.handgrad.nn.Model#buffers()}: a checkpoint that saves the buffers and later copies them back
 * resumes the same sequence of dropout masks.
 *
 * <p>The state is a shape (8,) int32 tensor holding Rng's four 64-bit words as high/low 32-bit
 * halves (int32 because a 64-bit integer does not round-trip through float64). Every {@link
 * #next()} loads the state from the tensor and stores it back, so values copied into the tensor
 * take effect immediately.
 */
public final class SeedStream {
  private final Tensor state = Tensor.zeros(DType.INT32, 8);
  private final Rng rng;

  /** A stream starting from {@code seed}. */
  public SeedStream(long seed) {
    rng = new Rng(seed);
    store();
  }

  /** The live state tensor, shape (8,), int32. */
  public Tensor state() {
    return state;
  }

  /** The next 64-bit seed; advances the state. */
  public long next() {
    int[] s = state.intStorage();
    long[] words = new long[4];
    for (int k = 0; k < 4; k++) {
      words[k] = ((long) s[2 * k] << 32) | (s[2 * k + 1] & 0xFFFFFFFFL);
    }
    rng.setState(words);
    long v = rng.nextLong();
    store();
    return v;
  }

  private void store() {
    long[] words = rng.getState();
    int[] s = state.intStorage();
    for (int k = 0; k < 4; k++) {
      s[2 * k] = (int) (words[k] >>> 32);
      s[2 * k + 1] = (int) words[k];
    }
  }
}
