package org.handgrad.nn.functional;

/**
 * Hyperparameters of a 2-D pooling window, CS231n's {@code pool_param}, extended with PyTorch's
 * padding and output rounding for the max pooling of torchvision's ResNet stem ({@code
 * nn.MaxPool2d(kernel_size=3, stride=2, padding=1)}).
 *
 * <p>Output size {@code H' = 1 + (H + 2*pad - PH) / stride} (same for W). CS231n has no padding and
 * requires the windows to tile exactly; {@link #floor} rounds down instead (PyTorch's default
 * {@code ceil_mode=False}). Max pooling pads with -infinity (a padded position never wins); average
 * pooling takes no padding.
 *
 * @param poolHeight window height
 * @param poolWidth window width
 * @param stride step between neighbouring windows, the same along H and W
 * @param pad implicit padding on each side of H and W, at most half the window (as PyTorch)
 * @param floor whether the output size rounds down (PyTorch) instead of requiring an exact tiling
 */
public record PoolParam(int poolHeight, int poolWidth, int stride, int pad, boolean floor) {
  /** Validates that the window and stride are >= 1 and 0 &lt;= pad &lt;= half the window. */
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
    if (pad < 0 || 2 * pad > poolHeight || 2 * pad > poolWidth) {
      // PyTorch's rule: a window must hold at least one real pixel, so pad <= kernel / 2.
      throw new IllegalArgumentException(
          "PoolParam: pad must be in [0, window / 2], got pad "
              + pad
              + " for a "
              + poolHeight
              + "x"
              + poolWidth
              + " window");
    }
  }

  /** CS231n's window: no padding, exact tiling. */
  public PoolParam(int poolHeight, int poolWidth, int stride) {
    this(poolHeight, poolWidth, stride, 0, false);
  }

  /**
   * PyTorch's {@code nn.MaxPool2d(kernel, stride, padding)}: a square window, padding, output size
   * rounded down.
   */
  public static PoolParam torch(int kernel, int stride, int pad) {
    return new PoolParam(kernel, kernel, stride, pad, true);
  }

  /** The common non-overlapping 2x2 window with stride 2. */
  public static PoolParam twoByTwo() {
    return new PoolParam(2, 2, 2);
  }
}
