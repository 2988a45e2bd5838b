package org.handgrad.models.diffusion;

import java.util.Locale;

/**
 * What a DDPM denoiser is trained to predict from x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps. All
 * three carry the same information given x_t and t; {@link GaussianDiffusion} converts between
 * them.
 */
public enum Objective {
  /** The noise eps (Ho et al. 2020, the "simple" loss); the default. */
  EPSILON,
  /** The clean image x0. */
  X0,
  /**
   * v = sqrt(abar_t) eps - sqrt(1 - abar_t) x0 (Salimans and Ho 2022, progressive distillation).
   */
  V;

  /**
   * The objective for a name: eps (or epsilon, noise), x0 (or start), v.
   *
   * @throws IllegalArgumentException for any other name
   */
  public static Objective of(String name) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "eps":
      case "epsilon":
      case "noise":
        return EPSILON;
      case "x0":
      case "start":
        return X0;
      case "v":
        return V;
      default:
        throw new IllegalArgumentException(
            "diffusion objective: expected eps, x0 or v, got '" + name + "'");
    }
  }
}
