package org.handgrad.optim;

/**
 * The Solver's random stream: SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom
 * number generators", OOPSLA 2014; the finalizer constants are Vigna's), whose whole state is one
 * {@code long}, so a checkpoint can store it and a resumed run draws exactly the numbers the
 * uninterrupted run would have drawn. {@link java.util.SplittableRandom} uses the same algorithm
 * but cannot export its state.
 *
 * <p>Package-private on purpose: once the project-wide {@code org.handgrad.tensor.Rng} (with {@code
 * getState}/{@code setState}) exists, the Solver can switch to it; only {@link #state()} / {@link
 * #setState} and the two draws below are used.
 */
final class SplitMix64 {
  private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

  private long state;

  SplitMix64(long seed) {
    this.state = seed;
  }

  /** The whole state; {@code new SplitMix64(0).setState(s)} continues this stream. */
  long state() {
    return state;
  }

  void setState(long state) {
    this.state = state;
  }

  /** 64 uniformly distributed bits. */
  long nextLong() {
    long z = (state += GOLDEN_GAMMA);
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /**
   * A uniform integer in [0, bound), without modulo bias: Lemire's multiply-shift ("Fast random
   * integer generation in an interval", 2019) maps 32 random bits to {@code (x * bound) >> 32} and
   * rejects the few low products that would make some results more likely.
   *
   * @param bound exclusive upper end, &gt; 0
   */
  int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("nextInt: bound must be > 0, got " + bound);
    }
    long m = (nextLong() >>> 32) * bound;
    long low = m & 0xffffffffL;
    if (low < bound) {
      long threshold = (0x1_0000_0000L - bound) % bound; // 2^32 mod bound
      while (low < threshold) {
        m = (nextLong() >>> 32) * bound;
        low = m & 0xffffffffL;
      }
    }
    return (int) (m >>> 32);
  }

  /** Fisher-Yates shuffle of {@code 0 .. n-1} (Knuth's Algorithm P, from the end). */
  int[] permutation(int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = nextInt(i + 1);
      int tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }
}
