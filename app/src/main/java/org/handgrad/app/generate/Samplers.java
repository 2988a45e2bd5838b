package org.handgrad.app.generate;

import org.handgrad.models.diffusion.Conditioning;
import org.handgrad.models.diffusion.Denoiser;
import org.handgrad.models.diffusion.GaussianDiffusion;
import org.handgrad.models.diffusion.SampleOptions;
import org.handgrad.models.diffusion.SampleProgress;
import org.handgrad.models.diffusion.Trajectory;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * The samplers by name: {@code ddpm} (ancestral, all T steps) and {@code ddim} for DDPM runs,
 * {@code euler} and {@code heun} for flow runs.
 */
public final class Samplers {
  private Samplers() {}

  /**
   * What to sample.
   *
   * @param sampler ddpm, ddim, euler or heun
   * @param steps network steps (T for ddpm)
   * @param eta DDIM's eta in [0, 1]
   */
  public record Choice(String sampler, int steps, double eta) {}

  /**
   * The choice for a run, with defaults: ddim with 50 steps (at most T) for DDPM, euler with 50
   * steps for flow.
   *
   * @param sampler a name or null for the default
   * @param steps a count or null for the default
   * @throws IllegalArgumentException for a sampler of the other method, steps outside [1, T] or a
   *     ddpm sampler asked for fewer than T steps
   */
  public static Choice choose(GenConfig cfg, String sampler, Integer steps, double eta) {
    String s = sampler != null ? sampler : cfg.isDdpm() ? "ddim" : "euler";
    switch (s) {
      case "ddpm", "ddim" -> {
        if (!cfg.isDdpm()) {
          throw new IllegalArgumentException(
              "--sampler " + s + " is for DDPM runs; this is a flow run: use euler or heun");
        }
      }
      case "euler", "heun" -> {
        if (cfg.isDdpm()) {
          throw new IllegalArgumentException(
              "--sampler " + s + " is for flow runs; this is a DDPM run: use ddpm or ddim");
        }
      }
      default ->
          throw new IllegalArgumentException(
              "--sampler: expected ddpm, ddim, euler or heun, got '" + s + "'");
    }
    int t = cfg.timesteps();
    int n;
    if (s.equals("ddpm")) {
      n = steps != null ? steps : t;
      if (n != t) {
        throw new IllegalArgumentException(
            "--sampler ddpm runs all T="
                + t
                + " steps (got --steps "
                + n
                + "); for fewer steps use --sampler ddim");
      }
    } else {
      n = steps != null ? steps : cfg.isDdpm() ? Math.min(50, t) : 50;
      if (n < 1 || (cfg.isDdpm() && n > t)) {
        throw new IllegalArgumentException(
            "--steps must be in [1, " + (cfg.isDdpm() ? "T=" + t : "...") + "], got " + n);
      }
    }
    if (!(eta >= 0 && eta <= 1)) {
      throw new IllegalArgumentException("--eta must be in [0, 1], got " + eta);
    }
    if (eta != 0 && !s.equals("ddim")) {
      throw new IllegalArgumentException("--eta is DDIM's; --sampler " + s + " has none");
    }
    return new Choice(s, n, eta);
  }

  /**
   * Draws samples.
   *
   * @param shape (N, C, H, W)
   * @param c labels and guidance
   * @param trajectory records frames, or null
   * @return samples, shape (N, C, H, W), roughly in [-1, 1]
   */
  public static Tensor sample(
      GenConfig cfg,
      Denoiser net,
      Choice choice,
      int[] shape,
      Conditioning c,
      Trajectory trajectory,
      SampleProgress progress,
      Rng rng) {
    DType dt = cfg.unet().dtype();
    SampleOptions o =
        SampleOptions.defaults()
            .withConditioning(c)
            .withTrajectory(trajectory)
            .withProgress(progress);
    GaussianDiffusion d = cfg.isDdpm() ? cfg.diffusion() : null;
    return switch (choice.sampler()) {
      case "ddpm" -> d.pSampleLoop(net, shape, dt, o, rng);
      case "ddim" -> d.ddimSample(net, shape, dt, choice.steps(), choice.eta(), o, rng);
      case "euler" -> cfg.flow().sampleEuler(net, shape, dt, choice.steps(), o, rng);
      case "heun" -> cfg.flow().sampleHeun(net, shape, dt, choice.steps(), o, rng);
      default -> throw new AssertionError(choice.sampler());
    };
  }

  /**
   * The conditioning for N samples: one class for all ({@code cls} given), else classes 0..K-1 in
   * N/K consecutive blocks (one grid row per class when N/K columns), or none for an unconditional
   * model. Without {@code guidance}, w = 3 for a run trained with label dropping, else 1.
   *
   * @param guidance w; must be 0 or absent (null) on an unconditional model
   * @throws IllegalArgumentException for guidance or a class on an unconditional model, or a class
   *     outside [0, K)
   */
  public static Conditioning conditioning(GenConfig cfg, int n, Integer cls, Double guidance) {
    int k = cfg.unet().numClasses();
    if (k == 0) {
      if (guidance != null && guidance != 0) {
        throw new IllegalArgumentException(
            "--guidance " + guidance + ": this run's U-Net is unconditional (no classes to guide)");
      }
      if (cls != null) {
        throw new IllegalArgumentException(
            "--class " + cls + ": this run's U-Net is unconditional");
      }
      return Conditioning.unconditional();
    }
    if (cls != null && (cls < 0 || cls >= k)) {
      throw new IllegalArgumentException("--class must be in [0, " + k + "), got " + cls);
    }
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = cls != null ? cls : (int) ((long) i * k / n);
    }
    double w = guidance != null ? guidance : cfg.condDrop() > 0 ? 3.0 : 1.0;
    if (w != 1 && cfg.condDrop() == 0) {
      throw new IllegalArgumentException(
          "--guidance "
              + w
              + " needs a run trained with label dropping (--guidance-drop > 0): this U-Net never"
              + " learnt the unconditional prediction");
    }
    return Conditioning.classes(labels, w);
  }
}
