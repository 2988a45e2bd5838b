package org.handgrad.nn.modules;

import org.handgrad.nn.Module;
import org.handgrad.nn.NoGrad;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.L2Normalize;
import org.handgrad.tensor.Tensor;

/**
 * Row-wise L2 normalization over {@link L2Normalize} ({@code F.normalize(x, dim=-1)}): any input
 * (..., D), output of the same shape with unit-length last-axis rows. No parameters.
 */
public final class L2Norm extends Module {
  private L2Normalize.Cache cache;

  /** A normalization layer. */
  public L2Norm() {}

  /**
   * Normalizes every last-axis row.
   *
   * @param x input, shape (..., D)
   * @return out, the shape of x
   */
  @Override
  public Tensor forward(Tensor x) {
    cache = null;
    Forward<L2Normalize.Cache> f = L2Normalize.l2NormalizeForward(x);
    if (!NoGrad.active()) {
      cache = f.cache();
    }
    return f.out();
  }

  /**
   * Backward of the last forward.
   *
   * @param dout the shape of x
   * @return dx, the shape of x
   */
  @Override
  public Tensor backward(Tensor dout) {
    if (cache == null) {
      throw noForward();
    }
    return L2Normalize.l2NormalizeBackward(dout, cache);
  }
}
