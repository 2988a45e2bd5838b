package org.handgrad.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 to float64 widening loads for the kernels that sum float data in double lanes (the norm
 * reductions).
 *
 * <p>Why not load a half-width float vector and cast it, the obvious way: that creates a second
 * float vector shape in the JVM. The Vector API's stores ({@code FloatVector.intoArray}) and
 * operations are virtual methods whose type profile is shared by every caller; a few calls on the
 * half-width class (even in the interpreter, during warm-up) make the profile bimorphic, C2 can
 * then no longer prove the vector class constant, the store intrinsic fails and every float store
 * in every kernel falls back to a scalar lambda loop. Measured on JDK 17 (AMD EPYC, AVX-512): a
 * 512-bit copy loop ran 20-60x slower after three half-width casts; in a U-Net profile 30% of the
 * samples were in that fallback. So every kernel uses the one float species of {@link Species}, and
 * this class widens from it: a full-width load whose low half is cast to doubles.
 */
final class Widen {
  private Widen() {}

  private static final VectorSpecies<Double> D = Species.D;
  private static final VectorSpecies<Float> F = Species.F;
  private static final int L = D.length();
  private static final int LF = F.length();

  /**
   * x[i .. i + L) as doubles, L = the double lane count. Reads a full float vector (2 L floats)
   * where the array has them; the last L floats of an array go through a scalar copy instead.
   *
   * @param x float data; i + L &lt;= x.length
   * @param i first element
   * @return L doubles
   */
  static DoubleVector floats(float[] x, int i) {
    if (i + LF <= x.length) {
      return (DoubleVector) FloatVector.fromArray(F, x, i).castShape(D, 0);
    }
    double[] t = new double[L];
    for (int k = 0; k < L; k++) {
      t[k] = x[i + k];
    }
    return DoubleVector.fromArray(D, t, 0);
  }
}
