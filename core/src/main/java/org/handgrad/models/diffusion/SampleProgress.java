package org.handgrad.models.diffusion;

/** Told after every sampler step, e.g. to move a progress bar. */
@FunctionalInterface
public interface SampleProgress {
  /** A listener that ignores every step. */
  SampleProgress NONE = (done, total) -> {};

  /**
   * Called after each step of a sampling loop.
   *
   * @param done steps finished, 1..total
   * @param total steps of the loop (network evaluations for Heun are twice as many)
   */
  void onStep(int done, int total);
}
