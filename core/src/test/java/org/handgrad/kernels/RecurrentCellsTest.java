package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RecurrentCellsTest {
  /** The exp-based float32 tanh stays within 2 float32 ulps of Math.tanh over the whole range. */
  @Test
  void floatTanhIsAccurateEverywhere() {
    double worstUlps = 0;
    for (int i = -200_000; i <= 200_000; i++) {
      float x = i * 1e-4f + 3e-6f; // [-20, 20], off the grid of round numbers
      check(x);
      worstUlps = Math.max(worstUlps, ulps(x));
    }
    float[] special = {0f, -0f, 1e-30f, -1e-30f, 1e-4f, 9.9e-5f, 9.5f, 10f, 10.5f, 400f, -800f};
    for (float x : special) {
      worstUlps = Math.max(worstUlps, ulps(x));
    }
    assertTrue(worstUlps <= 2, "worst " + worstUlps + " ulps");
    assertEquals(0f, RecurrentCells.tanh(-0f) + 0f);
    assertEquals(1f, RecurrentCells.tanh(Float.POSITIVE_INFINITY));
    assertEquals(-1f, RecurrentCells.tanh(Float.NEGATIVE_INFINITY));
    assertTrue(Float.isNaN(RecurrentCells.tanh(Float.NaN)));
  }

  private static void check(float x) {
    assertTrue(Math.abs(RecurrentCells.tanh(x)) <= 1f, "|tanh| <= 1 at " + x);
  }

  private static double ulps(float x) {
    float exact = (float) Math.tanh(x);
    return Math.abs(RecurrentCells.tanh(x) - exact)
        / Math.ulp(exact == 0 ? Float.MIN_VALUE : exact);
  }

  @Test
  void sigmoidSaturatesWithoutNaN() {
    assertEquals(0.0, RecurrentCells.sigmoid(-1000.0), 0.0);
    assertEquals(1.0, RecurrentCells.sigmoid(1000.0), 0.0);
    assertEquals(0f, RecurrentCells.sigmoid(-1000f), 0f);
    assertEquals(1f, RecurrentCells.sigmoid(1000f), 0f);
    assertEquals(0.5, RecurrentCells.sigmoid(0.0), 0.0);
  }

  /** The float32 and float64 LSTM cell kernels agree on awkward sizes, including strides. */
  @Test
  void floatAndDoubleLstmKernelsAgree() {
    java.util.Random r = new java.util.Random(1);
    for (int hid : new int[] {1, 7, 17}) {
      int rows = 3;
      int ldg = 4 * hid + 2; // padded rows: the kernels must honour leading dimensions
      double[] g = new double[rows * ldg];
      double[] b = new double[4 * hid];
      double[] cp = new double[rows * hid];
      for (int i = 0; i < g.length; i++) {
        g[i] = 2 * r.nextGaussian();
      }
      for (int i = 0; i < b.length; i++) {
        b[i] = r.nextGaussian();
      }
      for (int i = 0; i < cp.length; i++) {
        cp[i] = r.nextGaussian();
      }
      float[] gf = toFloat(g);
      double[] c = new double[rows * hid];
      double[] tc = new double[rows * hid];
      double[] h = new double[rows * hid];
      float[] cf = new float[rows * hid];
      float[] tcf = new float[rows * hid];
      float[] hf = new float[rows * hid];
      RecurrentCells.dlstmForward(rows, hid, g, 0, ldg, b, 0, cp, 0, hid, c, tc, h, 0, hid);
      RecurrentCells.slstmForward(
          rows, hid, gf, 0, ldg, toFloat(b), 0, toFloat(cp), 0, hid, cf, tcf, hf, 0, hid);
      for (int i = 0; i < h.length; i++) {
        assertEquals(h[i], hf[i], 1e-6, "h[" + i + "] hid=" + hid);
        assertEquals(c[i], cf[i], 1e-5, "c[" + i + "] hid=" + hid);
      }
    }
  }

  private static float[] toFloat(double[] a) {
    float[] f = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      f[i] = (float) a[i];
    }
    return f;
  }

  /**
   * The Vector API forward cells against their scalar twins, on sizes around the lane count (tails)
   * and with padded leading dimensions.
   */
  @Test
  void vectorForwardCellsMatchScalarTwins() {
    assertTrue(RecurrentCells.useVector(), "the tests run with --add-modules jdk.incubator.vector");
    java.util.Random r = new java.util.Random(2);
    int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
    for (int hid : new int[] {1, lanes - 1, lanes, lanes + 1, 2 * lanes + 3, 37}) {
      int rows = 3;
      int ld = 4 * hid + 5;
      float[] gates = randomFloats(r, rows * ld, 3);
      float[] gh = randomFloats(r, rows * ld, 1);
      float[] b = randomFloats(r, 4 * hid, 1);
      float[] prev = randomFloats(r, rows * ld, 1);
      float[][] vec = runCells(rows, hid, ld, gates, gh, b, prev);
      try {
        Kernels.forceScalar(true);
        assertFalse(RecurrentCells.useVector(), "the Kernels switch drives RecurrentCells");
        float[][] sca = runCells(rows, hid, ld, gates, gh, b, prev);
        for (int k = 0; k < vec.length; k++) {
          for (int i = 0; i < vec[k].length; i++) {
            assertEquals(sca[k][i], vec[k][i], 2e-6f, "output " + k + "[" + i + "] hid=" + hid);
          }
        }
      } finally {
        Kernels.forceScalar(false);
      }
    }
  }

  /** Runs the three float32 forward cells on copies of the inputs; returns all their outputs. */
  private static float[][] runCells(
      int rows, int hid, int ld, float[] gates, float[] gh, float[] b, float[] prev) {
    float[] lg = gates.clone();
    float[] c = new float[rows * ld];
    float[] tc = new float[rows * ld];
    float[] h = new float[rows * ld];
    RecurrentCells.slstmForward(rows, hid, lg, 0, ld, b, 0, prev, 0, ld, c, tc, h, 0, ld);
    float[] gg = gates.clone();
    float[] hn = new float[rows * ld];
    float[] gruH = new float[rows * ld];
    RecurrentCells.sgruForward(
        rows, hid, gg, 0, ld, gh, 0, ld, b, 0, b, hid, prev, 0, ld, hn, gruH, 0, ld);
    float[] a = gates.clone();
    RecurrentCells.stanhBias(rows, hid, a, 0, ld, b, 0);
    return new float[][] {lg, c, tc, h, gg, hn, gruH, a};
  }

  private static float[] randomFloats(java.util.Random r, int n, double scale) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = (float) (scale * r.nextGaussian());
    }
    return f;
  }
}
