package org.handgrad.tensor;

/**
 * Elementwise unary maths. Float tensors keep their type; int32 tensors give int32 for the ops that
 * map integers to integers (neg, square, relu, abs, sign, clip) and float64 otherwise, as NumPy.
 *
 * <p>Each op is one tight loop over contiguous storage: a contiguous input is read in place, any
 * other layout is first copied to a fresh row-major tensor that is then transformed in place.
 */
final class Unary {
  private Unary() {}

  static Tensor apply(UnaryOp op, Tensor x) {
    DType ct = x.dtype().isFloating() ? x.dtype() : DType.FLOAT64;
    Tensor out;
    if (x.dtype() == ct && x.isContiguous()) {
      out = Tensor.zeros(ct, x.shapeRef());
      loop(op, x, x.offset(), out, x.size());
    } else {
      out = x.to(ct);
      loop(op, out, 0, out, x.size());
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
      float[] d = out.floatStorage();
      float l = (float) lo;
      float h = (float) hi;
      for (int i = 0; i < n; i++) {
        d[i] = Math.min(Math.max(d[i], l), h);
      }
    } else {
      double[] d = out.doubleStorage();
      for (int i = 0; i < n; i++) {
        d[i] = Math.min(Math.max(d[i], lo), hi);
      }
    }
    return out;
  }

  /** dst[0..n) = op(src[off..off+n)); src and dst share a type and may be the same tensor. */
  private static void loop(UnaryOp op, Tensor src, int off, Tensor dst, int n) {
    if (dst.dtype() == DType.FLOAT32) {
      loopF(op, src.floatStorage(), off, dst.floatStorage(), n);
    } else {
      loopD(op, src.doubleStorage(), off, dst.doubleStorage(), n);
    }
  }

  private static void loopF(UnaryOp op, float[] s, int p, float[] d, int n) {
    switch (op) {
      case NEG -> {
        for (int i = 0; i < n; i++) {
          d[i] = -s[p + i];
        }
      }
      case EXP -> {
        for (int i = 0; i < n; i++) {
          d[i] = (float) Math.exp(s[p + i]);
        }
      }
      case LOG -> {
        for (int i = 0; i < n; i++) {
          d[i] = (float) Math.log(s[p + i]);
        }
      }
      case SQRT -> {
        for (int i = 0; i < n; i++) {
          d[i] = (float) Math.sqrt(s[p + i]);
        }
      }
      case SQUARE -> {
        for (int i = 0; i < n; i++) {
          float v = s[p + i];
          d[i] = v * v;
        }
      }
      case TANH -> {
        for (int i = 0; i < n; i++) {
          d[i] = (float) Math.tanh(s[p + i]);
        }
      }
      case SIGMOID -> {
        for (int i = 0; i < n; i++) {
          d[i] = (float) SpecialFunctions.sigmoid(s[p + i]);
        }
      }
      case RELU -> {
        for (int i = 0; i < n; i++) {
          d[i] = Math.max(s[p + i], 0f);
        }
      }
      case ABS -> {
        for (int i = 0; i < n; i++) {
          d[i] = Math.abs(s[p + i]);
        }
      }
      case SIGN -> {
        for (int i = 0; i < n; i++) {
          d[i] = Math.signum(s[p + i]);
        }
      }
      case ERF -> {
        for (int i = 0; i < n; i++) {
          d[i] = (float) SpecialFunctions.erf(s[p + i]);
        }
      }
    }
  }

  private static void loopD(UnaryOp op, double[] s, int p, double[] d, int n) {
    switch (op) {
      case NEG -> {
        for (int i = 0; i < n; i++) {
          d[i] = -s[p + i];
        }
      }
      case EXP -> {
        for (int i = 0; i < n; i++) {
          d[i] = Math.exp(s[p + i]);
        }
      }
      case LOG -> {
        for (int i = 0; i < n; i++) {
          d[i] = Math.log(s[p + i]);
        }
      }
      case SQRT -> {
        for (int i = 0; i < n; i++) {
          d[i] = Math.sqrt(s[p + i]);
        }
      }
      case SQUARE -> {
        for (int i = 0; i < n; i++) {
          double v = s[p + i];
          d[i] = v * v;
        }
      }
      case TANH -> {
        for (int i = 0; i < n; i++) {
          d[i] = Math.tanh(s[p + i]);
        }
      }
      case SIGMOID -> {
        for (int i = 0; i < n; i++) {
          d[i] = SpecialFunctions.sigmoid(s[p + i]);
        }
      }
      case RELU -> {
        for (int i = 0; i < n; i++) {
          d[i] = Math.max(s[p + i], 0.0);
        }
      }
      case ABS -> {
        for (int i = 0; i < n; i++) {
          d[i] = Math.abs(s[p + i]);
        }
      }
      case SIGN -> {
        for (int i = 0; i < n; i++) {
          d[i] = Math.signum(s[p + i]);
        }
      }
      case ERF -> {
        for (int i = 0; i < n; i++) {
          d[i] = SpecialFunctions.erf(s[p + i]);
        }
      }
    }
  }
}
