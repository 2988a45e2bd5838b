package org.handgrad.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every kernel of this package uses, of the width {@link
 * CpuProfile#vectorBits()} chose: the hardware's preferred width unless {@code
 * -Dhandgrad.vector.bits} narrows it. Static finals, so the JIT folds them into constants exactly
 * as it does {@code SPECIES_PREFERRED}. Only loaded when the Vector API module is present (see
 * {@link Kernels}).
 */
final class Species {
  private Species() {}

  /** float lanes: 8 at 256 bits, 16 at 512. */
  static final VectorSpecies<Float> F =
      FloatVector.SPECIES_PREFERRED.vectorBitSize() == CpuProfile.current().vectorBits()
          ? FloatVector.SPECIES_PREFERRED
          : VectorSpecies.of(
              float.class, VectorShape.forBitSize(CpuProfile.current().vectorBits()));

  /** double lanes: 4 at 256 bits, 8 at 512. */
  static final VectorSpecies<Double> D =
      DoubleVector.SPECIES_PREFERRED.vectorBitSize() == CpuProfile.current().vectorBits()
          ? DoubleVector.SPECIES_PREFERRED
          : VectorSpecies.of(
              double.class, VectorShape.forBitSize(CpuProfile.current().vectorBits()));
}
