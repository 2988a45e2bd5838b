package org.handgrad.models.diffusion;

import java.util.Objects;

/**
 * The choices shared by every sampler.
 *
 * @param conditioning labels and guidance weight
 * @param clipDenoised DDPM and DDIM only: clip each step's predicted x0 to [-1, 1], the data range
 *     (Ho et al. 2020's sampler; lucidrains' {@code clip_denoised}); the flow samplers have no x0
 *     estimate to clip and ignore it
 * @param progress told after every step
 * @param trajectory records snapshots, or {@code null}
 */
public record SampleOptions(
    Conditioning conditioning,
    boolean clipDenoised,
    SampleProgress progress,
    Trajectory trajectory) {
  /** Validates non-null conditioning and progress. */
  public SampleOptions {
    Objects.requireNonNull(conditioning, "SampleOptions: conditioning");
    Objects.requireNonNull(progress, "SampleOptions: progress");
  }

  /** Unconditional, clipping x0, no progress, no trajectory. */
  public static SampleOptions defaults() {
    return new SampleOptions(Conditioning.unconditional(), true, SampleProgress.NONE, null);
  }

  /** These options with another conditioning. */
  public SampleOptions withConditioning(Conditioning c) {
    return new SampleOptions(c, clipDenoised, progress, trajectory);
  }

  /** These options with clipping switched on or off. */
  public SampleOptions withClipDenoised(boolean clip) {
    return new SampleOptions(conditioning, clip, progress, trajectory);
  }

  /** These options with a progress listener. */
  public SampleOptions withProgress(SampleProgress p) {
    return new SampleOptions(conditioning, clipDenoised, p, trajectory);
  }

  /** These options with a trajectory recorder ({@code null} for none). */
  public SampleOptions withTrajectory(Trajectory t) {
    return new SampleOptions(conditioning, clipDenoised, progress, t);
  }
}
