package org.handgrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API implementation of {@link Winograd}: F(2x2, 3x3) over blocks of tile rows.
 *
 * <p>The tiles of an (H, W) image form TH = ceil(H/2) rows of TW = ceil(W/2); the tile rows of all
 * N images are numbered {@code r = n*TH + i} and cut into blocks of consecutive rows (a block may
 * span images). A block's tiles sit in slots of rows of RS = TW + 1, the last slot of each row a
 * spare (see {@link Geometry}). Per block and on one thread:
 *
 * <ol>
 *   <li>input transform: {@code V[p, c, k]} (16, Ci, slots), slots contiguous. The padded image
 *       rows of a run of tile rows are first split into four parity planes, even or odd rows by
 *       even or odd columns, RS values per row (a vector of L inputs unzipped by two shuffles when
 *       a row has at least L/2 column pairs, else a scalar loop). Then all 16 inputs of the tiles
 *       k..k+L-1 are unit-stride vectors of those planes (the tile's rows 2 and 3 one plane row
 *       further on, its columns 2 and 3 one slot further on), and the transform is a few vector
 *       adds per slot;
 *   <li>16 GEMMs {@code M[p] (Co, slots) = U[p] (Co, Ci) V[p] (Ci, slots)} with a register block of
 *       8 (at 512 bits) or 4 filter rows by 2 vectors of slots, the Ci products of each element
 *       summed in ascending order;
 *   <li>output transform {@code Y = A^T M A} plus the bias, vectorized over slots into four planes
 *       (output row and column parity), then the planes' columns zipped into the NCHW rows (two
 *       shuffles and a blend per L outputs where a row has at least L/2 pairs, else scalar),
 *       dropping the row and column past an odd H or W.
 * </ol>
 *
 * Buffers are padded so that every vector access is whole: a block's slot count is rounded up to
 * lanes, and the lanes past a run compute values that nothing reads (a later run overwrites them,
 * or they fall in the padding). Slots never mix in the GEMMs or the transforms, so whatever the
 * spare and padding slots hold cannot reach a real output.
 *
 * <p>The transforms stay a large share of the time: with scalar row splits and zips, 28x28 images
 * with 32 channels each way measured no faster than im2col + GEMM; with the shuffles 1.10-1.24x
 * faster (see {@code Conv#winograd} for where the path is used). Their reads of the input and
 * writes of the output are most of what remains of them (JFR puts the samples on those lines).
 */
final class WinogradVector {
  private static final VectorSpecies<Float> S = Species.F;
  private static final int L = S.length();

  /** Half a vector: the tiles whose two columns fill one vector of an image row. */
  private static final int HALF = L / 2;

  /** Lanes 0, 2, 4, ... (then the same again): the even elements of a vector. */
  private static final VectorShuffle<Float> UNZIP_EVEN = VectorShuffle.fromOp(S, i -> (2 * i) % L);

  /** Lanes 1, 3, 5, ... (then the same again): the odd elements of a vector. */
  private static final VectorShuffle<Float> UNZIP_ODD =
      VectorShuffle.fromOp(S, i -> (2 * i + 1) % L);

  /** Lanes 0, 0, 1, 1, ..., HALF - 1, HALF - 1: each of the lower half twice. */
  private static final VectorShuffle<Float> ZIP = VectorShuffle.fromOp(S, i -> i / 2);

  /** The odd lanes. */
  private static final VectorMask<Float> ODD_LANES = VectorMask.fromLong(S, 0xAAAAAAAAAAAAAAAAL);

  /** Filter rows per register block of the GEMMs. */
  private static final int MR = 4;

  /**
   * Whether the GEMMs first take 8 filter rows at a time ({@link #block8x2}): its 16 accumulators,
   * two input vectors and a broadcast need more than the 16 vector registers of AVX2, so only at
   * 512 bits (AVX-512 has 32).
   */
  private static final boolean WIDE_BLOCK = L >= 16;

  /**
   * Elements of the input and product transforms of one block, 16 * channels * tiles, kept near 96K
   * floats (384 KiB) so that a block's V and M stay in a 1 MiB L2 through the GEMMs.
   */
  private static final int BLOCK_ELEMENTS = 96 * 1024;

  private WinogradVector() {}

  /** Per-thread buffers, grown to the largest block the thread has run. */
  private static final class Scratch {
    float[] v = new float[0];
    float[] m = new float[0];
    float[] planes = new float[0];
    float[] y = new float[0];
  }

  /** {@code a} if it holds n floats, else a new array of n. */
  private static float[] atLeast(float[] a, int n) {
    return a.length < n ? new float[n] : a;
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private static int roundUp(int n, int m) {
    return (n + m - 1) / m * m;
  }

  /**
   * Tile rows per block: about {@link #BLOCK_ELEMENTS} / (16 * channels) slots, then, among the
   * counts from half that up, the one whose slot count wastes the smallest fraction of its last
   * vector (the larger on ties).
   *
   * @param tw slots per tile row (RS)
   * @param channels the larger of the input and output channel counts
   */
  static int rowsPerBlock(int tw, int channels) {
    int tiles = Math.max(2 * L, Math.min(512, BLOCK_ELEMENTS / (16 * Math.max(1, channels))));
    int most = Math.max(1, tiles / tw);
    int best = most;
    double bestWaste = waste(most * tw);
    for (int r = most - 1; r >= Math.max(1, (most + 1) / 2); r--) {
      double w = waste(r * tw);
      if (w < bestWaste) {
        best = r;
        bestWaste = w;
      }
    }
    return best;
  }

  private static double waste(int tiles) {
    return (roundUp(tiles, L) - tiles) / (double) tiles;
  }

  /**
   * U = G g G^T of every filter, laid out (16, Co, Ci): for the forward pass Co = F, Ci = C and g =
   * w[f, c]; flipped (the input gradient) Co = C, Ci = F and g[a, b] = w[f, c, 2-a, 2-b].
   */
  static float[] filterTransform(float[] w, int wOff, int F, int C, boolean flip) {
    int co = flip ? C : F, ci = flip ? F : C;
    float[] u = new float[16 * co * ci];
    float[] g = new float[9];
    float[] gg = new float[12];
    for (int f = 0; f < F; f++) {
      for (int c = 0; c < C; c++) {
        int base = wOff + (f * C + c) * 9;
        for (int i = 0; i < 9; i++) {
          g[i] = w[base + (flip ? 8 - i : i)];
        }
        // G g: rows g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2 of the 3x3 filter's rows.
        for (int j = 0; j < 3; j++) {
          float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
          gg[j] = g0;
          gg[3 + j] = (g0 + g1 + g2) * 0.5f;
          gg[6 + j] = (g0 - g1 + g2) * 0.5f;
          gg[9 + j] = g2;
        }
        int o = flip ? c * ci + f : f * ci + c;
        for (int i = 0; i < 4; i++) {
          float a = gg[3 * i], b = gg[3 * i + 1], d = gg[3 * i + 2];
          u[(4 * i) * co * ci + o] = a;
          u[(4 * i + 1) * co * ci + o] = (a + b + d) * 0.5f;
          u[(4 * i + 2) * co * ci + o] = (a - b + d) * 0.5f;
          u[(4 * i + 3) * co * ci + o] = d;
        }
      }
    }
    return u;
  }

  /**
   * dst (N, co, H, W) = the 3x3, pad-1 convolution of src (N, ci, H, W) with the transformed
   * filters u (16, co, ci), plus bias (null for none).
   */
  static void convolve(
      float[] dst,
      int dOff,
      float[] src,
      int sOff,
      float[] u,
      float[] bias,
      int bOff,
      int N,
      int ci,
      int co,
      int H,
      int W) {
    Geometry g = new Geometry(H, W, rowsPerBlock((W + 1) / 2 + 1, Math.max(ci, co)));
    int rowsTotal = N * g.th;
    if (rowsTotal == 0 || co == 0) {
      return;
    }
    int blocks = (rowsTotal + g.rb - 1) / g.rb;
    long work = 16L * ci * co * rowsTotal * g.rs;
    Parallel.forChunks(
        blocks,
        work,
        blk -> {
          Scratch s = SCRATCH.get();
          float[] v = s.v = atLeast(s.v, 16 * ci * g.ts);
          float[] m = s.m = atLeast(s.m, 16 * co * g.ts);
          float[] planes = s.planes = atLeast(s.planes, 4 * g.plane);
          float[] y = s.y = atLeast(s.y, 4 * g.plane);
          int r0 = blk * g.rb, r1 = Math.min(rowsTotal, r0 + g.rb);
          int tiles = roundUp((r1 - r0) * g.rs, L);
          inputTransform(v, src, sOff, ci, g, r0, r1, planes);
          products(m, u, v, co, ci, tiles, g.ts);
          outputTransform(dst, dOff, m, bias, bOff, co, g, r0, r1, y);
        });
  }

  /** Fixed number of pieces the filter gradient's sum over tiles is cut into (not the threads). */
  static final int FILTER_GRADIENT_CHUNKS = 16;

  /**
   * dw (F, C, 3, 3) = the filter gradient of a 3x3, pad-1 convolution of x (N, C, H, W) whose
   * output gradient is dy (N, F, H, W), overwritten: {@code dU = (A dY A^T) * V} summed over the
   * tiles, then {@code dw = G^T dU G}. Per block of tile rows, V = B^T d B of the input (as the
   * forward pass) and E = A dY A^T of the output gradient's 2x2 tiles, then 16 GEMMs {@code M[p]
   * (F, C) += E[p] (F, slots) V[p] (C, slots)^T}. The blocks are cut into {@link
   * #FILTER_GRADIENT_CHUNKS} fixed runs, each summed in order into its own M, and the runs' M added
   * in order, so the result does not depend on the thread count.
   */
  static void filterGradient(
      float[] dw,
      int dwOff,
      float[] x,
      int xOff,
      float[] dy,
      int dyOff,
      int N,
      int C,
      int F,
      int H,
      int W) {
    int th = (H + 1) / 2;
    int rowsTotal = N * th;
    // One block per chunk: the GEMMs' inner dimension is the block's slots. (Blocks sized for L2 as
    // in the forward pass timed the same on 64 -> 64 at 14x14; these make the per-thread scratch,
    // 16 x channels x slots floats for V and for E, grow with the batch: 5 MB each for batch 64,
    // 96 channels, 28x28.)
    int rb = Math.max(1, (rowsTotal + FILTER_GRADIENT_CHUNKS - 1) / FILTER_GRADIENT_CHUNKS);
    Geometry g = new Geometry(H, W, rb);
    int fc = F * C;
    int blocks = rowsTotal == 0 ? 0 : (rowsTotal + g.rb - 1) / g.rb;
    int chunks = Math.min(blocks, FILTER_GRADIENT_CHUNKS);
    float[] partial = new float[chunks * 16 * fc];
    Parallel.forChunks(
        chunks,
        16L * fc * rowsTotal * g.rs,
        c -> {
          Scratch s = SCRATCH.get();
          float[] v = s.v = atLeast(s.v, 16 * C * g.ts);
          float[] e = s.m = atLeast(s.m, 16 * F * g.ts);
          float[] planes = s.planes = atLeast(s.planes, 4 * g.plane);
          int b0 = (int) ((long) c * blocks / chunks),
              b1 = (int) ((long) (c + 1) * blocks / chunks);
          for (int blk = b0; blk < b1; blk++) {
            int r0 = blk * g.rb, r1 = Math.min(rowsTotal, r0 + g.rb);
            int tiles = roundUp((r1 - r0) * g.rs, L);
            inputTransform(v, x, xOff, C, g, r0, r1, planes);
            gradientTransform(e, dy, dyOff, F, g, r0, r1, planes);
            // The sums run over slots: the spare slot of each row and the padding must add 0.
            clearUnusedSlots(v, C, g, r1 - r0, tiles);
            clearUnusedSlots(e, F, g, r1 - r0, tiles);
            for (int p = 0; p < 16; p++) {
              Gemm.sgemm(
                  partial,
                  (c * 16 + p) * fc,
                  C,
                  e,
                  p * F * g.ts,
                  g.ts,
                  false,
                  v,
                  p * C * g.ts,
                  g.ts,
                  true,
                  F,
                  C,
                  tiles,
                  1f,
                  1f);
            }
          }
        });
    // The chunks' M in chunk order, (16, F, C) each, read front to back.
    double[] total = new double[16 * fc];
    for (int c = 0; c < chunks; c++) {
      for (int i = 0, q = c * 16 * fc; i < 16 * fc; i++) {
        total[i] += partial[q + i];
      }
    }
    double[] m = new double[16];
    for (int o = 0; o < fc; o++) {
      for (int p = 0; p < 16; p++) {
        m[p] = total[p * fc + o];
      }
      // dw = G^T M G: first T = M G (4 x 3), then G^T T; G's rows 1, 1/2 (1, 1, 1), 1/2 (1, -1, 1),
      // 1.
      int base = dwOff + o * 9;
      for (int j = 0; j < 3; j++) {
        double t0 = col(m, 0, j), t1 = col(m, 1, j), t2 = col(m, 2, j), t3 = col(m, 3, j);
        dw[base + j] = (float) (t0 + 0.5 * (t1 + t2));
        dw[base + 3 + j] = (float) (0.5 * (t1 - t2));
        dw[base + 6 + j] = (float) (0.5 * (t1 + t2) + t3);
      }
    }
  }

  /** (M G)[a][j] for row a of the 4x4 M: column j of G^T weighting M's columns 0..3. */
  private static double col(double[] m, int a, int j) {
    double m0 = m[4 * a], m1 = m[4 * a + 1], m2 = m[4 * a + 2], m3 = m[4 * a + 3];
    return switch (j) {
      case 0 -> m0 + 0.5 * (m1 + m2);
      case 1 -> 0.5 * (m1 - m2);
      default -> 0.5 * (m1 + m2) + m3;
    };
  }

  /** Zeroes the spare slot of each of a block's rows and its padding up to tiles, in all 16 p. */
  private static void clearUnusedSlots(float[] a, int channels, Geometry g, int rows, int tiles) {
    int slab = channels * g.ts;
    for (int p = 0; p < 16; p++) {
      for (int ch = 0; ch < channels; ch++) {
        int at = p * slab + ch * g.ts;
        for (int i = 0; i < rows; i++) {
          a[at + i * g.rs + g.tw] = 0f;
        }
        java.util.Arrays.fill(a, at + rows * g.rs, at + tiles, 0f);
      }
    }
  }

  /**
   * E[p, f, k] = (A dY A^T)[p] of the 2x2 output-gradient tile of every tile k of rows r0..r1-1 and
   * channel f, with A = [1 0; 1 1; 1 -1; 0 -1]: rows (dY0, dY0 + dY1, dY0 - dY1, -dY1) of the
   * tile's two rows, then the same over its two columns. Output-gradient values past an odd H or W
   * are 0.
   */
  private static void gradientTransform(
      float[] e, float[] dy, int dyOff, int co, Geometry g, int r0, int r1, float[] planes) {
    int H = g.H, W = g.W, th = g.th, rs = g.rs, pl = g.plane;
    int slab = co * g.ts;
    for (int f = 0; f < co; f++) {
      for (int r = r0; r < r1; ) {
        int n = r / th, i0 = r % th, rows = Math.min(r1 - r, th - i0);
        int img = dyOff + (n * co + f) * H * W;
        // Rows 2 i0 .. 2 (i0 + rows) - 1 into the parity planes (no padding): with splitRow's
        // layout, column 2t of row pair member q sits at slot t of plane 2q + 1, column 2t + 1 at
        // slot t + 1 of plane 2q.
        for (int j = 0; j < 2 * rows; j++) {
          int h = 2 * i0 + j;
          int ev = (j & 1) * 2 * pl + (j >> 1) * rs, od = ev + pl;
          splitRow(planes, ev, od, dy, img + h * W, h < H, W, g.tw);
        }
        int out = f * g.ts + (r - r0) * rs;
        int slots = rows * rs;
        for (int k = 0; k < slots; k += L) {
          FloatVector g00 = FloatVector.fromArray(S, planes, pl + k);
          FloatVector g01 = FloatVector.fromArray(S, planes, k + 1);
          FloatVector g10 = FloatVector.fromArray(S, planes, 3 * pl + k);
          FloatVector g11 = FloatVector.fromArray(S, planes, 2 * pl + k + 1);
          // Over the rows, h[a] = (g0, g0 + g1, g0 - g1, -g1)[a] for both columns; then over the
          // columns into E[4a + b] = (h[a]0, h[a]0 + h[a]1, h[a]0 - h[a]1, -h[a]1)[b].
          for (int a = 0; a < 4; a++) {
            FloatVector h0 =
                a == 0 ? g00 : a == 1 ? g00.add(g10) : a == 2 ? g00.sub(g10) : g10.neg();
            FloatVector h1 =
                a == 0 ? g01 : a == 1 ? g01.add(g11) : a == 2 ? g01.sub(g11) : g11.neg();
            int o = out + k + 4 * a * slab;
            h0.intoArray(e, o);
            h0.add(h1).intoArray(e, o + slab);
            h0.sub(h1).intoArray(e, o + 2 * slab);
            h1.neg().intoArray(e, o + 3 * slab);
          }
        }
        r += rows;
      }
    }
  }

  /**
   * Tiles and buffers of an (H, W) image. Tile (i, t) of a block's tile rows is slot {@code k = (i
   * - first row) * rs + t}: rows of rs = TW + 1 slots, the last of each a spare whose value nothing
   * reads. With that stride the tile's 16 inputs are unit-stride vectors over k in the four parity
   * planes of the padded image (even or odd rows, even or odd columns), each holding rs values per
   * row.
   */
  private static final class Geometry {
    final int H, W, th, tw, rs, rb, ts, plane;

    Geometry(int H, int W, int rb) {
      this.H = H;
      this.W = W;
      th = (H + 1) / 2;
      tw = (W + 1) / 2;
      rs = tw + 1;
      this.rb = rb;
      // Vector stores run up to L - 1 slots past a block's last tile; the GEMMs read whole vectors.
      ts = roundUp(rb * rs, L) + L;
      // A parity plane: rows 0..rows of a run of tile rows, plus the overrun of the shifted reads.
      plane = roundUp(rb * rs, L) + 2 * rs + 2 * L;
    }
  }

  /** V[p, c, k] = (B^T d B)[p] of every tile of rows r0..r1-1 and channel c. */
  private static void inputTransform(
      float[] v, float[] x, int xOff, int ci, Geometry g, int r0, int r1, float[] planes) {
    int H = g.H, W = g.W, th = g.th, rs = g.rs, pl = g.plane;
    int slab = ci * g.ts; // distance between positions p of V
    for (int c = 0; c < ci; c++) {
      // Runs of tile rows within one image.
      for (int r = r0; r < r1; ) {
        int n = r / th, i0 = r % th, rows = Math.min(r1 - r, th - i0);
        int img = xOff + (n * ci + c) * H * W;
        // Padded rows 2 i0 .. 2 (i0 + rows) + 1 (image rows one less) into the parity planes:
        // plane (row parity, column parity), row j / 2 of the run, slot t = padded column / 2.
        for (int j = 0; j < 2 * rows + 2; j++) {
          int h = 2 * i0 + j - 1;
          int e = (j & 1) * 2 * pl + (j >> 1) * rs, o = e + pl;
          splitRow(planes, e, o, x, img + h * W, h >= 0 && h < H, W, g.tw);
        }
        int out = c * g.ts + (r - r0) * rs;
        int slots = rows * rs;
        for (int i = 0; i < 4; i++) {
          // Row i of B^T: s = d[ROW_A[i]] + sign * d[ROW_B[i]] for each of the tile's 4 columns
          // (even[k], odd[k], even[k + 1], odd[k + 1]); then B over the columns of s.
          int ra = ROW_A[i], rb = ROW_B[i];
          int a0 = (ra & 1) * 2 * pl + (ra >> 1) * rs, a1 = a0 + pl;
          int b0 = (rb & 1) * 2 * pl + (rb >> 1) * rs, b1 = b0 + pl;
          FloatVector sign = FloatVector.broadcast(S, i == 1 ? 1f : -1f);
          int o = out + 4 * i * slab;
          for (int k = 0; k < slots; k += L) {
            FloatVector s0 =
                FloatVector.fromArray(S, planes, a0 + k)
                    .add(FloatVector.fromArray(S, planes, b0 + k).mul(sign));
            FloatVector s1 =
                FloatVector.fromArray(S, planes, a1 + k)
                    .add(FloatVector.fromArray(S, planes, b1 + k).mul(sign));
            FloatVector s2 =
                FloatVector.fromArray(S, planes, a0 + k + 1)
                    .add(FloatVector.fromArray(S, planes, b0 + k + 1).mul(sign));
            FloatVector s3 =
                FloatVector.fromArray(S, planes, a1 + k + 1)
                    .add(FloatVector.fromArray(S, planes, b1 + k + 1).mul(sign));
            s0.sub(s2).intoArray(v, o + k);
            s1.add(s2).intoArray(v, o + slab + k);
            s2.sub(s1).intoArray(v, o + 2 * slab + k);
            s1.sub(s3).intoArray(v, o + 3 * slab + k);
          }
        }
        r += rows;
      }
    }
  }

  /**
   * Splits one image row (starting at rowStart) into even[t] = xpad[2t] = x[2t - 1] and odd[t] =
   * xpad[2t + 1] = x[2t] for t = 0..tw, zero outside the image.
   */
  private static void splitRow(
      float[] buf, int even, int odd, float[] x, int rowStart, boolean inside, int W, int tw) {
    if (!inside) {
      for (int t = 0; t <= tw; t++) {
        buf[even + t] = 0f;
        buf[odd + t] = 0f;
      }
      return;
    }
    buf[even] = 0f;
    int pairs = W / 2;
    int t0 = 0;
    if (pairs >= HALF) {
      // Vectors of L inputs, x[2t .. 2t + L), give HALF = L/2 slots of each plane; their upper
      // lanes (copies) land on slots that a later chunk, the next plane row or the plane's padding
      // rewrites. The last chunk starts at pairs - HALF, so no read leaves the row, and overlaps
      // the one before with the same values.
      for (int t = 0; t < pairs; t += HALF) {
        int tc = Math.min(t, pairs - HALF);
        FloatVector d = FloatVector.fromArray(S, x, rowStart + 2 * tc);
        d.rearrange(UNZIP_EVEN).intoArray(buf, odd + tc);
        d.rearrange(UNZIP_ODD).intoArray(buf, even + tc + 1);
      }
      t0 = pairs;
    }
    for (int t = t0; t < pairs; t++) {
      buf[odd + t] = x[rowStart + 2 * t];
      buf[even + t + 1] = x[rowStart + 2 * t + 1];
    }
    if (W % 2 != 0) {
      buf[odd + pairs] = x[rowStart + W - 1];
      buf[even + pairs + 1] = 0f;
    }
    buf[odd + tw] = 0f;
  }

  /**
   * B^T's rows as two-term combinations {@code d[ROW_A[i]] + sign * d[ROW_B[i]]}, the sign + for i
   * = 1 only: d0 - d2, d1 + d2, d2 - d1, d1 - d3.
   */
  private static final int[] ROW_A = {0, 1, 2, 1};

  private static final int[] ROW_B = {2, 2, 1, 3};

  /** M[p] (co, tiles) = U[p] (co, ci) V[p] (ci, tiles) for the 16 positions p. */
  private static void products(float[] m, float[] u, float[] v, int co, int ci, int tiles, int ts) {
    for (int p = 0; p < 16; p++) {
      int uP = p * co * ci, vP = p * ci * ts, mP = p * co * ts;
      int f = 0;
      if (WIDE_BLOCK) {
        for (; f + 2 * MR <= co; f += 2 * MR) {
          int t = 0;
          for (; t + 2 * L <= tiles; t += 2 * L) {
            block8x2(m, mP + f * ts + t, ts, u, uP + f * ci, ci, v, vP + t, ts);
          }
          if (t < tiles) {
            block4x1(m, mP + f * ts + t, ts, u, uP + f * ci, ci, v, vP + t, ts);
            block4x1(m, mP + (f + MR) * ts + t, ts, u, uP + (f + MR) * ci, ci, v, vP + t, ts);
          }
        }
      }
      for (; f + MR <= co; f += MR) {
        int t = 0;
        for (; t + 2 * L <= tiles; t += 2 * L) {
          block4x2(m, mP + f * ts + t, ts, u, uP + f * ci, ci, v, vP + t, ts);
        }
        if (t < tiles) {
          block4x1(m, mP + f * ts + t, ts, u, uP + f * ci, ci, v, vP + t, ts);
        }
      }
      for (; f < co; f++) {
        for (int t = 0; t < tiles; t += L) {
          block1x1(m, mP + f * ts + t, u, uP + f * ci, ci, v, vP + t, ts);
        }
      }
    }
  }

  /** Four filter rows by two vectors of tiles: eight accumulators over ci. */
  private static void block4x2(
      float[] m, int mo, int ts, float[] u, int uo, int ci, float[] v, int vo, int vs) {
    FloatVector a00 = FloatVector.zero(S), a01 = FloatVector.zero(S);
    FloatVector a10 = FloatVector.zero(S), a11 = FloatVector.zero(S);
    FloatVector a20 = FloatVector.zero(S), a21 = FloatVector.zero(S);
    FloatVector a30 = FloatVector.zero(S), a31 = FloatVector.zero(S);
    for (int c = 0; c < ci; c++) {
      int at = vo + c * vs;
      FloatVector x0 = FloatVector.fromArray(S, v, at);
      FloatVector x1 = FloatVector.fromArray(S, v, at + L);
      FloatVector w0 = FloatVector.broadcast(S, u[uo + c]);
      a00 = x0.fma(w0, a00);
      a01 = x1.fma(w0, a01);
      FloatVector w1 = FloatVector.broadcast(S, u[uo + ci + c]);
      a10 = x0.fma(w1, a10);
      a11 = x1.fma(w1, a11);
      FloatVector w2 = FloatVector.broadcast(S, u[uo + 2 * ci + c]);
      a20 = x0.fma(w2, a20);
      a21 = x1.fma(w2, a21);
      FloatVector w3 = FloatVector.broadcast(S, u[uo + 3 * ci + c]);
      a30 = x0.fma(w3, a30);
      a31 = x1.fma(w3, a31);
    }
    a00.intoArray(m, mo);
    a01.intoArray(m, mo + L);
    a10.intoArray(m, mo + ts);
    a11.intoArray(m, mo + ts + L);
    a20.intoArray(m, mo + 2 * ts);
    a21.intoArray(m, mo + 2 * ts + L);
    a30.intoArray(m, mo + 3 * ts);
    a31.intoArray(m, mo + 3 * ts + L);
  }

  /** Eight filter rows by two vectors of tiles: sixteen accumulators over ci. */
  private static void block8x2(
      float[] m, int mo, int ts, float[] u, int uo, int ci, float[] v, int vo, int vs) {
    FloatVector a00 = FloatVector.zero(S), a01 = FloatVector.zero(S);
    FloatVector a10 = FloatVector.zero(S), a11 = FloatVector.zero(S);
    FloatVector a20 = FloatVector.zero(S), a21 = FloatVector.zero(S);
    FloatVector a30 = FloatVector.zero(S), a31 = FloatVector.zero(S);
    FloatVector a40 = FloatVector.zero(S), a41 = FloatVector.zero(S);
    FloatVector a50 = FloatVector.zero(S), a51 = FloatVector.zero(S);
    FloatVector a60 = FloatVector.zero(S), a61 = FloatVector.zero(S);
    FloatVector a70 = FloatVector.zero(S), a71 = FloatVector.zero(S);
    for (int c = 0; c < ci; c++) {
      int at = vo + c * vs;
      FloatVector x0 = FloatVector.fromArray(S, v, at);
      FloatVector x1 = FloatVector.fromArray(S, v, at + L);
      FloatVector w = FloatVector.broadcast(S, u[uo + c]);
      a00 = x0.fma(w, a00);
      a01 = x1.fma(w, a01);
      w = FloatVector.broadcast(S, u[uo + ci + c]);
      a10 = x0.fma(w, a10);
      a11 = x1.fma(w, a11);
      w = FloatVector.broadcast(S, u[uo + 2 * ci + c]);
      a20 = x0.fma(w, a20);
      a21 = x1.fma(w, a21);
      w = FloatVector.broadcast(S, u[uo + 3 * ci + c]);
      a30 = x0.fma(w, a30);
      a31 = x1.fma(w, a31);
      w = FloatVector.broadcast(S, u[uo + 4 * ci + c]);
      a40 = x0.fma(w, a40);
      a41 = x1.fma(w, a41);
      w = FloatVector.broadcast(S, u[uo + 5 * ci + c]);
      a50 = x0.fma(w, a50);
      a51 = x1.fma(w, a51);
      w = FloatVector.broadcast(S, u[uo + 6 * ci + c]);
      a60 = x0.fma(w, a60);
      a61 = x1.fma(w, a61);
      w = FloatVector.broadcast(S, u[uo + 7 * ci + c]);
      a70 = x0.fma(w, a70);
      a71 = x1.fma(w, a71);
    }
    a00.intoArray(m, mo);
    a01.intoArray(m, mo + L);
    a10.intoArray(m, mo + ts);
    a11.intoArray(m, mo + ts + L);
    a20.intoArray(m, mo + 2 * ts);
    a21.intoArray(m, mo + 2 * ts + L);
    a30.intoArray(m, mo + 3 * ts);
    a31.intoArray(m, mo + 3 * ts + L);
    a40.intoArray(m, mo + 4 * ts);
    a41.intoArray(m, mo + 4 * ts + L);
    a50.intoArray(m, mo + 5 * ts);
    a51.intoArray(m, mo + 5 * ts + L);
    a60.intoArray(m, mo + 6 * ts);
    a61.intoArray(m, mo + 6 * ts + L);
    a70.intoArray(m, mo + 7 * ts);
    a71.intoArray(m, mo + 7 * ts + L);
  }

  /** Four filter rows by one vector of tiles. */
  private static void block4x1(
      float[] m, int mo, int ts, float[] u, int uo, int ci, float[] v, int vo, int vs) {
    FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
    for (int c = 0; c < ci; c++) {
      FloatVector x0 = FloatVector.fromArray(S, v, vo + c * vs);
      a0 = x0.fma(FloatVector.broadcast(S, u[uo + c]), a0);
      a1 = x0.fma(FloatVector.broadcast(S, u[uo + ci + c]), a1);
      a2 = x0.fma(FloatVector.broadcast(S, u[uo + 2 * ci + c]), a2);
      a3 = x0.fma(FloatVector.broadcast(S, u[uo + 3 * ci + c]), a3);
    }
    a0.intoArray(m, mo);
    a1.intoArray(m, mo + ts);
    a2.intoArray(m, mo + 2 * ts);
    a3.intoArray(m, mo + 3 * ts);
  }

  /** One filter row by one vector of tiles. */
  private static void block1x1(
      float[] m, int mo, float[] u, int uo, int ci, float[] v, int vo, int vs) {
    FloatVector a = FloatVector.zero(S);
    for (int c = 0; c < ci; c++) {
      a = FloatVector.fromArray(S, v, vo + c * vs).fma(FloatVector.broadcast(S, u[uo + c]), a);
    }
    a.intoArray(m, mo);
  }

  /** out = A^T M A + bias of every tile of rows r0..r1-1, written into the (N, co, H, W) output. */
  private static void outputTransform(
      float[] out,
      int oOff,
      float[] m,
      float[] bias,
      int bOff,
      int co,
      Geometry g,
      int r0,
      int r1,
      float[] y) {
    int H = g.H, W = g.W, th = g.th, rs = g.rs, pl = g.plane;
    int slab = co * g.ts;
    for (int f = 0; f < co; f++) {
      FloatVector b = FloatVector.broadcast(S, bias == null ? 0f : bias[bOff + f]);
      for (int r = r0; r < r1; ) {
        int n = r / th, i0 = r % th, rows = Math.min(r1 - r, th - i0);
        int at = f * g.ts + (r - r0) * rs;
        int slots = rows * rs;
        for (int a = 0; a < 2; a++) {
          // Row a of A^T M, column j: m[a][j] + sign (m[a + 1][j] + m[a + 2][j]) with sign + for
          // a = 0 and - for a = 1; then A over its columns, plus the bias, into planes 2a, 2a + 1.
          FloatVector sign = FloatVector.broadcast(S, a == 0 ? 1f : -1f);
          int m0 = at + 4 * a * slab, m1 = m0 + 4 * slab, m2 = m1 + 4 * slab;
          int left = 2 * a * pl, right = left + pl;
          for (int k = 0; k < slots; k += L) {
            FloatVector q0 =
                FloatVector.fromArray(S, m, m0 + k)
                    .add(
                        FloatVector.fromArray(S, m, m1 + k)
                            .add(FloatVector.fromArray(S, m, m2 + k))
                            .mul(sign));
            FloatVector q1 =
                FloatVector.fromArray(S, m, m0 + slab + k)
                    .add(
                        FloatVector.fromArray(S, m, m1 + slab + k)
                            .add(FloatVector.fromArray(S, m, m2 + slab + k))
                            .mul(sign));
            FloatVector q2 =
                FloatVector.fromArray(S, m, m0 + 2 * slab + k)
                    .add(
                        FloatVector.fromArray(S, m, m1 + 2 * slab + k)
                            .add(FloatVector.fromArray(S, m, m2 + 2 * slab + k))
                            .mul(sign));
            FloatVector q3 =
                FloatVector.fromArray(S, m, m0 + 3 * slab + k)
                    .add(
                        FloatVector.fromArray(S, m, m1 + 3 * slab + k)
                            .add(FloatVector.fromArray(S, m, m2 + 3 * slab + k))
                            .mul(sign));
            q0.add(q1).add(q2).add(b).intoArray(y, left + k);
            q1.sub(q2).sub(q3).add(b).intoArray(y, right + k);
          }
        }
        // Interleave the two columns of each tile into the output rows 2i and 2i + 1.
        int pairs = W / 2;
        for (int i = 0; i < rows; i++) {
          for (int a = 0; a < 2; a++) {
            int h = 2 * (i0 + i) + a;
            if (h >= H) {
              break;
            }
            int row = oOff + ((n * co + f) * H + h) * W;
            int left = 2 * a * pl + i * rs, right = left + pl;
            int t0 = 0;
            if (pairs >= HALF) {
              // HALF slots of each plane zipped into L outputs; the last chunk moves back to end
              // at the row's last pair, rewriting outputs of the one before with the same values.
              for (int t = 0; t < pairs; t += HALF) {
                int tc = Math.min(t, pairs - HALF);
                FloatVector zl = FloatVector.fromArray(S, y, left + tc).rearrange(ZIP);
                FloatVector zr = FloatVector.fromArray(S, y, right + tc).rearrange(ZIP);
                zl.blend(zr, ODD_LANES).intoArray(out, row + 2 * tc);
              }
              t0 = pairs;
            }
            for (int t = t0; t < pairs; t++) {
              out[row + 2 * t] = y[left + t];
              out[row + 2 * t + 1] = y[right + t];
            }
            if (W % 2 != 0) {
              out[row + W - 1] = y[left + pairs];
            }
          }
        }
        r += rows;
      }
    }
  }
}
