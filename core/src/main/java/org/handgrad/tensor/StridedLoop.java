package org.handgrad.tensor;

/**
 * Walks several operands of one logical shape, each with its own strides and offset, as a sequence
 * of rows: the innermost dimension is handed to a tight loop, the outer ones are stepped by an
 * odometer.
 *
 * <p>Before walking, size-1 dimensions are dropped and adjacent dimensions are merged whenever
 * every operand is laid out contiguously across them, so contiguous operands of any rank become a
 * single long row (the JIT vectorizes that loop), and a bias added to a (N, D) batch becomes N rows
 * of length D with stride 0 for nothing but the outer step. Usage:
 *
 * <pre>{@code
 * StridedLoop it = new StridedLoop(shape, new int[][] {outStrides, aStrides}, new int[] {0, aOff});
 * for (int r = 0; r < it.rows; r++, it.next()) {
 *   kernel(out, it.pos[0], it.step[0], a, it.pos[1], it.step[1], it.n);
 * }
 * }</pre>
 */
final class StridedLoop {
  /** Number of rows; 0 when the shape has a zero dimension. */
  final int rows;

  /** Length of each row (1 for a rank-0 or all-ones shape). */
  final int n;

  /** Storage position of the current row's first element, per operand. */
  final int[] pos;

  /** Stride within a row, per operand. */
  final int[] step;

  private final int[] dims;
  private final int[][] strides; // strides[d][operand] for the outer dimensions
  private final int[] idx;

  /** A walk in the logical (row-major) order of {@code shape}. */
  StridedLoop(int[] shape, int[][] operandStrides, int[] offsets) {
    this(shape, operandStrides, offsets, -1);
  }

  /**
   * A walk over {@code shape}.
   *
   * @param operandStrides strides of each operand, each of length shape.length
   * @param offsets storage offset of each operand
   * @param orderBy operand whose memory order the walk follows (dimensions sorted by decreasing
   *     stride of that operand), or -1 for row-major order of the shape. Reductions follow the
   *     input so that a transposed input is still read sequentially.
   */
  StridedLoop(int[] shape, int[][] operandStrides, int[] offsets, int orderBy) {
    int m = offsets.length;
    pos = offsets.clone();
    step = new int[m];
    int size = Shapes.size(shape);
    if (size == 0) {
      rows = 0;
      n = 0;
      dims = new int[0];
      strides = new int[0][];
      idx = new int[0];
      return;
    }
    // Dimensions that matter (size > 1), in walk order.
    int[] order = new int[shape.length];
    int k = 0;
    for (int d = 0; d < shape.length; d++) {
      if (shape[d] != 1) {
        order[k++] = d;
      }
    }
    if (orderBy >= 0) {
      sortByStride(order, k, operandStrides[orderBy]);
    }
    // Merge from the innermost dimension outwards.
    int[] mDims = new int[k];
    int[][] mStrides = new int[k][];
    int groups = 0;
    for (int j = k - 1; j >= 0; j--) {
      int d = order[j];
      if (groups > 0 && mergeable(operandStrides, d, mDims[groups - 1], mStrides[groups - 1])) {
        mDims[groups - 1] *= shape[d];
      } else {
        int[] s = new int[m];
        for (int o = 0; o < m; o++) {
          s[o] = operandStrides[o][d];
        }
        mDims[groups] = shape[d];
        mStrides[groups] = s;
        groups++;
      }
    }
    if (groups == 0) {
      n = 1;
      rows = 1;
      dims = new int[0];
      strides = new int[0][];
      idx = new int[0];
      return;
    }
    n = mDims[0];
    System.arraycopy(mStrides[0], 0, step, 0, m);
    // Outer groups, outermost first.
    dims = new int[groups - 1];
    strides = new int[groups - 1][];
    int r = 1;
    for (int g = 1; g < groups; g++) {
      dims[groups - 1 - g] = mDims[g];
      strides[groups - 1 - g] = mStrides[g];
      r *= mDims[g];
    }
    rows = r;
    idx = new int[dims.length];
  }

  /** Dimension d (outer) merges into the group (inner) when every operand steps evenly across. */
  private static boolean mergeable(
      int[][] operandStrides, int d, int innerSize, int[] innerStrides) {
    for (int o = 0; o < innerStrides.length; o++) {
      if (operandStrides[o][d] != innerStrides[o] * innerSize) {
        return false;
      }
    }
    return true;
  }

  /**
   * Insertion sort (ranks are small) of the first k dimensions by decreasing absolute stride;
   * stride 0 (a broadcast input) goes outermost so the inner loop never rereads one value.
   */
  private static void sortByStride(int[] order, int k, int[] s) {
    for (int i = 1; i < k; i++) {
      int d = order[i];
      long key = sortKey(s[d]);
      int j = i - 1;
      while (j >= 0 && sortKey(s[order[j]]) < key) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = d;
    }
  }

  private static long sortKey(int stride) {
    return stride == 0 ? Long.MAX_VALUE : Math.abs((long) stride);
  }

  /** Advances {@link #pos} to the next row. */
  void next() {
    for (int d = dims.length - 1; d >= 0; d--) {
      int[] s = strides[d];
      if (++idx[d] < dims[d]) {
        for (int o = 0; o < s.length; o++) {
          pos[o] += s[o];
        }
        return;
      }
      idx[d] = 0;
      int back = dims[d] - 1;
      for (int o = 0; o < s.length; o++) {
        pos[o] -= back * s[o];
      }
    }
  }
}
