package org.handgrad.optim;

import org.handgrad.tensor.Tensor;

/**
 * Vanilla stochastic gradient descent, {@code w -= lr * dw} (CS231n {@code sgd}; PyTorch {@code
 * SGD} with momentum 0 steps identically).
 *
 * @param learningRate step size, finite and &gt; 0 (CS231n default 1e-2)
 */
public record Sgd(double learningRate) implements UpdateRule {
  /** Validates the hyperparameters. */
  public Sgd {
    UpdateRules.checkLearningRate("sgd", learningRate);
  }

  /** CS231n defaults: learning rate 1e-2. */
  public Sgd() {
    this(1e-2);
  }

  @Override
  public String name() {
    return "sgd";
  }

  @Override
  public Sgd withLearningRate(double learningRate) {
    return new Sgd(learningRate);
  }

  @Override
  public ParamState newState(Tensor w) {
    return new ParamState.None();
  }

  @Override
  public void update(Tensor w, Tensor dw, ParamState state) {
    UpdateRules.stateAs("sgd", state, ParamState.None.class);
    UpdateRules.sgd(w, dw, this);
  }
}
