package org.handgrad.models.diffusion;

import java.util.Locale;

/**
 * The variance schedule beta_1..beta_T of the DDPM forward process q(x_t | x_{t-1}) = N(sqrt(1 -
 * beta_t) x_{t-1}, beta_t I). A closed family: {@link Linear}, {@link Cosine}, {@link Sigmoid}.
 *
 * <p>Indices are 0-based as in the code CS231n uses: {@code betas(T)[t]} for t in [0, T) is beta of
 * step t + 1 in the papers' 1-based notation. Every schedule is computed in float64.
 */
public sealed interface BetaSchedule {
  /**
   * The betas for {@code timesteps} steps.
   *
   * @param timesteps T, at least 1
   * @return beta_t for t in [0, T), each in (0, 1)
   * @throws IllegalArgumentException if T &lt; 1 or the schedule gives a beta outside (0, 1)
   */
  double[] betas(int timesteps);

  /** The name used on the command line and in configs: linear, cosine or sigmoid. */
  String name();

  /**
   * The schedule with default parameters for a name.
   *
   * @param name linear, cosine or sigmoid (case-insensitive)
   * @throws IllegalArgumentException for any other name
   */
  static BetaSchedule of(String name) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "linear":
        return new Linear();
      case "cosine":
        return new Cosine();
      case "sigmoid":
        return new Sigmoid();
      default:
        throw new IllegalArgumentException(
            "beta schedule: expected linear, cosine or sigmoid, got '" + name + "'");
    }
  }

  /**
   * Ho et al. (2020), section 4: betas evenly spaced from {@code betaStart} to {@code betaEnd}. The
   * paper's 1e-4..0.02 is defined at T = 1000; for another T both ends are scaled by 1000 / T (as
   * in Nichol and Dhariwal 2021's code and the lucidrains implementation CS231n builds on), so that
   * the total noise added stays about the same. At T = 1000 the scale is exactly 1.
   *
   * @param betaStart beta_1 at T = 1000
   * @param betaEnd beta_T at T = 1000
   */
  record Linear(double betaStart, double betaEnd) implements BetaSchedule {
    /** Validates 0 &lt; betaStart &lt;= betaEnd &lt; 1. */
    public Linear {
      if (!(betaStart > 0 && betaStart <= betaEnd && betaEnd < 1)) {
        throw new IllegalArgumentException(
            "linear schedule: need 0 < betaStart <= betaEnd < 1, got "
                + betaStart
                + ", "
                + betaEnd);
      }
    }

    /** Ho et al.'s 1e-4 .. 0.02. */
    public Linear() {
      this(1e-4, 0.02);
    }

    @Override
    public double[] betas(int timesteps) {
      Schedules.requireSteps(timesteps);
      double scale = 1000.0 / timesteps;
      double start = scale * betaStart;
      double end = scale * betaEnd;
      if (end >= 1) {
        throw new IllegalArgumentException(
            "linear schedule: T = "
                + timesteps
                + " scales betaEnd to "
                + end
                + " >= 1; use more timesteps");
      }
      double[] b = new double[timesteps];
      for (int i = 0; i < timesteps; i++) {
        // linspace(start, end, T); a single step takes the start value, as torch.linspace does
        b[i] = timesteps == 1 ? start : start + (end - start) * i / (timesteps - 1);
      }
      return b;
    }

    @Override
    public String name() {
      return "linear";
    }
  }

  /**
   * Nichol and Dhariwal (2021), eq. 17: alpha-bar(t) = f(t) / f(0) with f(t) = cos^2(((t/T + s) /
   * (1 + s)) pi/2), beta_t = 1 - alpha-bar(t) / alpha-bar(t - 1) for t = 1..T, clipped to at most
   * 0.999 to avoid the singularity at t = T.
   *
   * @param s the small offset that keeps beta_1 from being too small, 0.008 in the paper
   */
  record Cosine(double s) implements BetaSchedule {
    /** Validates s >= 0. */
    public Cosine {
      if (!(s >= 0) || Double.isInfinite(s)) {
        throw new IllegalArgumentException("cosine schedule: need finite s >= 0, got " + s);
      }
    }

    /** The paper's s = 0.008. */
    public Cosine() {
      this(0.008);
    }

    @Override
    public double[] betas(int timesteps) {
      Schedules.requireSteps(timesteps);
      double[] alphaBar = new double[timesteps + 1];
      for (int i = 0; i <= timesteps; i++) {
        double x = (double) i / timesteps;
        double c = Math.cos((x + s) / (1 + s) * Math.PI * 0.5);
        alphaBar[i] = c * c;
      }
      return Schedules.betasFromAlphaBar(alphaBar, "cosine");
    }

    @Override
    public String name() {
      return "cosine";
    }
  }

  /**
   * The sigmoid schedule of Jabri, Fleet and Chen (2022, "Scalable Adaptive Computation for
   * Iterative Generation", appendix), in the form of the common {@code sigmoid_beta_schedule}
   * (lucidrains' denoising-diffusion-pytorch): with u = t/T in [0, 1] and sigma the logistic
   * function,
   *
   * <pre>
   *   f(u)            = (sigma(end/tau) - sigma((u (end - start) + start) / tau))
   *                     / (sigma(end/tau) - sigma(start/tau))
   *   alpha-bar(t)    = f(t/T) / f(0)
   *   beta_t          = min(1 - alpha-bar(t) / alpha-bar(t-1), 0.999),  t = 1..T
   * </pre>
   *
   * <p>f(0) = 1, so the division only guards rounding; f(1) = 0, hence the clip of the last beta.
   *
   * @param start left end of the sigmoid's input range, -3 by default
   * @param end right end, 3 by default
   * @param tau temperature, 1 by default (larger tau: a more linear alpha-bar)
   */
  record Sigmoid(double start, double end, double tau) implements BetaSchedule {
    /** Validates start &lt; end and tau > 0. */
    public Sigmoid {
      if (!(start < end)
          || !(tau > 0)
          || Double.isInfinite(end - start)
          || Double.isInfinite(tau)) {
        throw new IllegalArgumentException(
            "sigmoid schedule: need finite start < end and tau > 0, got start="
                + start
                + ", end="
                + end
                + ", tau="
                + tau);
      }
    }

    /** start -3, end 3, tau 1. */
    public Sigmoid() {
      this(-3, 3, 1);
    }

    @Override
    public double[] betas(int timesteps) {
      Schedules.requireSteps(timesteps);
      double vStart = Schedules.sigmoid(start / tau);
      double vEnd = Schedules.sigmoid(end / tau);
      double[] alphaBar = new double[timesteps + 1];
      for (int i = 0; i <= timesteps; i++) {
        double u = (double) i / timesteps;
        alphaBar[i] =
            (vEnd - Schedules.sigmoid((u * (end - start) + start) / tau)) / (vEnd - vStart);
      }
      return Schedules.betasFromAlphaBar(alphaBar, "sigmoid");
    }

    @Override
    public String name() {
      return "sigmoid";
    }
  }
}
