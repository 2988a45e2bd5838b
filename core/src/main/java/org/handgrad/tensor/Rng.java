package org.handgrad.tensor;

import java.util.Arrays;

/**
 * An explicit, seeded random number generator: xoshiro256** (Blackman and Vigna, 2018) seeded
 * through SplitMix64, written from the published algorithm descriptions.
 *
 * <p>There is no global generator: every random op takes an {@code Rng}, so the same seed gives the
 * same run. The whole state is four longs ({@link #getState()} / {@link #setState(long[])}), small
 * enough to store in a checkpoint; restoring it continues the exact same stream. {@link #split()}
 * derives an independent child generator (for a data loader, a dropout layer, a worker) by seeding
 * a fresh SplitMix64 sequence from the parent's next output.
 *
 * <p>Derived distributions: uniform doubles use the top 53 bits of an output; normals use the
 * Box-Muller transform (both values of each pair are used by the tensor fillers; {@link
 * #nextGaussian()} returns the first and discards the second, so the state stays four longs);
 * bounded integers use rejection sampling, which is exactly uniform.
 *
 * <p>Not thread-safe: give each thread its own {@link #split()}.
 */
public final class Rng {
  private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

  private long s0;
  private long s1;
  private long s2;
  private long s3;

  /** A generator whose state is filled from a SplitMix64 sequence started at {@code seed}. */
  public Rng(long seed) {
    long[] x = {seed};
    s0 = splitMix64(x);
    s1 = splitMix64(x);
    s2 = splitMix64(x);
    s3 = splitMix64(x);
  }

  /** A generator that continues from a state returned by {@link #getState()}. */
  public static Rng fromState(long[] state) {
    Rng r = new Rng(0);
    r.setState(state);
    return r;
  }

  /**
   * One SplitMix64 step (Steele, Lea and Flood, 2014): advances {@code x[0]} by the golden gamma
   * and returns the mixed value. Identical to {@link java.util.SplittableRandom#nextLong()} for a
   * generator created with the same seed.
   */
  static long splitMix64(long[] x) {
    long z = x[0] += GOLDEN_GAMMA;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  // ---------------------------------------------------------------- state

  /** A copy of the state: four longs, for checkpoints. */
  public long[] getState() {
    return new long[] {s0, s1, s2, s3};
  }

  /**
   * Restores a state saved with {@link #getState()}.
   *
   * @throws IllegalArgumentException when the array does not hold 4 values or is all zero (a fixed
   *     point of the generator)
   */
  public void setState(long[] state) {
    if (state == null || state.length != 4) {
      throw new IllegalArgumentException(
          "setState: expected 4 longs, got " + (state == null ? "null" : state.length));
    }
    if ((state[0] | state[1] | state[2] | state[3]) == 0) {
      throw new IllegalArgumentException("setState: the all-zero state is not valid");
    }
    s0 = state[0];
    s1 = state[1];
    s2 = state[2];
    s3 = state[3];
  }

  /**
   * A new generator for an independent stream, seeded from this generator's next output (which
   * advances this one). Splitting the same parent state always gives the same child.
   */
  public Rng split() {
    return new Rng(nextLong());
  }

  /** Same as {@link #split()}, named for call sites that fork a sub-stream per component. */
  public Rng fork() {
    return split();
  }

  // ---------------------------------------------------------------- scalars

  /** The next 64 uniformly random bits (xoshiro256**). */
  public long nextLong() {
    long result = Long.rotateLeft(s1 * 5, 7) * 9;
    long t = s1 << 17;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = Long.rotateLeft(s3, 45);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform in [0, 1) with 24 random bits (never rounds up to 1). */
  public float nextFloat() {
    return (nextLong() >>> 40) * 0x1.0p-24f;
  }

  /**
   * Uniform integer in [lo, hi).
   *
   * @throws IllegalArgumentException unless lo &lt; hi
   */
  public int nextInt(int lo, int hi) {
    if (lo >= hi) {
      throw new IllegalArgumentException("nextInt: lo " + lo + " must be less than hi " + hi);
    }
    return lo + (int) nextBounded((long) hi - lo);
  }

  /** Uniform in [0, bound) for 0 &lt; bound &lt;= 2^32, by rejection (no modulo bias). */
  private long nextBounded(long bound) {
    long u = nextLong() >>> 1;
    long r = u % bound;
    // Reject the incomplete last block of [0, 2^63): u - r + bound - 1 overflows exactly there.
    while (u - r + (bound - 1) < 0) {
      u = nextLong() >>> 1;
      r = u % bound;
    }
    return r;
  }

  /** True with probability p. */
  public boolean nextBoolean(double p) {
    checkProbability("nextBoolean", p);
    return nextDouble() < p;
  }

  /** A standard normal value (Box-Muller; the pair's second value is discarded). */
  public double nextGaussian() {
    double[] pair = new double[2];
    gaussianPair(pair, 0);
    return pair[0];
  }

  /** Writes two independent standard normals into out[i], out[i+1] (Box-Muller). */
  private void gaussianPair(double[] out, int i) {
    double u1 = 1.0 - nextDouble(); // (0, 1]: log stays finite
    double u2 = nextDouble();
    double r = Math.sqrt(-2.0 * Math.log(u1));
    double theta = 2.0 * Math.PI * u2;
    out[i] = r * Math.cos(theta);
    out[i + 1] = r * Math.sin(theta);
  }

  private static void checkProbability(String op, double p) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException(op + ": probability " + p + " is not in [0, 1]");
    }
  }

  // ---------------------------------------------------------------- permutations and choice

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  public int[] permutation(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("permutation: n must be >= 0, got " + n);
    }
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    shuffle(p);
    return p;
  }

  /** Shuffles an array in place, every order equally likely (Fisher-Yates). */
  public void shuffle(int[] a) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = (int) nextBounded(i + 1L);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /**
   * k draws from 0..n-1, uniformly.
   *
   * @param replace with replacement (independent draws) or without (k distinct values, k &lt;= n)
   */
  public int[] choice(int n, int k, boolean replace) {
    return choice(n, k, replace, null);
  }

  /**
   * k draws from 0..n-1 with probabilities p (NumPy's {@code choice(n, k, replace, p)}).
   *
   * <p>With replacement each draw inverts the cumulative distribution. Without replacement the
   * result is distributed as drawing one at a time and renormalising (NumPy's definition), computed
   * in one pass with the exponential keys of Efraimidis and Spirakis: the k largest {@code log(u_i)
   * / p_i}, in decreasing order.
   *
   * @param p probabilities, length n, non-negative, summing to 1 (within 1e-8); null for uniform
   * @throws IllegalArgumentException on bad sizes or probabilities, or k larger than the number of
   *     values that can be drawn without replacement
   */
  public int[] choice(int n, int k, boolean replace, double[] p) {
    if (n < 0 || k < 0) {
      throw new IllegalArgumentException("choice: n and k must be >= 0, got n=" + n + ", k=" + k);
    }
    if (p != null) {
      checkDistribution(n, p);
    }
    int available = n;
    if (p != null) {
      available = 0;
      for (double q : p) {
        available += q > 0 ? 1 : 0;
      }
    }
    if (k > 0 && available == 0) {
      throw new IllegalArgumentException("choice: cannot draw " + k + " values from n=" + n);
    }
    if (!replace && k > available) {
      throw new IllegalArgumentException(
          "choice: cannot draw "
              + k
              + " distinct values without replacement from "
              + available
              + (p == null ? "" : " values with non-zero probability"));
    }
    int[] out = new int[k];
    if (p == null && replace) {
      for (int i = 0; i < k; i++) {
        out[i] = (int) nextBounded(n);
      }
    } else if (p == null) {
      // Partial Fisher-Yates: the first k slots of a shuffle.
      int[] pool = new int[n];
      for (int i = 0; i < n; i++) {
        pool[i] = i;
      }
      for (int i = 0; i < k; i++) {
        int j = i + (int) nextBounded(n - i);
        int t = pool[i];
        pool[i] = pool[j];
        pool[j] = t;
        out[i] = pool[i];
      }
    } else if (replace) {
      double[] cdf = new double[n];
      double acc = 0;
      for (int i = 0; i < n; i++) {
        acc += p[i];
        cdf[i] = acc;
      }
      for (int i = 0; i < k; i++) {
        out[i] = searchCdf(cdf, nextDouble() * acc);
      }
    } else {
      weightedWithoutReplacement(p, out);
    }
    return out;
  }

  private static void checkDistribution(int n, double[] p) {
    if (p.length != n) {
      throw new IllegalArgumentException("choice: p has " + p.length + " entries, expected n=" + n);
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
      if (!(p[i] >= 0) || Double.isInfinite(p[i])) {
        throw new IllegalArgumentException(
            "choice: probability p[" + i + "]=" + p[i] + " is negative or not finite");
      }
      sum += p[i];
    }
    if (Math.abs(sum - 1) > 1e-8) {
      throw new IllegalArgumentException("choice: probabilities sum to " + sum + ", not 1");
    }
  }

  /** First index whose cumulative probability exceeds u (skips zero-probability entries). */
  private static int searchCdf(double[] cdf, double u) {
    int lo = 0;
    int hi = cdf.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cdf[mid] > u) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  /** Efraimidis-Spirakis: keep the k largest keys log(u)/p in a min-heap. */
  private void weightedWithoutReplacement(double[] p, int[] out) {
    int k = out.length;
    double[] heapKey = new double[k];
    int[] heapIdx = new int[k];
    int size = 0;
    for (int i = 0; i < p.length; i++) {
      if (p[i] <= 0) {
        continue;
      }
      double key = Math.log(1.0 - nextDouble()) / p[i];
      if (size < k) {
        heapKey[size] = key;
        heapIdx[size] = i;
        siftUp(heapKey, heapIdx, size++);
      } else if (k > 0 && key > heapKey[0]) {
        heapKey[0] = key;
        heapIdx[0] = i;
        siftDown(heapKey, heapIdx, 0, size);
      }
    }
    // Pop the minimum repeatedly, filling from the back: decreasing key order.
    for (int j = size - 1; j >= 0; j--) {
      out[j] = heapIdx[0];
      heapKey[0] = heapKey[j];
      heapIdx[0] = heapIdx[j];
      siftDown(heapKey, heapIdx, 0, j);
    }
  }

  private static void siftUp(double[] key, int[] idx, int i) {
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (key[parent] <= key[i]) {
        return;
      }
      swap(key, idx, i, parent);
      i = parent;
    }
  }

  private static void siftDown(double[] key, int[] idx, int i, int size) {
    while (true) {
      int l = 2 * i + 1;
      if (l >= size) {
        return;
      }
      int m = l + 1 < size && key[l + 1] < key[l] ? l + 1 : l;
      if (key[i] <= key[m]) {
        return;
      }
      swap(key, idx, i, m);
      i = m;
    }
  }

  private static void swap(double[] key, int[] idx, int a, int b) {
    double tk = key[a];
    key[a] = key[b];
    key[b] = tk;
    int ti = idx[a];
    idx[a] = idx[b];
    idx[b] = ti;
  }

  // ---------------------------------------------------------------- tensors

  /** Standard normal values, shape {@code shape}, in the given float type. */
  public Tensor randn(DType dtype, int... shape) {
    return normal(dtype, 0, 1, shape);
  }

  /** Standard normal float32 values, shape {@code shape}. */
  public Tensor randn(int... shape) {
    return normal(DType.FLOAT32, 0, 1, shape);
  }

  /**
   * Normal values with the given mean and standard deviation (Box-Muller, both values of each pair
   * used).
   *
   * @throws IllegalArgumentException for int32 or a negative or non-finite std
   */
  public Tensor normal(DType dtype, double mean, double std, int... shape) {
    requireFloat("normal", dtype);
    if (!(std >= 0) || Double.isInfinite(std)) {
      throw new IllegalArgumentException("normal: std must be finite and >= 0, got " + std);
    }
    Tensor t = Tensor.zeros(dtype, shape);
    int n = t.size();
    double[] pair = new double[2];
    for (int i = 0; i < n; i += 2) {
      gaussianPair(pair, 0);
      t.writeAt(i, mean + std * pair[0]);
      if (i + 1 < n) {
        t.writeAt(i + 1, mean + std * pair[1]);
      }
    }
    return t;
  }

  /**
   * Uniform values in [lo, hi), shape {@code shape}. For float32 a value that would round up to hi
   * is replaced by the largest float below hi, so hi is never produced.
   */
  public Tensor uniform(DType dtype, double lo, double hi, int... shape) {
    requireFloat("uniform", dtype);
    if (!(lo < hi) || Double.isInfinite(hi - lo)) {
      throw new IllegalArgumentException(
          "uniform: need finite lo < hi, got lo=" + lo + ", hi=" + hi);
    }
    Tensor t = Tensor.zeros(dtype, shape);
    int n = t.size();
    double w = hi - lo;
    if (dtype == DType.FLOAT32) {
      float[] a = t.floatStorage();
      float top = Math.nextDown((float) hi);
      for (int i = 0; i < n; i++) {
        float v = (float) (lo + w * nextDouble());
        a[i] = v >= (float) hi ? top : v;
      }
    } else {
      double[] a = t.doubleStorage();
      for (int i = 0; i < n; i++) {
        double v = lo + w * nextDouble();
        a[i] = v >= hi ? Math.nextDown(hi) : v;
      }
    }
    return t;
  }

  /** Uniform float32 values in [0, 1), shape {@code shape}. */
  public Tensor rand(int... shape) {
    return uniform(DType.FLOAT32, 0, 1, shape);
  }

  /**
   * A mask of independent Bernoulli(p) draws: 1 with probability p, else 0 (e.g. a dropout mask
   * with keep probability p, the CS231n convention).
   */
  public Tensor bernoulli(DType dtype, double p, int... shape) {
    checkProbability("bernoulli", p);
    Tensor t = Tensor.zeros(dtype, shape);
    int n = t.size();
    for (int i = 0; i < n; i++) {
      if (nextDouble() < p) {
        t.writeAt(i, 1);
      }
    }
    return t;
  }

  /** Uniform int32 values in [lo, hi), shape {@code shape}. */
  public Tensor integers(int lo, int hi, int... shape) {
    if (lo >= hi) {
      throw new IllegalArgumentException("integers: lo " + lo + " must be less than hi " + hi);
    }
    Tensor t = Tensor.zeros(DType.INT32, shape);
    int[] a = t.intStorage();
    long bound = (long) hi - lo;
    for (int i = 0; i < a.length; i++) {
      a[i] = lo + (int) nextBounded(bound);
    }
    return t;
  }

  private static void requireFloat(String op, DType dtype) {
    if (!dtype.isFloating()) {
      throw new IllegalArgumentException(op + ": dtype must be float32 or float64, got int32");
    }
  }

  /** The state, for debugging. */
  @Override
  public String toString() {
    return "Rng(state=" + Arrays.toString(getState()) + ")";
  }
}
