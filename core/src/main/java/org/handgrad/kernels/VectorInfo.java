package org.handgrad.kernels;

import jdk.incubator.vector.FloatVector;

/**
 * Hardware facts from the Vector API, kept in their own class so that {@link Kernels} can decide
 * whether the incubator module is present before any class linking against it gets loaded.
 */
final class VectorInfo {
  private VectorInfo() {}

  /** Width of the preferred (widest fast) hardware vector in bits, e.g. 256 for AVX2. */
  static int bitSize() {
    return FloatVector.SPECIES_PREFERRED.vectorBitSize();
  }
}
