package org.handgrad.tensor;

import java.util.Arrays;

/**
 * Reductions over any set of axes (sum, mean, max, min, var, std) and argmax/argmin over one axis.
 *
 * <p>The input is walked once in its own memory order (so transposed inputs read sequentially),
 * accumulating into an output-shaped buffer that is read with stride 0 along the reduced axes: a
 * reduced inner axis becomes a tight row sum, a reduced outer axis becomes vectorizable row
 * additions.
 *
 * <p>Accuracy: float32 data is accumulated in a float64 buffer and rounded once at the end, so a
 * float32 sum of n values carries about n * 2^-53 relative error before that final rounding
 * (effectively exact). float64 rows are summed pairwise (as NumPy) when the reduced axis is the
 * contiguous one; sums across rows are plain accumulation. Variance is two-pass (mean first, then
 * squared deviations), which avoids the cancellation of {@code E[x^2] - E[x]^2}.
 *
 * <p>Types: float inputs keep their type. int32 inputs are reduced in float64; sum, max and min
 * return int32 (saturating beyond int range), mean, var and std return float64. Empty reductions:
 * sum gives 0, mean and var give NaN, max/min/argmax/argmin throw.
 */
final class Reductions {
  private Reductions() {}

  enum Kind {
    SUM,
    MEAN,
    MAX,
    MIN,
    VAR,
    STD
  }

  /**
   * @param axes axes to reduce (negative allowed), or null for all
   * @param ddof delta degrees of freedom for VAR/STD (divisor count - ddof)
   */
  static Tensor reduce(Kind kind, String op, Tensor x, int[] axes, boolean keepdims, int ddof) {
    int nd = x.ndim();
    boolean[] red = resolveAxes(op, axes, nd);
    int[] shape = x.shapeRef();
    int[] keepShape = new int[nd];
    long count = 1;
    for (int d = 0; d < nd; d++) {
      keepShape[d] = red[d] ? 1 : shape[d];
      if (red[d]) {
        count *= shape[d];
      }
    }
    if (count == 0 && (kind == Kind.MAX || kind == Kind.MIN)) {
      throw new IllegalArgumentException(
          op
              + ": zero-size reduction over axes "
              + Arrays.toString(reducedAxes(red))
              + " of a tensor of shape "
              + x.shapeString()
              + " has no identity");
    }
    if (ddof < 0) {
      throw new IllegalArgumentException(op + ": ddof must be >= 0, got " + ddof);
    }
    int[] accStrides = Shapes.contiguousStrides(keepShape);
    for (int d = 0; d < nd; d++) {
      if (red[d]) {
        accStrides[d] = 0;
      }
    }
    int outSize = Shapes.size(keepShape);
    Tensor src = x.dtype() == DType.INT32 ? x.to(DType.FLOAT64) : x;
    Tensor out =
        switch (kind) {
          case MAX, MIN -> extreme(kind == Kind.MAX, src, keepShape, accStrides);
          case SUM -> fromAcc(sum(src, accStrides, outSize), src.dtype(), keepShape);
          case MEAN -> {
            double[] acc = sum(src, accStrides, outSize);
            for (int i = 0; i < outSize; i++) {
              acc[i] /= count;
            }
            yield fromAcc(acc, src.dtype(), keepShape);
          }
          case VAR, STD -> {
            double[] acc = sum(src, accStrides, outSize);
            for (int i = 0; i < outSize; i++) {
              acc[i] /= count;
            }
            double[] sq = squaredDeviations(src, accStrides, acc, outSize);
            double divisor = Math.max(count - ddof, 0);
            for (int i = 0; i < outSize; i++) {
              sq[i] /= divisor;
              if (kind == Kind.STD) {
                sq[i] = Math.sqrt(sq[i]);
              }
            }
            yield fromAcc(sq, src.dtype(), keepShape);
          }
        };
    if (x.dtype() == DType.INT32 && (kind == Kind.SUM || kind == Kind.MAX || kind == Kind.MIN)) {
      out = out.to(DType.INT32);
    }
    return keepdims ? out : out.reshape(dropped(keepShape, red));
  }

  private static boolean[] resolveAxes(String op, int[] axes, int nd) {
    boolean[] red = new boolean[nd];
    if (axes == null) {
      Arrays.fill(red, true);
      return red;
    }
    for (int ax : axes) {
      int a = Shapes.axis(op, ax, nd);
      if (red[a]) {
        throw new IllegalArgumentException(
            op + ": axis " + ax + " is repeated in " + Arrays.toString(axes));
      }
      red[a] = true;
    }
    return red;
  }

  private static int[] reducedAxes(boolean[] red) {
    int k = 0;
    for (boolean r : red) {
      k += r ? 1 : 0;
    }
    int[] out = new int[k];
    for (int d = 0, j = 0; d < red.length; d++) {
      if (red[d]) {
        out[j++] = d;
      }
    }
    return out;
  }

  private static int[] dropped(int[] keepShape, boolean[] red) {
    int[] out = new int[keepShape.length - reducedAxes(red).length];
    for (int d = 0, j = 0; d < keepShape.length; d++) {
      if (!red[d]) {
        out[j++] = keepShape[d];
      }
    }
    return out;
  }

  /** A tensor of the float type of the source from a float64 buffer of the kept shape. */
  private static Tensor fromAcc(double[] acc, DType dtype, int[] keepShape) {
    if (dtype == DType.FLOAT64) {
      return Tensor.of(acc, keepShape);
    }
    float[] f = new float[acc.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) acc[i];
    }
    return Tensor.of(f, keepShape);
  }

  private static StridedLoop walk(Tensor src, int[] accStrides) {
    return new StridedLoop(
        src.shapeRef(), new int[][] {accStrides, src.stridesRef()}, new int[] {0, src.offset()}, 1);
  }

  /** Sums into a float64 buffer of the kept shape. */
  private static double[] sum(Tensor src, int[] accStrides, int outSize) {
    double[] acc = new double[outSize];
    StridedLoop it = walk(src, accStrides);
    int[] p = it.pos;
    int[] s = it.step;
    int n = it.n;
    if (src.dtype() == DType.FLOAT32) {
      float[] a = src.floatStorage();
      for (int r = 0; r < it.rows; r++, it.next()) {
        if (s[0] == 0) {
          acc[p[0]] += s[1] == 1 ? rowSum(a, p[1], n) : rowSum(a, p[1], s[1], n);
        } else {
          accumulate(acc, p[0], s[0], a, p[1], s[1], n);
        }
      }
    } else {
      double[] a = src.doubleStorage();
      for (int r = 0; r < it.rows; r++, it.next()) {
        if (s[0] == 0) {
          acc[p[0]] += s[1] == 1 ? pairwise(a, p[1], n) : rowSum(a, p[1], s[1], n);
        } else {
          accumulate(acc, p[0], s[0], a, p[1], s[1], n);
        }
      }
    }
    return acc;
  }

  // Each loop below has its own small method so that C2 compiles it well (see BinaryLoops).

  /** acc[i*so] += a[i*sa]: a reduced outer axis, one row added into the buffer. */
  private static void accumulate(double[] acc, int po, int so, float[] a, int pa, int sa, int n) {
    if (so == 1 && sa == 1) {
      accumulate(acc, po, a, pa, n);
    } else {
      for (int i = 0; i < n; i++) {
        acc[po + i * so] += a[pa + i * sa];
      }
    }
  }

  private static void accumulate(double[] acc, int po, float[] a, int pa, int n) {
    for (int i = 0; i < n; i++) {
      acc[po + i] += a[pa + i];
    }
  }

  private static void accumulate(double[] acc, int po, int so, double[] a, int pa, int sa, int n) {
    if (so == 1 && sa == 1) {
      accumulate(acc, po, a, pa, n);
    } else {
      for (int i = 0; i < n; i++) {
        acc[po + i * so] += a[pa + i * sa];
      }
    }
  }

  private static void accumulate(double[] acc, int po, double[] a, int pa, int n) {
    for (int i = 0; i < n; i++) {
      acc[po + i] += a[pa + i];
    }
  }

  /** Sum of a contiguous float32 row in float64, four accumulators keeping the adder busy. */
  private static double rowSum(float[] a, int p, int n) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      s0 += a[p + i];
      s1 += a[p + i + 1];
      s2 += a[p + i + 2];
      s3 += a[p + i + 3];
    }
    for (; i < n; i++) {
      s0 += a[p + i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  private static double rowSum(float[] a, int p, int s, int n) {
    double t = 0;
    for (int i = 0; i < n; i++) {
      t += a[p + i * s];
    }
    return t;
  }

  private static double rowSum(double[] a, int p, int s, int n) {
    double t = 0;
    for (int i = 0; i < n; i++) {
      t += a[p + i * s];
    }
    return t;
  }

  /**
   * Pairwise summation of a contiguous float64 row: blocks of up to 128 summed with four
   * accumulators, combined as a binary tree, so the error grows with log(n) instead of n.
   */
  static double pairwise(double[] a, int p, int n) {
    if (n <= 128) {
      double s0 = 0;
      double s1 = 0;
      double s2 = 0;
      double s3 = 0;
      int i = 0;
      for (; i + 4 <= n; i += 4) {
        s0 += a[p + i];
        s1 += a[p + i + 1];
        s2 += a[p + i + 2];
        s3 += a[p + i + 3];
      }
      for (; i < n; i++) {
        s0 += a[p + i];
      }
      return (s0 + s1) + (s2 + s3);
    }
    int h = (n >>> 1) & ~7;
    return pairwise(a, p, h) + pairwise(a, p + h, n - h);
  }

  /** Sum of (x - mean)^2 into a float64 buffer; mean has the buffer's layout. */
  private static double[] squaredDeviations(
      Tensor src, int[] accStrides, double[] mean, int outSize) {
    double[] acc = new double[outSize];
    StridedLoop it = walk(src, accStrides);
    int[] p = it.pos;
    int[] s = it.step;
    int n = it.n;
    boolean f32 = src.dtype() == DType.FLOAT32;
    float[] af = f32 ? src.floatStorage() : null;
    double[] ad = f32 ? null : src.doubleStorage();
    for (int r = 0; r < it.rows; r++, it.next()) {
      int po = p[0];
      int pa = p[1];
      if (s[0] == 0) {
        double m = mean[po];
        double t = 0;
        for (int i = 0; i < n; i++) {
          double d = (f32 ? af[pa + i * s[1]] : ad[pa + i * s[1]]) - m;
          t += d * d;
        }
        acc[po] += t;
      } else {
        for (int i = 0; i < n; i++) {
          int o = po + i * s[0];
          double d = (f32 ? af[pa + i * s[1]] : ad[pa + i * s[1]]) - mean[o];
          acc[o] += d * d;
        }
      }
    }
    return acc;
  }

  /** Max or min (propagating NaN, as NumPy) into a tensor of the source type and kept shape. */
  private static Tensor extreme(boolean max, Tensor src, int[] keepShape, int[] accStrides) {
    Tensor out =
        Tensor.full(
            src.dtype(), max ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY, keepShape);
    StridedLoop it = walk(src, accStrides);
    int[] p = it.pos;
    int[] s = it.step;
    if (src.dtype() == DType.FLOAT32) {
      float[] o = out.floatStorage();
      float[] a = src.floatStorage();
      for (int r = 0; r < it.rows; r++, it.next()) {
        if (s[0] == 0) {
          o[p[0]] =
              max ? rowMax(o[p[0]], a, p[1], s[1], it.n) : rowMin(o[p[0]], a, p[1], s[1], it.n);
        } else {
          extremeInto(max, o, p[0], s[0], a, p[1], s[1], it.n);
        }
      }
    } else {
      double[] o = out.doubleStorage();
      double[] a = src.doubleStorage();
      for (int r = 0; r < it.rows; r++, it.next()) {
        if (s[0] == 0) {
          o[p[0]] =
              max ? rowMax(o[p[0]], a, p[1], s[1], it.n) : rowMin(o[p[0]], a, p[1], s[1], it.n);
        } else {
          extremeInto(max, o, p[0], s[0], a, p[1], s[1], it.n);
        }
      }
    }
    return out;
  }

  private static float rowMax(float m, float[] a, int p, int s, int n) {
    int i = 0;
    if (s == 1) {
      // Four independent chains: Math.max has a latency of several cycles.
      float m1 = m;
      float m2 = m;
      float m3 = m;
      for (; i + 4 <= n; i += 4) {
        m = Math.max(m, a[p + i]);
        m1 = Math.max(m1, a[p + i + 1]);
        m2 = Math.max(m2, a[p + i + 2]);
        m3 = Math.max(m3, a[p + i + 3]);
      }
      m = Math.max(Math.max(m, m1), Math.max(m2, m3));
    }
    for (; i < n; i++) {
      m = Math.max(m, a[p + i * s]);
    }
    return m;
  }

  private static float rowMin(float m, float[] a, int p, int s, int n) {
    int i = 0;
    if (s == 1) {
      // Four independent chains: Math.min has a latency of several cycles.
      float m1 = m;
      float m2 = m;
      float m3 = m;
      for (; i + 4 <= n; i += 4) {
        m = Math.min(m, a[p + i]);
        m1 = Math.min(m1, a[p + i + 1]);
        m2 = Math.min(m2, a[p + i + 2]);
        m3 = Math.min(m3, a[p + i + 3]);
      }
      m = Math.min(Math.min(m, m1), Math.min(m2, m3));
    }
    for (; i < n; i++) {
      m = Math.min(m, a[p + i * s]);
    }
    return m;
  }

  private static double rowMax(double m, double[] a, int p, int s, int n) {
    int i = 0;
    if (s == 1) {
      // Four independent chains: Math.max has a latency of several cycles.
      double m1 = m;
      double m2 = m;
      double m3 = m;
      for (; i + 4 <= n; i += 4) {
        m = Math.max(m, a[p + i]);
        m1 = Math.max(m1, a[p + i + 1]);
        m2 = Math.max(m2, a[p + i + 2]);
        m3 = Math.max(m3, a[p + i + 3]);
      }
      m = Math.max(Math.max(m, m1), Math.max(m2, m3));
    }
    for (; i < n; i++) {
      m = Math.max(m, a[p + i * s]);
    }
    return m;
  }

  private static double rowMin(double m, double[] a, int p, int s, int n) {
    int i = 0;
    if (s == 1) {
      // Four independent chains: Math.min has a latency of several cycles.
      double m1 = m;
      double m2 = m;
      double m3 = m;
      for (; i + 4 <= n; i += 4) {
        m = Math.min(m, a[p + i]);
        m1 = Math.min(m1, a[p + i + 1]);
        m2 = Math.min(m2, a[p + i + 2]);
        m3 = Math.min(m3, a[p + i + 3]);
      }
      m = Math.min(Math.min(m, m1), Math.min(m2, m3));
    }
    for (; i < n; i++) {
      m = Math.min(m, a[p + i * s]);
    }
    return m;
  }

  private static void extremeInto(
      boolean max, float[] o, int po, int so, float[] a, int pa, int sa, int n) {
    for (int i = 0; i < n; i++) {
      int k = po + i * so;
      float v = a[pa + i * sa];
      o[k] = max ? Math.max(o[k], v) : Math.min(o[k], v);
    }
  }

  private static void extremeInto(
      boolean max, double[] o, int po, int so, double[] a, int pa, int sa, int n) {
    for (int i = 0; i < n; i++) {
      int k = po + i * so;
      double v = a[pa + i * sa];
      o[k] = max ? Math.max(o[k], v) : Math.min(o[k], v);
    }
  }

  /**
   * Index of the largest (smallest) element along one axis; the first one on ties, and the first
   * NaN if there is one (as NumPy).
   */
  static Tensor arg(boolean max, String op, Tensor x, int axis, boolean keepdims) {
    int nd = x.ndim();
    int a = Shapes.axis(op, axis, nd);
    int[] shape = x.shapeRef();
    int len = shape[a];
    int stride = x.stridesRef()[a];
    int[] keepShape = shape.clone();
    keepShape[a] = 1;
    int[] srcStrides = x.strides();
    srcStrides[a] = 0;
    int outSize = Shapes.size(keepShape);
    if (len == 0) {
      throw new IllegalArgumentException(
          op + ": axis " + axis + " of a tensor of shape " + x.shapeString() + " is empty");
    }
    int[] res = new int[outSize];
    StridedLoop it =
        new StridedLoop(
            keepShape,
            new int[][] {Shapes.contiguousStrides(keepShape), srcStrides},
            new int[] {0, x.offset()});
    for (int r = 0; r < it.rows; r++, it.next()) {
      for (int i = 0; i < it.n; i++) {
        res[it.pos[0] + i * it.step[0]] = scan(max, x, it.pos[1] + i * it.step[1], stride, len);
      }
    }
    Tensor out = Tensor.of(res, keepShape);
    if (keepdims) {
      return out;
    }
    boolean[] red = new boolean[nd];
    red[a] = true;
    return out.reshape(dropped(keepShape, red));
  }

  /** Argmax/argmin over the whole tensor in row-major order, as a 0-d int32 tensor. */
  static Tensor argAll(boolean max, String op, Tensor x) {
    if (x.size() == 0) {
      throw new IllegalArgumentException(op + ": tensor of shape " + x.shapeString() + " is empty");
    }
    return arg(max, op, x.reshape(-1), 0, false);
  }

  private static int scan(boolean max, Tensor x, int p, int s, int len) {
    switch (x.dtype()) {
      case FLOAT32 -> {
        float[] a = x.floatStorage();
        float best = a[p];
        int bi = 0;
        if (best != best) {
          return 0;
        }
        for (int j = 1; j < len; j++) {
          float v = a[p + j * s];
          if (max ? v > best : v < best) {
            best = v;
            bi = j;
          } else if (v != v) {
            return j;
          }
        }
        return bi;
      }
      case FLOAT64 -> {
        double[] a = x.doubleStorage();
        double best = a[p];
        int bi = 0;
        if (best != best) {
          return 0;
        }
        for (int j = 1; j < len; j++) {
          double v = a[p + j * s];
          if (max ? v > best : v < best) {
            best = v;
            bi = j;
          } else if (v != v) {
            return j;
          }
        }
        return bi;
      }
      default -> {
        int[] a = x.intStorage();
        int best = a[p];
        int bi = 0;
        for (int j = 1; j < len; j++) {
          int v = a[p + j * s];
          if (max ? v > best : v < best) {
            best = v;
            bi = j;
          }
        }
        return bi;
      }
    }
  }
}
