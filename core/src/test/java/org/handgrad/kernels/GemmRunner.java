package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs a {@link GemmCase} through one implementation path in one precision. Values travel as double
 * arrays; for float32 they are rounded to float on the way in and widened on the way out (both
 * exact for values that are already floats). Every run checks that C's padding is untouched.
 */
final class GemmRunner {
  private GemmRunner() {}

  enum Precision {
    F32,
    F64
  }

  /** Which implementation computes the product. */
  enum Path {
    /** {@link GemmScalar}, the reference twin. */
    SCALAR,
    /** The packed vector kernel on the calling thread only. */
    VECTOR,
    /** The packed vector kernel split over {@link Parallel}'s threads. */
    VECTOR_PARALLEL,
    /** The dot-product kernel ({@link SgemmDot}, {@link DgemmDot}), NT products only. */
    DOT,
    /** The public {@link Gemm} entry point with its own path choice. */
    PUBLIC;

    /** Whether this path can run the case on this JVM (the vector ones need the Vector API). */
    boolean applies(GemmCase g) {
      if (this == DOT && (g.transA() || !g.transB())) {
        return false;
      }
      return this == SCALAR || this == PUBLIC || Kernels.vectorAvailable();
    }
  }

  /**
   * Computes C = alpha op(A) op(B) + beta C on a copy of c0 and returns the whole C array.
   *
   * @param a stored A, length g.aLen(); values already representable in the precision
   * @param b stored B, length g.bLen()
   * @param c0 initial C array, length g.cLen()
   */
  static double[] run(
      GemmCase g,
      Precision prec,
      Path path,
      double[] a,
      double[] b,
      double[] c0,
      double alpha,
      double beta) {
    double[] out;
    if (prec == Precision.F32) {
      float[] c = GemmCase.toFloat(c0);
      runFloat(g, path, c, GemmCase.toFloat(a), GemmCase.toFloat(b), (float) alpha, (float) beta);
      out = new double[c.length];
      for (int i = 0; i < c.length; i++) {
        out[i] = c[i];
      }
    } else {
      out = c0.clone();
      runDouble(g, path, out, a, b, alpha, beta);
    }
    for (int x = 0; x < out.length; x++) {
      if (!g.inC(x)) {
        assertEquals(
            Double.doubleToRawLongBits(c0[x]),
            Double.doubleToRawLongBits(out[x]),
            "padding of C at index " + x + " changed, " + g + " " + prec + " " + path);
      }
    }
    return out;
  }

  private static void runFloat(
      GemmCase g, Path path, float[] c, float[] a, float[] b, float alpha, float beta) {
    int p = g.pad();
    switch (path) {
      case SCALAR ->
          GemmScalar.sgemm(
              c,
              p,
              g.ldc(),
              a,
              p,
              g.lda(),
              g.transA(),
              b,
              p,
              g.ldb(),
              g.transB(),
              g.m(),
              g.n(),
              g.k(),
              alpha,
              beta);
      case VECTOR, VECTOR_PARALLEL ->
          SgemmVector.gemm(
              c,
              p,
              g.ldc(),
              a,
              p,
              g.lda(),
              g.transA(),
              b,
              p,
              g.ldb(),
              g.transB(),
              g.m(),
              g.n(),
              g.k(),
              alpha,
              beta,
              path == Path.VECTOR_PARALLEL);
      case DOT ->
          SgemmDot.gemm(
              c, p, g.ldc(), a, p, g.lda(), b, p, g.ldb(), g.m(), g.n(), g.k(), alpha, beta);
      case PUBLIC ->
          Gemm.sgemm(
              c,
              p,
              g.ldc(),
              a,
              p,
              g.lda(),
              g.transA(),
              b,
              p,
              g.ldb(),
              g.transB(),
              g.m(),
              g.n(),
              g.k(),
              alpha,
              beta);
      default -> throw new AssertionError("no runner for " + path);
    }
  }

  private static void runDouble(
      GemmCase g, Path path, double[] c, double[] a, double[] b, double alpha, double beta) {
    int p = g.pad();
    switch (path) {
      case SCALAR ->
          GemmScalar.dgemm(
              c,
              p,
              g.ldc(),
              a,
              p,
              g.lda(),
              g.transA(),
              b,
              p,
              g.ldb(),
              g.transB(),
              g.m(),
              g.n(),
              g.k(),
              alpha,
              beta);
      case VECTOR, VECTOR_PARALLEL ->
          DgemmVector.gemm(
              c,
              p,
              g.ldc(),
              a,
              p,
              g.lda(),
              g.transA(),
              b,
              p,
              g.ldb(),
              g.transB(),
              g.m(),
              g.n(),
              g.k(),
              alpha,
              beta,
              path == Path.VECTOR_PARALLEL);
      case DOT ->
          DgemmDot.gemm(
              c, p, g.ldc(), a, p, g.lda(), b, p, g.ldb(), g.m(), g.n(), g.k(), alpha, beta);
      case PUBLIC ->
          Gemm.dgemm(
              c,
              p,
              g.ldc(),
              a,
              p,
              g.lda(),
              g.transA(),
              b,
              p,
              g.ldb(),
              g.transB(),
              g.m(),
              g.n(),
              g.k(),
              alpha,
              beta);
      default -> throw new AssertionError("no runner for " + path);
    }
  }
}
