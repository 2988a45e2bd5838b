package org.handgrad.models;

import java.util.SplittableRandom;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.optim.Optimizer;
import org.handgrad.optim.UpdateRule;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/** Test helpers: seeded data and the simplest training loop over the optimizers on main. */
public final class Training {
  private Training() {}

  /** N(0, std^2) samples of a given dtype. */
  public static Tensor normal(long seed, DType dtype, double std, int... shape) {
    return ModelChecks.normal(seed, std, shape).to(dtype);
  }

  /** Seeded labels in [0, classes). */
  public static int[] labels(long seed, int n, int classes) {
    return ModelChecks.labels(seed, n, classes);
  }

  /**
   * Full-batch training: {@code steps} times loss(x, y) then one optimizer step.
   *
   * @return the loss of every step
   */
  public static double[] fit(Model model, UpdateRule rule, Tensor x, int[] y, int steps) {
    Optimizer opt = new Optimizer(rule);
    double[] losses = new double[steps];
    for (int s = 0; s < steps; s++) {
      losses[s] = model.loss(x, y);
      opt.step(model.parameters());
    }
    return losses;
  }

  /** Training accuracy of a model's test-mode predictions. */
  public static double accuracy(Classifier model, Tensor x, int[] y) {
    return Metrics.accuracy(y, model.predict(x));
  }

  /** A seeded generator for tests. */
  public static SplittableRandom rng(long seed) {
    return new SplittableRandom(seed);
  }
}
