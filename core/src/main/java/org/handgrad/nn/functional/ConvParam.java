package org.handgrad.nn.functional;

/**
 * Hyperparameters of a 2-D convolution (and of its transpose), CS231n's {@code conv_param}.
 *
 * <p>CS231n asserts that the stride divides {@code H + 2*pad - HH}, so every padded row is read.
 * PyTorch instead floors, {@code H' = 1 + floor((H + 2*pad - HH) / stride)}, and ignores the last
 * rows and columns that do not fill a stride: a 3x3, stride 2, pad 1 downsampling of 28 rows gives
 * 14 (rows -1..27 are read, the bottom padding row is not). {@link #floor} selects PyTorch's rule;
 * the derivatives are unchanged, since the unread positions simply receive zero gradient.
 *
 * @param stride step between neighbouring receptive fields, in pixels, the same along H and W
 * @param pad zero padding added on each side of H and W
 * @param floorOutput false: the stride must divide the span (CS231n); true: PyTorch's floor rule
 *     (plain convolution only; the transposed convolution ignores it)
 */
public record ConvParam(int stride, int pad, boolean floorOutput) {
  /** Validates stride >= 1 and pad >= 0. */
  public ConvParam {
    if (stride < 1) {
      throw new IllegalArgumentException("ConvParam: stride must be >= 1, got " + stride);
    }
    if (pad < 0) {
      throw new IllegalArgumentException("ConvParam: pad must be >= 0, got " + pad);
    }
  }

  /**
   * CS231n's parameters: the stride must divide {@code H + 2*pad - HH} and {@code W + 2*pad - WW}.
   *
   * @param stride step between receptive fields, >= 1
   * @param pad zero padding on each side, >= 0
   */
  public ConvParam(int stride, int pad) {
    this(stride, pad, false);
  }

  /**
   * PyTorch's rule ({@code nn.Conv2d}): {@code H' = 1 + floor((H + 2*pad - HH) / stride)}.
   *
   * @param stride step between receptive fields, >= 1
   * @param pad zero padding on each side, >= 0
   */
  public static ConvParam floor(int stride, int pad) {
    return new ConvParam(stride, pad, true);
  }
}
