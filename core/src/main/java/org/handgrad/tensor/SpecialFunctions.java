package org.handgrad.tensor;

/**
 * Special functions missing from {@link Math}: the error function and its complement (used by
 * {@code Tensor.erf} and the exact GELU) and a sigmoid that cannot overflow.
 *
 * <p>Java has no {@code Math.erf}. The popular Abramowitz-Stegun 7.1.26 formula is only good to
 * about 1e-7, far from the 1e-10 agreement with PyTorch (which calls the C library's erf) that the
 * float64 tests demand. This uses W. J. Cody's rational Chebyshev approximations ("Rational
 * Chebyshev approximations for the error function", Math. Comp. 23, 1969, pp. 631-638; the
 * coefficients are those of his SPECFUN routine CALERF, 1990), which are accurate to a few ulp over
 * the whole double range:
 *
 * <ul>
 *   <li>|x| &lt;= 0.46875: erf(x) = x R1(x^2);
 *   <li>0.46875 &lt; |x| &lt;= 4: erfc(|x|) = exp(-x^2) R2(|x|);
 *   <li>|x| > 4: erfc(|x|) = exp(-x^2) / |x| (1/sqrt(pi) - R3(1/x^2) / x^2).
 * </ul>
 *
 * <p>Each branch evaluates erfc directly where it is small, so {@code erfc(x)} keeps full relative
 * accuracy in the far tail (erfc(10) ~ 2e-45) instead of cancelling in {@code 1 - erf(x)}.
 */
public final class SpecialFunctions {
  private SpecialFunctions() {}

  /** Below this |x| the erf series branch applies; above it the erfc branches. */
  private static final double SMALL = 0.46875;

  /** erfc(x) underflows to zero (below the smallest subnormal) for x beyond this. */
  private static final double ERFC_UNDERFLOW = 26.543;

  private static final double INV_SQRT_PI = 0.56418958354775628695;

  // Cody's coefficients; numerator and denominator are evaluated by Horner's rule, the
  // denominators being monic. R1 on |x| <= 0.46875 (in x^2):
  private static final double[] A = {
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
    1.85777706184603153e-1
  };
  private static final double[] B = {
    2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03
  };
  // R2 on 0.46875 < |x| <= 4 (in |x|):
  private static final double[] C = {
    5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
    8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
    2.15311535474403846e-8
  };
  private static final double[] D = {
    1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
    3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03
  };
  // R3 on |x| > 4 (in 1/x^2):
  private static final double[] P = {
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2
  };
  private static final double[] Q = {
    2.56852019228982242e00,
    1.87295284992346047e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3
  };

  /** The error function, erf(x) = 2/sqrt(pi) * integral from 0 to x of exp(-t^2) dt. */
  public static double erf(double x) {
    double y = Math.abs(x);
    if (y <= SMALL) {
      return x * smallRatio(x * x);
    }
    // (0.5 - erfc) + 0.5 rather than 1 - erfc: the first subtraction is exact for erfc <= 0.5.
    double r = (0.5 - erfcAbove(y)) + 0.5;
    return x < 0 ? -r : r;
  }

  /** The complementary error function, erfc(x) = 1 - erf(x), accurate also where it is tiny. */
  public static double erfc(double x) {
    double y = Math.abs(x);
    if (y <= SMALL) {
      return 1 - x * smallRatio(x * x);
    }
    double r = erfcAbove(y);
    return x < 0 ? 2 - r : r; // erfc(-y) = 2 - erfc(y)
  }

  /** erf(x) / x for x^2 = z <= SMALL^2. */
  private static double smallRatio(double z) {
    double num = A[4] * z;
    double den = z;
    for (int i = 0; i < 3; i++) {
      num = (num + A[i]) * z;
      den = (den + B[i]) * z;
    }
    return (num + A[3]) / (den + B[3]);
  }

  /** erfc(y) for y > SMALL. */
  private static double erfcAbove(double y) {
    if (y >= ERFC_UNDERFLOW) {
      return 0;
    }
    double r;
    if (y <= 4) {
      double num = C[8] * y;
      double den = y;
      for (int i = 0; i < 7; i++) {
        num = (num + C[i]) * y;
        den = (den + D[i]) * y;
      }
      r = (num + C[7]) / (den + D[7]);
    } else {
      double z = 1 / (y * y);
      double num = P[5] * z;
      double den = z;
      for (int i = 0; i < 4; i++) {
        num = (num + P[i]) * z;
        den = (den + Q[i]) * z;
      }
      r = (INV_SQRT_PI - z * (num + P[4]) / (den + Q[4])) / y;
    }
    return expMinusSquare(y) * r;
  }

  /**
   * exp(-y^2) without the error of rounding y^2: that rounding error (up to y^2 eps / 2 absolute)
   * becomes a relative error of the same size after exp, ~300 ulp at y = 26. Split y = hi + lo with
   * hi = floor(16 y) / 16, which has so few bits that hi^2 is exact, and y^2 = hi^2 + (y - hi)(y +
   * hi) with a small, accurately rounded second term (Cody's trick).
   */
  private static double expMinusSquare(double y) {
    double hi = Math.floor(y * 16) / 16;
    return Math.exp(-hi * hi) * Math.exp(-(y - hi) * (y + hi));
  }

  /** The logistic sigmoid 1 / (1 + exp(-x)), without overflow for large |x|. */
  public static double sigmoid(double x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    // exp(-x) would overflow for very negative x; rewrite as e / (1 + e) with e = exp(x) <= 1.
    double e = Math.exp(x);
    return e / (1 + e);
  }
}
