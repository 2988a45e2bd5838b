package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.ConvTest.assertMessage;
import static org.handgrad.nn.functional.ConvTesting.assertClose;
import static org.handgrad.nn.functional.ConvTesting.fx;
import static org.handgrad.nn.functional.ConvTesting.fxIn;
import static org.handgrad.nn.functional.ConvTesting.fxInt;
import static org.handgrad.nn.functional.ConvTesting.randn;
import static org.handgrad.nn.functional.ConvTesting.tol;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UpsampleTest {
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "nearest_x2, FLOAT64",
    "nearest_x2, FLOAT32",
    "nearest_x3, FLOAT64",
    "nearest_x3, FLOAT32",
    "bilinear_x2, FLOAT64",
    "bilinear_x2, FLOAT32",
    "bilinear_x3, FLOAT64",
    "bilinear_x3, FLOAT32"
  })
  void matchesPyTorch(String c, DType dt) {
    Tensor x = fxIn(c + "_x", dt), dout = fxIn(c + "_dout", dt);
    int s = fxInt(c + "_scale");
    String k = c + (dt == DType.FLOAT64 ? "_f64_" : "_f32_");
    boolean bilinear = c.startsWith("bilinear");
    Forward<Upsample.Cache> f =
        bilinear ? Upsample.upsampleBilinearForward(x, s) : Upsample.upsampleNearestForward(x, s);
    Tensor dx =
        bilinear
            ? Upsample.upsampleBilinearBackward(dout, f.cache()).dx()
            : Upsample.upsampleNearestBackward(dout, f.cache()).dx();
    assertClose(k + "out", f.out(), fx(k + "out"), tol(dt));
    assertClose(k + "dx", dx, fx(k + "dx"), tol(dt));
  }

  /**
   * Nearest against its definition, looped the naive way: {@code out[n, c, i, j] = x[n, c, i / s, j
   * / s]}, and dx[n, c, h, w] the sum of dout over its s x s block in row-major order (so float
   * sums agree exactly), for factors 1 to 3 and odd sizes.
   */
  @ParameterizedTest(name = "s={0} {1}")
  @CsvSource({"1, FLOAT32", "2, FLOAT32", "3, FLOAT32", "2, FLOAT64", "3, FLOAT64"})
  void nearestMatchesTheNaiveLoops(int s, DType dt) {
    int N = 3, C = 5, H = 7, W = 5;
    Tensor x = randn(1, dt, N, C, H, W), dout = randn(2, dt, N, C, H * s, W * s);
    Forward<Upsample.Cache> f = Upsample.upsampleNearestForward(x, s);
    Tensor dx = Upsample.upsampleNearestBackward(dout, f.cache()).dx();
    for (int n = 0; n < N; n++) {
      for (int c = 0; c < C; c++) {
        for (int i = 0; i < H * s; i++) {
          for (int j = 0; j < W * s; j++) {
            assertEquals(x.get(n, c, i / s, j / s), f.out().get(n, c, i, j));
          }
        }
        for (int h = 0; h < H; h++) {
          for (int w = 0; w < W; w++) {
            double sum = 0;
            for (int a = 0; a < s; a++) {
              for (int b = 0; b < s; b++) {
                double g = dout.get(n, c, h * s + a, w * s + b);
                sum = dt == DType.FLOAT32 ? (float) (sum + g) : sum + g;
              }
            }
            assertEquals(sum, dx.get(n, c, h, w), "dx at " + List.of(n, c, h, w));
          }
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"nearest", "bilinear"})
  void upsamplingIsTheSameForAnyThreadCount(String mode) {
    // 128 planes of 32 x 32 out: enough work (Parallel.MIN_PARALLEL_WORK) to be split
    Tensor x = randn(3, DType.FLOAT32, 8, 16, 16, 16),
        dout = randn(4, DType.FLOAT32, 8, 16, 32, 32);
    ThreadCounts.assertSameForAnyThreadCount(
        () -> {
          boolean bl = mode.equals("bilinear");
          Forward<Upsample.Cache> f =
              bl ? Upsample.upsampleBilinearForward(x, 2) : Upsample.upsampleNearestForward(x, 2);
          Tensor dx =
              bl
                  ? Upsample.upsampleBilinearBackward(dout, f.cache()).dx()
                  : Upsample.upsampleNearestBackward(dout, f.cache()).dx();
          return List.of(f.out(), dx);
        });
  }

  @Test
  void bilinearOnOneRowUsesHalfPixelCentres() {
    // [0, 4] upsampled x2 with align_corners=False samples at -0.25 (clamped to 0), 0.25, 0.75,
    // 1.25 (the last neighbour clamps to index 1): 0, 1, 3, 4.
    Tensor x = Tensor.of(new double[] {0, 4}, 1, 1, 1, 2);
    Tensor out = Upsample.upsampleBilinearForward(x, 2).out();
    assertArrayEquals(new double[] {0, 1, 3, 4, 0, 1, 3, 4}, out.toDoubleArray(), 1e-15);
    Tensor nearest = Upsample.upsampleNearestForward(x, 2).out();
    assertArrayEquals(new double[] {0, 0, 4, 4, 0, 0, 4, 4}, nearest.toDoubleArray());
    Tensor scale1 = Upsample.upsampleBilinearForward(x, 1).out();
    assertArrayEquals(x.toDoubleArray(), scale1.toDoubleArray());
  }

  @Test
  void badInputsAreRejected() {
    Tensor x = Tensor.zeros(DType.FLOAT32, 1, 2, 3, 3);
    assertMessage(
        "upsample_bilinear2d: scale must be >= 1, got 0",
        () -> Upsample.upsampleBilinearForward(x, 0));
    assertMessage(
        "upsample_nearest2d: expected x (N, C, H, W), got (2, 3, 3)",
        () -> Upsample.upsampleNearestForward(Tensor.zeros(DType.FLOAT32, 2, 3, 3), 2));
    Upsample.Cache cache = Upsample.upsampleNearestForward(x, 2).cache();
    assertMessage(
        "upsample_nearest2d backward: expected dout with the forward output shape (1, 2, 6, 6),"
            + " got (1, 2, 3, 3)",
        () -> Upsample.upsampleNearestBackward(x, cache));
  }
}
