package org.handgrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorOperators.Comparison;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API twin of {@link Pool2d#maxPoolScalar} for the common case, float32 2x2 windows with
 * stride 2. Only reached after {@link Kernels#useVector()} returned true.
 *
 * <p>Why a vector kernel: the scalar loop compares each window's four values with branches, and on
 * real data which value wins is random, so about one branch in two is mispredicted; that costs 5x
 * over sorted data (measured 8.9 ms vs 1.7 ms for x (64, 32, 28, 28), one thread). Lane masks and
 * blends have no branches.
 *
 * <p>How: a vector of L input columns of one row holds the top rows of L/2 windows as pairs (a, b)
 * in lanes (2t, 2t+1); swapping neighbour lanes puts b next to a, so a compare and a blend leave
 * each pair's winner in the even lane. The same on the bottom row gives (c, d), a second compare
 * picks between the two, and a lane permutation packs the even lanes of two such vectors into L
 * outputs. The winner's index {@code h*W + w} rides along as a float (exact below 2^23).
 *
 * <p>Same result, bit for bit, as the scalar scan in row-major order with PyTorch's rule {@code v >
 * best || isnan(v)}: that choice is associative, so {@code ((a, b), c), d} may be evaluated as
 * {@code (a, b), (c, d)}.
 */
final class Pool2dVector {
  private Pool2dVector() {}

  private static final VectorSpecies<Float> F = Species.F;
  private static final int L = F.length();
  private static final float TWO_23 = 8388608f;
  private static final int TWO_23_BITS = 0x4B000000;
  private static final Comparison NE = VectorOperators.NE; // v != v: v is NaN

  /** Swaps lanes 2t and 2t+1: puts each window's right column next to its left one. */
  private static final VectorShuffle<Float> SWAP = VectorShuffle.fromOp(F, i -> i ^ 1);

  /** Lane i takes lane 2i (mod L): the even lanes packed into each half. */
  private static final VectorShuffle<Float> EVENS = VectorShuffle.fromOp(F, i -> (2 * i) % L);

  /** The upper half of the lanes. */
  private static final VectorMask<Float> UPPER =
      VectorMask.fromLong(F, ((1L << L) - 1) & ~((1L << (L / 2)) - 1));

  /** 0, 1, ..., L-1 as floats: the column offset of each lane. */
  private static final FloatVector LANE = FloatVector.fromArray(F, laneNumbers(), 0);

  private static float[] laneNumbers() {
    float[] a = new float[L];
    for (int i = 0; i < a.length; i++) {
      a[i] = i;
    }
    return a;
  }

  /**
   * Whether this kernel handles the shape: at least L/4 outputs per row (groups of L outputs, or of
   * fewer below L, the last group of a row overlapping the previous one; see {@link
   * #maxPool2x2Narrow}) and plane indices below 2^23 (exact as floats, see the int conversion).
   */
  static boolean fits(int H, int W, int WO) {
    return WO >= L / 4 && (long) H * W < (1 << 23);
  }

  /**
   * See {@link Pool2d#maxPool(float[], int, int[], int, float[], int, int, int, int, int, int, int,
   * int, int)}; PH = PW = S = 2.
   */
  static void maxPool2x2(
      float[] out,
      int outOff,
      int[] argmax,
      int argOff,
      float[] x,
      int xOff,
      int planes,
      int H,
      int W,
      int HO,
      int WO) {
    if (WO < L) {
      maxPool2x2Narrow(out, outOff, argmax, argOff, x, xOff, planes, H, W, HO, WO);
      return;
    }
    for (int p = 0; p < planes; p++) {
      int xp = xOff + p * H * W;
      for (int i = 0; i < HO; i++) {
        int o = p * HO * WO + i * WO;
        for (int j = 0; ; j += L) {
          int jj = Math.min(j, WO - L); // the last group may redo a few outputs, identically
          int q = 2 * i * W + 2 * jj; // top-left input of output jj, inside the plane
          // Outputs jj .. jj+L/2-1 from input columns [q, q+L), the next L/2 from [q+L, q+2L).
          // Written out twice rather than looped: vectors merged across a loop get boxed.
          FloatVector a = FloatVector.fromArray(F, x, xp + q);
          FloatVector b = a.rearrange(SWAP);
          VectorMask<Float> tb = b.compare(VectorOperators.GT, a).or(b.compare(NE, b));
          FloatVector ab = a.blend(b, tb);
          FloatVector ia = LANE.add(q);
          FloatVector iab = ia.blend(ia.add(1f), tb);
          FloatVector c = FloatVector.fromArray(F, x, xp + q + W);
          FloatVector d = c.rearrange(SWAP);
          VectorMask<Float> td = d.compare(VectorOperators.GT, c).or(d.compare(NE, d));
          FloatVector cd = c.blend(d, td);
          FloatVector ic = ia.add(W);
          FloatVector icd = ic.blend(ic.add(1f), td);
          VectorMask<Float> t = cd.compare(VectorOperators.GT, ab).or(cd.compare(NE, cd));
          FloatVector vLo = ab.blend(cd, t);
          FloatVector iLo = iab.blend(icd, t);

          a = FloatVector.fromArray(F, x, xp + q + L);
          b = a.rearrange(SWAP);
          tb = b.compare(VectorOperators.GT, a).or(b.compare(NE, b));
          ab = a.blend(b, tb);
          ia = LANE.add(q + L);
          iab = ia.blend(ia.add(1f), tb);
          c = FloatVector.fromArray(F, x, xp + q + L + W);
          d = c.rearrange(SWAP);
          td = d.compare(VectorOperators.GT, c).or(d.compare(NE, d));
          cd = c.blend(d, td);
          ic = ia.add(W);
          icd = ic.blend(ic.add(1f), td);
          t = cd.compare(VectorOperators.GT, ab).or(cd.compare(NE, cd));
          FloatVector vHi = ab.blend(cd, t);
          FloatVector iHi = iab.blend(icd, t);

          FloatVector best = vLo.rearrange(EVENS).blend(vHi.rearrange(EVENS), UPPER);
          FloatVector at = iLo.rearrange(EVENS).blend(iHi.rearrange(EVENS), UPPER);
          best.intoArray(out, outOff + o + jj);
          // float -> int without VectorOperators.F2I, which JDK 17 does not intrinsify on AVX2
          // (it boxes every vector): k + 2^23 for an integer 0 <= k < 2^23 is the float with bit
          // pattern 0x4B000000 + k.
          at.add(TWO_23).reinterpretAsInts().sub(TWO_23_BITS).intoArray(argmax, argOff + o + jj);
          if (jj == WO - L) {
            break;
          }
        }
      }
    }
  }

  /**
   * {@link #maxPool2x2} for rows of L/4 to L - 1 outputs (14 from Fashion-MNIST's 28 x 28 planes
   * and 7 from 14 x 14 with 512-bit vectors): groups of g = min(L/2, WO) outputs, each from one
   * vector of L input columns per window row. Below L/2 outputs that vector reaches past the row
   * (the top row's into the bottom one, the bottom row's into the next plane); lanes past the g
   * windows are computed and dropped, as compares, blends and the even-lane packing never mix a
   * window's lanes with another's. Only the last plane of the call could read past the array; it
   * runs the scalar twin when it would. A group's g winners are stored as a whole vector where the
   * lanes past them fall on outputs this loop writes again later, else through a small array and a
   * copy; never through a narrower vector: a second float vector shape would spoil the JIT's type
   * profile of every float store (docs/performance.md, "One vector species per element type").
   * Before this path such rows ran the scalar loop, 7.7x slower (one thread, x (64, 32, 28, 28) on
   * an AVX-512 Xeon: 5.9 ms against 0.77 ms).
   */
  private static void maxPool2x2Narrow(
      float[] out,
      int outOff,
      int[] argmax,
      int argOff,
      float[] x,
      int xOff,
      int planes,
      int H,
      int W,
      int HO,
      int WO) {
    int g = Math.min(L / 2, WO);
    // With W < L, the bottom-row vector of a plane's last output row ends up to L - W values past
    // the plane.
    boolean lastPlaneScalar =
        planes > 0 && (long) xOff + (long) planes * H * W + Math.max(0, L - W) > x.length;
    int vectorPlanes = lastPlaneScalar ? planes - 1 : planes;
    if (lastPlaneScalar) {
      int last = planes - 1;
      Pool2d.maxPoolScalar(
          out,
          outOff + last * HO * WO,
          argmax,
          argOff + last * HO * WO,
          x,
          xOff + last * H * W,
          1,
          H,
          W,
          2,
          2,
          2,
          HO,
          WO);
    }
    int end = vectorPlanes * HO * WO; // the outputs this loop writes, from outOff
    float[] vals = new float[L];
    int[] index = new int[L];
    for (int p = 0; p < vectorPlanes; p++) {
      int xp = xOff + p * H * W;
      for (int i = 0; i < HO; i++) {
        int o = p * HO * WO + i * WO;
        for (int j = 0; ; j += g) {
          int jj = Math.min(j, WO - g);
          int q = 2 * i * W + 2 * jj; // input columns [q, q+L) of rows 2i and 2i+1: g windows
          FloatVector a = FloatVector.fromArray(F, x, xp + q);
          FloatVector b = a.rearrange(SWAP);
          VectorMask<Float> tb = b.compare(VectorOperators.GT, a).or(b.compare(NE, b));
          FloatVector ab = a.blend(b, tb);
          FloatVector ia = LANE.add(q);
          FloatVector iab = ia.blend(ia.add(1f), tb);
          FloatVector c = FloatVector.fromArray(F, x, xp + q + W);
          FloatVector d = c.rearrange(SWAP);
          VectorMask<Float> td = d.compare(VectorOperators.GT, c).or(d.compare(NE, d));
          FloatVector cd = c.blend(d, td);
          FloatVector ic = ia.add(W);
          FloatVector icd = ic.blend(ic.add(1f), td);
          VectorMask<Float> t = cd.compare(VectorOperators.GT, ab).or(cd.compare(NE, cd));
          // The winners sit in the even lanes; EVENS packs them into the lower half.
          FloatVector best = ab.blend(cd, t).rearrange(EVENS);
          FloatVector at = iab.blend(icd, t).rearrange(EVENS).add(TWO_23);
          IntVector atInt = at.reinterpretAsInts().sub(TWO_23_BITS);
          if (o + jj + L <= end) {
            // Whole vectors: the L - g lanes past the group land on outputs that later groups of
            // this loop write again (they run in increasing output order, each group starting at
            // most g after the previous one).
            best.intoArray(out, outOff + o + jj);
            atInt.intoArray(argmax, argOff + o + jj);
          } else {
            best.intoArray(vals, 0);
            atInt.intoArray(index, 0);
            System.arraycopy(vals, 0, out, outOff + o + jj, g);
            System.arraycopy(index, 0, argmax, argOff + o + jj, g);
          }
          if (jj == WO - g) {
            break;
          }
        }
      }
    }
  }
}
