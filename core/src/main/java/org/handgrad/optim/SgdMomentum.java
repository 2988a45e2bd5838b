package org.handgrad.optim;

import org.handgrad.tensor.Tensor;

/**
 * SGD with momentum, CS231n's formulation: {@code v = mu * v - lr * dw; w += v}.
 *
 * <p>PyTorch keeps a learning-rate-free buffer instead ({@code b = mu * b + dw; w -= lr * b}). With
 * a constant learning rate the two are the same update ({@code v = -lr * b} by induction); after a
 * learning-rate change they differ, since CS231n's velocity still carries the old rate while
 * PyTorch's buffer is rescaled at once. See docs/conventions.md.
 *
 * @param learningRate step size, finite and &gt; 0 (CS231n default 1e-2)
 * @param momentum mu in [0, 1) (CS231n default 0.9)
 */
public record SgdMomentum(double learningRate, double momentum) implements UpdateRule {
  /** Validates the hyperparameters. */
  public SgdMomentum {
    UpdateRules.checkLearningRate("sgd_momentum", learningRate);
    UpdateRules.checkUnitInterval("sgd_momentum", "momentum", momentum);
  }

  /** CS231n defaults: learning rate 1e-2, momentum 0.9. */
  public SgdMomentum() {
    this(1e-2, 0.9);
  }

  @Override
  public String name() {
    return "sgd_momentum";
  }

  @Override
  public SgdMomentum withLearningRate(double learningRate) {
    return new SgdMomentum(learningRate, momentum);
  }

  @Override
  public ParamState newState(Tensor w) {
    return ParamState.Velocity.zerosLike(w);
  }

  @Override
  public void update(Tensor w, Tensor dw, ParamState state) {
    UpdateRules.sgdMomentum(
        w, dw, this, UpdateRules.stateAs("sgd_momentum", state, ParamState.Velocity.class));
  }
}
