package org.handgrad.nn.functional;

import org.handgrad.kernels.Parallel;
import org.handgrad.kernels.Winograd;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * 2-D convolution (cross-correlation, as CS231n and PyTorch define it) with stride and zero
 * padding: a naive reference pair written as plain loops and a fast pair built on im2col + GEMM
 * (Winograd's F(2x2, 3x3) instead for the forward pass and dx of 3x3 layers that {@link #winograd}
 * picks).
 *
 * <p>Dimensions: N images, C input channels, H x W input size, F filters of size HH x WW, output
 * size H' x W' with {@code H' = 1 + (H + 2*pad - HH) / stride} and {@code W' = 1 + (W + 2*pad - WW)
 * / stride}. As in CS231n's {@code conv_forward_naive}, {@code H + 2*pad - HH} and {@code W + 2*pad
 * - WW} must be divisible by the stride, unless {@link ConvParam#floor()} asks for PyTorch's rule
 * (the division rounds down and the remainder rows and columns are never read; their dx is 0).
 *
 * <p>{@code out[n, f, i, j] = b[f] + sum_{c, kh, kw} w[f, c, kh, kw] * xpad[n, c, i*S + kh, j*S +
 * kw]}, where xpad is x with {@code pad} zeros on each side.
 *
 * <p>The naive pair computes in float64 whatever the input dtype and rounds the result to it; the
 * fast pair computes in the input dtype. Both share the cache, so either backward accepts either
 * forward's cache.
 */
public final class Conv {
  private Conv() {}

  /**
   * What the backward pass reads.
   *
   * @param x input, shape (N, C, H, W), contiguous
   * @param w filters, shape (F, C, HH, WW), contiguous
   * @param b biases, shape (F,), contiguous
   * @param param stride and padding
   */
  public record Cache(Tensor x, Tensor w, Tensor b, ConvParam param) {}

  /**
   * Gradients of the loss with respect to each input.
   *
   * @param dx shape (N, C, H, W)
   * @param dw shape (F, C, HH, WW); {@code null} from {@link #convBackwardInput}
   * @param db shape (F,)
   */
  public record Grads(Tensor dx, Tensor dw, Tensor db) {}

  // --------------------------------------------------------------------------- naive

  /**
   * Convolution by direct loops over every output element (the reference).
   *
   * @param x input, shape (N, C, H, W)
   * @param w filters, shape (F, C, HH, WW)
   * @param b biases, shape (F,)
   * @param param stride and padding
   * @return out of shape (N, F, H', W') and the cache
   * @throws IllegalArgumentException on bad ranks, channel or dtype mismatch, or a stride that does
   *     not divide {@code H + 2*pad - HH} / {@code W + 2*pad - WW}
   */
  public static Forward<Cache> convForwardNaive(Tensor x, Tensor w, Tensor b, ConvParam param) {
    Cache cache = validate(x, w, b, param);
    int[] d = dims(cache);
    int N = d[0], C = d[1], H = d[2], W = d[3], F = d[4], HH = d[5], WW = d[6], HO = d[7];
    int WO = d[8], S = param.stride(), P = param.pad();
    double[] xs = cache.x().toDoubleArray();
    double[] ws = cache.w().toDoubleArray();
    double[] bs = cache.b().toDoubleArray();
    double[] out = new double[N * F * HO * WO];
    int o = 0;
    for (int n = 0; n < N; n++) {
      for (int f = 0; f < F; f++) {
        for (int i = 0; i < HO; i++) {
          for (int j = 0; j < WO; j++) {
            double s = bs[f];
            for (int c = 0; c < C; c++) {
              for (int kh = 0; kh < HH; kh++) {
                int h = i * S - P + kh;
                for (int kw = 0; kw < WW; kw++) {
                  int v = j * S - P + kw;
                  if (h >= 0 && h < H && v >= 0 && v < W) {
                    s += ws[((f * C + c) * HH + kh) * WW + kw] * xs[((n * C + c) * H + h) * W + v];
                  }
                }
              }
            }
            out[o++] = s;
          }
        }
      }
    }
    return new Forward<>(ConvArgs.fromDoubles(out, x.dtype(), N, F, HO, WO), cache);
  }

  /**
   * Backward pass of {@link #convForwardNaive} by direct loops.
   *
   * <p>Each output element reads {@code w[f, c, kh, kw] * xpad[n, c, i*S + kh, j*S + kw]}, so its
   * upstream gradient flows to both factors: {@code dw[f, c, kh, kw] += dout[n, f, i, j] *
   * xpad[...]} and {@code dxpad[...] += dout[n, f, i, j] * w[f, c, kh, kw]}; padding entries are
   * dropped. {@code db[f]} sums dout over n, i, j.
   *
   * @param dout upstream gradient, shape (N, F, H', W')
   * @param cache from {@link #convForwardNaive} or {@link #convForward}
   * @return dx (N, C, H, W), dw (F, C, HH, WW), db (F,)
   */
  public static Grads convBackwardNaive(Tensor dout, Cache cache) {
    int[] d = dims(cache);
    int N = d[0], C = d[1], H = d[2], W = d[3], F = d[4], HH = d[5], WW = d[6], HO = d[7];
    int WO = d[8], S = cache.param().stride(), P = cache.param().pad();
    ConvArgs.requireDout("conv2d backward", dout, new int[] {N, F, HO, WO}, cache.x().dtype());
    double[] xs = cache.x().toDoubleArray();
    double[] ws = cache.w().toDoubleArray();
    double[] g = dout.toDoubleArray();
    double[] dx = new double[xs.length];
    double[] dw = new double[ws.length];
    double[] db = new double[F];
    int o = 0;
    for (int n = 0; n < N; n++) {
      for (int f = 0; f < F; f++) {
        for (int i = 0; i < HO; i++) {
          for (int j = 0; j < WO; j++) {
            double go = g[o++];
            db[f] += go;
            for (int c = 0; c < C; c++) {
              for (int kh = 0; kh < HH; kh++) {
                int h = i * S - P + kh;
                for (int kw = 0; kw < WW; kw++) {
                  int v = j * S - P + kw;
                  if (h >= 0 && h < H && v >= 0 && v < W) {
                    int wi = ((f * C + c) * HH + kh) * WW + kw;
                    int xi = ((n * C + c) * H + h) * W + v;
                    dw[wi] += go * xs[xi];
                    dx[xi] += go * ws[wi];
                  }
                }
              }
            }
          }
        }
      }
    }
    DType dt = cache.x().dtype();
    return new Grads(
        ConvArgs.fromDoubles(dx, dt, N, C, H, W),
        ConvArgs.fromDoubles(dw, dt, F, C, HH, WW),
        ConvArgs.fromDoubles(db, dt, F));
  }

  // --------------------------------------------------------------------------- fast

  /**
   * At most this many parallel chunks of images: enough to keep a few threads busy and balanced,
   * few enough that the backward pass's per-chunk dw partials stay small. The chunking depends on
   * the shapes only, never on the thread count, so results are bit-identical for any thread count.
   */
  static final int MAX_IMAGE_CHUNKS = 16;

  /** Elements of per-chunk dw/db partials the backward pass may allocate (16 MB of float32). */
  static final int PARTIAL_BUDGET = 1 << 22;

  /**
   * Convolution as one GEMM per image: {@code out[n] (F, H'*W') = w (F, C*HH*WW) * cols (C*HH*WW,
   * H'*W')}, where cols is the im2col unrolling of image n (see {@link
   * org.handgrad.kernels.Im2col}). The bias is written first and the GEMM accumulates onto it.
   *
   * <p>Images are independent, so they are split into contiguous chunks run on the {@link Parallel}
   * threads, each chunk with its own column buffer; a GEMM called inside a chunk runs on that
   * chunk's thread. One GEMM over the whole batch would need a (C*HH*WW, N*H'*W') column matrix and
   * an (F, N, H'*W') to (N, F, H'*W') transpose of the result; per-image GEMMs write NCHW directly
   * and keep the columns in cache.
   *
   * @param x input, shape (N, C, H, W)
   * @param w filters, shape (F, C, HH, WW)
   * @param b biases, shape (F,)
   * @param param stride and padding
   * @return out of shape (N, F, H', W') and the cache
   * @throws IllegalArgumentException as {@link #convForwardNaive}
   */
  public static Forward<Cache> convForward(Tensor x, Tensor w, Tensor b, ConvParam param) {
    Cache cache = validate(x, w, b, param);
    int[] d = dims(cache);
    int N = d[0], F = d[4];
    ConvGeometry g = geometry(d, param);
    int K = g.colRows(), L = g.colCols();
    Tensor out = Tensor.zeros(x.dtype(), N, F, g.HO(), g.WO());
    if (winograd(cache, g.C(), F)) {
      Tensor xc = cache.x(), wc = cache.w(), bc = cache.b();
      Winograd.forward(
          out.floatStorage(),
          out.offset(),
          xc.floatStorage(),
          xc.offset(),
          wc.floatStorage(),
          wc.offset(),
          bc.floatStorage(),
          bc.offset(),
          N,
          g.C(),
          g.H(),
          g.W(),
          F);
      return new Forward<>(out, cache);
    }
    int chunks = Math.min(N, MAX_IMAGE_CHUNKS);
    Parallel.forChunks(
        chunks,
        (long) N * F * K * L,
        c -> {
          Tensor cols = Tensor.zeros(x.dtype(), K * L); // column matrix (K, L), one per chunk
          for (int n = chunkStart(c, chunks, N); n < chunkStart(c + 1, chunks, N); n++) {
            ConvKernels.im2col(cols, cache.x(), n * g.imageSize(), g);
            ConvKernels.fillRows(out, n * F * L, cache.b(), F, L);
            TensorGemm.gemm(
                out, n * F * L, L, cache.w(), 0, K, false, cols, 0, L, false, F, L, K, 1);
          }
        });
    return new Forward<>(out, cache);
  }

  /**
   * Backward pass of {@link #convForward}, per image n, with {@code cols} re-unrolled from x (cheap
   * next to the GEMMs, and it saves caching N column matrices):
   *
   * <ul>
   *   <li>{@code dw (F, C*HH*WW) += dout[n] (F, H'*W') * cols^T} (GEMM with transB), or, for the
   *       layers {@link #winograd} picks, Winograd's F(2x2, 3x3) run backwards over the whole batch
   *       after the loop ({@link Winograd#backwardFilter});
   *   <li>dx[n] in one of two ways, the same sums in another order (see {@link #dxAsConvolution}):
   *       <ul>
   *         <li>{@code dcols = w^T (C*HH*WW, F) * dout[n]} (GEMM with transA), then {@code dx[n] =
   *             col2im(dcols)}, the adjoint of the im2col gather: any stride;
   *         <li>for stride 1, a convolution of dout[n] with the flipped filters: {@code dx[n] (C,
   *             H*W) = wflip (C, F*HH*WW) * im2col(dout[n])}, padding {@code HH-1-pad};
   *       </ul>
   *       or, for the layers {@link #winograd} picks, that same convolution by Winograd's F(2x2,
   *       3x3) over the whole batch after the loop;
   *   <li>{@code db[f] += sum of dout[n, f]}.
   * </ul>
   *
   * Images run in parallel chunks as in {@link #convForward}. dx[n] belongs to one chunk; dw and db
   * are sums over images, so each chunk sums its images into its own partial and the partials are
   * added in chunk order afterwards: the same result for any thread count.
   *
   * @param dout upstream gradient, shape (N, F, H', W')
   * @param cache from {@link #convForward} or {@link #convForwardNaive}
   * @return dx (N, C, H, W), dw (F, C, HH, WW), db (F,)
   */
  public static Grads convBackward(Tensor dout, Cache cache) {
    return backward(dout, cache, true);
  }

  /**
   * {@link #convBackward} without the weight gradient: dx and db only. For a frozen layer, whose
   * filters need no gradient, this skips the {@code dout * cols^T} GEMM (half of the backward's
   * GEMM work) and the im2col that only that GEMM needs.
   *
   * @param dout upstream gradient, shape (N, F, H', W')
   * @param cache from {@link #convForward} or {@link #convForwardNaive}
   * @return dx (N, C, H, W), dw {@code null}, db (F,)
   */
  public static Grads convBackwardInput(Tensor dout, Cache cache) {
    return backward(dout, cache, false);
  }

  private static Grads backward(Tensor dout, Cache cache, boolean weightGrad) {
    int[] d = dims(cache);
    int N = d[0], F = d[4];
    ConvGeometry g = geometry(d, cache.param());
    ConvArgs.requireDout(
        "conv2d backward", dout, new int[] {N, F, g.HO(), g.WO()}, cache.x().dtype());
    Tensor dy = dout.contiguous();
    DType dt = cache.x().dtype();
    int K = g.colRows(), L = g.colCols();
    Tensor dx = Tensor.zerosLike(cache.x());
    // Row c of partial holds chunk c's dw (F*K values, (F, K) row-major) then its db (F values).
    int stride = F * K + F;
    // At least one chunk, so an empty batch still yields zero dw and db.
    int chunks =
        Math.max(1, Math.min(Math.min(N, MAX_IMAGE_CHUNKS), PARTIAL_BUDGET / Math.max(1, stride)));
    Tensor partial = Tensor.zeros(dt, chunks * stride);
    // dx by Winograd's F(2x2, 3x3) over the whole batch, after the loop below; otherwise per image
    // in the loop.
    boolean winogradDx = winograd(cache, g.C(), F);
    // dx as a convolution of dout: its geometry (dout's F channels, H' x W', out to H x W) and the
    // filters flipped and transposed to (C, F*HH*WW); null for the col2im way.
    ConvGeometry gt = !winogradDx && dxAsConvolution(g, F) ? transposedGeometry(g, F) : null;
    Tensor wflip = gt != null ? ConvKernels.flipTranspose(cache.w()) : null;
    int dcolsSize = winogradDx ? 0 : gt != null ? gt.colRows() * gt.colCols() : K * L;
    int C = g.C(), HW = g.H() * g.W(), FK = F * g.KH() * g.KW();
    // dw by Winograd too (after the loop) for the same layers; the loop then sums only db.
    boolean winogradDw = weightGrad && winogradDx;
    boolean im2colDw = weightGrad && !winogradDw;
    Parallel.forChunks(
        chunks,
        (im2colDw ? 2L : 1L) * N * F * K * L,
        c -> {
          Tensor cols = im2colDw ? Tensor.zeros(dt, K * L) : null; // (K, L) of one image
          // (K, L) gradient of cols, or the (F*HH*WW, H*W) column matrix of dout[n]
          Tensor dcols = Tensor.zeros(dt, dcolsSize);
          int p = c * stride;
          for (int n = chunkStart(c, chunks, N); n < chunkStart(c + 1, chunks, N); n++) {
            int off = n * F * L;
            if (im2colDw) {
              ConvKernels.im2col(cols, cache.x(), n * g.imageSize(), g);
              TensorGemm.gemm(partial, p, K, dy, off, L, false, cols, 0, L, true, F, K, L, 1);
            }
            if (winogradDx) {
              // dx after the loop
            } else if (gt != null) {
              ConvKernels.im2col(dcols, dy, off, gt);
              TensorGemm.gemm(
                  dx,
                  n * g.imageSize(),
                  HW,
                  wflip,
                  0,
                  FK,
                  false,
                  dcols,
                  0,
                  HW,
                  false,
                  C,
                  HW,
                  FK,
                  0);
            } else {
              TensorGemm.gemm(dcols, 0, L, cache.w(), 0, K, true, dy, off, L, false, K, L, F, 0);
              ConvKernels.col2im(dx, n * g.imageSize(), dcols, 0, g);
            }
            ConvKernels.addRowSums(partial, p + F * K, dy, off, F, L);
          }
        });
    if (winogradDx) {
      Tensor wc = cache.w();
      Winograd.backwardData(
          dx.floatStorage(),
          dx.offset(),
          dy.floatStorage(),
          dy.offset(),
          wc.floatStorage(),
          wc.offset(),
          N,
          C,
          g.H(),
          g.W(),
          F);
    }
    Tensor dw = null;
    if (winogradDw) {
      dw = Tensor.zerosLike(cache.w());
      Tensor xc = cache.x();
      Winograd.backwardFilter(
          dw.floatStorage(),
          dw.offset(),
          xc.floatStorage(),
          xc.offset(),
          dy.floatStorage(),
          dy.offset(),
          N,
          C,
          g.H(),
          g.W(),
          F);
    } else if (weightGrad) {
      dw = Tensor.zerosLike(cache.w());
      ConvKernels.sumChunks(dw, partial, 0, chunks, stride);
    }
    Tensor db = Tensor.zeros(dt, F);
    ConvKernels.sumChunks(db, partial, F * K, chunks, stride);
    return new Grads(dx, dw, db);
  }

  /**
   * Whether the backward pass computes dx as a convolution of dout with the flipped filters rather
   * than as {@code col2im(w^T dout)}: for stride 1 with square filters and {@code pad <= HH - 1},
   * when the image has at least {@link #DX_CONV_MIN_CHANNELS} channels.
   *
   * <p>Both do the same multiply-adds. With stride 1, {@code dx[n, c, h, v] = sum over f, a, b of
   * dout[n, f, h + pad - a, v + pad - b] * w[f, c, a, b]}; renaming {@code a' = HH-1-a} (and b')
   * makes it a convolution of dout, zero-padded by {@code HH-1-pad}, with {@code wflip[c, f, a',
   * b'] = w[f, c, HH-1-a', WW-1-b']}, whose output is H x W again. The col2im way is a GEMM with
   * inner dimension F that writes the (C*HH*WW, H'*W') matrix, then a scatter-add of it; the
   * convolution way gathers dout into a column matrix of the same size with the im2col copies and
   * runs a GEMM with inner dimension F*HH*WW that writes only dx[n]. With few image channels (the
   * first layer: C = 1 or 3) its GEMM has C rows, too few for the 8-row micro-kernel, and the
   * col2im way stays.
   */
  static boolean dxAsConvolution(ConvGeometry g, int F) {
    return g.S() == 1
        && g.KH() == g.KW()
        && g.P() <= g.KH() - 1
        && g.C() >= DX_CONV_MIN_CHANNELS
        && F > 0;
  }

  /**
   * Whether a layer runs Winograd's F(2x2, 3x3) ({@link Winograd}) rather than im2col + GEMM for
   * its forward pass, its input gradient and its filter gradient: float32 with the Vector API, 3x3
   * filters, stride 1, padding 1, and at least 32 channels on both sides: {@code min(C, F) >= 32}.
   *
   * <p>Winograd's 16 GEMMs cost about {@code 16 C F} multiply-adds per tile, its transforms about
   * {@code C + F} vector passes; with few channels the transforms, which the im2col path does not
   * have, eat the saving. Measured on a 2-core Zen 5 (AVX-512), float32, 2 threads, forward, the
   * two paths alternated in one process (40 calls each, medians of three runs), after the
   * transforms' row splits and zips went onto vector shuffles: C = F = 32 at 28x28 1.10-1.24x
   * faster than im2col, C = 96, F = 32 there 1.05-1.10x, C = 64, F = 32 1.12-1.21x, C = F = 64
   * 1.06-1.19x; and the U-Net's training step 2-3% faster with this rule than with the earlier
   * {@code C * F >= 32 (C + F)} (which left the 32-channel layers on im2col) in three alternations
   * (docs/performance.md).
   */
  static boolean winograd(Cache cache, int C, int F) {
    Tensor w = cache.w();
    ConvParam p = cache.param();
    return cache.x().dtype() == DType.FLOAT32
        && w.shape(2) == 3
        && w.shape(3) == 3
        && p.stride() == 1
        && p.pad() == 1
        && Math.min(C, F) >= WINOGRAD_MIN_CHANNELS
        && Winograd.enabled();
  }

  /** The fewest input channels and filters for which {@link #winograd} picks Winograd. */
  static final int WINOGRAD_MIN_CHANNELS = 32;

  /** The smallest image channel count for which dx is computed as a convolution. */
  static final int DX_CONV_MIN_CHANNELS = 8;

  /**
   * Geometry of the stride-1 convolution that computes dx: "image" dout (F, H', W'), the same
   * filter size, padding {@code HH-1-pad}, output H x W.
   */
  private static ConvGeometry transposedGeometry(ConvGeometry g, int F) {
    int pt = g.KH() - 1 - g.P();
    return new ConvGeometry(F, g.HO(), g.WO(), g.KH(), g.KW(), 1, pt, g.H(), g.W());
  }

  /** First image of chunk c when N images are split into {@code chunks} near-equal ranges. */
  private static int chunkStart(int c, int chunks, int N) {
    return (int) ((long) c * N / chunks);
  }

  // --------------------------------------------------------------------------- checks

  /** Validates the arguments and returns a cache holding contiguous tensors. */
  static Cache validate(Tensor x, Tensor w, Tensor b, ConvParam param) {
    String op = "conv2d";
    ConvArgs.requireRank(op, "x", x, 4, "(N, C, H, W)");
    ConvArgs.requireRank(op, "w", w, 4, "(F, C, HH, WW)");
    ConvArgs.requireRank(op, "b", b, 1, "(F,)");
    if (param == null) {
      throw new IllegalArgumentException(op + ": param is null");
    }
    int C = x.shape(1), F = w.shape(0);
    if (w.shape(1) != C) {
      throw new IllegalArgumentException(
          op
              + ": expected w (F, C, HH, WW) with C="
              + C
              + " to match x "
              + x.shapeString()
              + ", got "
              + w.shapeString());
    }
    if (b.shape(0) != F) {
      throw new IllegalArgumentException(
          op
              + ": expected b (F,) with F="
              + F
              + " for w "
              + w.shapeString()
              + ", got "
              + b.shapeString());
    }
    ConvArgs.requireSameDType(op, "w", w, x);
    ConvArgs.requireSameDType(op, "b", b, x);
    checkWindow(op, x.shape(2), w.shape(2), "H", "HH", x, w, param);
    checkWindow(op, x.shape(3), w.shape(3), "W", "WW", x, w, param);
    return new Cache(x.contiguous(), w.contiguous(), b.contiguous(), param);
  }

  private static void checkWindow(
      String op, int size, int k, String sizeName, String kName, Tensor x, Tensor w, ConvParam p) {
    int span = size + 2 * p.pad() - k;
    String where =
        " for x "
            + x.shapeString()
            + ", w "
            + w.shapeString()
            + ", pad "
            + p.pad()
            + ", stride "
            + p.stride();
    if (span < 0) {
      throw new IllegalArgumentException(
          op + ": the " + k + "-wide filter does not fit " + sizeName + " + 2*pad" + where);
    }
    if (!p.floor() && span % p.stride() != 0) {
      throw new IllegalArgumentException(
          op
              + ": "
              + sizeName
              + " + 2*pad - "
              + kName
              + " = "
              + span
              + " is not divisible by the stride"
              + where
              + " (ConvParam.torch rounds the output size down, as PyTorch)");
    }
  }

  /** N, C, H, W, F, HH, WW, H', W' of a validated cache. */
  private static int[] dims(Cache c) {
    int[] xs = c.x().shape();
    int[] ws = c.w().shape();
    int S = c.param().stride(), P = c.param().pad();
    int HO = 1 + (xs[2] + 2 * P - ws[2]) / S;
    int WO = 1 + (xs[3] + 2 * P - ws[3]) / S;
    return new int[] {xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], HO, WO};
  }

  private static ConvGeometry geometry(int[] d, ConvParam p) {
    return new ConvGeometry(d[1], d[2], d[3], d[5], d[6], p.stride(), p.pad(), d[7], d[8]);
  }
}
