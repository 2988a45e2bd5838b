package org.handgrad.models.diffusion;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.handgrad.tensor.Tensor;

/**
 * Records snapshots of a sampling loop (for a denoising animation or a strip of frames): the
 * starting noise, the state after every {@code every}-th step, and always the final sample.
 */
public final class Trajectory {
  /**
   * One snapshot.
   *
   * @param step sampler steps done (0 = the starting noise)
   * @param time the process time of {@code x}: a DDPM index t (-1 once fully denoised) or a flow
   *     time in [0, 1]
   * @param x a copy of the state, shape (N, C, H, W)
   */
  public record Frame(int step, double time, Tensor x) {}

  private final int every;
  private final List<Frame> frames = new ArrayList<>();

  /**
   * A recorder keeping every {@code every}-th step.
   *
   * @param every at least 1
   */
  public Trajectory(int every) {
    if (every < 1) {
      throw new IllegalArgumentException("Trajectory: every must be >= 1, got " + every);
    }
    this.every = every;
  }

  /** The recording interval in steps. */
  public int every() {
    return every;
  }

  /** The frames recorded so far, in order. */
  public List<Frame> frames() {
    return Collections.unmodifiableList(frames);
  }

  /**
   * Keeps a copy of {@code x} if {@code step} is 0, a multiple of {@link #every()} or {@code total}
   * (the last step).
   *
   * @param x the state after {@code step} steps, shape (N, C, H, W)
   */
  void offer(int step, int total, double time, Tensor x) {
    if (step == 0 || step % every == 0 || step == total) {
      frames.add(new Frame(step, time, x.copy()));
    }
  }
}
