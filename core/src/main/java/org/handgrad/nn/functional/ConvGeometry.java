package org.handgrad.nn.functional;

/**
 * Sizes of one convolution seen from the image side, what the im2col/col2im kernels need: an image
 * (C, H, W), a KH x KW kernel with stride S and zero padding P, and the output grid (HO, WO) with
 * {@code HO = 1 + (H + 2P - KH) / S}, {@code WO = 1 + (W + 2P - KW) / S}. For a transposed
 * convolution the roles swap: the "image" is the transposed conv's output and the grid is its
 * input.
 */
record ConvGeometry(int C, int H, int W, int KH, int KW, int S, int P, int HO, int WO) {
  ConvGeometry {
    assert HO == 1 + (H + 2 * P - KH) / S && WO == 1 + (W + 2 * P - KW) / S;
  }

  /** Rows of the column matrix: C*KH*KW. */
  int colRows() {
    return C * KH * KW;
  }

  /** Columns of the column matrix: HO*WO. */
  int colCols() {
    return HO * WO;
  }

  /** Elements of one image: C*H*W. */
  int imageSize() {
    return C * H * W;
  }
}
