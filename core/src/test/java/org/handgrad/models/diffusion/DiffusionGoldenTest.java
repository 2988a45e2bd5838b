package org.handgrad.models.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The schedules, their buffers, the forward process and one step of every sampler against PyTorch
 * float64 (fixtures/diffusion.npz, scripts/fixtures/diffusion.py), with the same fake model output
 * and the same noise. Buffers agree to 1e-12 of their largest value (torch.linspace and the
 * cumulative product round differently in the last bits); float64 steps to 1e-12 and float32 steps
 * to 2e-6 of the largest reference magnitude.
 */
class DiffusionGoldenTest {
  private static Map<String, Tensor> fixture;

  private static synchronized Tensor get(String key, DType dtype) {
    if (fixture == null) {
      fixture = Fixtures.load("diffusion");
    }
    Tensor t = Fixtures.get(fixture, key);
    return dtype == null || !t.dtype().isFloating() ? t : t.to(dtype);
  }

  private static double tol(DType dt) {
    return dt == DType.FLOAT64 ? 1e-12 : 2e-6;
  }

  private static final GaussianDiffusion LINEAR =
      new GaussianDiffusion(new BetaSchedule.Linear(), 1000);

  @ParameterizedTest
  @CsvSource({"linear, 1000", "cosine, 1000", "sigmoid, 1000", "linear, 100", "cosine, 50"})
  void buffersMatchPyTorch(String name, int steps) {
    GaussianDiffusion d = new GaussianDiffusion(BetaSchedule.of(name), steps);
    Map<String, double[]> buffers = d.buffers();
    assertEquals(12, buffers.size());
    for (Map.Entry<String, double[]> e : buffers.entrySet()) {
      String key = "sched_" + name + "_" + steps + "_" + e.getKey();
      Golden.assertClose(key, Tensor.of(e.getValue(), steps), get(key, null), 1e-11);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void forwardProcessAndPosteriorMatchPyTorch(DType dt) {
    int[] t = get("q_t", null).toIntArray();
    Tensor x0 = get("q_x0", dt);
    Tensor noise = get("q_noise", dt);
    Tensor xt = LINEAR.qSample(x0, t, noise);
    Golden.assertClose("q_xt", xt.to(DType.FLOAT64), get("q_xt", null), tol(dt));
    Posterior q = LINEAR.qPosterior(x0, get("q_xt", dt), t);
    Golden.assertClose("mean", q.mean().to(DType.FLOAT64), get("q_post_mean", null), tol(dt));
    Golden.assertClose("var", q.variance().to(DType.FLOAT64), get("q_post_var", null), tol(dt));
    Golden.assertClose(
        "logvar", q.logVariance().to(DType.FLOAT64), get("q_post_logvar", null), tol(dt));
    Golden.assertClose(
        "v", LINEAR.predictV(x0, t, noise).to(DType.FLOAT64), get("q_v", null), tol(dt));
  }

  @ParameterizedTest
  @CsvSource({
    "EPSILON, eps, true, 500",
    "EPSILON, eps, true, 0",
    "EPSILON, eps, false, 500",
    "EPSILON, eps, false, 0",
    "X0, x0, true, 500",
    "X0, x0, false, 500",
    "X0, x0, false, 0",
    "V, v, true, 500",
    "V, v, false, 500",
    "V, v, false, 0"
  })
  void ancestralStepMatchesPyTorch(Objective objective, String obj, boolean clip, int t) {
    GaussianDiffusion d = new GaussianDiffusion(new BetaSchedule.Linear(), 1000, objective);
    String key = "anc_" + obj + "_" + (clip ? "clip" : "noclip") + "_t" + t;
    for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      FakeDenoiser model = new FakeDenoiser(0, get("step_out", dt));
      SampleOptions o = SampleOptions.defaults().withClipDenoised(clip);
      Tensor out = d.pSample(model, get("step_xt", dt), t, o, get("step_noise", dt));
      assertEquals(dt, out.dtype());
      Golden.assertClose(key + " " + dt, out.to(DType.FLOAT64), get(key, null), tol(dt));
      assertEquals(1, model.calls());
      assertEquals(t, model.ts.get(0)[1], "the denoiser sees the step index");
    }
  }

  @ParameterizedTest
  @CsvSource({"0, 600, 580", "1, 600, 580", "0, 19, -1", "1, 19, -1"})
  void ddimStepMatchesPyTorch(int eta, int t, int tNext) {
    String key = "ddim_eta" + eta + "_" + t + "_" + (tNext >= 0 ? "" + tNext : "m1");
    for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      FakeDenoiser model = new FakeDenoiser(0, get("step_out", dt));
      Tensor out =
          LINEAR.ddimStep(
              model,
              get("step_xt", dt),
              t,
              tNext,
              eta,
              SampleOptions.defaults(),
              get("step_noise", dt));
      Golden.assertClose(key + " " + dt, out.to(DType.FLOAT64), get(key, null), tol(dt));
    }
  }

  @Test
  void guidedPredictionMatchesTheFormula() {
    for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      Tensor cond = get("cfg_cond", dt);
      Tensor uncond = get("cfg_uncond", dt);
      double w = get("cfg_w", null).item();
      Tensor guided = ClassifierFreeGuidance.guide(cond, uncond, w);
      Golden.assertClose("cfg " + dt, guided.to(DType.FLOAT64), get("cfg_guided", null), tol(dt));
      // through the batched 2N call: the fake returns cond for the first N rows, uncond after
      FakeDenoiser model = new FakeDenoiser(4, Tensor.concatenate(0, cond, uncond));
      Tensor x = Tensor.zerosLike(cond);
      Tensor viaModel =
          ClassifierFreeGuidance.predict(
              x, new double[] {7, 7}, model, Conditioning.classes(new int[] {1, 3}, w));
      Golden.assertClose(
          "cfg batched " + dt, viaModel.to(DType.FLOAT64), get("cfg_guided", null), tol(dt));
      assertEquals(1, model.calls(), "one batched call of 2N");
      assertEquals(4, model.xs.get(0).shape(0));
      org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {1, 3, 4, 4}, model.ys.get(0));
      org.junit.jupiter.api.Assertions.assertArrayEquals(
          new double[] {7, 7, 7, 7}, model.ts.get(0));
    }
  }

  @Test
  void flowStepsMatchPyTorch() {
    RectifiedFlow flow = new RectifiedFlow();
    for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      Tensor x = get("flow_x", dt);
      FakeDenoiser euler = new FakeDenoiser(0, get("flow_v1", dt));
      Tensor e = flow.eulerStep(euler, x, 0.75, 0.5, Conditioning.unconditional());
      Golden.assertClose("euler " + dt, e.to(DType.FLOAT64), get("flow_euler", null), tol(dt));
      assertEquals(750, euler.ts.get(0)[0], 1e-12, "time scaled by 1000");
      FakeDenoiser heun = new FakeDenoiser(0, get("flow_v1", dt), get("flow_v2", dt));
      Tensor h = flow.heunStep(heun, x, 0.75, 0.5, Conditioning.unconditional());
      Golden.assertClose("heun " + dt, h.to(DType.FLOAT64), get("flow_heun", null), tol(dt));
      assertEquals(2, heun.calls());
      // the second evaluation is at the Euler predictor, at the next time
      Golden.assertClose("predictor", heun.xs.get(1), e, tol(dt));
      assertEquals(500, heun.ts.get(1)[0], 1e-12);
    }
  }
}
