package org.handgrad.models.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Every sampler, driven by the exact optimal denoiser of Gaussian data ({@link
 * GaussianDataDenoiser}), must return that data distribution: this tests the samplers independently
 * of any training.
 *
 * <p>Data: each pixel N(mu, s^2) with s = 0.2; 400 images of 1 x 4 x 4 = 6400 values per check. The
 * sample mean's standard error is s / sqrt(6400) = 0.0025 and the sample std's about s / sqrt(2 *
 * 6400) = 0.0018. The allowed error is 0.015 for the mean and 0.012 for the std: six standard
 * errors plus a small discretization error (a few thousandths at the step counts used), while a
 * sampler with a wrong coefficient is off by far more (the noise has std 1, five times s).
 */
class SamplerRecoveryTest {
  private static final double S = 0.2;
  private static final int[] SHAPE = {400, 1, 4, 4};
  private static final double MEAN_TOL = 0.015;
  private static final double STD_TOL = 0.012;

  private static void assertDistribution(String what, Tensor x, double mu) {
    double[] v = x.toDoubleArray();
    double m = 0;
    for (double d : v) {
      m += d / v.length;
    }
    double var = 0;
    for (double d : v) {
      var += (d - m) * (d - m) / (v.length - 1);
    }
    assertEquals(mu, m, MEAN_TOL, what + ": mean");
    assertEquals(S, Math.sqrt(var), STD_TOL, what + ": std");
  }

  @Test
  void ancestralSamplerRecoversGaussianData() {
    GaussianDiffusion d = new GaussianDiffusion(new BetaSchedule.Linear(), 1000);
    Denoiser oracle = GaussianDataDenoiser.ddpm(new double[] {0.3}, S, d);
    SampleOptions o = SampleOptions.defaults().withClipDenoised(false);
    assertDistribution(
        "ancestral", d.pSampleLoop(oracle, SHAPE, DType.FLOAT64, o, new Rng(1)), 0.3);
  }

  @Test
  void ddimRecoversGaussianDataWithFewSteps() {
    GaussianDiffusion d = new GaussianDiffusion(new BetaSchedule.Cosine(), 1000);
    Denoiser oracle = GaussianDataDenoiser.ddpm(new double[] {-0.4}, S, d);
    SampleOptions o = SampleOptions.defaults().withClipDenoised(false);
    assertDistribution(
        "ddim eta 0", d.ddimSample(oracle, SHAPE, DType.FLOAT64, 500, 0, o, new Rng(2)), -0.4);
    // eta 1 on all 1000 steps is the ancestral sampler in law (GaussianDiffusionTest), in float32
    assertDistribution(
        "ddim eta 1", d.ddimSample(oracle, SHAPE, DType.FLOAT32, 1000, 1, o, new Rng(3)), -0.4);
  }

  @Test
  void classConditionalSamplingFollowsTheLabels() {
    GaussianDiffusion d = new GaussianDiffusion(new BetaSchedule.Cosine(), 1000);
    double[] means = {-0.5, 0.5};
    Denoiser oracle = GaussianDataDenoiser.ddpm(means, S, d);
    int[] labels = new int[SHAPE[0]];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i % 2;
    }
    SampleOptions o =
        SampleOptions.defaults()
            .withClipDenoised(false)
            .withConditioning(Conditioning.classes(labels, 1));
    Tensor x = d.ddimSample(oracle, SHAPE, DType.FLOAT64, 500, 0, o, new Rng(4));
    // even rows are class 0, odd rows class 1
    Tensor byClass = x.reshape(SHAPE[0] / 2, 2, 16);
    assertDistribution("class 0", byClass.slice(1, 0, 1).contiguous(), -0.5);
    assertDistribution("class 1", byClass.slice(1, 1, 2).contiguous(), 0.5);
  }

  @Test
  void flowSamplersRecoverGaussianData() {
    RectifiedFlow flow = new RectifiedFlow();
    Denoiser oracle = GaussianDataDenoiser.flow(new double[] {0.25}, S, flow.timeScale());
    SampleOptions o = SampleOptions.defaults();
    assertDistribution(
        "euler", flow.sampleEuler(oracle, SHAPE, DType.FLOAT64, 200, o, new Rng(5)), 0.25);
    assertDistribution(
        "heun", flow.sampleHeun(oracle, SHAPE, DType.FLOAT32, 20, o, new Rng(6)), 0.25);
  }

  /**
   * From the same starting noise, doubling the steps divides the distance to a 1000-step Heun
   * reference by about 2 for Euler (first order) and about 4 for Heun (second order); measured 1.95
   * and 3.7 from 20 to 40 steps.
   */
  @Test
  void flowSolversHaveTheirOrder() {
    RectifiedFlow flow = new RectifiedFlow();
    Denoiser oracle = GaussianDataDenoiser.flow(new double[] {0.25}, S, flow.timeScale());
    SampleOptions o = SampleOptions.defaults();
    int[] shape = {50, 1, 4, 4};
    Tensor ref = flow.sampleHeun(oracle, shape, DType.FLOAT64, 1000, o, new Rng(7));
    double[] euler = new double[2];
    double[] heun = new double[2];
    for (int i = 0; i < 2; i++) {
      int steps = 20 << i;
      euler[i] =
          flow.sampleEuler(oracle, shape, DType.FLOAT64, steps, o, new Rng(7))
              .sub(ref)
              .abs()
              .max()
              .item();
      heun[i] =
          flow.sampleHeun(oracle, shape, DType.FLOAT64, steps, o, new Rng(7))
              .sub(ref)
              .abs()
              .max()
              .item();
    }
    double eulerRatio = euler[0] / euler[1];
    double heunRatio = heun[0] / heun[1];
    assertTrue(eulerRatio > 1.8 && eulerRatio < 2.2, "Euler error ratio " + eulerRatio);
    assertTrue(heunRatio > 3.2 && heunRatio < 4.8, "Heun error ratio " + heunRatio);
  }
}
