package org.handgrad.models;

/**
 * A model whose loss adds an L2 penalty of strength {@code reg} (CS231n's {@code model.reg}),
 * changeable between loss calls without rebuilding the model, as the notebooks do ({@code model.reg
 * = 1e-3} before the next gradient check). The parameters are kept; the model's config (and so a
 * checkpoint written afterwards) reports the new strength.
 */
public interface Regularized {
  /** The current L2 strength, &gt;= 0. */
  double reg();

  /**
   * Sets the L2 strength used by the following {@code loss} calls.
   *
   * @param reg finite and &gt;= 0
   * @throws IllegalArgumentException naming the model when reg is negative or not finite
   */
  void setReg(double reg);
}
