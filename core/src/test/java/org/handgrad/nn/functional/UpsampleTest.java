package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.ConvTest.assertMessage;
import static org.handgrad.nn.functional.ConvTesting.assertClose;
import static org.handgrad.nn.functional.ConvTesting.fx;
import static org.handgrad.nn.functional.ConvTesting.fxIn;
import static org.handgrad.nn.functional.ConvTesting.fxInt;
import static org.handgrad.nn.functional.ConvTesting.tol;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

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
