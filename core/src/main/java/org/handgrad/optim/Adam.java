package org.handgrad.optim;

import org.handgrad.tensor.Tensor;

/**
 * Adam (Kingma and Ba, 2015, Algorithm 1) as in CS231n, with bias correction and t incremented
 * before use:
 *
 * <pre>
 * t += 1
 * m = beta1 * m + (1 - beta1) * dw
 * v = beta2 * v + (1 - beta2) * dw^2
 * w -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 * </pre>
 *
 * <p>Same as PyTorch's {@code Adam} (weight_decay 0, amsgrad off).
 *
 * @param learningRate step size, finite and &gt; 0 (CS231n default 1e-3)
 * @param beta1 decay of the first moment in [0, 1) (default 0.9)
 * @param beta2 decay of the second moment in [0, 1) (default 0.999)
 * @param epsilon added to the root, finite and &gt; 0 (default 1e-8)
 */
public record Adam(double learningRate, double beta1, double beta2, double epsilon)
    implements UpdateRule {
  /** Validates the hyperparameters. */
  public Adam {
    UpdateRules.checkLearningRate("adam", learningRate);
    UpdateRules.checkUnitInterval("adam", "beta1", beta1);
    UpdateRules.checkUnitInterval("adam", "beta2", beta2);
    UpdateRules.checkEpsilon("adam", epsilon);
  }

  /** CS231n defaults: learning rate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-8. */
  public Adam() {
    this(1e-3, 0.9, 0.999, 1e-8);
  }

  @Override
  public String name() {
    return "adam";
  }

  @Override
  public Adam withLearningRate(double learningRate) {
    return new Adam(learningRate, beta1, beta2, epsilon);
  }

  @Override
  public ParamState newState(Tensor w) {
    return new ParamState.Moments(w);
  }

  @Override
  public void update(Tensor w, Tensor dw, ParamState state) {
    UpdateRules.adam(w, dw, this, UpdateRules.stateAs("adam", state, ParamState.Moments.class));
  }
}
