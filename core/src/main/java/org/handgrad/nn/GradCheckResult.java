package org.handgrad.nn;

/**
 * One row of a gradient-check report: the relative error between a hand-derived gradient and the
 * centered-difference numerical gradient for one input or parameter of one layer.
 *
 * @param layer layer name as the CLI accepts it, e.g. "affine", "batchnorm"
 * @param input which gradient was checked, e.g. "dx", "dw", "dgamma"
 * @param relError the CS231n relative error, {@link GradCheck#relError(double, double)}
 * @param tolerance the bound it must stay below (1e-7 unless the case documents why not)
 */
public record GradCheckResult(String layer, String input, double relError, double tolerance) {
  /** True when the relative error is finite and below the tolerance. */
  public boolean passed() {
    return relError < tolerance;
  }
}
