package org.handgrad.tensor;

/**
 * Element type of a {@link Tensor}.
 *
 * <p>FLOAT32 is the default for training; FLOAT64 is for gradient checks and reference work. INT32
 * holds indices and labels (argmax results, class labels, token ids): it supports creation, views,
 * copies, indexing and comparisons, and converts to a float type for arithmetic.
 */
public enum DType {
  /** 32-bit IEEE float, stored in a {@code float[]}. */
  FLOAT32(4),
  /** 64-bit IEEE float, stored in a {@code double[]}. */
  FLOAT64(8),
  /** 32-bit signed integer, stored in an {@code int[]}. */
  INT32(4);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** Size of one element in bytes. */
  public int bytes() {
    return bytes;
  }

  /** True for FLOAT32 and FLOAT64. */
  public boolean isFloating() {
    return this != INT32;
  }

  /**
   * The result type of a binary op between tensors of types {@code a} and {@code b}: equal types
   * stay, float32 with float64 gives float64 (as NumPy), and int32 with a float type gives that
   * float type (as PyTorch; NumPy would widen int32 with float32 to float64).
   */
  public static DType promote(DType a, DType b) {
    if (a == b) {
      return a;
    }
    if (a == INT32) {
      return b;
    }
    if (b == INT32) {
      return a;
    }
    return FLOAT64;
  }

  /** Lower-case name as NumPy prints it: "float32", "float64", "int32". */
  public String numpyName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
