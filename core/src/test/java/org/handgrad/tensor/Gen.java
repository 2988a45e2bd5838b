package org.handgrad.tensor;

import java.util.Random;

/**
 * Random shapes and tensors in random layouts for property tests: contiguous, permuted, strided
 * slices, flipped (negative strides), offset sub-views and broadcast views, with size-1 and empty
 * dimensions. Contents are written element by element through {@link Tensor#set}.
 */
final class Gen {
  private Gen() {}

  /** Layouts a generated tensor can have. */
  enum Layout {
    CONTIGUOUS,
    PERMUTED,
    SLICED,
    FLIPPED,
    OFFSET,
    BROADCAST
  }

  static final DType[] FLOATS = {DType.FLOAT32, DType.FLOAT64};
  static final DType[] ALL = {DType.FLOAT32, DType.FLOAT64, DType.INT32};

  /** A dimension size: often 1, sometimes 0. */
  static int dim(Random r) {
    int u = r.nextInt(20);
    if (u < 2) {
      return 0;
    }
    if (u < 7) {
      return 1;
    }
    return 2 + r.nextInt(4);
  }

  static int[] shape(Random r, int maxRank) {
    int[] s = new int[r.nextInt(maxRank + 1)];
    for (int i = 0; i < s.length; i++) {
      s[i] = dim(r);
    }
    return s;
  }

  /** A shape without zero dimensions. */
  static int[] nonEmptyShape(Random r, int maxRank) {
    int[] s = shape(r, maxRank);
    for (int i = 0; i < s.length; i++) {
      s[i] = Math.max(1, s[i]);
    }
    return s;
  }

  /** A shape that broadcasts to {@code out}: some leading axes dropped, some axes set to 1. */
  static int[] broadcastable(Random r, int[] out) {
    int drop = r.nextInt(out.length + 1);
    if (r.nextBoolean()) {
      drop = 0;
    }
    int[] s = new int[out.length - drop];
    for (int i = 0; i < s.length; i++) {
      s[i] = r.nextInt(4) == 0 ? 1 : out[drop + i];
    }
    return s;
  }

  static DType pick(Random r, DType[] types) {
    return types[r.nextInt(types.length)];
  }

  /** A random value: normal, small integer (so comparisons see ties), or rarely special. */
  static double value(Random r, DType dtype, boolean specials) {
    if (dtype == DType.INT32) {
      return r.nextInt(13) - 6;
    }
    int u = r.nextInt(20);
    if (specials && u == 0) {
      double[] sp = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0};
      return sp[r.nextInt(sp.length)];
    }
    if (u < 6) {
      return r.nextInt(7) - 3;
    }
    return r.nextGaussian() * 3;
  }

  static Tensor tensor(Random r, DType dtype, int[] shape) {
    return tensor(r, dtype, shape, Layout.values()[r.nextInt(Layout.values().length)], false);
  }

  static Tensor tensor(Random r, DType dtype, int[] shape, boolean specials) {
    return tensor(r, dtype, shape, Layout.values()[r.nextInt(Layout.values().length)], specials);
  }

  /** A writable tensor (every element stored once): any layout except BROADCAST. */
  static Tensor writable(Random r, DType dtype, int[] shape) {
    Layout l = Layout.values()[r.nextInt(Layout.values().length - 1)];
    return tensor(r, dtype, shape, l, false);
  }

  static Tensor tensor(Random r, DType dtype, int[] shape, Layout layout, boolean specials) {
    int nd = shape.length;
    Tensor t;
    switch (layout) {
      case PERMUTED -> {
        int[] perm = permutation(r, nd);
        int[] stored = new int[nd];
        for (int i = 0; i < nd; i++) {
          stored[i] = shape[perm[i]];
        }
        int[] inverse = new int[nd];
        for (int i = 0; i < nd; i++) {
          inverse[perm[i]] = i;
        }
        t = Tensor.zeros(dtype, stored).permute(inverse);
      }
      case SLICED -> {
        int[] big = new int[nd];
        for (int i = 0; i < nd; i++) {
          big[i] = 2 * shape[i] + 1;
        }
        t = Tensor.zeros(dtype, big);
        for (int i = 0; i < nd; i++) {
          t = t.slice(i, 1, 1 + 2 * shape[i], 2);
        }
      }
      case FLIPPED -> {
        t = Tensor.zeros(dtype, shape);
        if (nd > 0) {
          t = t.flip(r.nextInt(nd));
        }
      }
      case OFFSET -> {
        int[] big = shape.clone();
        if (nd > 0) {
          big[0] += 2;
        }
        t = Tensor.zeros(dtype, big);
        if (nd > 0) {
          t = t.slice(0, 1, 1 + shape[0]);
        }
      }
      case BROADCAST -> {
        int[] base = shape.clone();
        for (int i = 0; i < nd; i++) {
          if (r.nextBoolean()) {
            base[i] = 1;
          }
        }
        Tensor b = tensor(r, dtype, base, Layout.CONTIGUOUS, specials);
        return b.broadcastTo(shape);
      }
      default -> t = Tensor.zeros(dtype, shape);
    }
    long n = Ref.size(shape);
    for (long i = 0; i < n; i++) {
      t.set(value(r, dtype, specials), Ref.unravel(i, shape));
    }
    return t;
  }

  static int[] permutation(Random r, int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
