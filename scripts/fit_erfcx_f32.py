"""Fits the float32 erfcx polynomial of core/.../kernels/FloatMath.java.

erfcx(z) = exp(z^2) erfc(z) is approximated on z in [0, 9.5] as t * Q(t) with t = 1 / (1 + p z),
p = float32(0.35) (the substitution of Numerical Recipes' erfcc, Press et al. 2007, section 6.2.2),
and Q of degree 11, fitted by weighted (relative) Chebyshev least squares at 600 Chebyshev nodes of
t against mpmath's erfc at 30 digits. Prints the coefficients (constant term first, as float32) and
the maximum relative error of the formula with float32-rounded coefficients, in exact arithmetic,
on a dense grid of float32 z.

Needs numpy and mpmath (Debian: python3-numpy, python3-mpmath). Run: /usr/bin/python3 scripts/fit_erfcx_f32.py
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 30
Z_MAX = 9.5  # erfc(z) underflows float32 (below 2^-126) near z = 9.3
P = float(np.float32(0.35))
DEGREE = 11


def erfcx(z):
    return mp.exp(z * z) * mp.erfc(z)


def main():
    t_min = 1 / (1 + P * Z_MAX)
    k = np.arange(600)
    nodes = (t_min + 1) / 2 + (1 - t_min) / 2 * np.cos(np.pi * (k + 0.5) / len(k))
    q = np.array([float(erfcx(mp.mpf((1 / t - 1) / P)) / mp.mpf(t)) for t in nodes])
    cheb = np.polynomial.chebyshev.Chebyshev.fit(nodes, q, DEGREE, domain=[t_min, 1], w=1 / q)
    coef = cheb.convert(kind=np.polynomial.Polynomial, domain=[0, 1], window=[0, 1]).coef
    coef32 = coef.astype(np.float32)
    z = np.linspace(0, Z_MAX, 6001).astype(np.float32).astype(np.float64)
    ref = np.array([float(erfcx(mp.mpf(v))) for v in z])
    t = 1 / (1 + P * z)
    approx = np.polynomial.polynomial.polyval(t, coef32.astype(np.float64)) * t
    print("p = %r, degree %d" % (P, DEGREE))
    for i, c in enumerate(coef32):
        print("Q%d = %sf" % (i, np.format_float_positional(c, unique=True)))
    print("max relative error of t Q(t), float32 coefficients, exact arithmetic: %.2e"
          % np.max(np.abs(approx / ref - 1)))


if __name__ == "__main__":
    main()
