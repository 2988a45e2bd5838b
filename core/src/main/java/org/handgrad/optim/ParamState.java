package org.handgrad.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The per-parameter state of an update rule (CS231n keeps it in the {@code config} dict next to the
 * hyperparameters: {@code velocity}, {@code cache}, {@code m}, {@code v}, {@code t}).
 *
 * <p>State tensors have the shape and dtype of their parameter and are updated in place. For
 * checkpoints, {@link #export()} returns copies of every tensor under a short key, counters as 0-d
 * int32 tensors, and {@link #restore} copies such a map back in, so a resumed run continues
 * bit-for-bit.
 */
public sealed interface ParamState
    permits ParamState.None, ParamState.Velocity, ParamState.SquareAverage, ParamState.Moments {

  /**
   * Copies of the state tensors by key (e.g. {@code m}, {@code v}, {@code t}), in a fixed order.
   */
  Map<String, Tensor> export();

  /**
   * Copies saved state (as produced by {@link #export()}) into this state.
   *
   * @param saved tensors by key; exactly the keys of {@link #export()}
   * @param where names the owner in error messages (e.g. "adam state of fc1.w")
   * @throws IllegalArgumentException on a missing or extra key, or a shape or dtype mismatch
   */
  void restore(Map<String, Tensor> saved, String where);

  /**
   * An independent copy (tensors and counter), for the non-mutating form of an update: the rules
   * write into the state they are given, so pass {@code state.copy()} to keep the original (see
   * {@link UpdateRules}).
   */
  ParamState copy();

  /** Vanilla SGD keeps no state. */
  record None() implements ParamState {
    @Override
    public Map<String, Tensor> export() {
      return Map.of();
    }

    @Override
    public void restore(Map<String, Tensor> saved, String where) {
      checkKeys(saved, Map.of(), where);
    }

    @Override
    public None copy() {
      return new None();
    }
  }

  /**
   * Momentum and Nesterov: the velocity {@code v}, shape of w, CS231n's convention ({@code v = mu *
   * v - lr * dw}: it already includes the learning rate, unlike PyTorch's momentum buffer).
   *
   * @param velocity shape of w, updated in place
   */
  record Velocity(Tensor velocity) implements ParamState {
    /** Zero velocity shaped like {@code w}. */
    public static Velocity zerosLike(Tensor w) {
      return new Velocity(Tensor.zerosLike(w));
    }

    @Override
    public Map<String, Tensor> export() {
      return Map.of("velocity", velocity.copy());
    }

    @Override
    public void restore(Map<String, Tensor> saved, String where) {
      checkKeys(saved, export(), where);
      copyInto(velocity, saved.get("velocity"), where + " velocity");
    }

    @Override
    public Velocity copy() {
      return new Velocity(velocity.copy());
    }
  }

  /**
   * RMSProp: the moving average of squared gradients (CS231n's {@code cache}, PyTorch's {@code
   * square_avg}).
   *
   * @param cache shape of w, updated in place
   */
  record SquareAverage(Tensor cache) implements ParamState {
    /** Zero cache shaped like {@code w}. */
    public static SquareAverage zerosLike(Tensor w) {
      return new SquareAverage(Tensor.zerosLike(w));
    }

    @Override
    public Map<String, Tensor> export() {
      return Map.of("cache", cache.copy());
    }

    @Override
    public void restore(Map<String, Tensor> saved, String where) {
      checkKeys(saved, export(), where);
      copyInto(cache, saved.get("cache"), where + " cache");
    }

    @Override
    public SquareAverage copy() {
      return new SquareAverage(cache.copy());
    }
  }

  /**
   * Adam and AdamW: first and second moment estimates and the step count {@code t} (the number of
   * updates applied so far; incremented before use, so the first update runs with t = 1).
   */
  final class Moments implements ParamState {
    private final Tensor m;
    private final Tensor v;
    private int t;

    /**
     * Zero moments shaped like {@code w}, t = 0.
     *
     * @param w the parameter value, any shape
     */
    public Moments(Tensor w) {
      this.m = Tensor.zerosLike(w);
      this.v = Tensor.zerosLike(w);
    }

    /**
     * State from given moments and step count, as {@link Velocity#Velocity(Tensor)} takes a
     * velocity: CS231n's {@code config['m']}, {@code config['v']}, {@code config['t']}. The tensors
     * are used as they are (not copied) and are updated in place by later steps, so the next update
     * runs with step {@code t + 1}.
     *
     * @param m first moment, any shape, float32 or float64, contiguous
     * @param v second moment, the shape and dtype of m, contiguous, no negative entry expected
     * @param t number of updates already applied, &gt;= 0
     * @throws IllegalArgumentException when m and v differ in shape or dtype, are int32 or strided
     *     views, or t is negative
     */
    public Moments(Tensor m, Tensor v, int t) {
      Objects.requireNonNull(m, "m");
      Objects.requireNonNull(v, "v");
      if (!m.dtype().isFloating() || m.dtype() != v.dtype() || !m.sameShape(v)) {
        throw new IllegalArgumentException(
            "Moments: expected m and v of one shape and float dtype, got m "
                + m.shapeString()
                + " "
                + m.dtype().numpyName()
                + " and v "
                + v.shapeString()
                + " "
                + v.dtype().numpyName());
      }
      if (!m.isContiguous() || !v.isContiguous()) {
        throw new IllegalArgumentException(
            "Moments: m and v are updated in place and must be contiguous; pass m.contiguous()");
      }
      if (t < 0) {
        throw new IllegalArgumentException("Moments: t must be >= 0, got " + t);
      }
      this.m = m;
      this.v = v;
      this.t = t;
    }

    /** Zero moments shaped like {@code w}, t = 0 (the same as {@link #Moments(Tensor)}). */
    public static Moments zerosLike(Tensor w) {
      return new Moments(w);
    }

    /** First moment (moving average of dw), shape of w. */
    public Tensor m() {
      return m;
    }

    /** Second moment (moving average of dw^2), shape of w. */
    public Tensor v() {
      return v;
    }

    /** Number of updates applied so far. */
    public int t() {
      return t;
    }

    /** Increments and returns t (CS231n: {@code config['t'] += 1} before the bias correction). */
    int nextStep() {
      return ++t;
    }

    @Override
    public Map<String, Tensor> export() {
      Map<String, Tensor> out = new LinkedHashMap<>();
      out.put("m", m.copy());
      out.put("v", v.copy());
      out.put("t", Tensor.scalar(DType.INT32, t));
      return out;
    }

    @Override
    public void restore(Map<String, Tensor> saved, String where) {
      checkKeys(saved, export(), where);
      Tensor savedT = saved.get("t");
      if (savedT.size() != 1 || savedT.dtype() != DType.INT32 || savedT.item() < 0) {
        throw new IllegalArgumentException(
            where + ": t must be a non-negative int32 scalar, got " + savedT);
      }
      copyInto(m, saved.get("m"), where + " m");
      copyInto(v, saved.get("v"), where + " v");
      t = (int) savedT.item();
    }

    @Override
    public Moments copy() {
      return new Moments(m.copy(), v.copy(), t);
    }
  }

  private static void checkKeys(
      Map<String, Tensor> saved, Map<String, Tensor> expected, String where) {
    if (!saved.keySet().equals(expected.keySet())) {
      throw new IllegalArgumentException(
          where + ": expected state keys " + expected.keySet() + ", got " + saved.keySet());
    }
  }

  private static void copyInto(Tensor dst, Tensor src, String where) {
    if (!dst.sameShape(src) || dst.dtype() != src.dtype()) {
      throw new IllegalArgumentException(
          where
              + ": expected "
              + dst.shapeString()
              + " "
              + dst.dtype().numpyName()
              + ", got "
              + src.shapeString()
              + " "
              + src.dtype().numpyName());
    }
    Tensor s = src.contiguous();
    switch (dst.dtype()) {
      case FLOAT32 ->
          System.arraycopy(s.floatStorage(), s.offset(), dst.floatStorage(), 0, dst.size());
      case FLOAT64 ->
          System.arraycopy(s.doubleStorage(), s.offset(), dst.doubleStorage(), 0, dst.size());
      case INT32 -> throw new IllegalArgumentException(where + ": int32 state");
    }
  }
}
