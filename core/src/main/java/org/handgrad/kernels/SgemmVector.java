package org.handgrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 GEMM on the Vector API, after the BLIS / GotoBLAS design (Van Zee and van de Geijn,
 * "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", 2015).
 *
 * <p>Five loops around a register-blocked micro-kernel:
 *
 * <pre>
 * for jc in N step NC:         B panel   (KC x NC) packed, stays in L3
 *   for pc in K step KC:
 *     for ic in M step MC:     A block   (MC x KC) packed, stays in L2
 *       for jr in NC step NR:  B sliver  (KC x NR) stays in L1
 *         for ir in MC step MR: micro-kernel: C(MR x NR) += A sliver * B sliver, in registers
 * </pre>
 *
 * Packing copies A into MR-row slivers stored column by column (MR floats per p, padded to AS) and
 * B into NR-column slivers stored row by row (NR floats per p), so the micro-kernel reads both with
 * unit stride whatever the original layout; that is also where the transposes are absorbed. Slivers
 * at the edges are zero-padded to full MR / NR, so the micro-kernel always runs full tiles and only
 * the final write to C is trimmed. With the 8-row kernel, a block of at most {@link #DIRECT_B_ROWS}
 * rows reads B stored (k, n) in place instead ({@link #kernel8Direct}).
 *
 * <p>The micro-kernel is 5 x 16: ten 8-lane accumulators (enough independent FMA chains to cover
 * the FMA latency on both pipes), two B vectors and broadcast A values. 6 x 16 (twelve
 * accumulators) looks better on paper, but C2 then keeps three broadcasts live at once, runs out of
 * AVX2's 16 vector registers and spills an accumulator to the stack on every iteration; measured on
 * Zen 3 with the kernel alone in L1, 5 x 16 runs at ~100 GFLOP/s per core (near peak), 6 x 16 at 44
 * to 90 depending on the packing stride, 4 x 16 at 95, 8 x 8 at 83, 4 x 24 at 44.
 *
 * <p>With 512-bit vectors (AVX-512: 32 vector registers instead of 16) the tile is 8 rows high,
 * {@link #kernel8}; {@link CpuProfile} chooses, once, from the vector width.
 *
 * <p>Threads: when C is at least as wide as tall, all of op(A) is first packed once (its blocks
 * shared out among the threads), then the columns of C are cut into about four chunks per thread,
 * claimed as threads come free, each packing its own B panels. Otherwise (tall C, or a packed A too
 * large to keep) the rows or columns are cut into one static piece per thread, each packing its own
 * panels. Every element of C is summed in the same order (p ascending, KC blocks fixed by k alone)
 * whatever the split, so the result is bit-identical for any thread count.
 */
final class SgemmVector {
  // The species CpuProfile chose: 8 floats / 4 doubles at 256 bits, 16 / 8 at 512.
  private static final VectorSpecies<Float> S = Species.F;
  private static final int L = S.length();

  /** Micro-tile rows: 5 with 256-bit vectors, 8 with 512-bit (see {@link CpuProfile}). */
  static final int MR = CpuProfile.current().sgemm().mr();

  /**
   * Stride between consecutive p in a packed A sliver: MR rounded up to 8. C2 rewrites {@code p *
   * 5} as {@code (p << 2) + p}, which its range-check elimination does not recognise as a scaled
   * loop index, leaving bounds checks on the A loads inside the micro-kernel loop; {@code p * 8} is
   * a single shift and the checks are hoisted. The pad slots are never read.
   */
  static final int AS = 8;

  static final int NR = 2 * L;
  // Cache blocking from CpuProfile; at 256 bits the values measured on Zen 3 (32 KiB L1d, 512 KiB
  // L2 per core), as below. The system properties
  // handgrad.sgemm.kc / .mc / .nc override them for tuning on other machines; they are read once,
  // so the JIT still sees constants. MC must be a multiple of MR.
  static final int KC = CpuProfile.current().sgemm().kc();
  static final int MC = CpuProfile.current().sgemm().mc();
  static final int NC = CpuProfile.current().sgemm().nc();

  /**
   * Row blocks of at most this many rows (four 8-row tiles) read B in place when B is stored (k,
   * n), with the 8-row kernel: each B sliver then serves only a few tiles, too few to repay copying
   * it. This is the shape of a convolution's per-image GEMMs (16 to 32 filters against a column
   * matrix hundreds of pixels wide), where packing B cost about as much as the arithmetic. Not when
   * B's rows are a multiple of 1 KiB apart (256 floats), a rule that stands on one measurement: the
   * CS231n check shape (rows 256 floats apart, k = 25 and 27) ran faster packed in every one of
   * seven alternated rounds on a Zen 5 (fwd+bwd 3.4-3.7 against 3.7-4.1 ms in the last four). The
   * reason first supposed, rows falling into a few L1 sets, does not hold: the 7x7 layer on 32x32
   * images (rows 1024 floats apart) ran its GEMMs faster in place in three of those four rounds
   * (14.0-16.1 against 15.9-16.7 ms). It keeps the packed path for that layer too.
   */
  static final int DIRECT_B_ROWS = 32;

  /**
   * Depth of the pieces in which {@link #packB} transposes a B stored (n, k): each of the NR
   * columns of a sliver is copied TRANS_PB values at a time, writing TRANS_PB rows of NR floats (16
   * KiB at 128 x 32), which stay in L1 until all NR columns have filled them. Copying each column's
   * whole depth at once sweeps kc rows (up to 128 KiB) per column, past L1 every time: the
   * weight-gradient GEMM of a 3x3 conv with 32 filters on 28x28 images (m = 32, n = 288, k = 784,
   * one thread of a Zen 5) took 0.211-0.221 ms that way, 0.153-0.160 with pieces of 64 or 128 and
   * 0.177 with 32; shallower products (k = 196 or 49) did not change. The system property
   * handgrad.sgemm.transpb overrides it for tuning.
   */
  static final int TRANS_PB = Math.max(1, Integer.getInteger("handgrad.sgemm.transpb", 128));

  /**
   * Largest packed copy of all of op(A) for the chunked column split (16M elements: 64 MiB of
   * floats, 128 of doubles, e.g. m = k = 2048 takes 6.7M); larger problems split statically, one
   * chunk per thread, each packing A block by block.
   */
  private static final long SHARED_A_LIMIT = 1L << 24;

  /**
   * Per-thread packing buffers. Pool threads are long-lived, so these are allocated once per
   * thread; they grow to the largest block the thread has packed (at most KC x MC and KC x NC), so
   * threads that only ever multiply small matrices keep small buffers.
   */
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private static final class Scratch {
    float[] aPack = new float[0];
    float[] bPack = new float[0];
    final float[] tile = new float[MR * NR];

    /**
     * All of op(A) packed, shared read-only with the pool threads during a call this thread makes
     * (the chunked column split). Grows to the largest such call; only calling threads have one.
     */
    float[] aAll = new float[0];

    /** Makes sure the buffers hold an mc x kc A block and a kc x nc B panel, padded to tiles. */
    void reserve(int mc, int nc, int kc) {
      int aSize = (mc + MR - 1) / MR * AS * kc;
      int bSize = (nc + NR - 1) / NR * NR * kc;
      if (aPack.length < aSize) {
        aPack = new float[aSize];
      }
      if (bPack.length < bSize) {
        bPack = new float[bSize];
      }
    }
  }

  private SgemmVector() {}

  /**
   * C = alpha * op(A) * op(B) + beta * C on the packed path; arguments as {@link Gemm#sgemm},
   * already checked, with m, n, k &gt; 0 and alpha != 0.
   *
   * @param parallel whether to spread the work over {@link Parallel}'s threads
   */
  static void gemm(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      int lda,
      boolean transA,
      float[] b,
      int bOff,
      int ldb,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      float beta,
      boolean parallel) {
    int kc = GemmBlocking.evenBlock(k, KC);
    int threads = parallel ? Parallel.threads() : 1;
    GemmBlocking.Split split = GemmBlocking.split(m, n, MR, NR, threads);
    if (split.chunks() == 1) {
      block(
          c, cOff, ldc, a, aOff, lda, transA, b, bOff, ldb, transB, 0, m, 0, n, k, kc, alpha, beta,
          null);
      return;
    }
    if (split.byCols() && packedASize(m, k) <= SHARED_A_LIMIT) {
      // Pack all of op(A) once, the (K block, M block) pieces shared out among the threads; then
      // cut the columns into several chunks claimed as threads come free, so that a thread the OS
      // has descheduled (a busy machine) does not hold up the call: the others take over its
      // share. Measured on a shared 2-core machine, 1024^3: 70-77 GFLOP/s with one static half
      // per thread, 124-132 with chunks.
      Scratch s = SCRATCH.get();
      int size = (int) packedASize(m, k);
      if (s.aAll.length < size) {
        s.aAll = new float[size];
      }
      float[] aAll = s.aAll;
      int mcMax = GemmBlocking.evenBlock(m, MC, MR);
      int mBlocks = (m + mcMax - 1) / mcMax;
      int kBlocks = (k + kc - 1) / kc;
      Parallel.forChunks(
          kBlocks * mBlocks,
          blk -> {
            int pc = blk / mBlocks * kc;
            int ic = blk % mBlocks * mcMax;
            int kcb = Math.min(kc, k - pc);
            packA(
                aAll,
                aBlockOffset(m, pc, ic, kcb),
                a,
                aOff,
                lda,
                transA,
                ic,
                pc,
                Math.min(mcMax, m - ic),
                kcb);
          });
      Parallel.forRange(
          n,
          GemmBlocking.chunkWidth(n, NR, threads),
          (j0, j1) ->
              block(
                  c, cOff, ldc, a, aOff, lda, transA, b, bOff, ldb, transB, 0, m, j0, j1, k, kc,
                  alpha, beta, aAll));
      return;
    }
    Parallel.forChunks(
        split.chunks(),
        ch -> {
          int i0 = split.rowBegin(ch, m);
          int i1 = split.rowEnd(ch, m);
          int j0 = split.colBegin(ch, n);
          int j1 = split.colEnd(ch, n);
          block(
              c, cOff, ldc, a, aOff, lda, transA, b, bOff, ldb, transB, i0, i1, j0, j1, k, kc,
              alpha, beta, null);
        });
  }

  /** Elements that all of op(A), m x k, takes once packed into padded slivers. */
  private static long packedASize(int m, int k) {
    return (long) ((m + MR - 1) / MR) * AS * k;
  }

  /**
   * Where the packed block of rows from ic, K block from pc (kc deep) starts when all of op(A) is
   * packed: K blocks one after another, each holding the slivers of all m rows.
   */
  private static int aBlockOffset(int m, int pc, int ic, int kc) {
    return (m + MR - 1) / MR * AS * pc + ic / MR * AS * kc;
  }

  /**
   * C[i0:i1, j0:j1] = alpha * op(A)[i0:i1, :] * op(B)[:, j0:j1] + beta * C[i0:i1, j0:j1].
   *
   * @param aAll null to pack A block by block here; otherwise all of op(A) already packed (see
   *     {@link #aBlockOffset}), and i0 = 0, i1 = m
   */
  private static void block(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      int lda,
      boolean transA,
      float[] b,
      int bOff,
      int ldb,
      boolean transB,
      int i0,
      int i1,
      int j0,
      int j1,
      int k,
      int kcMax,
      float alpha,
      float beta,
      float[] aAll) {
    Scratch s = SCRATCH.get();
    int mcMax = GemmBlocking.evenBlock(i1 - i0, MC, MR);
    s.reserve(mcMax, Math.min(NC, j1 - j0), kcMax);
    float[] aBuf = aAll != null ? aAll : s.aPack;
    // Few rows: the full B slivers are read where they lie, only a ragged last one is packed (at
    // the start of bPack). The sums run in the same order either way.
    boolean direct = MR == 8 && !transB && i1 - i0 <= DIRECT_B_ROWS && ldb % 256 != 0;
    for (int jc = j0; jc < j1; jc += NC) {
      int nc = Math.min(NC, j1 - jc);
      int full = direct ? nc / NR * NR : 0;
      for (int pc = 0; pc < k; pc += kcMax) {
        int kc = Math.min(kcMax, k - pc);
        // Later K blocks add onto what the first one wrote.
        float betaK = pc == 0 ? beta : 1f;
        if (!direct) {
          packB(s.bPack, b, bOff, ldb, transB, pc, jc, kc, nc);
        } else if (full < nc) {
          packRows(s.bPack, b, bOff, ldb, pc, jc + full, kc, nc - full);
        }
        for (int ic = i0; ic < i1; ic += mcMax) {
          int mc = Math.min(mcMax, i1 - ic);
          int aBase = 0;
          if (aAll == null) {
            packA(s.aPack, 0, a, aOff, lda, transA, ic, pc, mc, kc);
          } else {
            aBase = aBlockOffset(i1, pc, ic, kc);
          }
          for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            for (int ir = 0; ir < mc; ir += MR) {
              int ai = aBase + ir / MR * AS * kc;
              if (jr < full) {
                kernel8Direct(kc, aBuf, ai, b, bOff + pc * ldb + jc + jr, ldb, s.tile);
              } else if (MR == 8) {
                kernel8(kc, aBuf, ai, s.bPack, (jr - full) * kc, s.tile);
              } else {
                kernel(kc, aBuf, ai, s.bPack, jr * kc, s.tile);
              }
              store(
                  s.tile,
                  c,
                  cOff + (ic + ir) * ldc + jc + jr,
                  ldc,
                  Math.min(MR, mc - ir),
                  nr,
                  alpha,
                  betaK);
            }
          }
        }
      }
    }
  }

  /**
   * Packs op(A)[ic:ic+mc, pc:pc+kc] into MR-row slivers: element (r, p) of sliver q lands at {@code
   * dstOff + q*AS*kc + p*AS + r}. Rows past mc (up to MR) are zero.
   */
  private static void packA(
      float[] dst,
      int dstOff,
      float[] a,
      int aOff,
      int lda,
      boolean transA,
      int ic,
      int pc,
      int mc,
      int kc) {
    for (int ir = 0; ir < mc; ir += MR) {
      int base = dstOff + ir / MR * AS * kc;
      int mr = Math.min(MR, mc - ir);
      if (transA) {
        // A stored (k, m): the MR values for one p are contiguous.
        for (int p = 0; p < kc; p++) {
          int src = aOff + (pc + p) * lda + ic + ir;
          int d = base + p * AS;
          for (int r = 0; r < mr; r++) {
            dst[d + r] = a[src + r];
          }
          for (int r = mr; r < MR; r++) {
            dst[d + r] = 0f;
          }
        }
      } else {
        // A stored (m, k): walk each row contiguously, writing with stride AS.
        for (int r = 0; r < mr; r++) {
          int src = aOff + (ic + ir + r) * lda + pc;
          for (int p = 0; p < kc; p++) {
            dst[base + p * AS + r] = a[src + p];
          }
        }
        for (int r = mr; r < MR; r++) {
          for (int p = 0; p < kc; p++) {
            dst[base + p * AS + r] = 0f;
          }
        }
      }
    }
  }

  /**
   * Packs op(B)[pc:pc+kc, jc:jc+nc] into NR-column slivers: element (p, j) of sliver q lands at
   * {@code q*NR*kc + p*NR + j}. Columns past nc are zero.
   */
  private static void packB(
      float[] dst, float[] b, int bOff, int ldb, boolean transB, int pc, int jc, int kc, int nc) {
    if (!transB) {
      packRows(dst, b, bOff, ldb, pc, jc, kc, nc);
      return;
    }
    // B stored (n, k): each stored row is a column of op(B); walk it contiguously, TRANS_PB values
    // of it at a time, so that the sliver's rows being written (TRANS_PB x NR floats) stay in L1
    // while the nr columns visit them.
    for (int jr = 0; jr < nc; jr += NR) {
      int base = jr * kc;
      int nr = Math.min(NR, nc - jr);
      for (int p0 = 0; p0 < kc; p0 += TRANS_PB) {
        int p1 = Math.min(kc, p0 + TRANS_PB);
        for (int j = 0; j < nr; j++) {
          int src = bOff + (jc + jr + j) * ldb + pc;
          for (int p = p0; p < p1; p++) {
            dst[base + p * NR + j] = b[src + p];
          }
        }
      }
      for (int j = nr; j < NR; j++) {
        for (int p = 0; p < kc; p++) {
          dst[base + p * NR + j] = 0f;
        }
      }
    }
  }

  /**
   * packB for B stored (k, n): reads each row of the panel once, left to right, and deals its
   * 16-float pieces out to the slivers. Going sliver by sliver instead reads kc rows a little at a
   * time, kc streams (up to 256, rows far apart) that the hardware prefetcher cannot follow; on a
   * conv forward pass (k = 147, n = 65536) that made packing cost more than the arithmetic.
   */
  private static void packRows(
      float[] dst, float[] b, int bOff, int ldb, int pc, int jc, int kc, int nc) {
    int full = nc / NR * NR;
    for (int p = 0; p < kc; p++) {
      int src = bOff + (pc + p) * ldb + jc;
      for (int jr = 0; jr < full; jr += NR) {
        int d = jr * kc + p * NR;
        FloatVector.fromArray(S, b, src + jr).intoArray(dst, d);
        FloatVector.fromArray(S, b, src + jr + L).intoArray(dst, d + L);
      }
      if (full < nc) {
        int d = full * kc + p * NR;
        int nr = nc - full;
        for (int j = 0; j < nr; j++) {
          dst[d + j] = b[src + full + j];
        }
        for (int j = nr; j < NR; j++) {
          dst[d + j] = 0f;
        }
      }
    }
  }

  /**
   * The 5 x 16 micro-kernel: tile (5 x 16, row stride NR) = A sliver (5 x kc) * B sliver (kc x 16).
   * The ten accumulators stay in registers for the whole k loop; index expressions are single
   * shifts of p, so C2 hoists the bounds checks out of the loop.
   *
   * <p>The sums leave through the small {@code tile} array rather than straight into C: passing
   * vectors to a helper that C2 declines to inline (it does, this method being large) makes it box
   * the accumulators on every iteration, a 10x slow-down. Ten stores to L1 cost nothing next to kc
   * * 10 FMAs.
   */
  private static void kernel(int kc, float[] ap, int ai, float[] bp, int bi, float[] tile) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S);
    FloatVector c41 = FloatVector.zero(S);
    for (int p = 0; p < kc; p++) {
      int pa = ai + p * AS;
      int pb = bi + p * NR;
      FloatVector b0 = FloatVector.fromArray(S, bp, pb);
      FloatVector b1 = FloatVector.fromArray(S, bp, pb + L);
      FloatVector av = FloatVector.broadcast(S, ap[pa]);
      c00 = av.fma(b0, c00);
      c01 = av.fma(b1, c01);
      av = FloatVector.broadcast(S, ap[pa + 1]);
      c10 = av.fma(b0, c10);
      c11 = av.fma(b1, c11);
      av = FloatVector.broadcast(S, ap[pa + 2]);
      c20 = av.fma(b0, c20);
      c21 = av.fma(b1, c21);
      av = FloatVector.broadcast(S, ap[pa + 3]);
      c30 = av.fma(b0, c30);
      c31 = av.fma(b1, c31);
      av = FloatVector.broadcast(S, ap[pa + 4]);
      c40 = av.fma(b0, c40);
      c41 = av.fma(b1, c41);
    }
    c00.intoArray(tile, 0);
    c01.intoArray(tile, L);
    c10.intoArray(tile, NR);
    c11.intoArray(tile, NR + L);
    c20.intoArray(tile, 2 * NR);
    c21.intoArray(tile, 2 * NR + L);
    c30.intoArray(tile, 3 * NR);
    c31.intoArray(tile, 3 * NR + L);
    c40.intoArray(tile, 4 * NR);
    c41.intoArray(tile, 4 * NR + L);
  }

  /**
   * The 8-row micro-kernel for 512-bit vectors (8 x 32 floats / 8 x 16 doubles), otherwise as
   * {@link #kernel}: sixteen accumulators, two B vectors and one broadcast take 19 of AVX-512's 32
   * vector registers. With 5 rows, each step loads two B vectors and five A values for ten FMAs;
   * with 8, the same two B vectors serve sixteen FMAs. Measured alone in L1 on a Zen 5 EPYC
   * (shared, loaded 2-core machine, best of repeated 0.3 s runs, float32): 8 rows 142-182 GFLOP/s,
   * 5 rows 133-164, 4 x 48 137-180.
   */
  private static void kernel8(int kc, float[] ap, int ai, float[] bp, int bi, float[] tile) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S);
    FloatVector c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S);
    FloatVector c51 = FloatVector.zero(S);
    FloatVector c60 = FloatVector.zero(S);
    FloatVector c61 = FloatVector.zero(S);
    FloatVector c70 = FloatVector.zero(S);
    FloatVector c71 = FloatVector.zero(S);
    for (int p = 0; p < kc; p++) {
      int pa = ai + p * AS;
      int pb = bi + p * NR;
      FloatVector b0 = FloatVector.fromArray(S, bp, pb);
      FloatVector b1 = FloatVector.fromArray(S, bp, pb + L);
      FloatVector av = FloatVector.broadcast(S, ap[pa]);
      c00 = av.fma(b0, c00);
      c01 = av.fma(b1, c01);
      av = FloatVector.broadcast(S, ap[pa + 1]);
      c10 = av.fma(b0, c10);
      c11 = av.fma(b1, c11);
      av = FloatVector.broadcast(S, ap[pa + 2]);
      c20 = av.fma(b0, c20);
      c21 = av.fma(b1, c21);
      av = FloatVector.broadcast(S, ap[pa + 3]);
      c30 = av.fma(b0, c30);
      c31 = av.fma(b1, c31);
      av = FloatVector.broadcast(S, ap[pa + 4]);
      c40 = av.fma(b0, c40);
      c41 = av.fma(b1, c41);
      av = FloatVector.broadcast(S, ap[pa + 5]);
      c50 = av.fma(b0, c50);
      c51 = av.fma(b1, c51);
      av = FloatVector.broadcast(S, ap[pa + 6]);
      c60 = av.fma(b0, c60);
      c61 = av.fma(b1, c61);
      av = FloatVector.broadcast(S, ap[pa + 7]);
      c70 = av.fma(b0, c70);
      c71 = av.fma(b1, c71);
    }
    c00.intoArray(tile, 0);
    c01.intoArray(tile, L);
    c10.intoArray(tile, NR);
    c11.intoArray(tile, NR + L);
    c20.intoArray(tile, 2 * NR);
    c21.intoArray(tile, 2 * NR + L);
    c30.intoArray(tile, 3 * NR);
    c31.intoArray(tile, 3 * NR + L);
    c40.intoArray(tile, 4 * NR);
    c41.intoArray(tile, 4 * NR + L);
    c50.intoArray(tile, 5 * NR);
    c51.intoArray(tile, 5 * NR + L);
    c60.intoArray(tile, 6 * NR);
    c61.intoArray(tile, 6 * NR + L);
    c70.intoArray(tile, 7 * NR);
    c71.intoArray(tile, 7 * NR + L);
  }

  /**
   * {@link #kernel8} reading B in place: row p of the 32-column sliver starts at {@code bi + p *
   * ldb} of B stored (k, n), instead of at {@code bi + p * NR} of a packed copy. The same FMAs in
   * the same order, so the same sums.
   */
  private static void kernel8Direct(
      int kc, float[] ap, int ai, float[] b, int bi, int ldb, float[] tile) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S);
    FloatVector c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S);
    FloatVector c51 = FloatVector.zero(S);
    FloatVector c60 = FloatVector.zero(S);
    FloatVector c61 = FloatVector.zero(S);
    FloatVector c70 = FloatVector.zero(S);
    FloatVector c71 = FloatVector.zero(S);
    int pb = bi;
    for (int p = 0; p < kc; p++, pb += ldb) {
      int pa = ai + p * AS;
      FloatVector b0 = FloatVector.fromArray(S, b, pb);
      FloatVector b1 = FloatVector.fromArray(S, b, pb + L);
      FloatVector av = FloatVector.broadcast(S, ap[pa]);
      c00 = av.fma(b0, c00);
      c01 = av.fma(b1, c01);
      av = FloatVector.broadcast(S, ap[pa + 1]);
      c10 = av.fma(b0, c10);
      c11 = av.fma(b1, c11);
      av = FloatVector.broadcast(S, ap[pa + 2]);
      c20 = av.fma(b0, c20);
      c21 = av.fma(b1, c21);
      av = FloatVector.broadcast(S, ap[pa + 3]);
      c30 = av.fma(b0, c30);
      c31 = av.fma(b1, c31);
      av = FloatVector.broadcast(S, ap[pa + 4]);
      c40 = av.fma(b0, c40);
      c41 = av.fma(b1, c41);
      av = FloatVector.broadcast(S, ap[pa + 5]);
      c50 = av.fma(b0, c50);
      c51 = av.fma(b1, c51);
      av = FloatVector.broadcast(S, ap[pa + 6]);
      c60 = av.fma(b0, c60);
      c61 = av.fma(b1, c61);
      av = FloatVector.broadcast(S, ap[pa + 7]);
      c70 = av.fma(b0, c70);
      c71 = av.fma(b1, c71);
    }
    c00.intoArray(tile, 0);
    c01.intoArray(tile, L);
    c10.intoArray(tile, NR);
    c11.intoArray(tile, NR + L);
    c20.intoArray(tile, 2 * NR);
    c21.intoArray(tile, 2 * NR + L);
    c30.intoArray(tile, 3 * NR);
    c31.intoArray(tile, 3 * NR + L);
    c40.intoArray(tile, 4 * NR);
    c41.intoArray(tile, 4 * NR + L);
    c50.intoArray(tile, 5 * NR);
    c51.intoArray(tile, 5 * NR + L);
    c60.intoArray(tile, 6 * NR);
    c61.intoArray(tile, 6 * NR + L);
    c70.intoArray(tile, 7 * NR);
    c71.intoArray(tile, 7 * NR + L);
  }

  /**
   * C[0:mr, 0:nr] (row stride ldc, from ci) = alpha * tile + beta * C; beta == 0 never reads C, as
   * it may hold NaN garbage. Full tiles go through vectors, edge tiles through scalars with the
   * same operations, hence the same rounding.
   */
  private static void store(
      float[] tile, float[] c, int ci, int ldc, int mr, int nr, float alpha, float beta) {
    if (mr == MR && nr == NR) {
      for (int r = 0; r < MR; r++) {
        int row = ci + r * ldc;
        for (int j = 0; j < NR; j += L) {
          FloatVector v = FloatVector.fromArray(S, tile, r * NR + j).mul(alpha);
          if (beta != 0f) {
            v = v.add(FloatVector.fromArray(S, c, row + j).mul(beta));
          }
          v.intoArray(c, row + j);
        }
      }
      return;
    }
    for (int r = 0; r < mr; r++) {
      int row = ci + r * ldc;
      for (int j = 0; j < nr; j++) {
        float t = tile[r * NR + j];
        c[row + j] = beta == 0f ? alpha * t : alpha * t + beta * c[row + j];
      }
    }
  }
}
