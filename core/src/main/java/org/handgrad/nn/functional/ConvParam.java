package org.handgrad.nn.functional;

/**
 * Hyperparameters of a 2-D convolution (and of its transpose), CS231n's {@code conv_param}.
 *
 * <p>Output size {@code H' = 1 + (H + 2*pad - HH) / stride} (same for W). CS231n requires the
 * stride to divide {@code H + 2*pad - HH} exactly, and so does handgrad by default: a remainder is
 * usually a mistake in the architecture. PyTorch instead rounds down and never reads the last
 * {@code (H + 2*pad - HH) % stride} rows and columns; torchvision's ResNets rely on it (a 7x7
 * stride-2 stem with pad 3 on a 224x224 image: 224 + 6 - 7 = 223 is odd). {@link #torch} selects
 * PyTorch's rule.
 *
 * @param stride step between neighbouring receptive fields, in pixels, the same along H and W
 * @param pad zero padding added on each side of H and W
 * @param floor whether the output size rounds down (PyTorch) instead of requiring an exact tiling
 *     (CS231n); transposed convolutions have no remainder to drop and refuse {@code true}
 */
public record ConvParam(int stride, int pad, boolean floor) {
  /** Validates stride >= 1 and pad >= 0. */
  public ConvParam {
    if (stride < 1) {
      throw new IllegalArgumentException("ConvParam: stride must be >= 1, got " + stride);
    }
    if (pad < 0) {
      throw new IllegalArgumentException("ConvParam: pad must be >= 0, got " + pad);
    }
  }

  /** CS231n's exact tiling: the stride must divide {@code H + 2*pad - HH}. */
  public ConvParam(int stride, int pad) {
    this(stride, pad, false);
  }

  /** PyTorch's rule: the output size rounds down, as {@code nn.Conv2d(stride=, padding=)}. */
  public static ConvParam torch(int stride, int pad) {
    return new ConvParam(stride, pad, true);
  }
}
