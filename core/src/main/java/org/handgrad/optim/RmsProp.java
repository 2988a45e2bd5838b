package org.handgrad.optim;

import org.handgrad.tensor.Tensor;

/**
 * RMSProp (Tieleman and Hinton, 2012 lecture 6e): {@code cache = decay * cache + (1 - decay) *
 * dw^2; w -= lr * dw / (sqrt(cache) + eps)}.
 *
 * <p>Same as PyTorch's {@code RMSprop(alpha=decayRate, centered=False, momentum=0)}: eps is added
 * outside the square root in both.
 *
 * @param learningRate step size, finite and &gt; 0 (CS231n default 1e-2)
 * @param decayRate decay of the squared-gradient average in [0, 1) (CS231n default 0.99)
 * @param epsilon added to the root, finite and &gt; 0 (CS231n default 1e-8)
 */
public record RmsProp(double learningRate, double decayRate, double epsilon) implements UpdateRule {
  /** Validates the hyperparameters. */
  public RmsProp {
    UpdateRules.checkLearningRate("rmsprop", learningRate);
    UpdateRules.checkUnitInterval("rmsprop", "decayRate", decayRate);
    UpdateRules.checkEpsilon("rmsprop", epsilon);
  }

  /** CS231n defaults: learning rate 1e-2, decay rate 0.99, epsilon 1e-8. */
  public RmsProp() {
    this(1e-2, 0.99, 1e-8);
  }

  @Override
  public String name() {
    return "rmsprop";
  }

  @Override
  public RmsProp withLearningRate(double learningRate) {
    return new RmsProp(learningRate, decayRate, epsilon);
  }

  @Override
  public ParamState newState(Tensor w) {
    return ParamState.SquareAverage.zerosLike(w);
  }

  @Override
  public void update(Tensor w, Tensor dw, ParamState state) {
    UpdateRules.rmsprop(
        w, dw, this, UpdateRules.stateAs("rmsprop", state, ParamState.SquareAverage.class));
  }
}
