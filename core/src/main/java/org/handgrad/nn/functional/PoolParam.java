package org.handgrad.nn.functional;

/**
 * Hyperparameters of a 2-D pooling window, CS231n's {@code pool_param} (no padding, as CS231n).
 *
 * @param poolHeight window height
 * @param poolWidth window width
 * @param stride step between neighbouring windows, the same along H and W
 */
public record PoolParam(int poolHeight, int poolWidth, int stride) {
  /** Validates that every field is >= 1. */
  public PoolParam {
    if (poolHeight < 1 || poolWidth < 1 || stride < 1) {
      throw new IllegalArgumentException(
          "PoolParam: poolHeight, poolWidth and stride must be >= 1, got ("
              + poolHeight
              + ", "
              + poolWidth
              + ", "
              + stride
              + ")");
    }
  }

  /** The common non-overlapping 2x2 window with stride 2. */
  public static PoolParam twoByTwo() {
    return new PoolParam(2, 2, 2);
  }
}
