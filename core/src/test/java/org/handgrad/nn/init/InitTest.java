package org.handgrad.nn.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.nn.init.Init.FanMode;
import org.handgrad.nn.init.Init.Fans;
import org.handgrad.nn.init.Init.Nonlinearity;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Statistical checks use n = 100,000 draws. For a normal sample the standard error of the sample
 * std is ~ std / sqrt(2n) (0.22% here); for a uniform one it is ~ std * sqrt(0.8 / (4n)) (0.14%).
 * Means are within std / sqrt(n) (0.32% of std) per standard error. Bounds are 5 standard errors:
 * seeded, so deterministic, and tight enough that a wrong fan (e.g. fan_out for fan_in, 400 vs 250
 * here: a 26% change in std) or a missing sqrt(3) cannot pass.
 */
class InitTest {
  private static final int D = 400;
  private static final int M = 250;
  private static final int N = D * M;

  private static double mean(Tensor t) {
    double s = 0;
    for (int i = 0; i < t.size(); i++) {
      s += t.getFlat(i);
    }
    return s / t.size();
  }

  private static double std(Tensor t) {
    double mu = mean(t);
    double s = 0;
    for (int i = 0; i < t.size(); i++) {
      s += (t.getFlat(i) - mu) * (t.getFlat(i) - mu);
    }
    return Math.sqrt(s / (t.size() - 1));
  }

  private static double maxAbs(Tensor t) {
    double m = 0;
    for (int i = 0; i < t.size(); i++) {
      m = Math.max(m, Math.abs(t.getFlat(i)));
    }
    return m;
  }

  private static void assertNormal(Tensor t, double std) {
    assertEquals(0, mean(t), 5 * std / Math.sqrt(N), "mean");
    assertEquals(std, std(t), 5 * std / Math.sqrt(2.0 * N), "std");
  }

  private static void assertUniform(Tensor t, double bound) {
    double std = bound / Math.sqrt(3);
    assertEquals(0, mean(t), 5 * std / Math.sqrt(N), "mean");
    assertEquals(std, std(t), 5 * std * Math.sqrt(0.8 / (4.0 * N)), "std");
    assertTrue(maxAbs(t) <= bound, "values within [-bound, bound]");
    assertTrue(maxAbs(t) > 0.999 * bound, "values fill the interval");
  }

  @Test
  void fansFollowOurAffineLayoutAndTheConvLayout() {
    assertEquals(new Fans(400, 250), Init.fans(400, 250)); // affine w (D, M) = (in, out)
    assertEquals(new Fans(3 * 5 * 5, 16 * 5 * 5), Init.fans(16, 3, 5, 5)); // conv (F, C, HH, WW)
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Init.fans(7));
    assertEquals(
        "init: fans need a weight of shape (D, M) or (F, C, HH, WW), got (7,)", e.getMessage());
  }

  @Test
  void gainsArePyTorchsCalculateGain() {
    assertEquals(1.0, Init.gain(Nonlinearity.LINEAR));
    assertEquals(1.0, Init.gain(Nonlinearity.SIGMOID));
    assertEquals(5.0 / 3.0, Init.gain(Nonlinearity.TANH));
    assertEquals(Math.sqrt(2), Init.gain(Nonlinearity.RELU));
    assertEquals(Math.sqrt(2 / 1.0001), Init.gain(Nonlinearity.LEAKY_RELU), 1e-16);
    assertEquals(Math.sqrt(2 / 1.04), Init.gain(Nonlinearity.LEAKY_RELU, 0.2), 1e-16);
    assertEquals(0.75, Init.gain(Nonlinearity.SELU));
  }

  @Test
  void weightScaleNormal() {
    assertNormal(Init.normal(Init.rng(1), DType.FLOAT64, Init.DEFAULT_WEIGHT_SCALE, D, M), 1e-3);
  }

  @Test
  void xavier() {
    double std = Math.sqrt(2.0 / (D + M));
    assertEquals(std, Init.xavierStd(1.0, D, M), 1e-17);
    assertNormal(Init.xavierNormal(Init.rng(2), DType.FLOAT64, 1.0, D, M), std);
    double tanh = 5.0 / 3.0;
    assertUniform(
        Init.xavierUniform(Init.rng(3), DType.FLOAT64, tanh, D, M),
        tanh * Math.sqrt(6.0 / (D + M)));
  }

  @Test
  void kaiming() {
    double relu = Init.gain(Nonlinearity.RELU);
    assertNormal(
        Init.kaimingNormal(Init.rng(4), DType.FLOAT64, FanMode.FAN_IN, relu, D, M),
        Math.sqrt(2.0 / D));
    assertNormal(
        Init.kaimingNormal(Init.rng(5), DType.FLOAT64, FanMode.FAN_OUT, relu, D, M),
        Math.sqrt(2.0 / M));
    assertUniform(
        Init.kaimingUniform(Init.rng(6), DType.FLOAT64, FanMode.FAN_IN, relu, D, M),
        Math.sqrt(6.0 / D));
    // A conv weight (F, C, HH, WW) = (40, 10, 25, 10): fan_in = 10 * 250 = 2500, N elements.
    Tensor conv =
        Init.kaimingNormal(Init.rng(7), DType.FLOAT64, FanMode.FAN_IN, relu, 40, 10, 25, 10);
    assertNormal(conv, Math.sqrt(2.0 / 2500));
  }

  @Test
  void seededFloat32AndZeros() {
    Tensor a = Init.xavierNormal(Init.rng(9), DType.FLOAT32, 1.0, 30, 20);
    Tensor b = Init.xavierNormal(Init.rng(9), DType.FLOAT32, 1.0, 30, 20);
    assertEquals(DType.FLOAT32, a.dtype());
    assertArrayEquals(a.toFloatArray(), b.toFloatArray(), 0f);
    Tensor z = Init.zeros(DType.FLOAT64, 5);
    assertEquals(0.0, maxAbs(z));
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(
        IllegalArgumentException.class, () -> Init.normal(Init.rng(1), DType.FLOAT64, -1, 3, 3));
    assertThrows(
        IllegalArgumentException.class,
        () -> Init.xavierNormal(Init.rng(1), DType.FLOAT64, 0, 3, 3));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Init.uniform(Init.rng(1), DType.INT32, 1.0, 3, 3));
    assertEquals("init: weights must be float32 or float64, got int32", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Init.kaimingStd(FanMode.FAN_OUT, 1.0, 5, 0));
    assertEquals("init: kaiming needs a nonzero FAN_OUT, got shape (5, 0)", e.getMessage());
  }
}
