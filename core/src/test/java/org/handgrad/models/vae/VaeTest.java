package org.handgrad.models.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The VAE: the whole loss against PyTorch with the same weights and noise, a float64 gradient check
 * of every parameter, the importance-sampled estimate's properties, training on a tiny dataset,
 * checkpoints, and errors.
 */
class VaeTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("generative");

  private static Vae.Config tiny(DType dt, Vae.Likelihood likelihood) {
    return new Vae.Config(new int[] {1, 2, 3}, 5, 3, likelihood, 0.5, dt, 7);
  }

  /** Copies PyTorch's parameters (Linear weights are (out, in) there, (in, out) here). */
  private static void loadTorch(Vae vae, String prefix) {
    for (Parameter p : vae.parameters()) {
      Tensor v = Fixtures.get(FIX, prefix + p.name()).to(p.dtype());
      p.assign(v.ndim() == 2 ? v.transpose().contiguous() : v);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void lossAndGradientsMatchPyTorch(DType dt) {
    String t = dt == DType.FLOAT64 ? "vae_f64_" : "vae_f32_";
    double tol = dt == DType.FLOAT64 ? 1e-12 : 2e-5;
    Vae vae = new Vae(tiny(dt, Vae.Likelihood.BERNOULLI));
    loadTorch(vae, "vae_p_");
    Tensor x = Fixtures.get(FIX, "vae_x").to(dt);
    Tensor eps = Fixtures.get(FIX, "vae_eps").to(dt);
    Vae.Terms terms = vae.lossAndBackward(x, eps);
    Golden.assertClose("loss", terms.loss(), Fixtures.get(FIX, t + "loss").item(), tol);
    Golden.assertClose("rec", terms.reconstruction(), Fixtures.get(FIX, t + "rec").item(), tol);
    Golden.assertClose("kl", terms.kl(), Fixtures.get(FIX, t + "kl").item(), tol);
    for (Parameter p : vae.parameters()) {
      Tensor g = Fixtures.get(FIX, t + "grad_" + p.name()).to(dt);
      Golden.assertClose(p.name(), p.grad(), g.ndim() == 2 ? g.transpose().contiguous() : g, tol);
    }
    Golden.assertClose(
        "elbo", vae.elbo(x, eps), Fixtures.get(FIX, t + "elbo").to(DType.FLOAT64), tol);
  }

  @ParameterizedTest
  @EnumSource(Vae.Likelihood.class)
  void wholeLossPassesTheFloat64GradientCheck(Vae.Likelihood likelihood) {
    Vae vae = new Vae(tiny(DType.FLOAT64, likelihood));
    Rng rng = new Rng(11);
    Tensor x = rng.uniform(DType.FLOAT64, 0, 1, 4, 1, 2, 3);
    Tensor eps = rng.randn(DType.FLOAT64, 4, 3);
    vae.lossAndBackward(x, eps);
    List<Tensor> analytic = new ArrayList<>();
    for (Parameter p : vae.parameters()) {
      analytic.add(p.grad().copy());
    }
    List<Parameter> params = vae.parameters();
    for (int i = 0; i < params.size(); i++) {
      Parameter p = params.get(i);
      Tensor numeric =
          GradCheck.evalNumericalGradient(
              v -> vae.lossAndBackward(x, eps).loss(), p.value(), GradCheck.DEFAULT_H);
      double e = GradCheck.relError(analytic.get(i), numeric);
      assertTrue(e < 1e-7, likelihood + " " + p.name() + ": relative error " + e);
    }
  }

  /** Burda et al.: with K = 1 the estimate is the single importance weight it is built from. */
  @Test
  void importanceSampledEstimateWithOneSampleIsItsLogWeight() {
    Vae vae = new Vae(tiny(DType.FLOAT64, Vae.Likelihood.BERNOULLI));
    Tensor x = new Rng(12).uniform(DType.FLOAT64, 0, 1, 5, 6);
    Tensor eps = new Rng(13).randn(DType.FLOAT64, 5, 3);
    Tensor estimate = vae.importanceSampledLogLikelihood(x, 1, new Rng(13));
    Golden.assertClose("K=1", estimate, vae.logImportanceWeights(x, eps), 1e-15);
  }

  /**
   * The mean log weight is the ELBO (Monte Carlo over eps), and the K-sample bound lies above it
   * (Burda et al. 2016, theorem 1). (That it also rises from K = 10 to K = 100 holds in
   * expectation, but on this untrained model the gap is below the Monte Carlo noise of a fast
   * test.)
   */
  @Test
  void importanceSampledEstimateTightensTheElbo() {
    Vae vae = new Vae(tiny(DType.FLOAT64, Vae.Likelihood.BERNOULLI));
    Rng rng = new Rng(14);
    Tensor x = rng.uniform(DType.FLOAT64, 0, 1, 3, 6);
    int draws = 1000;
    double meanLogWeight = 0;
    double sumDiff = 0;
    double sumDiff2 = 0;
    for (int s = 0; s < draws; s++) {
      Tensor eps = rng.randn(DType.FLOAT64, 3, 3);
      double lw = vae.logImportanceWeights(x, eps).mean().item();
      double diff = lw - vae.elbo(x, eps).mean().item();
      meanLogWeight += lw / draws;
      sumDiff += diff;
      sumDiff2 += diff * diff;
    }
    // Same expectation: log p(z) - log q(z|x) averages to -KL, so with the same eps the two differ
    // by zero-mean noise; four standard errors bound its mean.
    double meanDiff = sumDiff / draws;
    double stdErr = Math.sqrt((sumDiff2 / draws - meanDiff * meanDiff) / draws);
    assertTrue(
        Math.abs(meanDiff) < 4 * stdErr,
        "E[log w] - ELBO = " + meanDiff + ", standard error " + stdErr);
    double k10 = 0;
    double k100 = 0;
    int reps = 20;
    for (int r = 0; r < reps; r++) {
      k10 += vae.importanceSampledLogLikelihood(x, 10, rng).mean().item() / reps;
      k100 += vae.importanceSampledLogLikelihood(x, 100, rng).mean().item() / reps;
    }
    assertTrue(k10 > meanLogWeight, "K=10 " + k10 + " vs ELBO " + meanLogWeight);
    assertTrue(k100 > meanLogWeight, "K=100 " + k100 + " vs ELBO " + meanLogWeight);
  }

  /** Stable logsumexp: log weights near -2000 nats must not underflow to -inf. */
  @Test
  void importanceSampledEstimateSurvivesTinyWeights() {
    Vae vae =
        new Vae(
            new Vae.Config(
                new int[] {1, 2, 3}, 5, 3, Vae.Likelihood.GAUSSIAN, 0.01, DType.FLOAT64, 7));
    Tensor x = Tensor.full(DType.FLOAT64, 5.0, 2, 6);
    Tensor ll = vae.importanceSampledLogLikelihood(x, 50, new Rng(15));
    assertTrue(ll.max().item() < -1000, "log-likelihood " + ll);
    assertTrue(Double.isFinite(ll.min().item()), "log-likelihood " + ll);
  }

  /** A few Adam steps on a tiny synthetic set of two patterns reduce the negative ELBO. */
  @Test
  void trainingReducesTheLossOnATinyDataset() {
    Vae vae =
        new Vae(
            new Vae.Config(
                new int[] {1, 4, 4}, 16, 2, Vae.Likelihood.BERNOULLI, 1, DType.FLOAT32, 3));
    Tensor x = Tensor.zeros(DType.FLOAT32, 32, 16);
    for (int i = 0; i < 32; i++) {
      for (int j = 0; j < 16; j++) {
        x.set((i % 2 == 0) == (j < 8) ? 1 : 0, i, j);
      }
    }
    VaeTrainer trainer = new VaeTrainer(vae, new VaeTrainer.Options(8, 1e-2, 4));
    double first = trainer.epoch(x, null);
    double last = first;
    for (int e = 0; e < 15; e++) {
      last = trainer.epoch(x, null);
    }
    assertTrue(last < 0.5 * first, "loss " + first + " -> " + last);
    assertEquals(64, trainer.step());
  }

  /** A run saved and restored continues exactly as the uninterrupted run. */
  @Test
  void checkpointResumesExactly(@TempDir Path dir) throws Exception {
    Tensor x = new Rng(16).uniform(DType.FLOAT32, 0, 1, 20, 1, 2, 3);
    VaeTrainer a =
        new VaeTrainer(
            new Vae(tiny(DType.FLOAT32, Vae.Likelihood.BERNOULLI)),
            new VaeTrainer.Options(6, 1e-2, 5));
    a.epoch(x, null);
    a.save(dir.resolve("vae.safetensors"));
    double expected = a.epoch(x, null);
    VaeTrainer b =
        new VaeTrainer(
            new Vae(tiny(DType.FLOAT32, Vae.Likelihood.BERNOULLI)),
            new VaeTrainer.Options(6, 1e-2, 99));
    b.restore(dir.resolve("vae.safetensors"));
    assertEquals(1, b.epoch());
    assertEquals(expected, b.epoch(x, null), 0.0);
    for (int i = 0; i < a.vae().parameters().size(); i++) {
      assertArrayEquals(
          a.vae().parameters().get(i).value().toFloatArray(),
          b.vae().parameters().get(i).value().toFloatArray());
    }
  }

  @Test
  void samplesAndReconstructionsHaveImageShape() {
    Vae vae = new Vae(tiny(DType.FLOAT32, Vae.Likelihood.BERNOULLI));
    Tensor s = vae.sample(7, new Rng(17));
    assertArrayEquals(new int[] {7, 1, 2, 3}, s.shape());
    assertTrue(s.min().item() >= 0 && s.max().item() <= 1);
    assertArrayEquals(
        new int[] {2, 1, 2, 3}, vae.reconstruct(Tensor.zeros(DType.FLOAT32, 2, 6)).shape());
  }

  @Test
  void badInputGetsClearErrors() {
    Vae vae = new Vae(tiny(DType.FLOAT64, Vae.Likelihood.BERNOULLI));
    Tensor x = Tensor.zeros(DType.FLOAT64, 2, 6);
    assertMessage(
        () -> vae.importanceSampledLogLikelihood(x, 0, new Rng(1)),
        "vae.importanceSampledLogLikelihood: K must be >= 1, got 0");
    assertMessage(
        () ->
            vae.lossAndBackward(
                Tensor.zeros(DType.FLOAT64, 2, 7), Tensor.zeros(DType.FLOAT64, 2, 3)),
        "vae.lossAndBackward: expected x (N, 1, 2, 3) or (N, 6) with N >= 1, got (2, 7)");
    assertMessage(
        () -> vae.lossAndBackward(x, Tensor.zeros(DType.FLOAT64, 3, 3)),
        "vae.lossAndBackward: expected eps (2, 3) for x with N = 2, got (3, 3)");
    assertMessage(
        () -> vae.elbo(Tensor.zeros(DType.FLOAT32, 2, 6), Tensor.zeros(DType.FLOAT64, 2, 3)),
        "vae.elbo: x is float32 but the model is float64");
    assertMessage(() -> tiny(DType.FLOAT64, Vae.Likelihood.BERNOULLI).withLatent(0), "latent size");
    assertMessage(
        () ->
            new Vae.Config(
                new int[] {1, 2, 3}, 5, 3, Vae.Likelihood.GAUSSIAN, -1, DType.FLOAT64, 0),
        "vae: sigma must be finite and > 0, got -1.0");
    assertMessage(
        () -> vae.decode(Tensor.zeros(DType.FLOAT64, 2, 4)),
        "vae.decode: expected z (N, 3), got (2, 4)");
  }

  private static void assertMessage(Runnable r, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
