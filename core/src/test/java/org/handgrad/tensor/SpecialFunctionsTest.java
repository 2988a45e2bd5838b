package org.handgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SpecialFunctionsTest {
  private static final MathContext MC = new MathContext(90);
  private static final BigDecimal PI =
      new BigDecimal(
          "3.14159265358979323846264338327950288419716939937510"
              + "58209749445923078164062862089986280348253421170679");
  private static final BigDecimal TWO_OVER_SQRT_PI = BigDecimal.valueOf(2).divide(PI.sqrt(MC), MC);

  /** erf from its Maclaurin series in 90-digit arithmetic: exact enough for any double x <= 7. */
  static double erfReference(double xd) {
    BigDecimal x = new BigDecimal(xd);
    BigDecimal x2 = x.multiply(x, MC).negate();
    BigDecimal term = x; // (-1)^n x^(2n+1) / n!
    BigDecimal sum = x;
    BigDecimal eps = new BigDecimal("1e-60");
    for (int n = 1; n < 2000; n++) {
      term = term.multiply(x2, MC).divide(BigDecimal.valueOf(n), MC);
      BigDecimal t = term.divide(BigDecimal.valueOf(2L * n + 1), MC);
      sum = sum.add(t, MC);
      if (t.abs().compareTo(eps) < 0) {
        break;
      }
    }
    return sum.multiply(TWO_OVER_SQRT_PI, MC).doubleValue();
  }

  /** Cody's approximations are documented to a few ulp; the correctly rounded values are below. */
  private static void assertUlps(double expected, double actual, int ulps) {
    assertTrue(
        Math.abs(expected - actual) <= ulps * Math.ulp(expected),
        "expected " + expected + " within " + ulps + " ulp, got " + actual);
  }

  @Test
  void knownValues() {
    assertEquals(0.0, SpecialFunctions.erf(0.0));
    assertUlps(0.5204998778130465, SpecialFunctions.erf(0.5), 1);
    assertUlps(0.8427007929497149, SpecialFunctions.erf(1.0), 1);
    assertUlps(0.9953222650189527, SpecialFunctions.erf(2.0), 1);
    assertUlps(0.9999779095030014, SpecialFunctions.erf(3.0), 1);
    assertUlps(-0.8427007929497149, SpecialFunctions.erf(-1.0), 1);
    assertEquals(1.0, SpecialFunctions.erf(10.0));
    assertEquals(-1.0, SpecialFunctions.erf(Double.NEGATIVE_INFINITY));
    assertTrue(Double.isNaN(SpecialFunctions.erf(Double.NaN)));
  }

  @Test
  void accurateToOneInTenToTheFifteenAgainstHighPrecisionSeries() {
    Random r = new Random(7);
    double worst = 0;
    double[] edges = {1.0 / 32, 0.5, 3.0, 6.0, 1e-300, 1e-10, 0.25, 2.9999999, 5.999, 0.09375};
    for (int i = 0; i < 1500 + edges.length; i++) {
      double x = i < edges.length ? edges[i] : (r.nextDouble() * 13 - 6.5);
      if (i < edges.length && r.nextBoolean()) {
        x = Math.nextDown(x);
      }
      double ref = erfReference(x);
      double got = SpecialFunctions.erf(x);
      double err = Math.abs(got - ref) / Math.max(Math.abs(ref), Double.MIN_NORMAL);
      worst = Math.max(worst, err);
      assertTrue(err <= 1e-15, "erf(" + x + ") = " + got + ", reference " + ref);
    }
    assertTrue(worst < 5e-16, "worst relative error " + worst);
  }
}
