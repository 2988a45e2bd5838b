package org.handgrad.tensor;

/**
 * A Python slice {@code start:stop:step} for one axis, used by {@link Tensor#slice(Slice...)}.
 *
 * <p>Negative {@code start}/{@code stop} count from the end, and out-of-range values are clamped as
 * in Python, so {@link Integer#MAX_VALUE} and {@link Integer#MIN_VALUE} stand for an open end
 * (Python's omitted bound): {@code Slice.of(Integer.MAX_VALUE, Integer.MIN_VALUE, -1)} is {@code
 * ::-1}.
 *
 * @param start first index (inclusive)
 * @param stop end index (exclusive)
 * @param step non-zero stride; negative walks backwards
 */
public record Slice(int start, int stop, int step) {
  /** Open end, for {@code stop} with a positive step or {@code start} with a negative one. */
  public static final int END = Integer.MAX_VALUE;

  /** Validates the step. */
  public Slice {
    if (step == 0) {
      throw new IllegalArgumentException("slice: step cannot be zero");
    }
  }

  /** The whole axis, {@code :}. */
  public static Slice all() {
    return new Slice(0, END, 1);
  }

  /** {@code start:stop}. */
  public static Slice of(int start, int stop) {
    return new Slice(start, stop, 1);
  }

  /** {@code start:stop:step}. */
  public static Slice of(int start, int stop, int step) {
    return new Slice(start, stop, step);
  }

  /** {@code start:}. */
  public static Slice from(int start) {
    return new Slice(start, END, 1);
  }

  /** {@code :stop}. */
  public static Slice to(int stop) {
    return new Slice(0, stop, 1);
  }

  /** The whole axis backwards, {@code ::-1}. */
  public static Slice reversed() {
    return new Slice(END, Integer.MIN_VALUE, -1);
  }

  /**
   * Resolves this slice against an axis of size {@code n} as Python's {@code slice.indices(n)}.
   *
   * @return {first index, number of elements}
   */
  int[] resolve(int n) {
    long first;
    long len;
    if (step > 0) {
      long lo = clamp(start, n, 0, n);
      long hi = clamp(stop, n, 0, n);
      first = lo;
      len = hi > lo ? (hi - lo + step - 1) / step : 0;
    } else {
      long hi = clamp(start, n, -1, n - 1L);
      long lo = clamp(stop, n, -1, n - 1L);
      first = hi;
      len = hi > lo ? (hi - lo - step - 1) / (-(long) step) : 0;
    }
    return new int[] {len == 0 ? 0 : (int) first, (int) len};
  }

  private static long clamp(int index, int n, long min, long max) {
    long i = index < 0 ? (long) index + n : index;
    return Math.max(min, Math.min(max, i));
  }

  private static boolean open(int bound) {
    return bound == END || bound == Integer.MIN_VALUE;
  }

  /** Python notation, e.g. {@code 1:5:2} or {@code ::-1}. */
  @Override
  public String toString() {
    return (open(start) || (start == 0 && step > 0) ? "" : String.valueOf(start))
        + ":"
        + (open(stop) ? "" : String.valueOf(stop))
        + (step == 1 ? "" : ":" + step);
  }
}
