package org.handgrad.tensor;

/**
 * Elementwise unary maths. Float tensors keep their type; int32 tensors give int32 for the ops that
 * map integers to integers (neg, square, relu, abs, sign, clip) and float64 otherwise, as NumPy.
 *
 * <p>Each op is one tight loop over contiguous storage: a contiguous input is read in place, any
 * other layout (or an offset view) is first copied to a fresh row-major tensor that is then
 * transformed in place.
 */
final class Unary {
  private Unary() {}

  static Tensor apply(UnaryOp op, Tensor x) {
    DType ct = x.dtype().isFloating() ? x.dtype() : DType.FLOAT64;
    Tensor out;
    if (x.dtype() == ct && x.isContiguous() && x.offset() == 0) {
      out = Tensor.zeros(ct, x.shapeRef());
      loop(op, x, out, x.size());
    } else {
      out = x.to(ct);
      loop(op, out, out, x.size());
    }
    return x.dtype() == DType.INT32 && op.keepsInt ? out.to(DType.INT32) : out;
  }

  static Tensor clip(Tensor x, double lo, double hi) {
    if (!(lo <= hi)) {
      throw new IllegalArgumentException("clip: lo " + lo + " must not exceed hi " + hi);
    }
    if (x.dtype() == DType.INT32) {
      return clip(x.to(DType.FLOAT64), lo, hi).to(DType.INT32);
    }
    Tensor out = x.copy();
    int n = out.size();
    if (out.dtype() == DType.FLOAT32) {
      clip(out.floatStorage(), n, (float) lo, (float) hi);
    } else {
      clip(out.doubleStorage(), n, lo, hi);
    }
    return out;
  }

  private static void clip(float[] d, int n, float lo, float hi) {
    for (int i = 0; i < n; i++) {
      d[i] = Math.min(Math.max(d[i], lo), hi);
    }
  }

  private static void clip(double[] d, int n, double lo, double hi) {
    for (int i = 0; i < n; i++) {
      d[i] = Math.min(Math.max(d[i], lo), hi);
    }
  }

  /**
   * dst[0..n) = op(src[0..n)); src and dst share a type and may be the same array. No offsets: C2
   * vectorizes only loops whose accesses share one offset (see {@link BinaryLoops}).
   */
  private static void loop(UnaryOp op, Tensor src, Tensor dst, int n) {
    if (dst.dtype() == DType.FLOAT32) {
      loopF(op, src.floatStorage(), dst.floatStorage(), n);
    } else {
      loopD(op, src.doubleStorage(), dst.doubleStorage(), n);
    }
  }

  private static void loopF(UnaryOp op, float[] s, float[] d, int n) {
    switch (op) {
      case NEG -> neg(s, d, n);
      case EXP -> exp(s, d, n);
      case LOG -> log(s, d, n);
      case SQRT -> sqrt(s, d, n);
      case SQUARE -> square(s, d, n);
      case TANH -> tanh(s, d, n);
      case SIGMOID -> sigmoid(s, d, n);
      case RELU -> relu(s, d, n);
      case ABS -> abs(s, d, n);
      case SIGN -> sign(s, d, n);
      case ERF -> erf(s, d, n);
    }
  }

  private static void loopD(UnaryOp op, double[] s, double[] d, int n) {
    switch (op) {
      case NEG -> neg(s, d, n);
      case EXP -> exp(s, d, n);
      case LOG -> log(s, d, n);
      case SQRT -> sqrt(s, d, n);
      case SQUARE -> square(s, d, n);
      case TANH -> tanh(s, d, n);
      case SIGMOID -> sigmoid(s, d, n);
      case RELU -> relu(s, d, n);
      case ABS -> abs(s, d, n);
      case SIGN -> sign(s, d, n);
      case ERF -> erf(s, d, n);
    }
  }

  private static void neg(float[] s, float[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = -s[i];
    }
  }

  private static void exp(float[] s, float[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = (float) Math.exp(s[i]);
    }
  }

  private static void log(float[] s, float[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = (float) Math.log(s[i]);
    }
  }

  private static void sqrt(float[] s, float[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = (float) Math.sqrt(s[i]);
    }
  }

  private static void square(float[] s, float[] d, int n) {
    for (int i = 0; i < n; i++) {
      float v = s[i];
      d[i] = v * v;
    }
  }

  private static void tanh(float[] s, float[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = (float) Math.tanh(s[i]);
    }
  }

  private static void sigmoid(float[] s, float[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = (float) SpecialFunctions.sigmoid(s[i]);
    }
  }

  private static void relu(float[] s, float[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = Math.max(s[i], 0f);
    }
  }

  private static void abs(float[] s, float[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = Math.abs(s[i]);
    }
  }

  private static void sign(float[] s, float[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = Math.signum(s[i]);
    }
  }

  private static void erf(float[] s, float[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = (float) SpecialFunctions.erf(s[i]);
    }
  }

  private static void neg(double[] s, double[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = -s[i];
    }
  }

  private static void exp(double[] s, double[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = Math.exp(s[i]);
    }
  }

  private static void log(double[] s, double[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = Math.log(s[i]);
    }
  }

  private static void sqrt(double[] s, double[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = Math.sqrt(s[i]);
    }
  }

  private static void square(double[] s, double[] d, int n) {
    for (int i = 0; i < n; i++) {
      double v = s[i];
      d[i] = v * v;
    }
  }

  private static void tanh(double[] s, double[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = Math.tanh(s[i]);
    }
  }

  private static void sigmoid(double[] s, double[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = SpecialFunctions.sigmoid(s[i]);
    }
  }

  private static void relu(double[] s, double[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = Math.max(s[i], 0.0);
    }
  }

  private static void abs(double[] s, double[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = Math.abs(s[i]);
    }
  }

  private static void sign(double[] s, double[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = Math.signum(s[i]);
    }
  }

  private static void erf(double[] s, double[] d, int n) {
    for (int i = 0; i < n; i++) {
      d[i] = SpecialFunctions.erf(s[i]);
    }
  }
}
