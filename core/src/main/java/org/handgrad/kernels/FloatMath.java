package org.handgrad.kernels;

/**
 * float32 elementary functions for the elementwise and softmax kernels: exp, erfc (and the scaled
 * erfcx), tanh and the logistic sigmoid, evaluated in float32 arithmetic with fused multiply-adds.
 *
 * <p>These are the scalar twins of the lane-wise functions in {@link ElementwiseVector}: both
 * perform the same float operations in the same order (a fused multiply-add where the other has
 * one, the same constants, the same branch selection), so a vector kernel and its scalar twin give
 * bit-identical results. {@code Math.exp} and friends are double-precision and cannot be mirrored
 * lane by lane; the Vector API has no erf at all, and its EXP/TANH (SVML calls on x86) are several
 * times slower than the short polynomials here.
 *
 * <h2>Accuracy (measured by {@code FloatMathTest} against double-precision references)</h2>
 *
 * <p>Errors in units of the float32 spacing at the exact value (ulp; 1 ulp is 6e-8 to 1.2e-7
 * relative):
 *
 * <ul>
 *   <li>{@link #exp}: Cody-Waite range reduction and Moshier's degree-6 minimax polynomial from the
 *       Cephes library ({@code expf.c}; S. L. Moshier, "Methods and Programs for Mathematical
 *       Functions", 1989): at most 1.01 ulp on [-87.3, 88]. Subnormal results (x below ln(2^-126) =
 *       -87.34) are rounded from the same value (gradual underflow); exp(x) = 0 for x &lt; -104,
 *       exp(-inf) = 0, exp(NaN) = NaN. Valid for x up to 88.
 *   <li>{@link #erfcx}, {@link #erfc}: erfc(z) = exp(-z^2) erfcx(z) with erfcx(z) = t Q(t), t = 1 /
 *       (1 + p z), p = 0.35: the substitution of Numerical Recipes' Chebyshev-fitted {@code erfcc}
 *       (Press, Teukolsky, Vetterling and Flannery, "Numerical Recipes", 3rd ed. 2007, section
 *       6.2.2), with Q a degree-11 polynomial that we fitted by weighted Chebyshev least squares to
 *       mpmath's erfcx on z in [0, 9.5] ({@code scripts/fit_erfcx_f32.py}). The formula itself,
 *       with the float32-rounded coefficients, is within 1.8e-8 relative of erfcx (0.15 ulp, well
 *       below float32 epsilon 1.2e-7). Evaluated in float32 (the rounding of t and Horner's rule,
 *       worst near z = 0), erfcx is within 5.8 ulp and erfc within 6.5 ulp (3.9e-7 relative) of the
 *       double-precision {@code SpecialFunctions.erfc} on [0, 9.3], relative to the result all the
 *       way to erfc's float32 underflow near z = 9.3; 3.4 ulp on [-6, 0]. The rounding of z^2 is
 *       not lost: z^2 = hi + lo exactly (an FMA gives lo) and exp(-z^2) = exp(-hi) (1 - lo), the
 *       float32 form of Cody's splitting in {@code SpecialFunctions}. For comparison, the A&amp;S
 *       7.1.26 formula common in float32 GELU kernels has an absolute error of 1.5e-7 and no
 *       relative accuracy in the tail.
 *   <li>{@link #normalCdf}: Phi(x) within 6.5 ulp on [-13, 13] (relative, also where Phi is tiny).
 *   <li>{@link #tanh}: Moshier's Cephes {@code tanhf.c}: an odd polynomial for |x| &lt; 0.625, else
 *       1 - 2e / (1 + e) with e = exp(-2|x|), where the small 2e / (1 + e) carries the rounding
 *       errors and the last subtraction rounds once: at most 1.33 ulp (near the branch point), 0.59
 *       ulp for |x| &gt;= 2, where the backward's 1 - tanh^2 reads every bit of the output.
 *   <li>{@link #sigmoid}: 1 / (1 + e) or e / (1 + e) with e = exp(-|x|), which never overflows; at
 *       most 2.5 ulp.
 * </ul>
 */
final class FloatMath {
  private FloatMath() {}

  // ---------------------------------------------------------------- exp (Cephes expf)

  static final float LOG2E = 1.44269504088896341f;

  /** ln 2 split as in Cephes: C1 has few bits, so n * C1 is exact for |n| &lt;= 2^9. */
  static final float LN2_HI = 0.693359375f;

  static final float LN2_LO = -2.12194440e-4f;

  /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer. */
  static final float ROUND = 12582912f;

  /** The bits of ROUND: ROUND + n has the bits ROUND_BITS + n for |n| &lt; 2^22. */
  static final int ROUND_BITS = 0x4B400000;

  /** Below this, exp(x) is less than half the smallest subnormal float: exactly 0. */
  static final float EXP_MIN = -104f;

  static final float E0 = 1.9875691500e-4f;
  static final float E1 = 1.3981999507e-3f;
  static final float E2 = 8.3334519073e-3f;
  static final float E3 = 4.1665795894e-2f;
  static final float E4 = 1.6666665459e-1f;
  static final float E5 = 5.0000001201e-1f;

  /**
   * exp(x) for x &lt;= 88: n = round(x log2 e), r = x - n ln 2 (two FMA steps, the first exact),
   * exp(r) = 1 + r + r^2 P(r), times 2^n. 2^n is applied as 2^n1 * 2^n2 with n1 = floor(n / 2),
   * each built from exponent bits, so that n down to -150 (subnormal results, gradual underflow)
   * needs no special case.
   */
  static float exp(float x) {
    float t = Math.fma(x, LOG2E, ROUND);
    float n = t - ROUND;
    float r = Math.fma(n, -LN2_HI, x);
    r = Math.fma(n, -LN2_LO, r);
    float p = Math.fma(E0, r, E1);
    p = Math.fma(p, r, E2);
    p = Math.fma(p, r, E3);
    p = Math.fma(p, r, E4);
    p = Math.fma(p, r, E5);
    float y = Math.fma(p, r * r, r) + 1f;
    int ni = Float.floatToRawIntBits(t) - ROUND_BITS;
    int n1 = ni >> 1;
    float s1 = Float.intBitsToFloat((n1 + 127) << 23);
    float s2 = Float.intBitsToFloat((ni - n1 + 127) << 23);
    return x < EXP_MIN ? 0f : y * s1 * s2;
  }

  // ---------------------------------------------------------------- erfc

  /** The t = 1 / (1 + P_T z) substitution of erfcx. */
  static final float P_T = 0.35f;

  /** Q(t) coefficients, constant term first (scripts/fit_erfcx_f32.py). */
  static final float Q0 = 0.19746172f;

  static final float Q1 = 0.19757496f;
  static final float Q2 = 0.18426181f;
  static final float Q3 = 0.16762815f;
  static final float Q4 = 0.10398916f;
  static final float Q5 = 0.13873462f;
  static final float Q6 = -0.011078198f;
  static final float Q7 = 0.01532573f;
  static final float Q8 = 0.11371935f;
  static final float Q9 = -0.18942656f;
  static final float Q10 = 0.10030078f;
  static final float Q11 = -0.018491536f;

  /**
   * Inputs are clamped to this before squaring: erfc(16) and exp(-16^2 / 2) are far below the
   * float32 range, and the clamp keeps x * x finite for any finite or infinite x.
   */
  static final float CLAMP = 16f;

  /**
   * The scaled complementary error function erfcx(z) = exp(z^2) erfc(z), for 0 &lt;= z &lt;= 16
   * (fitted on [0, 9.5], beyond which erfc underflows anyway; it decays smoothly like 1 / (z sqrt
   * pi)).
   */
  static float erfcx(float z) {
    float t = 1f / Math.fma(P_T, z, 1f);
    float q = Math.fma(Q11, t, Q10);
    q = Math.fma(q, t, Q9);
    q = Math.fma(q, t, Q8);
    q = Math.fma(q, t, Q7);
    q = Math.fma(q, t, Q6);
    q = Math.fma(q, t, Q5);
    q = Math.fma(q, t, Q4);
    q = Math.fma(q, t, Q3);
    q = Math.fma(q, t, Q2);
    q = Math.fma(q, t, Q1);
    q = Math.fma(q, t, Q0);
    return q * t;
  }

  /**
   * The complementary error function, relatively accurate in the tail (see the class comment);
   * erfc(NaN) = NaN.
   */
  static float erfc(float z) {
    float a = Math.min(Math.abs(z), CLAMP);
    float hi = a * a;
    float lo = Math.fma(a, a, -hi); // a^2 = hi + lo exactly
    float e = exp(-hi);
    e = Math.fma(-lo, e, e); // exp(-hi - lo) = exp(-hi) (1 - lo), |lo| <= ulp(hi) / 2
    float r = e * erfcx(a);
    return z < 0 ? 2f - r : r;
  }

  /**
   * The error function as 1 - erfc(z): absolutely accurate to a few float ulp of 1, but, unlike
   * erfc in the tail, not relatively accurate near z = 0.
   */
  static float erf(float z) {
    return 1f - erfc(z);
  }

  // ---------------------------------------------------------------- normal CDF (for GELU)

  static final float SQRT1_2 = 0.70710678118654752440f;
  static final float INV_SQRT_2PI = 0.39894228040143267794f;

  /**
   * Phi(-|x|) and phi(x) for GELU: with a = min(|x|, 16), E = exp(-a^2 / 2) (from the exact split
   * of a^2), phi = E / sqrt(2 pi) and Phi(-a) = E erfcx(a / sqrt 2) / 2. Only a / sqrt 2 is
   * rounded, and erfcx is well conditioned; the exponent a^2 / 2 itself carries no rounding error.
   *
   * @return E, exp(-min(|x|,16)^2 / 2)
   */
  static float halfSquareExp(float a) {
    float hi = a * a;
    float lo = Math.fma(a, a, -hi);
    float e = exp(-0.5f * hi);
    return Math.fma(-0.5f * lo, e, e);
  }

  /** Standard normal CDF Phi(x), relatively accurate for x &lt; 0 (Phi(-13) = 6e-39). */
  static float normalCdf(float x) {
    float a = Math.min(Math.abs(x), CLAMP);
    float c = 0.5f * halfSquareExp(a) * erfcx(a * SQRT1_2); // Phi(-a)
    return x < 0 ? c : 1f - c;
  }

  // ---------------------------------------------------------------- tanh (Cephes tanhf)

  static final float TANH_SMALL = 0.625f;
  static final float T0 = -5.70498872745e-3f;
  static final float T1 = 2.06390887954e-2f;
  static final float T2 = -5.37397155531e-2f;
  static final float T3 = 1.33314422036e-1f;
  static final float T4 = -3.33332819422e-1f;

  /** tanh(x): both branches on |x|, then x's sign; tanh(NaN) = NaN, tanh(+-inf) = +-1. */
  static float tanh(float x) {
    float a = Math.abs(x);
    float z = a * a;
    float p = Math.fma(T0, z, T1);
    p = Math.fma(p, z, T2);
    p = Math.fma(p, z, T3);
    p = Math.fma(p, z, T4);
    float small = Math.fma(a * z, p, a);
    float e = exp(-2f * a);
    float large = 1f - 2f * e / (1f + e);
    return Math.copySign(a < TANH_SMALL ? small : large, x);
  }

  // ---------------------------------------------------------------- sigmoid

  /**
   * sigma(x) = 1 / (1 + e) for x &gt;= 0 and e / (1 + e) for x &lt; 0, with e = exp(-|x|) &lt;= 1:
   * never forms exp of a large positive number. sigma(-0.0) = 0.5, sigma(NaN) = NaN.
   */
  static float sigmoid(float x) {
    float e = exp(-Math.abs(x));
    float s = 1f / (1f + e);
    return x < 0 ? e * s : s;
  }
}
