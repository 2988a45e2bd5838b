package org.handgrad.optim;

import org.handgrad.tensor.Tensor;

/**
 * Nesterov momentum in the form of the CS231n notes (Bengio et al. 2012, "Advances in optimizing
 * recurrent networks", eq. 7: the update is written for the look-ahead parameters):
 *
 * <pre>
 * vPrev = v
 * v = mu * v - lr * dw
 * w += -mu * vPrev + (1 + mu) * v
 * </pre>
 *
 * <p>PyTorch's {@code SGD(nesterov=True)} writes {@code b = mu * b + dw; w -= lr * (dw + mu * b)}.
 * Substituting {@code v = -lr * b} shows both are {@code w += -lr * dw + mu * v}: the same update
 * while the learning rate is constant, different after a change. See docs/conventions.md.
 *
 * @param learningRate step size, finite and &gt; 0 (default 1e-2)
 * @param momentum mu in [0, 1) (default 0.9)
 */
public record Nesterov(double learningRate, double momentum) implements UpdateRule {
  /** Validates the hyperparameters. */
  public Nesterov {
    UpdateRules.checkLearningRate("nesterov", learningRate);
    UpdateRules.checkUnitInterval("nesterov", "momentum", momentum);
  }

  /** Defaults as for CS231n momentum: learning rate 1e-2, momentum 0.9. */
  public Nesterov() {
    this(1e-2, 0.9);
  }

  @Override
  public String name() {
    return "nesterov";
  }

  @Override
  public Nesterov withLearningRate(double learningRate) {
    return new Nesterov(learningRate, momentum);
  }

  @Override
  public ParamState newState(Tensor w) {
    return ParamState.Velocity.zerosLike(w);
  }

  @Override
  public void update(Tensor w, Tensor dw, ParamState state) {
    UpdateRules.nesterov(
        w, dw, this, UpdateRules.stateAs("nesterov", state, ParamState.Velocity.class));
  }
}
