package org.handgrad.nn.functional;

import org.handgrad.tensor.Tensor;

/**
 * Argument checks shared by the normalization layers, with messages that name the op and the shapes
 * involved. Package-private: the layers call these at their API boundary.
 */
final class NormArgs {
  private NormArgs() {}

  /**
   * Checks the rank of x and that it is float32 or float64.
   *
   * @param layout expected shape, for the message, e.g. "(N, C, H, W)"
   */
  static void checkInput(String op, Tensor x, int rank, String layout) {
    if (x.ndim() != rank) {
      throw new IllegalArgumentException(
          op + ": expected x " + layout + ", got " + x.shapeString());
    }
    if (!x.dtype().isFloating()) {
      throw new IllegalArgumentException(
          op + ": x must be float32 or float64, got " + x.dtype().numpyName());
    }
  }

  /**
   * Checks that gamma and beta have shape (size,) and the dtype of x.
   *
   * @param letter dimension letter of size in this layer, e.g. "D" or "C"
   */
  static void checkAffine(String op, Tensor x, Tensor gamma, Tensor beta, int size, String letter) {
    checkVector(op, "gamma", gamma, x, size, letter);
    checkVector(op, "beta", beta, x, size, letter);
  }

  private static void checkVector(
      String op, String name, Tensor v, Tensor x, int size, String letter) {
    if (v.ndim() != 1 || v.shape(0) != size) {
      throw new IllegalArgumentException(
          op
              + ": expected "
              + name
              + " ("
              + letter
              + ",) with "
              + letter
              + "="
              + size
              + " to match x "
              + x.shapeString()
              + ", got "
              + v.shapeString());
    }
    if (v.dtype() != x.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": "
              + name
              + " is "
              + v.dtype().numpyName()
              + " but x is "
              + x.dtype().numpyName()
              + "; convert one so they match");
    }
  }

  /** Checks that the running buffers of a BatchNormParam fit x's channel count and dtype. */
  static void checkParam(String op, Tensor x, BatchNormParam p, int size, String letter) {
    if (p.features() != size) {
      throw new IllegalArgumentException(
          op
              + ": bnParam running statistics have shape "
              + p.runningMean().shapeString()
              + " but x "
              + x.shapeString()
              + " has "
              + letter
              + "="
              + size);
    }
    if (p.runningMean().dtype() != x.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": bnParam running statistics are "
              + p.runningMean().dtype().numpyName()
              + " but x is "
              + x.dtype().numpyName());
    }
  }

  /** Checks that eps is positive and finite. */
  static void checkEps(String op, double eps) {
    if (!(eps > 0) || Double.isInfinite(eps)) {
      throw new IllegalArgumentException(op + ": eps must be positive, got " + eps);
    }
  }

  /** Checks that dout matches the cached input in shape and dtype. */
  static void checkDout(String op, Tensor dout, Tensor x) {
    if (!dout.sameShape(x) || dout.dtype() != x.dtype()) {
      throw new IllegalArgumentException(
          op
              + " backward: expected dout "
              + x.shapeString()
              + " "
              + x.dtype().numpyName()
              + " like x, got "
              + dout.shapeString()
              + " "
              + dout.dtype().numpyName());
    }
  }
}
