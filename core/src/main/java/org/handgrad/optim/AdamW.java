package org.handgrad.optim;

import org.handgrad.tensor.Tensor;

/**
 * Adam with decoupled weight decay, exactly as PyTorch's {@code AdamW}: first {@code w *= 1 - lr *
 * weightDecay}, then the {@link Adam} step on the decayed w with the unchanged gradient.
 *
 * <p>Loshchilov and Hutter (2019, Algorithm 2) scale the decay by the schedule multiplier only
 * ({@code w -= eta_t * lambda * w}); PyTorch, and so this record, scales it by the full learning
 * rate, so {@code weightDecay} here is the paper's lambda divided by alpha. Unlike L2
 * regularisation in the loss (CS231n's {@code reg}), the decay never passes through m and v.
 *
 * @param learningRate step size, finite and &gt; 0 (default 1e-3)
 * @param beta1 decay of the first moment in [0, 1) (default 0.9)
 * @param beta2 decay of the second moment in [0, 1) (default 0.999)
 * @param epsilon added to the root, finite and &gt; 0 (default 1e-8)
 * @param weightDecay decoupled decay coefficient, finite and &gt;= 0 (PyTorch default 1e-2)
 */
public record AdamW(
    double learningRate, double beta1, double beta2, double epsilon, double weightDecay)
    implements UpdateRule {
  /** Validates the hyperparameters. */
  public AdamW {
    UpdateRules.checkLearningRate("adamw", learningRate);
    UpdateRules.checkUnitInterval("adamw", "beta1", beta1);
    UpdateRules.checkUnitInterval("adamw", "beta2", beta2);
    UpdateRules.checkEpsilon("adamw", epsilon);
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new IllegalArgumentException(
          "adamw: weightDecay must be finite and >= 0, got " + weightDecay);
    }
  }

  /** PyTorch defaults: learning rate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-8, decay 1e-2. */
  public AdamW() {
    this(1e-3, 0.9, 0.999, 1e-8, 1e-2);
  }

  @Override
  public String name() {
    return "adamw";
  }

  @Override
  public AdamW withLearningRate(double learningRate) {
    return new AdamW(learningRate, beta1, beta2, epsilon, weightDecay);
  }

  @Override
  public ParamState newState(Tensor w) {
    return new ParamState.Moments(w);
  }

  @Override
  public void update(Tensor w, Tensor dw, ParamState state) {
    UpdateRules.adamw(w, dw, this, UpdateRules.stateAs("adamw", state, ParamState.Moments.class));
  }
}
