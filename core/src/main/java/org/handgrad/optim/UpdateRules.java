package org.handgrad.optim;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The update rules in CS231n's function form ({@code optim.py}: {@code next_w, config = adam(w, dw,
 * config)}), for diffing against the notebooks.
 *
 * <p>Java splits CS231n's {@code config} dict in two: the hyperparameters (an {@link UpdateRule}
 * record) and the per-parameter state ({@link ParamState}, {@code null} on the first call, like a
 * config without {@code velocity}/{@code m}). State can also be built from given values, as a
 * notebook does to compare with its expected arrays: {@code new ParamState.Velocity(v)}, {@code new
 * ParamState.SquareAverage(cache)}, {@code new ParamState.Moments(m, v, t)}.
 *
 * <p><b>Every function updates in place</b>: it overwrites {@code w} and the tensors of the state
 * it is given, and returns that same state (or a new one when given {@code null}) for the next
 * call. CS231n's functions differ from one another here ({@code sgd} writes {@code w -= ...} into
 * the caller's array, {@code sgd_momentum} and {@code adam} build a new {@code next_w} and new
 * moments); to keep the caller's arrays, as {@code next_w, config = adam(w, dw, config)} does, copy
 * first:
 *
 * <pre>{@code
 * ParamState.Moments s = null;
 * for (...) s = UpdateRules.adam(w, dw, new Adam(), s);       // training: in place
 *
 * Tensor nextW = w.copy();                                     // notebook: w and s unchanged
 * ParamState.Moments next = UpdateRules.adam(nextW, dw, new Adam(), s.copy());
 * }</pre>
 *
 * <p>Shapes: {@code w} and {@code dw} have any shape (the same one) and the same float dtype; the
 * state tensors share them. {@code w} must be contiguous (it is updated in its storage array).
 */
public final class UpdateRules {
  private UpdateRules() {}

  /** Vanilla SGD: {@code w -= lr * dw}. */
  public static void sgd(Tensor w, Tensor dw, Sgd config) {
    Operands o = new Operands(1, w, checkPair("sgd", w, dw));
    if (o.float64) {
      UpdateKernels.dsgd(o.d(0), o.d(1), o.offset, o.n, config.learningRate());
    } else {
      UpdateKernels.ssgd(o.f(0), o.f(1), o.offset, o.n, config.learningRate());
    }
    o.writeBack();
  }

  /**
   * SGD with momentum (CS231n): {@code v = mu * v - lr * dw; w += v}.
   *
   * @param state velocity of w, or null for zeros
   * @return the updated velocity
   */
  public static ParamState.Velocity sgdMomentum(
      Tensor w, Tensor dw, SgdMomentum config, ParamState.Velocity state) {
    Tensor g = checkPair("sgd_momentum", w, dw);
    ParamState.Velocity s = state != null ? state : ParamState.Velocity.zerosLike(w);
    Operands o = new Operands(2, w, checkState("sgd_momentum", "velocity", w, s.velocity()), g);
    double lr = config.learningRate();
    double mu = config.momentum();
    if (o.float64) {
      UpdateKernels.dmomentum(o.d(0), o.d(1), o.d(2), o.offset, o.n, lr, mu);
    } else {
      UpdateKernels.smomentum(o.f(0), o.f(1), o.f(2), o.offset, o.n, lr, mu);
    }
    o.writeBack();
    return s;
  }

  /**
   * Nesterov momentum (CS231n notes): {@code vPrev = v; v = mu * v - lr * dw; w += -mu * vPrev + (1
   * + mu) * v}.
   *
   * @param state velocity of w, or null for zeros
   * @return the updated velocity
   */
  public static ParamState.Velocity nesterov(
      Tensor w, Tensor dw, Nesterov config, ParamState.Velocity state) {
    Tensor g = checkPair("nesterov", w, dw);
    ParamState.Velocity s = state != null ? state : ParamState.Velocity.zerosLike(w);
    Operands o = new Operands(2, w, checkState("nesterov", "velocity", w, s.velocity()), g);
    double lr = config.learningRate();
    double mu = config.momentum();
    if (o.float64) {
      UpdateKernels.dnesterov(o.d(0), o.d(1), o.d(2), o.offset, o.n, lr, mu);
    } else {
      UpdateKernels.snesterov(o.f(0), o.f(1), o.f(2), o.offset, o.n, lr, mu);
    }
    o.writeBack();
    return s;
  }

  /**
   * RMSProp: {@code cache = decay * cache + (1 - decay) * dw^2; w -= lr * dw / (sqrt(cache) +
   * eps)}.
   *
   * @param state squared-gradient average of w, or null for zeros
   * @return the updated state
   */
  public static ParamState.SquareAverage rmsprop(
      Tensor w, Tensor dw, RmsProp config, ParamState.SquareAverage state) {
    Tensor g = checkPair("rmsprop", w, dw);
    ParamState.SquareAverage s = state != null ? state : ParamState.SquareAverage.zerosLike(w);
    Operands o = new Operands(2, w, checkState("rmsprop", "cache", w, s.cache()), g);
    double lr = config.learningRate();
    double decay = config.decayRate();
    double eps = config.epsilon();
    if (o.float64) {
      UpdateKernels.drmsprop(o.d(0), o.d(1), o.d(2), o.offset, o.n, lr, decay, eps);
    } else {
      UpdateKernels.srmsprop(o.f(0), o.f(1), o.f(2), o.offset, o.n, lr, decay, eps);
    }
    o.writeBack();
    return s;
  }

  /**
   * Adam with bias correction, t incremented before use (see {@link Adam}).
   *
   * @param state moments of w and step count, or null for zeros and t = 0
   * @return the updated state (t one larger)
   */
  public static ParamState.Moments adam(
      Tensor w, Tensor dw, Adam config, ParamState.Moments state) {
    return adamStep(
        "adam",
        w,
        dw,
        state,
        config.learningRate(),
        config.beta1(),
        config.beta2(),
        config.epsilon(),
        0.0);
  }

  /**
   * AdamW: {@code w *= 1 - lr * weightDecay}, then the Adam step (see {@link AdamW}).
   *
   * @param state moments of w and step count, or null for zeros and t = 0
   * @return the updated state (t one larger)
   */
  public static ParamState.Moments adamw(
      Tensor w, Tensor dw, AdamW config, ParamState.Moments state) {
    return adamStep(
        "adamw",
        w,
        dw,
        state,
        config.learningRate(),
        config.beta1(),
        config.beta2(),
        config.epsilon(),
        config.weightDecay());
  }

  private static ParamState.Moments adamStep(
      String op,
      Tensor w,
      Tensor dw,
      ParamState.Moments state,
      double lr,
      double beta1,
      double beta2,
      double eps,
      double weightDecay) {
    Tensor g = checkPair(op, w, dw);
    ParamState.Moments s = state != null ? state : new ParamState.Moments(w);
    Operands o =
        new Operands(3, w, checkState(op, "m", w, s.m()), checkState(op, "v", w, s.v()), g);
    int t = s.nextStep();
    // Bias corrections in double once per step, as PyTorch does in Python floats; the kernel
    // applies them as lr / (1 - beta1^t) and 1 / sqrt(1 - beta2^t).
    double stepSize = lr / (1 - Math.pow(beta1, t));
    double invSqrtBc2 = 1 / Math.sqrt(1 - Math.pow(beta2, t));
    double keep = 1 - lr * weightDecay;
    if (o.float64) {
      UpdateKernels.dadam(
          o.d(0),
          o.d(1),
          o.d(2),
          o.d(3),
          o.offset,
          o.n,
          keep,
          beta1,
          beta2,
          stepSize,
          invSqrtBc2,
          eps);
    } else {
      UpdateKernels.sadam(
          o.f(0),
          o.f(1),
          o.f(2),
          o.f(3),
          o.offset,
          o.n,
          keep,
          beta1,
          beta2,
          stepSize,
          invSqrtBc2,
          eps);
    }
    o.writeBack();
    return s;
  }

  /**
   * The tensors of one update brought to a common storage offset, as the kernels require (see
   * {@link UpdateKernels}). They already share one (0) unless a parameter is a view into a larger
   * buffer; then every operand is copied to offset 0 and {@link #writeBack} copies the updated ones
   * back.
   */
  private static final class Operands {
    final Tensor[] given;
    final Tensor[] used;
    final int updated;
    final int offset;
    final int n;
    final boolean float64;

    /**
     * @param updated how many leading tensors the kernel writes (w, then the state)
     * @param tensors contiguous, same shape and dtype
     */
    Operands(int updated, Tensor... tensors) {
      this.given = tensors;
      this.updated = updated;
      this.n = tensors[0].size();
      this.float64 = tensors[0].dtype() == DType.FLOAT64;
      boolean common = true;
      for (Tensor t : tensors) {
        common &= t.offset() == tensors[0].offset();
      }
      if (common) {
        used = tensors;
      } else {
        used = new Tensor[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
          used[i] = tensors[i].copy();
        }
      }
      this.offset = used[0].offset();
    }

    double[] d(int i) {
      return used[i].doubleStorage();
    }

    float[] f(int i) {
      return used[i].floatStorage();
    }

    void writeBack() {
      if (used == given) {
        return;
      }
      for (int i = 0; i < updated; i++) {
        Object src = float64 ? used[i].doubleStorage() : used[i].floatStorage();
        Object dst = float64 ? given[i].doubleStorage() : given[i].floatStorage();
        System.arraycopy(src, 0, dst, given[i].offset(), n);
      }
    }
  }

  // ---------------------------------------------------------------- argument checks

  /** Checks w and dw; returns dw contiguous (a copy only when it was a strided view). */
  static Tensor checkPair(String op, Tensor w, Tensor dw) {
    if (!w.dtype().isFloating()) {
      throw new IllegalArgumentException(op + ": w must be float32 or float64, got int32");
    }
    if (!w.sameShape(dw)) {
      throw new IllegalArgumentException(
          op
              + ": expected dw with the shape of w "
              + w.shapeString()
              + ", got "
              + dw.shapeString());
    }
    if (w.dtype() != dw.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": w is "
              + w.dtype().numpyName()
              + " but dw is "
              + dw.dtype().numpyName()
              + "; convert one with to(DType)");
    }
    if (!w.isContiguous()) {
      throw new IllegalArgumentException(
          op + ": w " + w.shapeString() + " must be contiguous to be updated in place");
    }
    return dw.contiguous();
  }

  private static Tensor checkState(String op, String what, Tensor w, Tensor s) {
    if (!w.sameShape(s) || w.dtype() != s.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": state "
              + what
              + " is "
              + s.shapeString()
              + " "
              + s.dtype().numpyName()
              + " but w is "
              + w.shapeString()
              + " "
              + w.dtype().numpyName());
    }
    if (!s.isContiguous()) {
      throw new IllegalArgumentException(op + ": state " + what + " must be contiguous");
    }
    return s;
  }

  /** Casts a rule's state, failing clearly when it belongs to another rule. */
  static <S extends ParamState> S stateAs(String op, ParamState state, Class<S> type) {
    if (!type.isInstance(state)) {
      throw new IllegalArgumentException(
          op
              + ": expected "
              + type.getSimpleName()
              + " state, got "
              + (state == null ? "null" : state.getClass().getSimpleName())
              + " (state of another update rule?)");
    }
    return type.cast(state);
  }

  static void checkLearningRate(String op, double lr) {
    if (!(lr > 0) || Double.isInfinite(lr)) {
      throw new IllegalArgumentException(op + ": learningRate must be finite and > 0, got " + lr);
    }
  }

  static void checkUnitInterval(String op, String name, double value) {
    if (!(value >= 0 && value < 1)) {
      throw new IllegalArgumentException(op + ": " + name + " must be in [0, 1), got " + value);
    }
  }

  static void checkEpsilon(String op, double eps) {
    if (!(eps > 0) || Double.isInfinite(eps)) {
      throw new IllegalArgumentException(op + ": epsilon must be finite and > 0, got " + eps);
    }
  }
}
