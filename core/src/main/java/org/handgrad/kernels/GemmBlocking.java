package org.handgrad.kernels;

/**
 * Block-size and thread-split arithmetic shared by the float and double GEMM kernels. Pure integer
 * functions, no Vector API, so they are easy to test on their own.
 */
final class GemmBlocking {
  private GemmBlocking() {}

  /**
   * The block size that cuts {@code total} into {@code ceil(total / max)} nearly equal blocks, e.g.
   * k = 300 with KC = 256 gives two blocks of 150 rather than 256 + 44: a thin last block would run
   * the micro-kernel with a short k loop, where loading and storing C dominates.
   *
   * @param total extent to cut, at least 1
   * @param max largest allowed block
   * @return block size in [1, max]
   */
  static int evenBlock(int total, int max) {
    int blocks = (total + max - 1) / max;
    return (total + blocks - 1) / blocks;
  }

  /**
   * As {@link #evenBlock(int, int)}, rounded up to a multiple of {@code unit} (still at most {@code
   * max}, which must be a multiple of unit).
   */
  static int evenBlock(int total, int max, int unit) {
    int b = evenBlock(total, max);
    return Math.min(max, (b + unit - 1) / unit * unit);
  }

  /**
   * How C is cut into independent blocks for threads: along its columns ({@code byCols}) or rows,
   * in {@code chunks} pieces whose boundaries fall on multiples of the micro-tile ({@code unit} =
   * NR or MR) so no tile straddles two threads.
   *
   * @param chunks number of pieces, at least 1
   * @param byCols true to cut the n columns, false to cut the m rows
   * @param unit micro-tile extent along the cut dimension
   * @param tiles number of micro-tiles along the cut dimension
   */
  record Split(int chunks, boolean byCols, int unit, int tiles) {
    /** First row of chunk ch. */
    int rowBegin(int ch, int m) {
      return byCols ? 0 : start(ch, m);
    }

    /** One past the last row of chunk ch. */
    int rowEnd(int ch, int m) {
      return byCols ? m : start(ch + 1, m);
    }

    /** First column of chunk ch. */
    int colBegin(int ch, int n) {
      return byCols ? start(ch, n) : 0;
    }

    /** One past the last column of chunk ch. */
    int colEnd(int ch, int n) {
      return byCols ? start(ch + 1, n) : n;
    }

    private int start(int ch, int extent) {
      return Math.min(extent, (int) ((long) ch * tiles / chunks) * unit);
    }
  }

  /**
   * Chooses how to share an (m x n) C among threads. Each piece packs its own copy of the operand
   * that spans the uncut dimension, so C is cut along the dimension whose other operand is smaller:
   * columns when m &lt;= n (each piece repacks A, m x k), rows otherwise (each repacks B, k x n).
   * One piece per thread: the pieces are equal, and more pieces would mean more repacking.
   *
   * @param m rows of C
   * @param n columns of C
   * @param mr micro-tile rows
   * @param nr micro-tile columns
   * @param threads threads available
   * @return the split; a single chunk means run on the calling thread
   */
  static Split split(int m, int n, int mr, int nr, int threads) {
    int colTiles = (n + nr - 1) / nr;
    int rowTiles = (m + mr - 1) / mr;
    boolean byCols = m <= n ? colTiles >= 2 || rowTiles < 2 : rowTiles < 2;
    int tiles = byCols ? colTiles : rowTiles;
    int chunks = Math.max(1, Math.min(threads, tiles));
    return new Split(chunks, byCols, byCols ? nr : mr, tiles);
  }

  /** Least depth of one split-k chunk (see {@link #kSplits}). */
  static final int SPLIT_K_DEPTH = 1024;

  /** Most chunks split-k cuts k into. */
  static final int MAX_K_SPLITS = 16;

  /** Most elements the split-k partial products (chunks x m x n) may take. */
  static final long SPLIT_K_BUFFER = 1L << 20;

  /**
   * How many chunks of k a parallel GEMM is cut into ({@link GemmSplitK}), from the shape alone so
   * that the result cannot depend on the thread count: {@code min(16, k / 1024)} chunks when C has
   * at most k elements (a small C, deep k: a conv weight gradient) and the partial products (chunks
   * x m x n) stay within {@value #SPLIT_K_BUFFER} elements; otherwise 1, no split. A chunk of at
   * least 1024 makes the extra pass over C (writing the partial, adding it up) at most 1/1024 of
   * the chunk's multiply-adds.
   *
   * @param m rows of C
   * @param n columns of C
   * @param k depth of the product
   * @return number of k chunks; 1 means C is cut among threads instead
   */
  static int kSplits(int m, int n, int k) {
    long mn = (long) m * n;
    int splits = Math.min(MAX_K_SPLITS, k / SPLIT_K_DEPTH);
    if (splits < 2 || mn > k || mn * splits > SPLIT_K_BUFFER) {
      return 1;
    }
    return splits;
  }

  /** Largest min(m, n) for which the dot-product kernel is taken (see {@link #useDot}). */
  static final int DOT_MAX_SIDE = 32;

  /**
   * Whether a product takes the dot-product kernel ({@link SgemmDot}, {@link DgemmDot}) instead of
   * the packed one, from the shape alone: A stored (m, k) and B stored (n, k) (NT), so every
   * element of C is a dot product of two contiguous rows; C has at most k elements; and C has at
   * most {@value #DOT_MAX_SIDE} rows or columns. The packed kernel transposes all of B into panels
   * and copies all of A, a cost it amortises over the other side of C; the dot kernel copies
   * nothing but runs at a fixed rate per multiply-add, so it wins when C is thin (one thread of a
   * shared EPYC, float32: 32 x 147 x 65536 44 against 28-36 GFLOP/s; 64 x 64 x 8192 51 against 56,
   * float64 22 against 28).
   *
   * @param m rows of C
   * @param n columns of C
   * @param k depth of the product
   * @param transA whether A is stored transposed
   * @param transB whether B is stored transposed
   * @return true for the dot-product kernel
   */
  static boolean useDot(int m, int n, int k, boolean transA, boolean transB) {
    return !transA && transB && (long) m * n <= k && Math.min(m, n) <= DOT_MAX_SIDE;
  }

  /**
   * Column-chunk width for the chunked split: about four chunks per thread, in whole tiles. Chunks
   * are claimed as threads come free, so when the OS deschedules a thread (a busy machine), the
   * others take over its share instead of waiting for it. The width may depend on the thread count:
   * every element of C is computed the same way whichever chunk holds it.
   *
   * @param n columns of C
   * @param nr micro-tile columns
   * @param threads threads available
   * @return chunk width, a multiple of nr
   */
  static int chunkWidth(int n, int nr, int threads) {
    int tiles = (n + nr - 1) / nr;
    int chunks = Math.max(1, Math.min(tiles, 4 * threads));
    return (tiles + chunks - 1) / chunks * nr;
  }
}
