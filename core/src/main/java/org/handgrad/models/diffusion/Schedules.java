package org.handgrad.models.diffusion;

/** Shared arithmetic of the beta schedules (package-private). */
final class Schedules {
  /** The largest beta a schedule defined through alpha-bar may produce (Nichol and Dhariwal). */
  static final double MAX_BETA = 0.999;

  private Schedules() {}

  static void requireSteps(int timesteps) {
    if (timesteps < 1) {
      throw new IllegalArgumentException("beta schedule: timesteps must be >= 1, got " + timesteps);
    }
  }

  static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  /**
   * beta_t = clip(1 - alphaBar[t] / alphaBar[t - 1], 0, 0.999) for t = 1..T, after normalizing by
   * alphaBar[0] (a no-op in exact arithmetic for both schedules, kept to match their definitions).
   *
   * @param alphaBar the unnormalized alpha-bar at t = 0..T, length T + 1
   */
  static double[] betasFromAlphaBar(double[] alphaBar, String op) {
    int steps = alphaBar.length - 1;
    double a0 = alphaBar[0];
    double[] b = new double[steps];
    for (int i = 0; i < steps; i++) {
      double beta = 1 - (alphaBar[i + 1] / a0) / (alphaBar[i] / a0);
      b[i] = Math.min(Math.max(beta, 0), MAX_BETA);
      if (!(b[i] > 0)) {
        throw new IllegalArgumentException(
            op + " schedule: beta at t=" + i + " is " + b[i] + ", not in (0, 1)");
      }
    }
    return b;
  }
}
