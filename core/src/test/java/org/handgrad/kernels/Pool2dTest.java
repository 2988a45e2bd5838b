package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Pool2dTest {
  @AfterEach
  void restore() {
    Kernels.forceScalar(false);
  }

  /** Random values with many ties, signed zeros, infinities and NaNs, to exercise the rule. */
  private static float[] awkward(SplittableRandom r, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] =
          switch (r.nextInt(12)) {
            case 0 -> Float.NaN;
            case 1 -> 0f;
            case 2 -> -0f;
            case 3 -> Float.NEGATIVE_INFINITY;
            case 4 -> Float.POSITIVE_INFINITY;
            case 5, 6 -> r.nextInt(3); // ties
            default -> (float) r.nextGaussian();
          };
    }
    return x;
  }

  @ParameterizedTest(name = "W={0}")
  @ValueSource(ints = {2, 3, 7, 8, 9, 12, 14, 15, 16, 17, 28, 29, 31, 33, 64, 65})
  void vectorTwoByTwoMatchesTheScalarTwinBitForBit(int W) {
    assertTrue(Kernels.useVector(), "tests run with jdk.incubator.vector");
    SplittableRandom r = new SplittableRandom(W);
    for (int H : new int[] {2, 3, 6}) {
      int planes = 3, HO = 1 + (H - 2) / 2, WO = 1 + (W - 2) / 2, off = 5;
      float[] x = awkward(r, off + planes * H * W);
      int n = planes * HO * WO;
      float[] outV = new float[off + n], outS = new float[off + n];
      int[] amV = new int[off + n], amS = new int[off + n];
      Pool2d.maxPool(outV, off, amV, off, x, off, planes, H, W, 2, 2, 2, HO, WO);
      Pool2d.maxPoolScalar(outS, off, amS, off, x, off, planes, H, W, 2, 2, 2, HO, WO);
      String what = "H=" + H + " W=" + W;
      assertArrayEquals(amS, amV, what);
      for (int i = 0; i < outS.length; i++) {
        assertEquals(
            Float.floatToRawIntBits(outS[i]), Float.floatToRawIntBits(outV[i]), what + " at " + i);
      }
    }
  }

  @Test
  void vectorKernelTakesRowsOfAQuarterVectorOrMore() {
    int lanes = Species.F.length();
    assertTrue(Pool2dVector.fits(2, 2 * lanes, lanes), "full vectors");
    assertTrue(Pool2dVector.fits(2, lanes, lanes / 2), "half vectors");
    assertTrue(Pool2dVector.fits(2, lanes / 2, lanes / 4), "quarter vectors");
    // Fashion-MNIST's 28 x 28 and 14 x 14 planes pool to rows of 14 and 7.
    assertTrue(Pool2dVector.fits(28, 28, 14), "28 x 28 at " + lanes + " lanes");
    assertTrue(Pool2dVector.fits(14, 14, 7), "14 x 14 at " + lanes + " lanes");
    assertTrue(!Pool2dVector.fits(2, lanes / 2 - 2, lanes / 4 - 1), "narrower rows stay scalar");
  }

  /**
   * Rows narrower than half a vector read past the plane; planes in the middle of a larger array,
   * and a last plane that ends the array (its scalar fallback), give the scalar twin's bits.
   */
  @Test
  void narrowRowsNextToTheArrayEnd() {
    SplittableRandom r = new SplittableRandom(3);
    int lanes = Species.F.length();
    for (int W = lanes / 2; W < lanes; W++) {
      for (int slack : new int[] {0, 1, lanes}) {
        int H = 4, planes = 2, HO = 2, WO = W / 2;
        float[] x = awkward(r, planes * H * W + slack);
        float[] outV = new float[planes * HO * WO], outS = new float[planes * HO * WO];
        int[] amV = new int[outV.length], amS = new int[outV.length];
        Pool2d.maxPool(outV, 0, amV, 0, x, 0, planes, H, W, 2, 2, 2, HO, WO);
        Pool2d.maxPoolScalar(outS, 0, amS, 0, x, 0, planes, H, W, 2, 2, 2, HO, WO);
        String what = "W=" + W + " slack=" + slack;
        assertArrayEquals(amS, amV, what);
        for (int i = 0; i < outS.length; i++) {
          assertEquals(
              Float.floatToRawIntBits(outS[i]),
              Float.floatToRawIntBits(outV[i]),
              what + " at " + i);
        }
      }
    }
  }

  @Test
  void scalarTwoByTwoPathMatchesTheGeneralWindowLoop() {
    // The scalar twin's unrolled 2x2 path against a direct row-major scan with PyTorch's rule.
    SplittableRandom r = new SplittableRandom(3);
    int H = 6, W = 10, HO = 3, WO = 5;
    float[] x = awkward(r, H * W);
    float[] out = new float[HO * WO];
    int[] am = new int[HO * WO];
    Kernels.forceScalar(true);
    Pool2d.maxPool(out, 0, am, 0, x, 0, 1, H, W, 2, 2, 2, HO, WO);
    for (int i = 0; i < HO; i++) {
      for (int j = 0; j < WO; j++) {
        int best = -1;
        for (int kh = 0; kh < 2; kh++) {
          for (int kw = 0; kw < 2; kw++) {
            int at = (2 * i + kh) * W + 2 * j + kw;
            if (best < 0 || x[at] > x[best] || Float.isNaN(x[at])) {
              best = at;
            }
          }
        }
        assertEquals(best, am[i * WO + j], "window " + i + ", " + j);
        assertEquals(Float.floatToRawIntBits(x[best]), Float.floatToRawIntBits(out[i * WO + j]));
      }
    }
  }
}
