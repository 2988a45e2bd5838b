package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WinogradTest {
  @AfterEach
  void restore() {
    Kernels.forceScalar(false);
    Parallel.setThreads(Runtime.getRuntime().availableProcessors());
  }

  /** Small integers: every Winograd step is exact on them, so results must match exactly. */
  private static float[] ints(SplittableRandom r, int n, int off) {
    float[] x = new float[off + n];
    for (int i = 0; i < n; i++) {
      x[off + i] = r.nextInt(-4, 5);
    }
    return x;
  }

  private static float[] gaussian(SplittableRandom r, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  /** Direct 3x3, stride-1, pad-1 cross-correlation in float64: out (N, F, H, W). */
  private static double[] direct(
      float[] x, int xOff, float[] w, int wOff, float[] b, int N, int C, int H, int W, int F) {
    double[] out = new double[N * F * H * W];
    for (int n = 0; n < N; n++) {
      for (int f = 0; f < F; f++) {
        for (int i = 0; i < H; i++) {
          for (int j = 0; j < W; j++) {
            double s = b == null ? 0 : b[f];
            for (int c = 0; c < C; c++) {
              for (int a = 0; a < 3; a++) {
                for (int q = 0; q < 3; q++) {
                  int h = i - 1 + a, v = j - 1 + q;
                  if (h >= 0 && h < H && v >= 0 && v < W) {
                    s +=
                        (double) w[wOff + ((f * C + c) * 3 + a) * 3 + q]
                            * x[xOff + ((n * C + c) * H + h) * W + v];
                  }
                }
              }
            }
            out[((n * F + f) * H + i) * W + j] = s;
          }
        }
      }
    }
    return out;
  }

  /** dx of the direct convolution: dx[n, c, h, v] = sum of dout[n, f, i, j] * w[f, c, a, q]. */
  private static double[] directDx(
      float[] dout, int dOff, float[] w, int wOff, int N, int C, int H, int W, int F) {
    double[] dx = new double[N * C * H * W];
    for (int n = 0; n < N; n++) {
      for (int f = 0; f < F; f++) {
        for (int i = 0; i < H; i++) {
          for (int j = 0; j < W; j++) {
            double g = dout[dOff + ((n * F + f) * H + i) * W + j];
            for (int c = 0; c < C; c++) {
              for (int a = 0; a < 3; a++) {
                for (int q = 0; q < 3; q++) {
                  int h = i - 1 + a, v = j - 1 + q;
                  if (h >= 0 && h < H && v >= 0 && v < W) {
                    dx[((n * C + c) * H + h) * W + v] +=
                        g * w[wOff + ((f * C + c) * 3 + a) * 3 + q];
                  }
                }
              }
            }
          }
        }
      }
    }
    return dx;
  }

  /** dw of the direct convolution: dw[f, c, a, q] = sum of dout[n, f, i, j] * xpad[...]. */
  private static double[] directDw(
      float[] x, int xOff, float[] dout, int dOff, int N, int C, int H, int W, int F) {
    double[] dw = new double[F * C * 9];
    for (int n = 0; n < N; n++) {
      for (int f = 0; f < F; f++) {
        for (int i = 0; i < H; i++) {
          for (int j = 0; j < W; j++) {
            double g = dout[dOff + ((n * F + f) * H + i) * W + j];
            for (int c = 0; c < C; c++) {
              for (int a = 0; a < 3; a++) {
                for (int q = 0; q < 3; q++) {
                  int h = i - 1 + a, v = j - 1 + q;
                  if (h >= 0 && h < H && v >= 0 && v < W) {
                    dw[((f * C + c) * 3 + a) * 3 + q] +=
                        g * x[xOff + ((n * C + c) * H + h) * W + v];
                  }
                }
              }
            }
          }
        }
      }
    }
    return dw;
  }

  @ParameterizedTest(name = "N={0} C={1} H={2} W={3} F={4}")
  @CsvSource({
    "1, 1, 1, 1, 1",
    "2, 3, 5, 7, 5",
    "1, 4, 2, 3, 9",
    "3, 8, 8, 8, 8",
    "2, 5, 7, 7, 6",
    "2, 16, 14, 14, 16",
    "1, 7, 28, 28, 12",
    "2, 9, 31, 33, 4",
    "3, 2, 1, 40, 3",
    "4, 33, 6, 5, 17"
  })
  void forwardOnIntegersEqualsTheDirectConvolutionExactly(int N, int C, int H, int W, int F) {
    assertTrue(Winograd.enabled(), "tests run with jdk.incubator.vector");
    SplittableRandom r = new SplittableRandom(31L * N + 7L * C + H * 131L + W + F);
    int xOff = 3, wOff = 5, bOff = 2, outOff = 4;
    float[] x = ints(r, N * C * H * W, xOff);
    float[] w = ints(r, F * C * 9, wOff);
    float[] b = ints(r, F, bOff);
    float[] out = new float[outOff + N * F * H * W + 3];
    java.util.Arrays.fill(out, 99f);
    Winograd.forward(out, outOff, x, xOff, w, wOff, b, bOff, N, C, H, W, F);
    float[] bias = java.util.Arrays.copyOfRange(b, bOff, bOff + F);
    double[] want = direct(x, xOff, w, wOff, bias, N, C, H, W, F);
    for (int i = 0; i < want.length; i++) {
      assertEquals((float) want[i], out[outOff + i], "at " + i);
    }
    // Nothing written outside the output.
    for (int i = 0; i < outOff; i++) {
      assertEquals(99f, out[i]);
    }
    for (int i = outOff + want.length; i < out.length; i++) {
      assertEquals(99f, out[i]);
    }
  }

  @ParameterizedTest(name = "N={0} C={1} H={2} W={3} F={4}")
  @CsvSource({
    "1, 1, 1, 1, 1",
    "2, 3, 5, 7, 5",
    "2, 5, 7, 7, 6",
    "2, 16, 14, 14, 16",
    "1, 12, 28, 28, 7",
    "2, 4, 31, 33, 9",
    "4, 17, 6, 5, 33"
  })
  void inputGradientOnIntegersEqualsTheDirectOneExactly(int N, int C, int H, int W, int F) {
    SplittableRandom r = new SplittableRandom(17L * N + 5L * C + H * 113L + W + F);
    int dOff = 6, wOff = 1, dxOff = 2;
    float[] dout = ints(r, N * F * H * W, dOff);
    float[] w = ints(r, F * C * 9, wOff);
    float[] dx = new float[dxOff + N * C * H * W];
    Winograd.backwardData(dx, dxOff, dout, dOff, w, wOff, N, C, H, W, F);
    double[] want = directDx(dout, dOff, w, wOff, N, C, H, W, F);
    for (int i = 0; i < want.length; i++) {
      assertEquals((float) want[i], dx[dxOff + i], "at " + i);
    }
  }

  @ParameterizedTest(name = "N={0} C={1} H={2} W={3} F={4}")
  @CsvSource({
    "1, 1, 1, 1, 1",
    "2, 3, 5, 7, 5",
    "1, 4, 2, 3, 9",
    "2, 5, 7, 7, 6",
    "2, 16, 14, 14, 16",
    "1, 7, 28, 28, 12",
    "2, 9, 31, 33, 4",
    "3, 2, 1, 40, 3",
    "4, 33, 6, 5, 17",
    "40, 3, 4, 4, 2"
  })
  void filterGradientOnIntegersEqualsTheDirectOneExactly(int N, int C, int H, int W, int F) {
    SplittableRandom r = new SplittableRandom(23L * N + 3L * C + H * 97L + W + 7L * F);
    int xOff = 2, dOff = 5, dwOff = 3;
    float[] x = ints(r, N * C * H * W, xOff);
    float[] dout = ints(r, N * F * H * W, dOff);
    float[] dw = new float[dwOff + F * C * 9 + 2];
    java.util.Arrays.fill(dw, 99f);
    Winograd.backwardFilter(dw, dwOff, x, xOff, dout, dOff, N, C, H, W, F);
    double[] want = directDw(x, xOff, dout, dOff, N, C, H, W, F);
    for (int i = 0; i < want.length; i++) {
      assertEquals((float) want[i], dw[dwOff + i], "at " + i);
    }
    for (int i = 0; i < dwOff; i++) {
      assertEquals(99f, dw[i]);
    }
    for (int i = dwOff + want.length; i < dw.length; i++) {
      assertEquals(99f, dw[i]);
    }
  }

  @Test
  void filterGradientIgnoresWhatEarlierCallsLeftInTheBuffers() {
    // The sums run over every slot of a block, padding included. A tall call on one thread fills
    // that thread's plane buffer with infinities far down; a one-tile-row call after it reads
    // those rows for its padding slots, where 0 * inf would be NaN unless both transforms' padding
    // is cleared.
    Parallel.setThreads(1);
    float[] inf = new float[40 * 2];
    java.util.Arrays.fill(inf, Float.POSITIVE_INFINITY);
    Winograd.backwardFilter(new float[9], 0, inf, 0, inf, 0, 1, 1, 40, 2, 1);
    SplittableRandom r = new SplittableRandom(3);
    float[] x = ints(r, 4, 0);
    float[] dout = ints(r, 4, 0);
    float[] dw = new float[9];
    Winograd.backwardFilter(dw, 0, x, 0, dout, 0, 1, 1, 2, 2, 1);
    double[] want = directDw(x, 0, dout, 0, 1, 1, 2, 2, 1);
    for (int i = 0; i < want.length; i++) {
      assertEquals((float) want[i], dw[i], "at " + i);
    }
  }

  @Test
  void forwardAndInputGradientOnGaussiansAreCloseToFloat64() {
    SplittableRandom r = new SplittableRandom(5);
    int N = 3, C = 24, H = 13, W = 10, F = 20;
    float[] x = gaussian(r, N * C * H * W);
    float[] w = gaussian(r, F * C * 9);
    float[] b = gaussian(r, F);
    float[] out = new float[N * F * H * W];
    Winograd.forward(out, 0, x, 0, w, 0, b, 0, N, C, H, W, F);
    double[] want = direct(x, 0, w, 0, b, N, C, H, W, F);
    // Each output sums C*9 = 216 products of unit Gaussians (size about 15); float32 rounding of
    // the transforms and sums stays within 1e-5 of that size.
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], out[i], 1e-5 * Math.sqrt(C * 9), "forward at " + i);
    }
    float[] dout = gaussian(r, N * F * H * W);
    float[] dx = new float[N * C * H * W];
    Winograd.backwardData(dx, 0, dout, 0, w, 0, N, C, H, W, F);
    double[] wantDx = directDx(dout, 0, w, 0, N, C, H, W, F);
    for (int i = 0; i < wantDx.length; i++) {
      assertEquals(wantDx[i], dx[i], 1e-5 * Math.sqrt(F * 9), "dx at " + i);
    }
    float[] dw = new float[F * C * 9];
    Winograd.backwardFilter(dw, 0, x, 0, dout, 0, N, C, H, W, F);
    double[] wantDw = directDw(x, 0, dout, 0, N, C, H, W, F);
    // Each sums N*H*W = 390 products of unit Gaussians (size about 20).
    for (int i = 0; i < wantDw.length; i++) {
      assertEquals(wantDw[i], dw[i], 1e-5 * Math.sqrt(N * H * W), "dw at " + i);
    }
  }

  @Test
  void resultsAreBitIdenticalForAnyThreadCount() {
    SplittableRandom r = new SplittableRandom(11);
    int N = 16, C = 32, H = 28, W = 28, F = 32;
    float[] x = gaussian(r, N * C * H * W);
    float[] w = gaussian(r, F * C * 9);
    float[] b = gaussian(r, F);
    float[][] outs = new float[3][];
    float[][] dxs = new float[3][];
    float[][] dws = new float[3][];
    int[] threads = {1, 2, 3};
    for (int k = 0; k < 3; k++) {
      Parallel.setThreads(threads[k]);
      outs[k] = new float[N * F * H * W];
      Winograd.forward(outs[k], 0, x, 0, w, 0, b, 0, N, C, H, W, F);
      dxs[k] = new float[N * C * H * W];
      Winograd.backwardData(dxs[k], 0, outs[k], 0, w, 0, N, C, H, W, F);
      dws[k] = new float[F * C * 9];
      Winograd.backwardFilter(dws[k], 0, x, 0, outs[k], 0, N, C, H, W, F);
    }
    assertArrayEquals(outs[0], outs[1]);
    assertArrayEquals(outs[0], outs[2]);
    assertArrayEquals(dxs[0], dxs[1]);
    assertArrayEquals(dxs[0], dxs[2]);
    assertArrayEquals(dws[0], dws[1]);
    assertArrayEquals(dws[0], dws[2]);
  }

  @Test
  void blocksStayWithinTheirBudget() {
    // 28x28 images (15 slots a tile row) with 32 channels: the block's 16 x 32 x slots floats of V
    // stay within twice the block budget, and every shape gets at least one row.
    int rows = WinogradVector.rowsPerBlock(15, 32);
    assertTrue(rows >= 1 && rows * 15 * 16 * 32 <= 2 * 96 * 1024, "rows " + rows);
    for (int tw : new int[] {1, 4, 7, 14, 16, 50}) {
      for (int ch : new int[] {1, 8, 64, 512}) {
        assertTrue(WinogradVector.rowsPerBlock(tw, ch) >= 1);
      }
    }
  }

  @Test
  void refusesToRunWithoutTheVectorApi() {
    Kernels.forceScalar(true);
    float[] x = new float[9], w = new float[9], out = new float[9];
    assertThrows(
        IllegalStateException.class,
        () -> Winograd.forward(out, 0, x, 0, w, 0, null, 0, 1, 1, 3, 3, 1));
    assertTrue(!Winograd.enabled());
  }
}
