package org.handgrad.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the float32 row softmax kernels of {@link RowOps}; {@link
 * RowOps#ssoftmaxScalar} and {@link RowOps#ssoftmaxBackwardScalar} are their twins. exp is {@link
 * ElementwiseVector#exp}, lane for lane the scalar twins' {@link FloatMath#exp}; only the row sums
 * differ in order (lane partial sums, then the lanes in index order: a fixed order, since {@code
 * reduceLanes(ADD)} may add in a different order in the interpreter and in compiled code). Row
 * tails shorter than a vector run scalar.
 *
 * <p>Loaded only after {@link Kernels#useVector()} returned true.
 */
final class RowOpsVector {
  private RowOpsVector() {}

  private static final VectorSpecies<Float> F = ElementwiseVector.F;
  private static final int LF = F.length();

  /** Sums the lanes of v in index order, spilling through {@code lanes}. */
  private static float sumLanes(FloatVector v, float[] lanes) {
    v.intoArray(lanes, 0);
    float s = 0;
    for (int k = 0; k < LF; k++) {
      s += lanes[k];
    }
    return s;
  }

  static void ssoftmax(
      int r0, int r1, int cols, float[] y, int yOff, int ldy, float[] x, int xOff, int ldx) {
    float[] lanes = new float[LF];
    for (int r = r0; r < r1; r++) {
      int py = yOff + r * ldy;
      int px = xOff + r * ldx;
      float m = Float.NEGATIVE_INFINITY;
      int j = 0;
      if (cols >= LF) {
        FloatVector vm = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (; j <= cols - LF; j += LF) {
          vm = vm.max(FloatVector.fromArray(F, x, px + j));
        }
        m = vm.reduceLanes(VectorOperators.MAX); // max is exact: any order gives the same
      }
      for (; j < cols; j++) {
        m = Math.max(m, x[px + j]);
      }
      if (m == Float.NEGATIVE_INFINITY) {
        Arrays.fill(y, py, py + cols, 0f);
        continue;
      }
      FloatVector vs = FloatVector.zero(F);
      j = 0;
      for (; j <= cols - LF; j += LF) {
        FloatVector e = ElementwiseVector.exp(FloatVector.fromArray(F, x, px + j).sub(m));
        e.intoArray(y, py + j);
        vs = vs.add(e);
      }
      float sum = sumLanes(vs, lanes);
      for (; j < cols; j++) {
        float e = FloatMath.exp(x[px + j] - m);
        y[py + j] = e;
        sum += e;
      }
      float inv = 1f / sum;
      j = 0;
      for (; j <= cols - LF; j += LF) {
        FloatVector.fromArray(F, y, py + j).mul(inv).intoArray(y, py + j);
      }
      for (; j < cols; j++) {
        y[py + j] *= inv;
      }
    }
  }

  static void ssoftmaxBackward(
      int r0,
      int r1,
      int cols,
      float[] dx,
      int dxOff,
      int lddx,
      float[] dy,
      int dyOff,
      int lddy,
      float[] y,
      int yOff,
      int ldy) {
    float[] lanes = new float[LF];
    for (int r = r0; r < r1; r++) {
      int pd = dxOff + r * lddx;
      int pg = dyOff + r * lddy;
      int py = yOff + r * ldy;
      FloatVector vd = FloatVector.zero(F);
      int j = 0;
      for (; j <= cols - LF; j += LF) {
        vd = FloatVector.fromArray(F, dy, pg + j).fma(FloatVector.fromArray(F, y, py + j), vd);
      }
      float dot = sumLanes(vd, lanes);
      for (; j < cols; j++) {
        dot = Math.fma(dy[pg + j], y[py + j], dot);
      }
      j = 0;
      for (; j <= cols - LF; j += LF) {
        FloatVector.fromArray(F, y, py + j)
            .mul(FloatVector.fromArray(F, dy, pg + j).sub(dot))
            .intoArray(dx, pd + j);
      }
      for (; j < cols; j++) {
        dx[pd + j] = y[py + j] * (dy[pg + j] - dot);
      }
    }
  }
}
