package org.handgrad.optim;

import org.handgrad.tensor.Tensor;

/**
 * A first-order update rule: its hyperparameters (a validated record) and how it moves one
 * parameter given its gradient and its per-parameter state.
 *
 * <p>The family is closed, one record per CS231n rule with CS231n's defaults: {@link Sgd}, {@link
 * SgdMomentum}, {@link Nesterov}, {@link RmsProp}, {@link Adam}, and {@link AdamW} (PyTorch's
 * decoupled weight decay). {@link Optimizer} applies a rule to a list of parameters, keeping one
 * state per parameter; {@link UpdateRules} has the same maths in CS231n's function form.
 *
 * <p><b>Updates are in place</b>: {@link #update} overwrites the parameter tensor {@code w} and the
 * state's tensors (no {@code next_w} is returned). To keep the originals, as CS231n's {@code
 * next_w, config = adam(w, dw, config)} leaves {@code w} alone, update {@code w.copy()} with {@code
 * state.copy()} ({@link ParamState#copy}).
 */
public sealed interface UpdateRule permits Sgd, SgdMomentum, Nesterov, RmsProp, Adam, AdamW {

  /**
   * CS231n's {@code update_rule} name: "sgd", "sgd_momentum", "nesterov", "rmsprop", "adam",
   * "adamw".
   */
  String name();

  /** The current learning rate. */
  double learningRate();

  /** The same rule with another learning rate (schedules and CS231n's per-epoch lr_decay). */
  UpdateRule withLearningRate(double learningRate);

  /**
   * Fresh (zero) state for a parameter.
   *
   * @param w the parameter value, any shape; the state tensors take its shape and dtype
   */
  ParamState newState(Tensor w);

  /**
   * Applies one update <b>in place</b>: overwrites {@code w} and the state's tensors.
   *
   * @param w parameter value, any shape, contiguous, float32 or float64
   * @param dw gradient, shape and dtype of w
   * @param state this rule's state for w, from {@link #newState}
   * @throws IllegalArgumentException on mismatched shapes or dtypes, or a state of another rule
   */
  void update(Tensor w, Tensor dw, ParamState state);

  /**
   * The rule with CS231n's defaults for an {@code update_rule} name (as the CS231n Solver takes
   * it).
   *
   * @throws IllegalArgumentException naming the known rules
   */
  static UpdateRule byName(String name) {
    return switch (name) {
      case "sgd" -> new Sgd();
      case "sgd_momentum" -> new SgdMomentum();
      case "nesterov" -> new Nesterov();
      case "rmsprop" -> new RmsProp();
      case "adam" -> new Adam();
      case "adamw" -> new AdamW();
      default ->
          throw new IllegalArgumentException(
              "unknown update rule '"
                  + name
                  + "'; known: sgd, sgd_momentum, nesterov, rmsprop, adam, adamw");
    };
  }
}
