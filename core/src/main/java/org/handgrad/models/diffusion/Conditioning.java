package org.handgrad.models.diffusion;

/**
 * What to condition a sample on: class labels and the classifier-free guidance weight w, used as
 * guided = uncond + w (cond - uncond) (see {@link ClassifierFreeGuidance}). w = 1 is plain
 * conditional sampling, w = 0 unconditional, w > 1 guided.
 *
 * @param labels one class per sample, each in [0, numClasses()] (numClasses() is the null label);
 *     {@code null} for unconditional sampling
 * @param guidance w; must be 0 without labels
 */
public record Conditioning(int[] labels, double guidance) {
  /** Validates a finite w and w = 0 when there are no labels. */
  public Conditioning {
    if (!Double.isFinite(guidance)) {
      throw new IllegalArgumentException("Conditioning: guidance must be finite, got " + guidance);
    }
    if (labels == null && guidance != 0) {
      throw new IllegalArgumentException(
          "Conditioning: guidance w=" + guidance + " needs class labels (w must be 0 without)");
    }
    labels = labels == null ? null : labels.clone();
  }

  /** Unconditional sampling: no labels, w = 0. */
  public static Conditioning unconditional() {
    return new Conditioning(null, 0);
  }

  /**
   * Class-conditional sampling with guidance.
   *
   * @param labels one class per sample
   * @param guidance w (1 = no guidance)
   */
  public static Conditioning classes(int[] labels, double guidance) {
    if (labels == null) {
      throw new IllegalArgumentException("Conditioning.classes: labels must not be null");
    }
    return new Conditioning(labels, guidance);
  }

  @Override
  public int[] labels() {
    return labels == null ? null : labels.clone();
  }
}
