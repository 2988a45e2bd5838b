package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Fast im2col/col2im against their scalar twins on awkward geometries, and the adjoint identity.
 */
class Im2colTest {
  /** C, H, W, KH, KW, S, P: strides 1-3, pads 0-3 (pad > kernel too), 1x1, prime sizes. */
  private static final int[][] GEOMETRIES = {
    {1, 1, 1, 1, 1, 1, 0},
    {3, 7, 7, 3, 3, 2, 1},
    {2, 5, 6, 3, 2, 1, 2},
    {1, 13, 11, 5, 3, 2, 3},
    {2, 4, 4, 2, 2, 2, 3},
    {3, 3, 3, 3, 3, 3, 3},
    {1, 17, 5, 7, 1, 1, 3},
    {2, 9, 9, 1, 1, 2, 0},
    {1, 6, 7, 4, 5, 1, 0},
    // "same" convolutions (stride 1, output as large as the input): im2col's one-copy path, with
    // kernels wider and taller than the image too
    {2, 28, 28, 3, 3, 1, 1},
    {1, 12, 9, 7, 7, 1, 3},
    {3, 4, 5, 3, 3, 1, 1},
    {1, 2, 2, 5, 5, 1, 2},
    {2, 1, 3, 3, 3, 1, 1},
    {1, 3, 1, 3, 3, 1, 1},
    {1, 5, 4, 5, 5, 1, 2}
  };

  private static int out(int size, int k, int s, int p) {
    return (size + 2 * p - k) / s + 1;
  }

  @Test
  void fastMatchesScalarFloat64() {
    SplittableRandom rng = new SplittableRandom(7);
    for (int[] g : GEOMETRIES) {
      int C = g[0], H = g[1], W = g[2], KH = g[3], KW = g[4], S = g[5], P = g[6];
      int HO = out(H, KH, S, P), WO = out(W, KW, S, P);
      int rows = C * KH * KW, cols = HO * WO;
      double[] x = rng.doubles(3 + C * H * W).toArray(); // offset 3: offsets must be honoured
      double[] fast = new double[5 + rows * cols];
      double[] ref = new double[5 + rows * cols];
      java.util.Arrays.fill(fast, Double.NaN); // every entry must be written
      java.util.Arrays.fill(ref, Double.NaN);
      Im2col.im2col(fast, 5, x, 3, C, H, W, KH, KW, S, P, HO, WO);
      Im2col.im2colScalar(ref, 5, x, 3, C, H, W, KH, KW, S, P, HO, WO);
      assertArrayEquals(
          java.util.Arrays.copyOfRange(ref, 5, ref.length),
          java.util.Arrays.copyOfRange(fast, 5, fast.length),
          java.util.Arrays.toString(g));
      double[] c = rng.doubles(rows * cols).toArray();
      double[] dxFast = new double[3 + C * H * W];
      double[] dxRef = new double[3 + C * H * W];
      Im2col.col2im(dxFast, 3, c, 0, C, H, W, KH, KW, S, P, HO, WO);
      Im2col.col2imScalar(dxRef, 3, c, 0, C, H, W, KH, KW, S, P, HO, WO);
      for (int i = 0; i < dxRef.length; i++) {
        assertEquals(dxRef[i], dxFast[i], 1e-12, java.util.Arrays.toString(g));
      }
      // Adjoint: <im2col(x), c> == <x, col2im(c)>.
      double lhs = 0, rhs = 0;
      for (int i = 0; i < rows * cols; i++) {
        lhs += fast[5 + i] * c[i];
      }
      for (int i = 0; i < C * H * W; i++) {
        rhs += x[3 + i] * dxFast[3 + i];
      }
      assertEquals(lhs, rhs, 1e-10 * Math.max(1, Math.abs(lhs)), java.util.Arrays.toString(g));
    }
  }

  @Test
  void fastMatchesScalarFloat32() {
    SplittableRandom rng = new SplittableRandom(8);
    for (int[] g : GEOMETRIES) {
      int C = g[0], H = g[1], W = g[2], KH = g[3], KW = g[4], S = g[5], P = g[6];
      int HO = out(H, KH, S, P), WO = out(W, KW, S, P);
      int n = C * KH * KW * HO * WO;
      float[] x = new float[C * H * W];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) rng.nextDouble();
      }
      float[] fast = new float[n];
      float[] ref = new float[n];
      java.util.Arrays.fill(fast, Float.NaN);
      Im2col.im2col(fast, 0, x, 0, C, H, W, KH, KW, S, P, HO, WO);
      Im2col.im2colScalar(ref, 0, x, 0, C, H, W, KH, KW, S, P, HO, WO);
      assertArrayEquals(ref, fast, java.util.Arrays.toString(g));
      float[] dxFast = new float[x.length];
      float[] dxRef = new float[x.length];
      Im2col.col2im(dxFast, 0, ref, 0, C, H, W, KH, KW, S, P, HO, WO);
      Im2col.col2imScalar(dxRef, 0, ref, 0, C, H, W, KH, KW, S, P, HO, WO);
      for (int i = 0; i < x.length; i++) {
        assertEquals(dxRef[i], dxFast[i], 1e-5f, java.util.Arrays.toString(g));
      }
    }
  }

  @Test
  void theKernelsSwitchSendsIm2colToItsScalarTwin() {
    assertFalse(Kernels.scalarForced());
    Kernels.forceScalar(true);
    try {
      assertTrue(Kernels.scalarForced());
      double[] x = {1, 2, 3, 4};
      double[] cols = new double[4 * 9];
      // 1x2x2 image, 2x2 kernel, pad 1: 3x3 outputs; the top-left window sees only x[0, 0].
      Im2col.im2col(cols, 0, x, 0, 1, 2, 2, 2, 2, 1, 1, 3, 3);
      assertEquals(0.0, cols[0]);
      assertEquals(1.0, cols[3 * 9]); // row (kh=1, kw=1), output (0, 0) reads x[0, 0]
    } finally {
      Kernels.forceScalar(false);
    }
  }
}
