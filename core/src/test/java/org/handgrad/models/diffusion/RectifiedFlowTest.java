package org.handgrad.models.diffusion;

import static org.handgrad.models.diffusion.GaussianDiffusionTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;

/** The straight-path flow: path, target, loss gradient, samplers' bookkeeping and errors. */
class RectifiedFlowTest {
  private static final RectifiedFlow FLOW = new RectifiedFlow();

  private static Tensor randn(long seed, int... shape) {
    return new Rng(seed).randn(DType.FLOAT64, shape);
  }

  @Test
  void pathGoesFromDataToNoiseWithConstantVelocity() {
    Tensor x0 = randn(1, 3, 1, 2, 2);
    Tensor eps = randn(2, 3, 1, 2, 2);
    Tensor xt = FLOW.interpolate(x0, new double[] {0, 0.3, 1}, eps);
    Tensor v = FLOW.velocity(x0, eps);
    for (int j = 0; j < 4; j++) {
      assertEquals(x0.getFlat(j), xt.getFlat(j), 0, "t = 0 is data");
      assertEquals(0.7 * x0.getFlat(4 + j) + 0.3 * eps.getFlat(4 + j), xt.getFlat(4 + j), 1e-15);
      assertEquals(eps.getFlat(8 + j), xt.getFlat(8 + j), 0, "t = 1 is noise");
      assertEquals(eps.getFlat(j) - x0.getFlat(j), v.getFlat(j), 0);
    }
    // an exact velocity carries noise back to data in one Euler step: x_0 = x_1 - 1 * v
    FakeDenoiser exact = new FakeDenoiser(0, v);
    Tensor back = FLOW.eulerStep(exact, eps, 1, 0, Conditioning.unconditional());
    Golden.assertClose("one step", back, x0, 1e-15);
  }

  @Test
  void lossGradientMatchesNumericalGradient() {
    Tensor x0 = randn(3, 2, 2, 2, 2);
    Tensor eps = randn(4, 2, 2, 2, 2);
    Tensor p = randn(5, 2, 2, 2, 2);
    double[] t = {0.1, 0.85};
    FakeDenoiser model = new FakeDenoiser(0, p);
    DenoiserLoss loss = FLOW.loss(model, x0, t, eps, null);
    assertArrayEquals(new double[] {100, 850}, model.ts.get(0), 1e-12);
    Golden.assertClose("input", model.xs.get(0), FLOW.interpolate(x0, t, eps), 1e-15);
    Golden.assertClose("target", loss.target(), eps.sub(x0), 1e-15);
    assertArrayEquals(loss.dprediction().toDoubleArray(), model.lastDout.toDoubleArray());
    double h = 1e-6;
    double worst = 0;
    for (int i = 0; i < p.size(); i++) {
      Tensor plus = p.copy();
      plus.setFlat(i, p.getFlat(i) + h);
      Tensor minus = p.copy();
      minus.setFlat(i, p.getFlat(i) - h);
      double numeric =
          (FLOW.loss(new FakeDenoiser(0, plus), x0, t, eps, null).value()
                  - FLOW.loss(new FakeDenoiser(0, minus), x0, t, eps, null).value())
              / (2 * h);
      double a = loss.dprediction().getFlat(i);
      worst =
          Math.max(worst, Math.abs(a - numeric) / Math.max(1e-8, Math.abs(a) + Math.abs(numeric)));
    }
    assertTrue(worst < 1e-7, "relative error " + worst);
  }

  @Test
  void samplersStepTheUniformGridAndRecord() {
    List<Integer> done = new ArrayList<>();
    Trajectory traj = new Trajectory(2);
    SampleOptions o =
        SampleOptions.defaults().withProgress((d, total) -> done.add(d)).withTrajectory(traj);
    FakeDenoiser model = new FakeDenoiser(0, Tensor.zeros(DType.FLOAT32, 2, 1, 2, 2));
    Tensor x = FLOW.sampleHeun(model, new int[] {2, 1, 2, 2}, DType.FLOAT32, 4, o, new Rng(3));
    assertEquals(DType.FLOAT32, x.dtype());
    assertEquals(List.of(1, 2, 3, 4), done);
    assertEquals(8, model.calls(), "Heun evaluates twice per step");
    double[] times = model.ts.stream().mapToDouble(t -> t[0]).toArray();
    assertArrayEquals(new double[] {1000, 750, 750, 500, 500, 250, 250, 0}, times, 1e-9);
    assertArrayEquals(
        new int[] {0, 2, 4}, traj.frames().stream().mapToInt(Trajectory.Frame::step).toArray());
    assertEquals(0, traj.frames().get(2).time());
    // a zero velocity leaves the starting noise unchanged, drawn from the seed
    assertArrayEquals(new Rng(3).randn(DType.FLOAT32, 2, 1, 2, 2).toFloatArray(), x.toFloatArray());
  }

  @Test
  void guidedFlowUsesOneBatchedCall() {
    Tensor cond = randn(6, 2, 1, 2, 2);
    Tensor uncond = randn(7, 2, 1, 2, 2);
    FakeDenoiser model = new FakeDenoiser(10, Tensor.concatenate(0, cond, uncond));
    Tensor x = randn(8, 2, 1, 2, 2);
    Tensor out = FLOW.eulerStep(model, x, 0.5, 0.25, Conditioning.classes(new int[] {3, 9}, 2.5));
    assertEquals(1, model.calls());
    assertArrayEquals(new int[] {3, 9, 10, 10}, model.ys.get(0));
    Tensor guided = uncond.add(cond.sub(uncond).mul(2.5));
    Golden.assertClose("euler guided", out, x.sub(guided.mul(0.25)), 1e-14);
  }

  @Test
  void badInputGetsClearErrors() {
    Tensor x = randn(1, 2, 1, 2, 2);
    FakeDenoiser uncond = new FakeDenoiser(0, x);
    SampleOptions o = SampleOptions.defaults();
    int[] shape = {2, 1, 2, 2};
    assertMessage(
        "sampleEuler: steps must be >= 1, got 0",
        () -> FLOW.sampleEuler(uncond, shape, DType.FLOAT64, 0, o, new Rng(1)));
    assertMessage(
        "sampleHeun: steps must be >= 1, got -3",
        () -> FLOW.sampleHeun(uncond, shape, DType.FLOAT64, -3, o, new Rng(1)));
    assertMessage(
        "time must be in [0, 1], got 1.5", () -> FLOW.interpolate(x, new double[] {0.5, 1.5}, x));
    assertMessage(
        "expected 2 times (one per image of (2, 1, 2, 2)), got 1",
        () -> FLOW.interpolate(x, new double[] {0.5}, x));
    assertMessage(
        "the next time 0.6 must be below the current time 0.5",
        () -> FLOW.eulerStep(uncond, x, 0.5, 0.6, Conditioning.unconditional()));
    assertMessage(
        "the denoiser is unconditional",
        () -> FLOW.eulerStep(uncond, x, 0.5, 0.4, Conditioning.classes(new int[] {0, 1}, 3)));
    assertMessage(
        "noise FLOAT64 (2, 1, 2, 3) must match x0 FLOAT64 (2, 1, 2, 2)",
        () -> FLOW.loss(uncond, x, new double[] {0.1, 0.2}, randn(2, 2, 1, 2, 3), null));
    assertMessage("timeScale must be positive", () -> new RectifiedFlow(0));
  }
}
