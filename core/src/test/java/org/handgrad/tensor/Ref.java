package org.handgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * Naive index-by-index reference implementations for the tests. Everything here reads and writes
 * single elements through {@link Tensor#get(int...)} and {@link Tensor#set(double, int...)}, never
 * through strides or storage, so it is independent of the code under test.
 */
final class Ref {
  private Ref() {}

  /** Row-major multi-index of a flat position. */
  static int[] unravel(long flat, int[] shape) {
    int[] idx = new int[shape.length];
    for (int d = shape.length - 1; d >= 0; d--) {
      idx[d] = (int) (flat % shape[d]);
      flat /= shape[d];
    }
    return idx;
  }

  static long size(int[] shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  /** Values in row-major order, read one by one. */
  static double[] values(Tensor t) {
    int[] shape = t.shape();
    double[] out = new double[(int) size(shape)];
    for (int i = 0; i < out.length; i++) {
      out[i] = t.get(unravel(i, shape));
    }
    return out;
  }

  /** Broadcast shape by NumPy's rule, or null. */
  static int[] broadcastShape(int[] a, int[] b) {
    int n = Math.max(a.length, b.length);
    int[] out = new int[n];
    for (int i = 1; i <= n; i++) {
      int da = i <= a.length ? a[a.length - i] : 1;
      int db = i <= b.length ? b[b.length - i] : 1;
      if (da != db && da != 1 && db != 1) {
        return null;
      }
      out[n - i] = da == 1 ? db : da;
    }
    return out;
  }

  /** The index into an operand of shape {@code s} that broadcasting maps out-index idx to. */
  static int[] sourceIndex(int[] idx, int[] s) {
    int[] out = new int[s.length];
    int lead = idx.length - s.length;
    for (int d = 0; d < s.length; d++) {
      out[d] = s[d] == 1 ? 0 : idx[lead + d];
    }
    return out;
  }

  /** Reference broadcasting binary op, computing in double and storing into {@code out} type. */
  static Tensor binary(Tensor a, Tensor b, DoubleBinaryOperator f, DType out) {
    int[] shape = broadcastShape(a.shape(), b.shape());
    Tensor r = Tensor.zeros(out, shape);
    long n = size(shape);
    for (long i = 0; i < n; i++) {
      int[] idx = unravel(i, shape);
      double x = a.get(sourceIndex(idx, a.shape()));
      double y = b.get(sourceIndex(idx, b.shape()));
      r.set(f.applyAsDouble(x, y), idx);
    }
    return r;
  }

  static Tensor unary(Tensor a, DoubleUnaryOperator f, DType out) {
    int[] shape = a.shape();
    Tensor r = Tensor.zeros(out, shape);
    for (long i = 0; i < size(shape); i++) {
      int[] idx = unravel(i, shape);
      r.set(f.applyAsDouble(a.get(idx)), idx);
    }
    return r;
  }

  /** Kind of reference reduction. */
  enum Red {
    SUM,
    MEAN,
    MAX,
    MIN,
    VAR,
    STD
  }

  /** Reference reduction with keepdims, computed from the list of values of each output cell. */
  static double[] reduce(Tensor x, boolean[] axes, Red kind, int ddof) {
    int[] shape = x.shape();
    int[] keep = shape.clone();
    for (int d = 0; d < shape.length; d++) {
      if (axes[d]) {
        keep[d] = 1;
      }
    }
    int outN = (int) size(keep);
    double[] out = new double[outN];
    for (int o = 0; o < outN; o++) {
      int[] oi = unravel(o, keep);
      // Enumerate every input index that maps to oi.
      java.util.List<Double> vals = new java.util.ArrayList<>();
      for (long i = 0; i < size(shape); i++) {
        int[] idx = unravel(i, shape);
        boolean match = true;
        for (int d = 0; d < shape.length && match; d++) {
          match = axes[d] || idx[d] == oi[d];
        }
        if (match) {
          vals.add(x.get(idx));
        }
      }
      out[o] = combine(vals, kind, ddof);
    }
    return out;
  }

  private static double combine(java.util.List<Double> v, Red kind, int ddof) {
    double s = 0;
    for (double d : v) {
      s += d;
    }
    switch (kind) {
      case SUM:
        return s;
      case MEAN:
        return s / v.size();
      case MAX:
        {
          double m = Double.NEGATIVE_INFINITY;
          for (double d : v) {
            m = Double.isNaN(d) || Double.isNaN(m) ? Double.NaN : Math.max(m, d);
          }
          return m;
        }
      case MIN:
        {
          double m = Double.POSITIVE_INFINITY;
          for (double d : v) {
            m = Double.isNaN(d) || Double.isNaN(m) ? Double.NaN : Math.min(m, d);
          }
          return m;
        }
      default:
        {
          double mean = s / v.size();
          double q = 0;
          for (double d : v) {
            q += (d - mean) * (d - mean);
          }
          double var = q / Math.max(v.size() - ddof, 0);
          return kind == Red.VAR ? var : Math.sqrt(var);
        }
    }
  }

  /** Reference matmul of two tensors of rank >= 2 with broadcast batch axes. */
  static Tensor matmul(Tensor a, Tensor b, DType out) {
    int[] as = a.shape();
    int[] bs = b.shape();
    int m = as[as.length - 2];
    int k = as[as.length - 1];
    int n = bs[bs.length - 1];
    int[] ab = java.util.Arrays.copyOf(as, as.length - 2);
    int[] bb = java.util.Arrays.copyOf(bs, bs.length - 2);
    int[] batch = broadcastShape(ab, bb);
    int[] shape = java.util.Arrays.copyOf(batch, batch.length + 2);
    shape[batch.length] = m;
    shape[batch.length + 1] = n;
    Tensor r = Tensor.zeros(out, shape);
    for (long bi = 0; bi < size(batch); bi++) {
      int[] bidx = unravel(bi, batch);
      int[] ia = java.util.Arrays.copyOf(sourceIndex(bidx, ab), ab.length + 2);
      int[] ib = java.util.Arrays.copyOf(sourceIndex(bidx, bb), bb.length + 2);
      int[] io = java.util.Arrays.copyOf(bidx, batch.length + 2);
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double s = 0;
          for (int p = 0; p < k; p++) {
            ia[ab.length] = i;
            ia[ab.length + 1] = p;
            ib[bb.length] = p;
            ib[bb.length + 1] = j;
            s += a.get(ia) * b.get(ib);
          }
          io[batch.length] = i;
          io[batch.length + 1] = j;
          r.set(s, io);
        }
      }
    }
    return r;
  }

  /** Asserts equal shape, dtype and values (NaN equals NaN), exactly. */
  static void assertSame(Tensor expected, Tensor actual, String context) {
    assertClose(expected, actual, 0, 0, context);
  }

  /** Asserts equal shape and dtype, and |e - a| <= atol + rtol * |e| for every element. */
  static void assertClose(
      Tensor expected, Tensor actual, double rtol, double atol, String context) {
    assertArrayEquals(expected.shape(), actual.shape(), context + ": shape");
    assertEquals(expected.dtype(), actual.dtype(), context + ": dtype");
    double[] e = values(expected);
    double[] a = values(actual);
    for (int i = 0; i < e.length; i++) {
      boolean ok =
          (Double.isNaN(e[i]) && Double.isNaN(a[i]))
              || e[i] == a[i]
              || Math.abs(e[i] - a[i]) <= atol + rtol * Math.abs(e[i]);
      if (!ok) {
        fail(
            context
                + ": element "
                + java.util.Arrays.toString(unravel(i, expected.shape()))
                + " expected "
                + e[i]
                + " but was "
                + a[i]);
      }
    }
  }
}
