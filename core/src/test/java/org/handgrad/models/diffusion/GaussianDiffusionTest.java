package org.handgrad.models.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The DDPM maths of {@link GaussianDiffusion} against closed forms, statistics and its own
 * inverses.
 */
class GaussianDiffusionTest {
  private static final GaussianDiffusion DDPM =
      new GaussianDiffusion(new BetaSchedule.Linear(), 1000);

  private static Tensor randn(long seed, int... shape) {
    return new Rng(seed).randn(DType.FLOAT64, shape);
  }

  @Test
  void qSampleIsTheClosedForm() {
    double[] abar = DDPM.alphasCumprod();
    Tensor x0 = randn(1, 3, 2, 2, 2);
    Tensor noise = randn(2, 3, 2, 2, 2);
    int[] t = {0, 417, 999};
    Tensor xt = DDPM.qSample(x0, t, noise);
    for (int i = 0; i < xt.size(); i++) {
      int n = i / 8;
      double expected =
          Math.sqrt(abar[t[n]]) * x0.getFlat(i) + Math.sqrt(1 - abar[t[n]]) * noise.getFlat(i);
      assertEquals(expected, xt.getFlat(i), 1e-14);
    }
    // abar is the product of the alphas: at t = 0 it is 1 - beta_0 = 1 - 1e-4
    assertEquals(1 - 1e-4, abar[0], 1e-16);
  }

  /**
   * q(x_t | x0) in closed form has the law of t + 1 one-step transitions x_k = sqrt(1 - beta_k)
   * x_{k-1} + sqrt(beta_k) z_k: both have mean sqrt(abar_t) x0 and variance 1 - abar_t. With M =
   * 20000 independent chains, the sample mean's standard error is sqrt(var / M) and the sample
   * variance's is var sqrt(2 / (M - 1)) (Gaussian data); each check allows 5 standard errors, so a
   * correct implementation fails with probability below 1e-5 per check, while a wrong coefficient
   * (e.g. sqrt(alpha_t) for sqrt(abar_t), or a step off by one at t = 0 where var = 1e-4 vs 2e-4)
   * is many standard errors away.
   */
  @ParameterizedTest
  @ValueSource(ints = {0, 9, 99, 999})
  void qSampleMatchesIteratingTheOneStepProcess(int t) {
    int m = 20_000;
    double start = 0.7;
    double[] betas = new BetaSchedule.Linear().betas(1000);
    Rng rng = new Rng(40 + t);
    double[] chains = new double[m];
    java.util.Arrays.fill(chains, start);
    for (int k = 0; k <= t; k++) {
      double a = Math.sqrt(1 - betas[k]);
      double s = Math.sqrt(betas[k]);
      for (int i = 0; i < m; i++) {
        chains[i] = a * chains[i] + s * rng.nextGaussian();
      }
    }
    Tensor x0 = Tensor.full(DType.FLOAT64, start, m, 1, 1, 1);
    int[] ts = new int[m];
    java.util.Arrays.fill(ts, t);
    double[] closed = DDPM.qSample(x0, ts, rng.randn(DType.FLOAT64, m, 1, 1, 1)).toDoubleArray();
    double abar = DDPM.alphasCumprod()[t];
    double mean = Math.sqrt(abar) * start;
    double var = 1 - abar;
    double seMean = Math.sqrt(var / m);
    double seVar = var * Math.sqrt(2.0 / (m - 1));
    for (double[] sample : new double[][] {chains, closed}) {
      double mu = 0;
      for (double v : sample) {
        mu += v / m;
      }
      double s2 = 0;
      for (double v : sample) {
        s2 += (v - mu) * (v - mu) / (m - 1);
      }
      assertEquals(mean, mu, 5 * seMean, "mean at t=" + t);
      assertEquals(var, s2, 5 * seVar, "variance at t=" + t);
    }
  }

  /**
   * The posterior from Bayes' rule, written independently of the coefficients: q(x_{t-1} | x0) =
   * N(sqrt(abar_{t-1}) x0, (1 - abar_{t-1})) times q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1},
   * beta_t) is Gaussian in x_{t-1} with precision 1 / (1 - abar_{t-1}) + alpha_t / beta_t and mean
   * var (sqrt(abar_{t-1}) x0 / (1 - abar_{t-1}) + sqrt(alpha_t) x_t / beta_t). At t = 0 the
   * "previous" state is x0 itself: mean x0, variance 0.
   */
  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void posteriorMatchesBayesRule(DType dt) {
    for (String name : new String[] {"linear", "cosine", "sigmoid"}) {
      GaussianDiffusion d = new GaussianDiffusion(BetaSchedule.of(name), 1000);
      double[] betas = d.buffers().get("betas");
      double[] abar = d.alphasCumprod();
      int[] t = {0, 1, 250, 998, 999};
      Tensor x0 = randn(3, 5, 1, 2, 3).to(dt);
      Tensor xt = randn(4, 5, 1, 2, 3).to(dt);
      Posterior q = d.qPosterior(x0, xt, t);
      assertArrayEquals(new int[] {5, 1, 1, 1}, q.variance().shape());
      double tol = dt == DType.FLOAT64 ? 1e-9 : 1e-5;
      for (int n = 0; n < t.length; n++) {
        double prev = t[n] == 0 ? 1 : abar[t[n] - 1];
        double alpha = 1 - betas[t[n]];
        double var = t[n] == 0 ? 0 : 1 / (1 / (1 - prev) + alpha / betas[t[n]]);
        assertEquals(var, q.variance().getFlat(n), tol * Math.max(var, 1e-6), name + " var");
        double logvar = Math.log(Math.max(var, 1e-20));
        assertEquals(logvar, q.logVariance().getFlat(n), 1e-6 * Math.abs(logvar), name);
        for (int j = 0; j < 6; j++) {
          int i = n * 6 + j;
          double mean =
              t[n] == 0
                  ? x0.getFlat(i)
                  : var
                      * (Math.sqrt(prev) * x0.getFlat(i) / (1 - prev)
                          + Math.sqrt(alpha) * xt.getFlat(i) / betas[t[n]]);
          assertEquals(mean, q.mean().getFlat(i), tol * 10, name + " mean t=" + t[n]);
        }
      }
    }
  }

  @Test
  void conversionsInvertEachOther() {
    for (String name : new String[] {"linear", "cosine", "sigmoid"}) {
      GaussianDiffusion d = new GaussianDiffusion(BetaSchedule.of(name), 1000);
      int[] t = {0, 10, 500, 990};
      Tensor x0 = randn(5, 4, 2, 3, 3);
      Tensor eps = randn(6, 4, 2, 3, 3);
      Tensor xt = d.qSample(x0, t, eps);
      Golden.assertClose("x0 from eps", d.predictStartFromNoise(xt, t, eps), x0, 1e-10);
      Golden.assertClose("eps from x0", d.predictNoiseFromStart(xt, t, x0), eps, 1e-10);
      Tensor v = d.predictV(x0, t, eps);
      Golden.assertClose("x0 from v", d.predictStartFromV(xt, t, v), x0, 1e-12);
      // v rotates (x0, eps) by the angle phi with cos phi = sqrt(abar): |x_t|^2 + |v|^2 = |x0|^2
      // + |eps|^2 per element
      for (int i = 0; i < x0.size(); i++) {
        double lhs = xt.getFlat(i) * xt.getFlat(i) + v.getFlat(i) * v.getFlat(i);
        double rhs = x0.getFlat(i) * x0.getFlat(i) + eps.getFlat(i) * eps.getFlat(i);
        assertEquals(rhs, lhs, 1e-12 * Math.max(1, rhs));
      }
    }
  }

  @Test
  void ddimWithEtaOneOnConsecutiveStepsIsTheAncestralStep() {
    // sigma^2 = (1 - abar_{t-1}) / (1 - abar_t) beta_t is the posterior variance, and the mean
    // coefficients agree (docs/generative.md): the same noise gives the same x_{t-1}
    Tensor xt = randn(7, 2, 1, 4, 4);
    Tensor out = randn(8, 2, 1, 4, 4);
    Tensor z = randn(9, 2, 1, 4, 4);
    for (boolean clip : new boolean[] {true, false}) {
      SampleOptions o = SampleOptions.defaults().withClipDenoised(clip);
      for (int t : new int[] {1, 40, 700, 999}) {
        Tensor a = DDPM.pSample(new FakeDenoiser(0, out), xt, t, o, z);
        Tensor b = DDPM.ddimStep(new FakeDenoiser(0, out), xt, t, t - 1, 1.0, o, z);
        Golden.assertClose("t=" + t, b, a, 1e-10);
      }
    }
  }

  @Test
  void ddimGridIsEvenAndEndsFullyDenoised() {
    assertArrayEquals(new int[] {999, 499, -1}, DDPM.ddimTimesteps(2));
    int[] fifty = DDPM.ddimTimesteps(50);
    assertEquals(51, fifty.length);
    for (int k = 0; k <= 50; k++) {
      assertEquals(999 - 20 * k, fifty[k]);
    }
    int[] all = DDPM.ddimTimesteps(1000);
    for (int k = 0; k <= 1000; k++) {
      assertEquals(999 - k, all[k]);
    }
    GaussianDiffusion ten = new GaussianDiffusion(new BetaSchedule.Cosine(), 10);
    assertArrayEquals(new int[] {9, 5, 2, -1}, ten.ddimTimesteps(3));
  }

  @ParameterizedTest
  @EnumSource(Objective.class)
  void pLossesTargetsAndRunsTheBackward(Objective objective) {
    GaussianDiffusion d = new GaussianDiffusion(new BetaSchedule.Cosine(), 100, objective);
    Tensor x0 = randn(10, 2, 1, 3, 3);
    Tensor noise = randn(11, 2, 1, 3, 3);
    Tensor prediction = randn(12, 2, 1, 3, 3);
    int[] t = {5, 77};
    FakeDenoiser model = new FakeDenoiser(3, prediction);
    DenoiserLoss loss = d.pLosses(model, x0, t, noise, new int[] {2, 3});
    Tensor target =
        objective == Objective.EPSILON
            ? noise
            : objective == Objective.X0 ? x0 : d.predictV(x0, t, noise);
    Golden.assertClose("target", loss.target(), target, 1e-15);
    Golden.assertClose("denoiser input", model.xs.get(0), d.qSample(x0, t, noise), 1e-15);
    assertArrayEquals(new double[] {5, 77}, model.ts.get(0));
    assertArrayEquals(new int[] {2, 3}, model.ys.get(0));
    double sum = 0;
    for (int i = 0; i < 18; i++) {
      double diff = prediction.getFlat(i) - target.getFlat(i);
      sum += diff * diff;
    }
    assertEquals(sum / 18, loss.value(), 1e-14);
    assertArrayEquals(loss.dprediction().toDoubleArray(), model.lastDout.toDoubleArray());
  }

  /**
   * dL/dprediction against a central difference of L(prediction) at float64: the fake denoiser
   * returns the perturbed prediction, and pLosses recomputes L.
   */
  @Test
  void pLossesGradientMatchesNumericalGradient() {
    GaussianDiffusion d = new GaussianDiffusion(new BetaSchedule.Sigmoid(), 50, Objective.V);
    Tensor x0 = randn(13, 2, 2, 2, 2);
    Tensor noise = randn(14, 2, 2, 2, 2);
    Tensor p = randn(15, 2, 2, 2, 2);
    int[] t = {3, 49};
    Tensor analytic = d.pLosses(new FakeDenoiser(0, p), x0, t, noise, null).dprediction();
    double h = 1e-6;
    double worst = 0;
    for (int i = 0; i < p.size(); i++) {
      Tensor plus = p.copy();
      plus.setFlat(i, p.getFlat(i) + h);
      Tensor minus = p.copy();
      minus.setFlat(i, p.getFlat(i) - h);
      double lp = d.pLosses(new FakeDenoiser(0, plus), x0, t, noise, null).value();
      double lm = d.pLosses(new FakeDenoiser(0, minus), x0, t, noise, null).value();
      double numeric = (lp - lm) / (2 * h);
      double a = analytic.getFlat(i);
      worst =
          Math.max(worst, Math.abs(a - numeric) / Math.max(1e-8, Math.abs(a) + Math.abs(numeric)));
    }
    assertTrue(worst < 1e-7, "relative error " + worst);
  }

  @Test
  void trainingLossIsReproducibleAndDropsLabels() {
    GaussianDiffusion d = new GaussianDiffusion(new BetaSchedule.Linear(), 100);
    Tensor x0 = randn(16, 64, 1, 2, 2);
    int[] y = new int[64];
    FakeDenoiser a = new FakeDenoiser(10, Tensor.zeros(DType.FLOAT64, 64, 1, 2, 2));
    FakeDenoiser b = new FakeDenoiser(10, Tensor.zeros(DType.FLOAT64, 64, 1, 2, 2));
    double la = d.trainingLoss(a, x0, y, 0.5, new Rng(3)).value();
    double lb = d.trainingLoss(b, x0, y, 0.5, new Rng(3)).value();
    assertEquals(la, lb, 0);
    assertArrayEquals(a.ys.get(0), b.ys.get(0));
    int dropped = 0;
    for (int label : a.ys.get(0)) {
      assertTrue(label == 0 || label == 10);
      dropped += label == 10 ? 1 : 0;
    }
    // Binomial(64, 0.5): 32 +- 4; the bounds are 5 standard deviations
    assertTrue(dropped > 12 && dropped < 52, "dropped " + dropped);
    for (double t : a.ts.get(0)) {
      assertTrue(t >= 0 && t < 100 && t == Math.rint(t));
    }
  }

  @Test
  void samplingLoopsReportProgressAndRecordTrajectories() {
    GaussianDiffusion d = new GaussianDiffusion(new BetaSchedule.Cosine(), 10);
    List<int[]> calls = new ArrayList<>();
    Trajectory traj = new Trajectory(3);
    SampleOptions o =
        SampleOptions.defaults()
            .withProgress((done, total) -> calls.add(new int[] {done, total}))
            .withTrajectory(traj);
    FakeDenoiser model = new FakeDenoiser(0, Tensor.zeros(DType.FLOAT32, 2, 1, 2, 2));
    Tensor x = d.pSampleLoop(model, new int[] {2, 1, 2, 2}, DType.FLOAT32, o, new Rng(1));
    assertEquals(DType.FLOAT32, x.dtype());
    assertEquals(10, calls.size());
    assertArrayEquals(new int[] {10, 10}, calls.get(9));
    assertEquals(10, model.calls());
    int[] steps = traj.frames().stream().mapToInt(Trajectory.Frame::step).toArray();
    assertArrayEquals(new int[] {0, 3, 6, 9, 10}, steps);
    assertEquals(-1, traj.frames().get(4).time());
    assertArrayEquals(x.toFloatArray(), traj.frames().get(4).x().toFloatArray());
    // the same seed gives the same samples
    Tensor again =
        d.pSampleLoop(
            model, new int[] {2, 1, 2, 2}, DType.FLOAT32, SampleOptions.defaults(), new Rng(1));
    assertArrayEquals(x.toFloatArray(), again.toFloatArray());

    Trajectory ddimTraj = new Trajectory(1);
    FakeDenoiser m2 = new FakeDenoiser(0, Tensor.zeros(DType.FLOAT64, 2, 1, 2, 2));
    d.ddimSample(
        m2, new int[] {2, 1, 2, 2}, DType.FLOAT64, 4, 0.5, o.withTrajectory(ddimTraj), new Rng(2));
    assertEquals(4, m2.calls());
    assertEquals(5, ddimTraj.frames().size());
    assertEquals(9, m2.ts.get(0)[0]);
  }

  @Test
  void badInputGetsClearErrors() {
    Tensor x = randn(1, 2, 1, 2, 2);
    FakeDenoiser uncond = new FakeDenoiser(0, x);
    SampleOptions o = SampleOptions.defaults();
    assertMessage(
        "timestep 1000 at 1 is outside [0, T=1000)", () -> DDPM.qSample(x, new int[] {0, 1000}, x));
    assertMessage(
        "timestep -1 at 0 is outside [0, T=1000)", () -> DDPM.qSample(x, new int[] {-1, 0}, x));
    assertMessage("expected 2 timesteps", () -> DDPM.qSample(x, new int[] {1}, x));
    assertMessage("pSample: timestep", () -> DDPM.pSample(uncond, x, 1000, o, x));
    assertMessage("ddimStep: timestep", () -> DDPM.ddimStep(uncond, x, -2, -3, 0, o, x));
    assertMessage("next step must be in [-1, t=5)", () -> DDPM.ddimStep(uncond, x, 5, 5, 0, o, x));
    assertMessage("steps must be in [1, T=1000], got 1001", () -> DDPM.ddimTimesteps(1001));
    assertMessage(
        "steps must be in [1, T=1000], got 0",
        () -> DDPM.ddimSample(uncond, new int[] {2, 1, 2, 2}, DType.FLOAT64, 0, 0, o, new Rng(1)));
    assertMessage(
        "eta must be in [0, 1], got -0.1",
        () ->
            DDPM.ddimSample(
                uncond, new int[] {2, 1, 2, 2}, DType.FLOAT64, 10, -0.1, o, new Rng(1)));
    assertMessage(
        "noise FLOAT64 (2, 1, 2, 3) must match x FLOAT64 (2, 1, 2, 2)",
        () -> DDPM.qSample(x, new int[] {0, 1}, randn(2, 2, 1, 2, 3)));
    assertMessage(
        "noise FLOAT32 (2, 1, 2, 2) must match",
        () -> DDPM.qSample(x, new int[] {0, 1}, x.to(DType.FLOAT32)));
    assertMessage(
        "expected x float32/float64 of shape (N, C, H, W), got FLOAT64 (2, 4)",
        () -> DDPM.qSample(randn(1, 2, 4), new int[] {0, 1}, randn(1, 2, 4)));
    assertMessage(
        "sample shape (N, C, H, W)",
        () -> DDPM.pSampleLoop(uncond, new int[] {2, 2}, DType.FLOAT64, o, new Rng(1)));
    // conditioning an unconditional model
    assertMessage(
        "the denoiser is unconditional",
        () ->
            DDPM.pSample(
                uncond, x, 5, o.withConditioning(Conditioning.classes(new int[] {1, 2}, 3)), x));
    assertMessage(
        "the denoiser is unconditional",
        () ->
            DDPM.pSample(
                uncond, x, 5, o.withConditioning(Conditioning.classes(new int[] {1, 2}, 1)), x));
    assertMessage("guidance w=2.0 needs class labels", () -> new Conditioning(null, 2));
    FakeDenoiser cond = new FakeDenoiser(10, x);
    assertMessage(
        "label 11 at 1 is outside [0, 10]",
        () ->
            DDPM.pSample(
                cond, x, 5, o.withConditioning(Conditioning.classes(new int[] {1, 11}, 3)), x));
    assertMessage(
        "expected 2 labels (one per image), got 3",
        () ->
            DDPM.pSample(
                cond, x, 5, o.withConditioning(Conditioning.classes(new int[] {1, 2, 3}, 3)), x));
    assertMessage(
        "denoiser output FLOAT64 (1, 1, 2, 2) must match",
        () ->
            DDPM.pLosses(new FakeDenoiser(0, randn(1, 1, 1, 2, 2)), x, new int[] {0, 1}, x, null));
    assertMessage(
        "dropLabels: p must be in [0, 1], got 1.5",
        () -> ClassifierFreeGuidance.dropLabels(new int[] {1}, 1.5, 10, new Rng(1)));
    // schedules
    assertMessage(
        "T = 10 scales betaEnd to 2.0", () -> new GaussianDiffusion(new BetaSchedule.Linear(), 10));
    assertMessage(
        "timesteps must be >= 1, got 0", () -> new GaussianDiffusion(new BetaSchedule.Cosine(), 0));
    assertMessage(
        "expected linear, cosine or sigmoid, got 'quadratic'", () -> BetaSchedule.of("quadratic"));
    assertMessage("need finite start < end", () -> new BetaSchedule.Sigmoid(3, -3, 1));
  }

  static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(
        e.getMessage().contains(expected),
        "message '" + e.getMessage() + "' lacks '" + expected + "'");
  }
}
