package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.handgrad.kernels.ActivationKernels.Activation;
import org.handgrad.tensor.SpecialFunctions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The float32 activation kernels: the Vector API path against its scalar twin (bit for bit, on
 * awkward sizes and offsets, including special values), both against double-precision formulas, and
 * the same results for any thread count.
 */
class ActivationKernelsTest {
  private static final int LF = ElementwiseVector.LF;

  /** Awkward sizes: empty, one, around the lane count, primes, and several parallel chunks. */
  private static int[] sizes() {
    return new int[] {
      0, 1, LF - 1, LF, LF + 1, 2 * LF + 3, 13, 31, 97, 1009, ActivationKernels.GRAIN * 2 + 7
    };
  }

  private static final float[] SPECIALS = {
    0f,
    -0f,
    1e-3f,
    -1e-3f,
    Float.MIN_VALUE,
    -Float.MIN_NORMAL,
    0.625f,
    -0.625f,
    5f,
    -5f,
    9.3f,
    -9.3f,
    13.2f,
    -13.2f,
    16f,
    -16f,
    40f,
    -40f,
    87.5f,
    -87.5f,
    800f,
    -800f,
    1e20f,
    -1e20f,
    Float.MAX_VALUE,
    -Float.MAX_VALUE,
    Float.POSITIVE_INFINITY,
    Float.NEGATIVE_INFINITY,
    Float.NaN,
    Float.intBitsToFloat(0xffc00000) // a NaN with the sign bit set
  };

  /** Normal draws times 3, with the special values sprinkled in. */
  private static float[] data(SplittableRandom rng, int n, boolean specials) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (3 * rng.nextGaussian());
      if (specials && rng.nextInt(4) == 0) {
        a[i] = SPECIALS[rng.nextInt(SPECIALS.length)];
      }
    }
    return a;
  }

  /** The forward output (the backward operand of sigmoid and tanh) or the input. */
  private static float[] operand(Activation f, float[] x) {
    if (f.backwardOperand().equals("x")) {
      return x;
    }
    float[] y = new float[x.length];
    ActivationKernels.forwardScalar(f, y, 0, x, 0, x.length);
    return y;
  }

  @ParameterizedTest
  @EnumSource(Activation.class)
  void vectorMatchesScalarTwinBitForBit(Activation f) {
    assertTrue(Kernels.vectorAvailable(), "tests run with jdk.incubator.vector");
    SplittableRandom rng = new SplittableRandom(f.ordinal());
    for (int n : sizes()) {
      for (int off : new int[] {0, 3}) {
        float[] x = data(rng, n + off, true);
        float[] dy = data(rng, n + off, false);
        float[] c = operand(f, x);
        float[] want = new float[n + off + 2];
        float[] got = new float[n + off + 2];
        ActivationKernels.forwardScalar(f, want, 1, x, off, n);
        ElementwiseVector.forward(f, got, 1, x, off, n);
        assertArrayEquals(want, got, f + " forward n=" + n + " off=" + off);
        ActivationKernels.backwardScalar(f, want, 2, dy, off, c, off, n);
        ElementwiseVector.backward(f, got, 2, dy, off, c, off, n);
        assertArrayEquals(want, got, f + " backward n=" + n + " off=" + off);
      }
    }
  }

  /** The lane-wise exp, erfc and erfcx against FloatMath, bit for bit, specials included. */
  @Test
  void laneWiseFunctionsMatchFloatMathBitForBit() {
    SplittableRandom rng = new SplittableRandom(13);
    float[] x = data(rng, 64 * LF, true);
    float[] e = new float[LF];
    for (int i = 0; i < x.length; i += LF) {
      jdk.incubator.vector.FloatVector v =
          jdk.incubator.vector.FloatVector.fromArray(ElementwiseVector.F, x, i);
      ElementwiseVector.exp(v.abs().neg()).intoArray(e, 0);
      for (int k = 0; k < LF; k++) {
        assertEquals(FloatMath.exp(-Math.abs(x[i + k])), e[k], "exp at " + x[i + k]);
      }
      ElementwiseVector.erfc(v).intoArray(e, 0);
      for (int k = 0; k < LF; k++) {
        assertEquals(FloatMath.erfc(x[i + k]), e[k], "erfc at " + x[i + k]);
      }
      ElementwiseVector.erfcx(v.abs().min(16f)).intoArray(e, 0);
      for (int k = 0; k < LF; k++) {
        assertEquals(FloatMath.erfcx(Math.min(Math.abs(x[i + k]), 16f)), e[k], "erfcx");
      }
    }
  }

  /** The switch picks the path; both give the same through the public entry. */
  @ParameterizedTest
  @EnumSource(Activation.class)
  void publicEntryHonoursTheSwitch(Activation f) {
    SplittableRandom rng = new SplittableRandom(7);
    int n = 3 * ActivationKernels.GRAIN + 5;
    float[] x = data(rng, n, true);
    float[] a = new float[n];
    float[] b = new float[n];
    Kernels.forceScalar(true);
    try {
      ActivationKernels.forward(f, a, 0, x, 0, n);
    } finally {
      Kernels.forceScalar(false);
    }
    ActivationKernels.forward(f, b, 0, x, 0, n);
    assertArrayEquals(a, b);
  }

  @ParameterizedTest
  @EnumSource(Activation.class)
  void sameResultForAnyThreadCount(Activation f) {
    SplittableRandom rng = new SplittableRandom(11);
    int n = 5 * ActivationKernels.GRAIN + 17;
    float[] x = data(rng, n, true);
    float[] dy = data(rng, n, false);
    float[] c = operand(f, x);
    int saved = Parallel.threads();
    float[] want = null;
    float[] wantDx = null;
    try {
      for (int t : new int[] {1, 2, 3, 5}) {
        Parallel.setThreads(t);
        float[] y = new float[n];
        float[] dx = new float[n];
        ActivationKernels.forward(f, y, 0, x, 0, n);
        ActivationKernels.backward(f, dx, 0, dy, 0, c, 0, n);
        if (want == null) {
          want = y;
          wantDx = dx;
        } else {
          assertArrayEquals(want, y, f + " forward with " + t + " threads");
          assertArrayEquals(wantDx, dx, f + " backward with " + t + " threads");
        }
      }
    } finally {
      Parallel.setThreads(saved);
    }
  }

  // ---------------------------------------------------------------- against double formulas

  private static double phi(double x) {
    return 0.5 * SpecialFunctions.erfc(-x / Math.sqrt(2));
  }

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  private static final double K = Math.sqrt(2 / Math.PI);

  private static DoubleUnaryOperator forwardRef(Activation f) {
    return switch (f) {
      case RELU -> x -> Math.max(x, 0);
      case SIGMOID -> ActivationKernelsTest::sigmoid;
      case TANH -> Math::tanh;
      case GELU -> x -> x * phi(x);
      case GELU_TANH -> x -> x * sigmoid(2 * K * (x + 0.044715 * x * x * x));
      case SILU -> x -> x * sigmoid(x);
    };
  }

  /** The derivative as a function of x. */
  private static DoubleUnaryOperator gradRef(Activation f) {
    return switch (f) {
      case RELU -> x -> x > 0 ? 1 : 0;
      case SIGMOID -> x -> sigmoid(x) * (1 - sigmoid(x));
      case TANH -> x -> 1 - Math.tanh(x) * Math.tanh(x);
      case GELU -> x -> phi(x) + x * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
      case GELU_TANH ->
          x -> {
            double s = sigmoid(2 * K * (x + 0.044715 * x * x * x));
            return s + 2 * x * s * (1 - s) * K * (1 + 3 * 0.044715 * x * x);
          };
      case SILU -> x -> sigmoid(x) * (1 + x * (1 - sigmoid(x)));
    };
  }

  /**
   * Forward within a few float ulp of the double formula, relative to the value (on [-12, 12];
   * below 1e-30, where GELU-tanh's sigmoid factor is subnormal and has lost bits, absolutely); the
   * derivative relative to max(|f'|, 0.1), since GELU's and SiLU's derivatives cross zero where
   * their two terms cancel. Sigmoid's and tanh's derivatives are compared with the double formula
   * at the rounded float32 output they read (as PyTorch's do): near saturation, 1 - out is all
   * rounding.
   */
  @ParameterizedTest
  @EnumSource(Activation.class)
  void closeToDoublePrecision(Activation f) {
    DoubleUnaryOperator fr = forwardRef(f);
    DoubleUnaryOperator gr = gradRef(f);
    int n = 200_001;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (-12 + 24.0 * i / (n - 1));
    }
    float[] y = new float[n];
    float[] dx = new float[n];
    float[] ones = new float[n];
    java.util.Arrays.fill(ones, 1f);
    ActivationKernels.forward(f, y, 0, x, 0, n);
    ActivationKernels.backward(f, dx, 0, ones, 0, operand(f, x), 0, n);
    double worstY = 0;
    double worstDx = 0;
    for (int i = 0; i < n; i++) {
      double v = x[i];
      double wy = fr.applyAsDouble(v);
      double out = y[i];
      double wd =
          switch (f) {
            case SIGMOID -> out * (1 - out);
            case TANH -> 1 - out * out;
            default -> gr.applyAsDouble(v);
          };
      worstY = Math.max(worstY, Math.abs(y[i] - wy) / Math.max(Math.abs(wy), 1e-30));
      worstDx = Math.max(worstDx, Math.abs(dx[i] - wd) / Math.max(Math.abs(wd), 0.1));
    }
    System.out.printf("%s: max relative error forward %.2e, derivative %.2e%n", f, worstY, worstDx);
    // GELU-tanh's tail is x exp(-2|u|) with 2|u| up to ~130 at x = -12: rounding u in float32
    // (a few ulp, relative) moves exp's argument by ~1e-5, and so its value relatively.
    double tolY = f == Activation.GELU_TANH ? 3e-5 : 1e-6;
    assertTrue(worstY < tolY, f + " forward relative error " + worstY);
    assertTrue(worstDx < 2e-6, f + " derivative relative error " + worstDx);
  }

  @Test
  void specialValuesFollowPyTorch() {
    float[] x = {-0f, 0f, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -800f};
    float[] y = new float[x.length];
    ActivationKernels.forward(Activation.RELU, y, 0, x, 0, x.length);
    assertEquals(0f, y[0]); // relu(-0.0) = +0.0
    assertTrue(Float.isNaN(y[2]));
    assertEquals(0f, y[3]);
    ActivationKernels.forward(Activation.GELU, y, 0, x, 0, x.length);
    assertTrue(Float.isNaN(y[2]));
    assertTrue(Float.isNaN(y[3]), "-inf * Phi(-inf) = -inf * 0, NaN as in PyTorch");
    assertEquals(Float.POSITIVE_INFINITY, y[4]);
    assertEquals(-0f, y[5]);
    ActivationKernels.forward(Activation.SIGMOID, y, 0, x, 0, x.length);
    assertEquals(0.5f, y[0]);
    assertEquals(0f, y[3]);
    assertEquals(1f, y[4]);
    float[] dx = new float[x.length];
    float[] dy = {2f, 2f, 2f, 2f, 2f, 2f};
    ActivationKernels.backward(Activation.RELU, dx, 0, dy, 0, x, 0, x.length);
    assertArrayEquals(new float[] {0f, 0f, 2f, 0f, 2f, 0f}, dx, "relu'(0) = 0; NaN passes dout");
    // gelu(-10) = -7.6198530241605261e-23: relative accuracy survives in float32 too.
    ActivationKernels.forward(Activation.GELU, y, 0, new float[] {-10f}, 0, 1);
    assertEquals(-7.6198530241605261e-23, y[0], 1e-6 * 7.62e-23);
  }

  @Test
  void rejectsSpansOutsideTheArrays() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ActivationKernels.forward(Activation.GELU, new float[4], 0, new float[8], 2, 5));
    assertEquals(
        "ActivationKernels.forward(GELU): span [off=0, n=5) outside an array of length 4",
        e.getMessage());
  }
}
