package org.handgrad.tensor;

/**
 * Row loops for elementwise binary ops: {@code o[i*so] = a[i*sa] op b[i*sb]} for i in [0, n).
 *
 * <p>The switch on the op sits outside the loops so that each case is a plain counted loop the JIT
 * can vectorize. Three layouts get such loops (everything contiguous, right operand a scalar or
 * broadcast along the row, left operand broadcast) for the cheap ops used in training loops; every
 * other layout and op goes through {@link BinaryOp#apply}, which gives the same results.
 */
final class BinaryLoops {
  private BinaryLoops() {}

  static void rowF(
      BinaryOp op,
      float[] o,
      int po,
      int so,
      float[] a,
      int pa,
      int sa,
      float[] b,
      int pb,
      int sb,
      int n) {
    if (so == 1 && sa == 1 && sb == 1 && contiguousF(op, o, po, a, pa, b, pb, n)) {
      return;
    }
    if (so == 1 && sa == 1 && sb == 0 && scalarRightF(op, o, po, a, pa, b[pb], n)) {
      return;
    }
    if (so == 1 && sa == 0 && sb == 1 && scalarLeftF(op, o, po, a[pa], b, pb, n)) {
      return;
    }
    for (int i = 0; i < n; i++) {
      o[po + i * so] = (float) op.apply(a[pa + i * sa], b[pb + i * sb]);
    }
  }

  private static boolean contiguousF(
      BinaryOp op, float[] o, int po, float[] a, int pa, float[] b, int pb, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] + b[pb + i];
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] - b[pb + i];
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] * b[pb + i];
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] / b[pb + i];
        }
      }
      case MAXIMUM -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = Math.max(a[pa + i], b[pb + i]);
        }
      }
      case MINIMUM -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = Math.min(a[pa + i], b[pb + i]);
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  private static boolean scalarRightF(
      BinaryOp op, float[] o, int po, float[] a, int pa, float y, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] + y;
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] - y;
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] * y;
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] / y;
        }
      }
      case MAXIMUM -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = Math.max(a[pa + i], y);
        }
      }
      case MINIMUM -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = Math.min(a[pa + i], y);
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  private static boolean scalarLeftF(
      BinaryOp op, float[] o, int po, float x, float[] b, int pb, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = x + b[pb + i];
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = x - b[pb + i];
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = x * b[pb + i];
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = x / b[pb + i];
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  static void rowD(
      BinaryOp op,
      double[] o,
      int po,
      int so,
      double[] a,
      int pa,
      int sa,
      double[] b,
      int pb,
      int sb,
      int n) {
    if (so == 1 && sa == 1 && sb == 1 && contiguousD(op, o, po, a, pa, b, pb, n)) {
      return;
    }
    if (so == 1 && sa == 1 && sb == 0 && scalarRightD(op, o, po, a, pa, b[pb], n)) {
      return;
    }
    if (so == 1 && sa == 0 && sb == 1 && scalarLeftD(op, o, po, a[pa], b, pb, n)) {
      return;
    }
    for (int i = 0; i < n; i++) {
      o[po + i * so] = op.apply(a[pa + i * sa], b[pb + i * sb]);
    }
  }

  private static boolean contiguousD(
      BinaryOp op, double[] o, int po, double[] a, int pa, double[] b, int pb, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] + b[pb + i];
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] - b[pb + i];
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] * b[pb + i];
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] / b[pb + i];
        }
      }
      case MAXIMUM -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = Math.max(a[pa + i], b[pb + i]);
        }
      }
      case MINIMUM -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = Math.min(a[pa + i], b[pb + i]);
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  private static boolean scalarRightD(
      BinaryOp op, double[] o, int po, double[] a, int pa, double y, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] + y;
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] - y;
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] * y;
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = a[pa + i] / y;
        }
      }
      case MAXIMUM -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = Math.max(a[pa + i], y);
        }
      }
      case MINIMUM -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = Math.min(a[pa + i], y);
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  private static boolean scalarLeftD(
      BinaryOp op, double[] o, int po, double x, double[] b, int pb, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = x + b[pb + i];
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = x - b[pb + i];
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = x * b[pb + i];
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          o[po + i] = x / b[pb + i];
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  /** {@code o[i*so] += alpha * b[i*sb]} (axpy), with o read and written in place. */
  static void axpyF(float[] o, int po, int so, float alpha, float[] b, int pb, int sb, int n) {
    if (so == 1 && sb == 1) {
      for (int i = 0; i < n; i++) {
        o[po + i] += alpha * b[pb + i];
      }
    } else if (so == 1 && sb == 0) {
      float y = alpha * b[pb];
      for (int i = 0; i < n; i++) {
        o[po + i] += y;
      }
    } else {
      for (int i = 0; i < n; i++) {
        o[po + i * so] += alpha * b[pb + i * sb];
      }
    }
  }

  /** float64 twin of {@link #axpyF}. */
  static void axpyD(double[] o, int po, int so, double alpha, double[] b, int pb, int sb, int n) {
    if (so == 1 && sb == 1) {
      for (int i = 0; i < n; i++) {
        o[po + i] += alpha * b[pb + i];
      }
    } else if (so == 1 && sb == 0) {
      double y = alpha * b[pb];
      for (int i = 0; i < n; i++) {
        o[po + i] += y;
      }
    } else {
      for (int i = 0; i < n; i++) {
        o[po + i * so] += alpha * b[pb + i * sb];
      }
    }
  }
}
