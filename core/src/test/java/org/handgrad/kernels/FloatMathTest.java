package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.tensor.SpecialFunctions;
import org.junit.jupiter.api.Test;

/**
 * The float32 elementary functions against double-precision references on dense grids. Errors are
 * measured in units of the float32 spacing at the reference value ({@code Math.ulp((float) ref)}),
 * and the maxima are printed, so the figures quoted in {@link FloatMath} can be re-measured.
 */
class FloatMathTest {
  /** Max error in float ulp of f against ref over {@code n + 1} points of [lo, hi]. */
  private static double maxUlp(
      java.util.function.DoubleUnaryOperator ref,
      java.util.function.DoubleUnaryOperator f,
      double lo,
      double hi,
      int n,
      String what) {
    double worst = 0;
    double at = Double.NaN;
    for (int i = 0; i <= n; i++) {
      float x = (float) (lo + (hi - lo) * i / n);
      double want = ref.applyAsDouble(x);
      double got = f.applyAsDouble(x);
      if (want == 0 && got == 0) {
        continue;
      }
      double ulp = Math.ulp((float) want);
      if (Math.abs(want) < Float.MIN_NORMAL) {
        ulp = Float.MIN_VALUE; // subnormal results are flushed: not measured here
        continue;
      }
      double e = Math.abs(got - want) / ulp;
      if (e > worst) {
        worst = e;
        at = x;
      }
    }
    System.out.printf("%s: max error %.2f float ulp at x = %s%n", what, worst, at);
    return worst;
  }

  @Test
  void expIsWithinTwoUlp() {
    double e =
        maxUlp(Math::exp, x -> FloatMath.exp((float) x), -87.3, 88.0, 2_000_000, "exp [-87.3, 88]");
    assertTrue(e <= 2, "exp error " + e);
  }

  @Test
  void expSpecialValues() {
    assertEquals(1f, FloatMath.exp(0f));
    assertEquals(1f, FloatMath.exp(-0f));
    assertEquals(0f, FloatMath.exp(Float.NEGATIVE_INFINITY));
    assertEquals((float) Math.exp(-88), FloatMath.exp(-88f), "subnormal");
    assertEquals((float) Math.exp(-100), FloatMath.exp(-100f), "subnormal");
    assertEquals(0f, FloatMath.exp(-104.5f));
    assertEquals(0f, FloatMath.exp(-1000f));
    assertEquals(Float.POSITIVE_INFINITY, FloatMath.exp(88.8f));
    assertTrue(Float.isNaN(FloatMath.exp(Float.NaN)));
    assertTrue(FloatMath.exp(-87.3f) >= Float.MIN_NORMAL);
  }

  /**
   * The erfcx polynomial alone (exact arithmetic would give 1.8e-8 relative, see the fit script),
   * and erfc against the double-precision Cody rational approximation in SpecialFunctions, relative
   * to the result all the way down to the float32 underflow near z = 9.3.
   */
  @Test
  void erfcIsRelativelyAccurateIntoTheTail() {
    double ex =
        maxUlp(
            z -> Math.exp(z * z) * SpecialFunctions.erfc(z),
            z -> FloatMath.erfcx((float) z),
            0,
            9.3,
            1_000_000,
            "erfcx [0, 9.3]");
    double ep =
        maxUlp(
            SpecialFunctions::erfc,
            z -> FloatMath.erfc((float) z),
            0,
            9.3,
            1_000_000,
            "erfc [0, 9.3]");
    double en =
        maxUlp(
            SpecialFunctions::erfc, z -> FloatMath.erfc((float) z), -6, 0, 600_000, "erfc [-6, 0]");
    double erf =
        maxUlp(
            SpecialFunctions::erf, z -> FloatMath.erf((float) z), 0.5, 6, 600_000, "erf [0.5, 6]");
    assertTrue(ex <= 6, "erfcx error " + ex);
    assertTrue(ep <= 7, "erfc error " + ep);
    assertTrue(en <= 4, "erfc error on the negative side " + en);
    assertTrue(erf <= 4, "erf error " + erf);
  }

  @Test
  void erfcSpecialValues() {
    assertEquals(1f, FloatMath.erfc(0f));
    float e10 = FloatMath.erfc(10f); // 2.09e-45: subnormal, 1.4e-45 or 2.8e-45
    assertTrue(e10 > 0 && e10 < 3e-45, "erfc(10) = " + e10);
    assertEquals(0f, FloatMath.erfc(11f));
    assertEquals(0f, FloatMath.erfc(Float.POSITIVE_INFINITY));
    assertEquals(2f, FloatMath.erfc(Float.NEGATIVE_INFINITY));
    assertTrue(Float.isNaN(FloatMath.erfc(Float.NaN)));
  }

  @Test
  void normalCdfIsRelativelyAccurateForNegativeX() {
    double e =
        maxUlp(
            x -> 0.5 * SpecialFunctions.erfc(-x / Math.sqrt(2)),
            x -> FloatMath.normalCdf((float) x),
            -13,
            13,
            1_000_000,
            "Phi [-13, 13]");
    assertTrue(e <= 7, "Phi error " + e);
  }

  @Test
  void tanhAndSigmoidAreWithinTwoUlp() {
    double t = maxUlp(Math::tanh, x -> FloatMath.tanh((float) x), -12, 12, 1_000_000, "tanh");
    double ts =
        maxUlp(Math::tanh, x -> FloatMath.tanh((float) x), -1e-3, 1e-3, 100_000, "tanh near 0");
    double s =
        maxUlp(
            x -> 1 / (1 + Math.exp(-x)),
            x -> FloatMath.sigmoid((float) x),
            -87,
            30,
            1_000_000,
            "sigmoid");
    double tl = maxUlp(Math::tanh, x -> FloatMath.tanh((float) x), 2, 9, 500_000, "tanh [2, 9]");
    assertTrue(t <= 1.5, "tanh error " + t);
    assertTrue(tl <= 0.6, "tanh error near saturation " + tl);
    assertTrue(ts <= 1, "tanh error near 0 " + ts);
    assertTrue(s <= 3, "sigmoid error " + s);
    assertEquals(1f, FloatMath.tanh(Float.POSITIVE_INFINITY));
    assertEquals(-1f, FloatMath.tanh(Float.NEGATIVE_INFINITY));
    assertEquals(-0f, FloatMath.tanh(-0f));
    assertEquals(0.5f, FloatMath.sigmoid(-0f));
    assertEquals(0f, FloatMath.sigmoid(-1000f));
    assertEquals(1f, FloatMath.sigmoid(1000f));
  }
}
