package org.handgrad.optim;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The update rules in CS231n's function form ({@code optim.py}: {@code next_w, config = adam(w, dw,
 * config)}), for diffing against the notebooks.
 *
 * <p>Java splits CS231n's {@code config} dict in two: the hyperparameters (an {@link UpdateRule}
 * record) and the per-parameter state ({@link ParamState}, {@code null} on the first call, like a
 * config without {@code velocity}/{@code m}). Each function updates {@code w} in place and returns
 * the state to pass to the next call:
 *
 * <pre>{@code
 * ParamState.Moments s = null;
 * for (...) s = UpdateRules.adam(w, dw, new Adam(), s);
 * }</pre>
 *
 * <p>Shapes: {@code w} and {@code dw} have any shape (the same one) and the same float dtype; the
 * state tensors share them. {@code w} must be contiguous (it is updated in its storage array).
 */
public final class UpdateRules {
  private UpdateRules() {}

  /** Vanilla SGD: {@code w -= lr * dw}. */
  public static void sgd(Tensor w, Tensor dw, Sgd config) {
    Tensor g = checkPair("sgd", w, dw);
    int n = w.size();
    if (w.dtype() == DType.FLOAT64) {
      UpdateKernels.dsgd(
          w.doubleStorage(), w.offset(), g.doubleStorage(), g.offset(), n, config.learningRate());
    } else {
      UpdateKernels.ssgd(
          w.floatStorage(), w.offset(), g.floatStorage(), g.offset(), n, config.learningRate());
    }
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
    Tensor v = checkState("sgd_momentum", "velocity", w, s.velocity());
    double lr = config.learningRate();
    double mu = config.momentum();
    if (w.dtype() == DType.FLOAT64) {
      UpdateKernels.dmomentum(
          w.doubleStorage(),
          w.offset(),
          v.doubleStorage(),
          v.offset(),
          g.doubleStorage(),
          g.offset(),
          w.size(),
          lr,
          mu);
    } else {
      UpdateKernels.smomentum(
          w.floatStorage(),
          w.offset(),
          v.floatStorage(),
          v.offset(),
          g.floatStorage(),
          g.offset(),
          w.size(),
          lr,
          mu);
    }
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
    Tensor v = checkState("nesterov", "velocity", w, s.velocity());
    double lr = config.learningRate();
    double mu = config.momentum();
    if (w.dtype() == DType.FLOAT64) {
      UpdateKernels.dnesterov(
          w.doubleStorage(),
          w.offset(),
          v.doubleStorage(),
          v.offset(),
          g.doubleStorage(),
          g.offset(),
          w.size(),
          lr,
          mu);
    } else {
      UpdateKernels.snesterov(
          w.floatStorage(),
          w.offset(),
          v.floatStorage(),
          v.offset(),
          g.floatStorage(),
          g.offset(),
          w.size(),
          lr,
          mu);
    }
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
    Tensor c = checkState("rmsprop", "cache", w, s.cache());
    double lr = config.learningRate();
    double decay = config.decayRate();
    double eps = config.epsilon();
    if (w.dtype() == DType.FLOAT64) {
      UpdateKernels.drmsprop(
          w.doubleStorage(),
          w.offset(),
          c.doubleStorage(),
          c.offset(),
          g.doubleStorage(),
          g.offset(),
          w.size(),
          lr,
          decay,
          eps);
    } else {
      UpdateKernels.srmsprop(
          w.floatStorage(),
          w.offset(),
          c.floatStorage(),
          c.offset(),
          g.floatStorage(),
          g.offset(),
          w.size(),
          lr,
          decay,
          eps);
    }
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
    Tensor m = checkState(op, "m", w, s.m());
    Tensor v = checkState(op, "v", w, s.v());
    int t = s.nextStep();
    // Bias corrections in double once per step, as PyTorch does in Python floats; the kernel
    // applies them as lr / (1 - beta1^t) and sqrt(1 - beta2^t).
    double stepSize = lr / (1 - Math.pow(beta1, t));
    double sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, t));
    double keep = 1 - lr * weightDecay;
    if (w.dtype() == DType.FLOAT64) {
      UpdateKernels.dadam(
          w.doubleStorage(),
          w.offset(),
          m.doubleStorage(),
          m.offset(),
          v.doubleStorage(),
          v.offset(),
          g.doubleStorage(),
          g.offset(),
          w.size(),
          keep,
          beta1,
          beta2,
          stepSize,
          sqrtBc2,
          eps);
    } else {
      UpdateKernels.sadam(
          w.floatStorage(),
          w.offset(),
          m.floatStorage(),
          m.offset(),
          v.floatStorage(),
          v.offset(),
          g.floatStorage(),
          g.offset(),
          w.size(),
          keep,
          beta1,
          beta2,
          stepSize,
          sqrtBc2,
          eps);
    }
    return s;
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
