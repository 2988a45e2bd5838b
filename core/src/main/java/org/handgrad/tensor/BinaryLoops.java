package org.handgrad.tensor;

/**
 * Row loops for elementwise binary ops: {@code o[i*so] = a[i*sa] op b[i*sb]} for i in [0, n).
 *
 * <p>The op's switch sits outside the loops so each case is a plain counted loop. Contiguous rows,
 * rows against a scalar (a broadcast value) and scalar against rows get such loops; every other
 * layout goes through {@link BinaryOp#apply}, which gives the same results (for float32, + - * /
 * computed in double and rounded equal the float operations).
 *
 * <p>Why the single offset {@code p}: HotSpot's C2 (JDK 17, and still 25) only vectorizes a loop
 * whose array accesses all share one loop-invariant offset; with {@code o[po+i] = a[pa+i] +
 * b[pb+i]} it cannot rule out overlap between the arrays and falls back to scalar code, 3-4x
 * slower. When the offsets differ (a bias row added to row r of a batch: o and a at r*D, b at 0)
 * and the output is a separate array, the odd operand is first copied into the output row with
 * {@link System#arraycopy} and the op then runs in place there.
 */
final class BinaryLoops {
  private BinaryLoops() {}

  /** Row loop for float operands; see the class comment. */
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
    if (so == 1 && sa == 1 && sb == 1) {
      if (po == pa && pa == pb) {
        vv(op, o, a, b, po, n);
        return;
      }
      if (o != a && o != b) {
        // Stage the misaligned operand in the output row so that the loop has a single offset.
        if (po == pa) {
          System.arraycopy(b, pb, o, po, n);
          vv(op, o, a, o, po, n);
          return;
        }
        if (po == pb) {
          System.arraycopy(a, pa, o, po, n);
          vv(op, o, o, b, po, n);
          return;
        }
      }
    } else if (so == 1 && sa == 1 && sb == 0) {
      if (po != pa && o != a) {
        System.arraycopy(a, pa, o, po, n);
        vs(op, o, o, b[pb], po, n);
        return;
      }
      if (po == pa) {
        vs(op, o, a, b[pb], po, n);
        return;
      }
    } else if (so == 1 && sa == 0 && sb == 1) {
      if (po != pb && o != b) {
        System.arraycopy(b, pb, o, po, n);
        sv(op, o, a[pa], o, po, n);
        return;
      }
      if (po == pb) {
        sv(op, o, a[pa], b, po, n);
        return;
      }
    }
    for (int i = 0; i < n; i++) {
      o[po + i * so] = (float) op.apply(a[pa + i * sa], b[pb + i * sb]);
    }
  }

  /** o[p+i] = a[p+i] op b[p+i]; o may be a or b (same positions). */
  private static void vv(BinaryOp op, float[] o, float[] a, float[] b, int p, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] + b[p + i];
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] - b[p + i];
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] * b[p + i];
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] / b[p + i];
        }
      }
      case MAXIMUM -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = Math.max(a[p + i], b[p + i]);
        }
      }
      case MINIMUM -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = Math.min(a[p + i], b[p + i]);
        }
      }
      case EQ -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] == b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case NE -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] != b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case LT -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] < b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case LE -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] <= b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case GT -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] > b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case GE -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] >= b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      default -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = (float) op.apply(a[p + i], b[p + i]);
        }
      }
    }
  }

  /** o[p+i] = a[p+i] op y. */
  private static void vs(BinaryOp op, float[] o, float[] a, float y, int p, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] + y;
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] - y;
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] * y;
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] / y;
        }
      }
      case MAXIMUM -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = Math.max(a[p + i], y);
        }
      }
      case MINIMUM -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = Math.min(a[p + i], y);
        }
      }
      case EQ -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] == y ? 1 : 0;
          o[p + i] = t;
        }
      }
      case NE -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] != y ? 1 : 0;
          o[p + i] = t;
        }
      }
      case LT -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] < y ? 1 : 0;
          o[p + i] = t;
        }
      }
      case LE -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] <= y ? 1 : 0;
          o[p + i] = t;
        }
      }
      case GT -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] > y ? 1 : 0;
          o[p + i] = t;
        }
      }
      case GE -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] >= y ? 1 : 0;
          o[p + i] = t;
        }
      }
      default -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = (float) op.apply(a[p + i], y);
        }
      }
    }
  }

  /** o[p+i] = x op b[p+i]. */
  private static void sv(BinaryOp op, float[] o, float x, float[] b, int p, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = x + b[p + i];
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = x - b[p + i];
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = x * b[p + i];
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = x / b[p + i];
        }
      }
      case MAXIMUM -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = Math.max(x, b[p + i]);
        }
      }
      case MINIMUM -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = Math.min(x, b[p + i]);
        }
      }
      case EQ -> {
        for (int i = 0; i < n; i++) {
          int t = x == b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case NE -> {
        for (int i = 0; i < n; i++) {
          int t = x != b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case LT -> {
        for (int i = 0; i < n; i++) {
          int t = x < b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case LE -> {
        for (int i = 0; i < n; i++) {
          int t = x <= b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case GT -> {
        for (int i = 0; i < n; i++) {
          int t = x > b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case GE -> {
        for (int i = 0; i < n; i++) {
          int t = x >= b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      default -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = (float) op.apply(x, b[p + i]);
        }
      }
    }
  }

  /** {@code o[i*so] += alpha * b[i*sb]} (axpy), with o read and written in place. */
  static void axpyF(float[] o, int po, int so, float alpha, float[] b, int pb, int sb, int n) {
    if (so == 1 && sb == 1 && po == pb) {
      for (int i = 0; i < n; i++) {
        o[po + i] += alpha * b[po + i];
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

  /** Row loop for double operands; see the class comment. */
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
    if (so == 1 && sa == 1 && sb == 1) {
      if (po == pa && pa == pb) {
        vv(op, o, a, b, po, n);
        return;
      }
      if (o != a && o != b) {
        // Stage the misaligned operand in the output row so that the loop has a single offset.
        if (po == pa) {
          System.arraycopy(b, pb, o, po, n);
          vv(op, o, a, o, po, n);
          return;
        }
        if (po == pb) {
          System.arraycopy(a, pa, o, po, n);
          vv(op, o, o, b, po, n);
          return;
        }
      }
    } else if (so == 1 && sa == 1 && sb == 0) {
      if (po != pa && o != a) {
        System.arraycopy(a, pa, o, po, n);
        vs(op, o, o, b[pb], po, n);
        return;
      }
      if (po == pa) {
        vs(op, o, a, b[pb], po, n);
        return;
      }
    } else if (so == 1 && sa == 0 && sb == 1) {
      if (po != pb && o != b) {
        System.arraycopy(b, pb, o, po, n);
        sv(op, o, a[pa], o, po, n);
        return;
      }
      if (po == pb) {
        sv(op, o, a[pa], b, po, n);
        return;
      }
    }
    for (int i = 0; i < n; i++) {
      o[po + i * so] = op.apply(a[pa + i * sa], b[pb + i * sb]);
    }
  }

  /** o[p+i] = a[p+i] op b[p+i]; o may be a or b (same positions). */
  private static void vv(BinaryOp op, double[] o, double[] a, double[] b, int p, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] + b[p + i];
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] - b[p + i];
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] * b[p + i];
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] / b[p + i];
        }
      }
      case MAXIMUM -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = Math.max(a[p + i], b[p + i]);
        }
      }
      case MINIMUM -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = Math.min(a[p + i], b[p + i]);
        }
      }
      case EQ -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] == b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case NE -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] != b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case LT -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] < b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case LE -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] <= b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case GT -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] > b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case GE -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] >= b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      default -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = op.apply(a[p + i], b[p + i]);
        }
      }
    }
  }

  /** o[p+i] = a[p+i] op y. */
  private static void vs(BinaryOp op, double[] o, double[] a, double y, int p, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] + y;
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] - y;
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] * y;
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = a[p + i] / y;
        }
      }
      case MAXIMUM -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = Math.max(a[p + i], y);
        }
      }
      case MINIMUM -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = Math.min(a[p + i], y);
        }
      }
      case EQ -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] == y ? 1 : 0;
          o[p + i] = t;
        }
      }
      case NE -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] != y ? 1 : 0;
          o[p + i] = t;
        }
      }
      case LT -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] < y ? 1 : 0;
          o[p + i] = t;
        }
      }
      case LE -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] <= y ? 1 : 0;
          o[p + i] = t;
        }
      }
      case GT -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] > y ? 1 : 0;
          o[p + i] = t;
        }
      }
      case GE -> {
        for (int i = 0; i < n; i++) {
          int t = a[p + i] >= y ? 1 : 0;
          o[p + i] = t;
        }
      }
      default -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = op.apply(a[p + i], y);
        }
      }
    }
  }

  /** o[p+i] = x op b[p+i]. */
  private static void sv(BinaryOp op, double[] o, double x, double[] b, int p, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = x + b[p + i];
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = x - b[p + i];
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = x * b[p + i];
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = x / b[p + i];
        }
      }
      case MAXIMUM -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = Math.max(x, b[p + i]);
        }
      }
      case MINIMUM -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = Math.min(x, b[p + i]);
        }
      }
      case EQ -> {
        for (int i = 0; i < n; i++) {
          int t = x == b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case NE -> {
        for (int i = 0; i < n; i++) {
          int t = x != b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case LT -> {
        for (int i = 0; i < n; i++) {
          int t = x < b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case LE -> {
        for (int i = 0; i < n; i++) {
          int t = x <= b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case GT -> {
        for (int i = 0; i < n; i++) {
          int t = x > b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      case GE -> {
        for (int i = 0; i < n; i++) {
          int t = x >= b[p + i] ? 1 : 0;
          o[p + i] = t;
        }
      }
      default -> {
        for (int i = 0; i < n; i++) {
          o[p + i] = op.apply(x, b[p + i]);
        }
      }
    }
  }

  /** {@code o[i*so] += alpha * b[i*sb]} (axpy), with o read and written in place. */
  static void axpyD(double[] o, int po, int so, double alpha, double[] b, int pb, int sb, int n) {
    if (so == 1 && sb == 1 && po == pb) {
      for (int i = 0; i < n; i++) {
        o[po + i] += alpha * b[po + i];
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
