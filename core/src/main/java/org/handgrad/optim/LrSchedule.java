package org.handgrad.optim;

/**
 * A learning rate as a pure function of a step count.
 *
 * <p><b>Unit.</b> {@code lr(t)} is the rate to use after t calls of the schedule's clock, counted
 * from 0: the caller decides whether the clock ticks per iteration or per epoch (CS231n's Solver
 * decays per epoch; warm-up is usually counted in iterations), exactly as PyTorch's schedulers
 * count {@code scheduler.step()} calls. {@code lr(0)} is the rate of the very first update. Being a
 * function of t (not a running product), a schedule resumes from a checkpoint by t alone.
 *
 * <pre>{@code
 * LrSchedule s = new LrSchedule.WarmUp(500, 0.01, new LrSchedule.Cosine(1e-3, 1e-5, 9500));
 * opt.setLearningRate(s.lr(iteration));
 * }</pre>
 */
public sealed interface LrSchedule
    permits LrSchedule.Constant,
        LrSchedule.StepDecay,
        LrSchedule.Exponential,
        LrSchedule.Cosine,
        LrSchedule.WarmUp,
        LrSchedule.OneCycle {

  /**
   * The learning rate at step t.
   *
   * @param t steps taken so far, &gt;= 0
   * @throws IllegalArgumentException when t &lt; 0
   */
  double lr(int t);

  /**
   * A fixed rate.
   *
   * @param lr the rate, finite and &gt; 0
   */
  record Constant(double lr) implements LrSchedule {
    /** Validates the rate. */
    public Constant {
      UpdateRules.checkLearningRate("Constant", lr);
    }

    @Override
    public double lr(int t) {
      checkStep(t);
      return lr;
    }
  }

  /**
   * Step decay: {@code baseLr * gamma^floor(t / stepSize)} (PyTorch {@code StepLR}).
   *
   * @param baseLr rate for the first {@code stepSize} steps, finite and &gt; 0
   * @param stepSize steps between decays, &gt; 0
   * @param gamma factor per decay, in (0, 1]
   */
  record StepDecay(double baseLr, int stepSize, double gamma) implements LrSchedule {
    /** Validates the parameters. */
    public StepDecay {
      UpdateRules.checkLearningRate("StepDecay", baseLr);
      if (stepSize <= 0) {
        throw new IllegalArgumentException("StepDecay: stepSize must be > 0, got " + stepSize);
      }
      checkGamma("StepDecay", gamma);
    }

    @Override
    public double lr(int t) {
      checkStep(t);
      return baseLr * Math.pow(gamma, t / stepSize);
    }
  }

  /**
   * Exponential decay {@code baseLr * gamma^t}: CS231n's {@code lr_decay} when t counts epochs (the
   * Solver multiplies the rate by lr_decay after each epoch), PyTorch's {@code ExponentialLR}.
   *
   * @param baseLr rate at t = 0, finite and &gt; 0
   * @param gamma factor per step, in (0, 1]
   */
  record Exponential(double baseLr, double gamma) implements LrSchedule {
    /** Validates the parameters. */
    public Exponential {
      UpdateRules.checkLearningRate("Exponential", baseLr);
      checkGamma("Exponential", gamma);
    }

    @Override
    public double lr(int t) {
      checkStep(t);
      return baseLr * Math.pow(gamma, t);
    }
  }

  /**
   * Cosine annealing from {@code baseLr} to {@code minLr} over {@code period} steps (Loshchilov and
   * Hutter, SGDR, without restarts): {@code minLr + (baseLr - minLr) * (1 + cos(pi * t / period)) /
   * 2} for t &lt;= period, then {@code minLr}. (PyTorch's {@code CosineAnnealingLR} keeps following
   * the cosine back up after {@code T_max}; this record holds the minimum.)
   *
   * @param baseLr rate at t = 0, finite and &gt; 0
   * @param minLr rate from t = period on, in [0, baseLr]
   * @param period steps of the descent (PyTorch's {@code T_max}), &gt; 0
   */
  record Cosine(double baseLr, double minLr, int period) implements LrSchedule {
    /** Validates the parameters. */
    public Cosine {
      UpdateRules.checkLearningRate("Cosine", baseLr);
      if (!(minLr >= 0 && minLr <= baseLr)) {
        throw new IllegalArgumentException(
            "Cosine: minLr must be in [0, baseLr=" + baseLr + "], got " + minLr);
      }
      if (period <= 0) {
        throw new IllegalArgumentException("Cosine: period must be > 0, got " + period);
      }
    }

    @Override
    public double lr(int t) {
      checkStep(t);
      if (t >= period) {
        return minLr;
      }
      return minLr + (baseLr - minLr) * (1 + Math.cos(Math.PI * t / period)) / 2;
    }
  }

  /**
   * Linear warm-up, then another schedule: for t &lt; {@code steps}, {@code after.lr(0) *
   * (startFactor + (1 - startFactor) * t / steps)}; from then on {@code after.lr(t - steps)}, so
   * the following schedule starts its own clock at the end of the warm-up. Equals PyTorch's {@code
   * SequentialLR([LinearLR(start_factor, total_iters=steps), after], milestones=[steps])}.
   *
   * @param steps length of the warm-up, &gt; 0
   * @param startFactor fraction of {@code after.lr(0)} at t = 0, in (0, 1]
   * @param after the schedule once warm
   */
  record WarmUp(int steps, double startFactor, LrSchedule after) implements LrSchedule {
    /** Validates the parameters. */
    public WarmUp {
      if (steps <= 0) {
        throw new IllegalArgumentException("WarmUp: steps must be > 0, got " + steps);
      }
      if (!(startFactor > 0 && startFactor <= 1)) {
        throw new IllegalArgumentException(
            "WarmUp: startFactor must be in (0, 1], got " + startFactor);
      }
      if (after == null) {
        throw new IllegalArgumentException("WarmUp: after must not be null");
      }
    }

    @Override
    public double lr(int t) {
      checkStep(t);
      if (t >= steps) {
        return after.lr(t - steps);
      }
      return after.lr(0) * (startFactor + (1 - startFactor) * t / steps);
    }
  }

  /**
   * The one-cycle policy (Smith and Topin 2017, "Super-Convergence"), exactly PyTorch's {@code
   * OneCycleLR} with {@code three_phase=False}: the rate climbs from {@code maxLr / divFactor} to
   * {@code maxLr} over the first {@code pctStart * totalSteps - 1} steps, then falls to {@code
   * maxLr / divFactor / finalDivFactor} at step {@code totalSteps - 1}, each phase annealed by a
   * half cosine ({@code cosine}, PyTorch's default) or linearly. A short warm-up at a low rate lets
   * BatchNorm statistics and Adam's moments settle; the long descent to almost 0 lets the weights
   * settle at the end of a short run, where the last epochs gain the most accuracy. From {@code
   * totalSteps} on the rate stays at its final value.
   *
   * @param maxLr the peak rate, finite and &gt; 0
   * @param totalSteps the length of the cycle, &gt;= 2 (the run's iterations)
   * @param pctStart fraction of the steps spent climbing, in (0, 1), with {@code pctStart *
   *     totalSteps} &gt; 1
   * @param divFactor the initial rate is {@code maxLr / divFactor}, &gt;= 1 (PyTorch: 25)
   * @param finalDivFactor the final rate is the initial one / this, &gt;= 1 (PyTorch: 1e4)
   * @param cosine half-cosine annealing (true) or linear (false)
   */
  record OneCycle(
      double maxLr,
      int totalSteps,
      double pctStart,
      double divFactor,
      double finalDivFactor,
      boolean cosine)
      implements LrSchedule {
    /** Validates the parameters. */
    public OneCycle {
      UpdateRules.checkLearningRate("OneCycle", maxLr);
      if (totalSteps < 2) {
        throw new IllegalArgumentException("OneCycle: totalSteps must be >= 2, got " + totalSteps);
      }
      if (!(pctStart > 0 && pctStart < 1 && pctStart * totalSteps > 1)) {
        throw new IllegalArgumentException(
            "OneCycle: pctStart must be in (0, 1) with pctStart * totalSteps > 1, got "
                + pctStart
                + " for "
                + totalSteps
                + " steps");
      }
      if (!(divFactor >= 1 && Double.isFinite(divFactor))) {
        throw new IllegalArgumentException("OneCycle: divFactor must be >= 1, got " + divFactor);
      }
      if (!(finalDivFactor >= 1 && Double.isFinite(finalDivFactor))) {
        throw new IllegalArgumentException(
            "OneCycle: finalDivFactor must be >= 1, got " + finalDivFactor);
      }
    }

    /** PyTorch's defaults: pctStart 0.3, divFactor 25, finalDivFactor 1e4, cosine. */
    public OneCycle(double maxLr, int totalSteps) {
      this(maxLr, totalSteps, 0.3, 25, 1e4, true);
    }

    @Override
    public double lr(int t) {
      checkStep(t);
      double initial = maxLr / divFactor;
      double last = initial / finalDivFactor;
      // Phase ends as PyTorch computes them (a float, not rounded): the climb ends at step
      // pctStart * total - 1, the descent at total - 1.
      double climbEnd = pctStart * totalSteps - 1;
      double end = totalSteps - 1;
      double step = Math.min(t, end);
      if (step <= climbEnd) {
        return anneal(initial, maxLr, step / climbEnd);
      }
      return anneal(maxLr, last, (step - climbEnd) / (end - climbEnd));
    }

    private double anneal(double from, double to, double pct) {
      return cosine
          ? to + (from - to) / 2 * (Math.cos(Math.PI * pct) + 1)
          : (to - from) * pct + from;
    }
  }

  private static void checkStep(int t) {
    if (t < 0) {
      throw new IllegalArgumentException("LrSchedule: step must be >= 0, got " + t);
    }
  }

  private static void checkGamma(String op, double gamma) {
    if (!(gamma > 0 && gamma <= 1)) {
      throw new IllegalArgumentException(op + ": gamma must be in (0, 1], got " + gamma);
    }
  }
}
