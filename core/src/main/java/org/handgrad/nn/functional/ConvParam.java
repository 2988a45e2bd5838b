package org.handgrad.nn.functional;

/**
 * Hyperparameters of a 2-D convolution (and of its transpose), CS231n's {@code conv_param}.
 *
 * @param stride step between neighbouring receptive fields, in pixels, the same along H and W
 * @param pad zero padding added on each side of H and W
 */
public record ConvParam(int stride, int pad) {
  /** Validates stride >= 1 and pad >= 0. */
  public ConvParam {
    if (stride < 1) {
      throw new IllegalArgumentException("ConvParam: stride must be >= 1, got " + stride);
    }
    if (pad < 0) {
      throw new IllegalArgumentException("ConvParam: pad must be >= 0, got " + pad);
    }
  }
}
