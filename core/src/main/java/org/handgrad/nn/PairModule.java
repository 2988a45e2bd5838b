package org.handgrad.nn;

import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.Tensor;

/**
 * A module over one functional pair with a typed cache {@code C}: subclasses say which {@code
 * xxxForward} to call and how to hand its grads to their parameters; this class owns the cache.
 *
 * <p>Under {@link NoGrad} the cache is not kept. The cache is cleared before each forward, so a
 * forward that throws (a shape error, say) cannot leave an older cache behind for a later backward
 * to use silently.
 *
 * @param <C> the cache record of the functional pair
 */
public abstract class PairModule<C> extends Module {
  private C cache;

  /**
   * Calls the functional forward with this module's parameters and current mode.
   *
   * @param x the module input
   * @return the pair's output and cache
   */
  protected abstract Forward<C> forwardPair(Tensor x);

  /**
   * Calls the functional backward, adds the parameter gradients ({@link Parameter#accumulateGrad})
   * and returns dx.
   *
   * @param dout upstream gradient
   * @param cache the cache of the last forward
   * @return dx
   */
  protected abstract Tensor backwardPair(Tensor dout, C cache);

  @Override
  public final Tensor forward(Tensor x) {
    cache = null;
    Forward<C> f = forwardPair(x);
    if (!NoGrad.active()) {
      cache = f.cache();
    }
    return f.out();
  }

  @Override
  public final Tensor backward(Tensor dout) {
    if (cache == null) {
      throw noForward();
    }
    return backwardPair(dout, cache);
  }
}
