package org.handgrad.nn.functional;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Transposed 2-D convolution ("deconvolution", the learnable upsampling of U-Net decoders): the
 * adjoint of {@link Conv} with respect to its input. Each input pixel scatters a weighted copy of
 * its filter onto a stride-spaced output grid, overlapping copies add, and {@code pad} rows and
 * columns are then cropped from every side.
 *
 * <p>Dimensions: N images, C input channels, H x W input, F output channels, HH x WW kernel, output
 * {@code H' = (H - 1) * stride - 2*pad + HH}, {@code W' = (W - 1) * stride - 2*pad + WW}.
 *
 * <p>Weight layout is PyTorch's {@code ConvTranspose2d}: w (C, F, HH, WW), input channels FIRST
 * (the transpose of conv's (F, C, HH, WW)): the weight of a conv that maps (F, H', W') back to (C,
 * H, W). Matches {@code F.conv_transpose2d(x, w, b, stride, padding)} with output_padding=0,
 * groups=1, dilation=1.
 *
 * <p>{@code out[n, f, i*S - P + kh, j*S - P + kw] += x[n, c, i, j] * w[c, f, kh, kw]} (+ b[f]).
 */
public final class ConvTranspose {
  private ConvTranspose() {}

  /**
   * What the backward pass reads.
   *
   * @param x input, shape (N, C, H, W), contiguous
   * @param w weights, shape (C, F, HH, WW), contiguous
   * @param b biases, shape (F,), contiguous
   * @param param stride and padding
   */
  public record Cache(Tensor x, Tensor w, Tensor b, ConvParam param) {}

  /**
   * Gradients of the loss with respect to each input.
   *
   * @param dx shape (N, C, H, W)
   * @param dw shape (C, F, HH, WW)
   * @param db shape (F,)
   */
  public record Grads(Tensor dx, Tensor dw, Tensor db) {}

  // --------------------------------------------------------------------------- naive

  /**
   * Transposed convolution by direct scatter loops (the reference), computed in float64.
   *
   * @param x input, shape (N, C, H, W)
   * @param w weights, shape (C, F, HH, WW)
   * @param b biases, shape (F,)
   * @param param stride and padding
   * @return out of shape (N, F, H', W') and the cache
   * @throws IllegalArgumentException on bad ranks, channel or dtype mismatch, or an empty output
   */
  public static Forward<Cache> convTransposeForwardNaive(
      Tensor x, Tensor w, Tensor b, ConvParam param) {
    Cache cache = validate(x, w, b, param);
    ConvGeometry g = geometry(cache);
    int N = x.shape(0), C = x.shape(1), H = g.HO(), W = g.WO(), F = g.C();
    int HH = g.KH(), WW = g.KW(), OH = g.H(), OW = g.W(), S = g.S(), P = g.P();
    double[] xs = cache.x().toDoubleArray();
    double[] ws = cache.w().toDoubleArray();
    double[] bs = cache.b().toDoubleArray();
    double[] out = new double[N * F * OH * OW];
    for (int n = 0; n < N; n++) {
      for (int f = 0; f < F; f++) {
        for (int q = 0; q < OH * OW; q++) {
          out[(n * F + f) * OH * OW + q] = bs[f];
        }
      }
      for (int c = 0; c < C; c++) {
        for (int i = 0; i < H; i++) {
          for (int j = 0; j < W; j++) {
            double v = xs[((n * C + c) * H + i) * W + j];
            for (int f = 0; f < F; f++) {
              for (int kh = 0; kh < HH; kh++) {
                int oh = i * S - P + kh;
                for (int kw = 0; kw < WW; kw++) {
                  int ow = j * S - P + kw;
                  if (oh >= 0 && oh < OH && ow >= 0 && ow < OW) {
                    out[((n * F + f) * OH + oh) * OW + ow] +=
                        v * ws[((c * F + f) * HH + kh) * WW + kw];
                  }
                }
              }
            }
          }
        }
      }
    }
    return new Forward<>(ConvArgs.fromDoubles(out, x.dtype(), N, F, OH, OW), cache);
  }

  /**
   * Backward pass by direct loops: every scatter {@code out[n, f, oh, ow] += x[n, c, i, j] * w[c,
   * f, kh, kw]} sends {@code dout[n, f, oh, ow] * w[...]} to dx and {@code dout[...] * x[...]} to
   * dw; {@code db[f]} sums dout over n, oh, ow.
   *
   * @param dout upstream gradient, shape (N, F, H', W')
   * @param cache from either forward
   * @return dx (N, C, H, W), dw (C, F, HH, WW), db (F,)
   */
  public static Grads convTransposeBackwardNaive(Tensor dout, Cache cache) {
    ConvGeometry g = geometry(cache);
    int N = cache.x().shape(0), C = cache.x().shape(1), H = g.HO(), W = g.WO(), F = g.C();
    int HH = g.KH(), WW = g.KW(), OH = g.H(), OW = g.W(), S = g.S(), P = g.P();
    DType dt = cache.x().dtype();
    ConvArgs.requireDout("conv_transpose2d backward", dout, new int[] {N, F, OH, OW}, dt);
    double[] xs = cache.x().toDoubleArray();
    double[] ws = cache.w().toDoubleArray();
    double[] gs = dout.toDoubleArray();
    double[] dx = new double[xs.length];
    double[] dw = new double[ws.length];
    double[] db = new double[F];
    for (int n = 0; n < N; n++) {
      for (int f = 0; f < F; f++) {
        for (int q = 0; q < OH * OW; q++) {
          db[f] += gs[(n * F + f) * OH * OW + q];
        }
      }
      for (int c = 0; c < C; c++) {
        for (int i = 0; i < H; i++) {
          for (int j = 0; j < W; j++) {
            int xi = ((n * C + c) * H + i) * W + j;
            for (int f = 0; f < F; f++) {
              for (int kh = 0; kh < HH; kh++) {
                int oh = i * S - P + kh;
                for (int kw = 0; kw < WW; kw++) {
                  int ow = j * S - P + kw;
                  if (oh >= 0 && oh < OH && ow >= 0 && ow < OW) {
                    double go = gs[((n * F + f) * OH + oh) * OW + ow];
                    int wi = ((c * F + f) * HH + kh) * WW + kw;
                    dx[xi] += go * ws[wi];
                    dw[wi] += go * xs[xi];
                  }
                }
              }
            }
          }
        }
      }
    }
    return new Grads(
        ConvArgs.fromDoubles(dx, dt, N, C, H, W),
        ConvArgs.fromDoubles(dw, dt, C, F, HH, WW),
        ConvArgs.fromDoubles(db, dt, F));
  }

  // --------------------------------------------------------------------------- fast

  /**
   * Transposed convolution with the conv machinery run backwards, per image: {@code cols (F*HH*WW,
   * H*W) = w^T * x[n]} (GEMM with transA; w read as (C, F*HH*WW)), then {@code out[n] = b +
   * col2im(cols)} where col2im uses the geometry of the conv from out (F, H', W') to x (C, H, W).
   *
   * @param x input, shape (N, C, H, W)
   * @param w weights, shape (C, F, HH, WW)
   * @param b biases, shape (F,)
   * @param param stride and padding
   * @return out of shape (N, F, H', W') and the cache
   * @throws IllegalArgumentException as {@link #convTransposeForwardNaive}
   */
  public static Forward<Cache> convTransposeForward(Tensor x, Tensor w, Tensor b, ConvParam param) {
    Cache cache = validate(x, w, b, param);
    ConvGeometry g = geometry(cache);
    int N = x.shape(0), C = x.shape(1), F = g.C();
    int K = g.colRows(), L = g.colCols(), outImage = g.imageSize();
    Tensor out = Tensor.zeros(x.dtype(), N, F, g.H(), g.W());
    Tensor cols = Tensor.zeros(x.dtype(), K * L);
    for (int n = 0; n < N; n++) {
      TensorGemm.gemm(
          cols, 0, L, cache.w(), 0, K, true, cache.x(), n * C * L, L, false, K, L, C, 0);
      ConvKernels.fillRows(out, n * outImage, cache.b(), F, g.H() * g.W());
      ConvKernels.col2im(out, n * outImage, cols, 0, g);
    }
    return new Forward<>(out, cache);
  }

  /**
   * Backward pass of the transposed convolution: it is a conv in reverse, so per image {@code dcols
   * = im2col(dout[n])}, {@code dx[n] (C, H*W) = w (C, F*HH*WW) * dcols}, {@code dw += x[n] (C, H*W)
   * * dcols^T} (GEMM with transB), {@code db[f] += sum of dout[n, f]}.
   *
   * @param dout upstream gradient, shape (N, F, H', W')
   * @param cache from either forward
   * @return dx (N, C, H, W), dw (C, F, HH, WW), db (F,)
   */
  public static Grads convTransposeBackward(Tensor dout, Cache cache) {
    ConvGeometry g = geometry(cache);
    int N = cache.x().shape(0), C = cache.x().shape(1), F = g.C();
    DType dt = cache.x().dtype();
    ConvArgs.requireDout("conv_transpose2d backward", dout, new int[] {N, F, g.H(), g.W()}, dt);
    Tensor dy = dout.contiguous();
    int K = g.colRows(), L = g.colCols(), outImage = g.imageSize();
    Tensor dx = Tensor.zerosLike(cache.x());
    Tensor dw = Tensor.zerosLike(cache.w());
    Tensor db = Tensor.zeros(dt, F);
    Tensor dcols = Tensor.zeros(dt, K * L);
    for (int n = 0; n < N; n++) {
      ConvKernels.im2col(dcols, dy, n * outImage, g);
      TensorGemm.gemm(dx, n * C * L, L, cache.w(), 0, K, false, dcols, 0, L, false, C, L, K, 0);
      TensorGemm.gemm(dw, 0, K, cache.x(), n * C * L, L, false, dcols, 0, L, true, C, K, L, 1);
      ConvKernels.addRowSums(db, 0, dy, n * outImage, F, g.H() * g.W());
    }
    return new Grads(dx, dw, db);
  }

  // --------------------------------------------------------------------------- checks

  private static Cache validate(Tensor x, Tensor w, Tensor b, ConvParam param) {
    String op = "conv_transpose2d";
    ConvArgs.requireRank(op, "x", x, 4, "(N, C, H, W)");
    ConvArgs.requireRank(op, "w", w, 4, "(C, F, HH, WW)");
    ConvArgs.requireRank(op, "b", b, 1, "(F,)");
    if (param == null) {
      throw new IllegalArgumentException(op + ": param is null");
    }
    if (param.floor()) {
      // The output size (H - 1) * stride - 2*pad + HH is exact: there is no remainder to drop.
      throw new IllegalArgumentException(
          op
              + ": ConvParam.floor has no meaning for a transposed convolution; use new ConvParam("
              + param.stride()
              + ", "
              + param.pad()
              + ")");
    }
    if (w.shape(0) != x.shape(1)) {
      throw new IllegalArgumentException(
          op
              + ": expected w (C, F, HH, WW) with C="
              + x.shape(1)
              + " to match x "
              + x.shapeString()
              + " (PyTorch layout: input channels first), got "
              + w.shapeString());
    }
    if (b.shape(0) != w.shape(1)) {
      throw new IllegalArgumentException(
          op
              + ": expected b (F,) with F="
              + w.shape(1)
              + " for w "
              + w.shapeString()
              + ", got "
              + b.shapeString());
    }
    ConvArgs.requireSameDType(op, "w", w, x);
    ConvArgs.requireSameDType(op, "b", b, x);
    int S = param.stride(), P = param.pad();
    int OH = (x.shape(2) - 1) * S - 2 * P + w.shape(2);
    int OW = (x.shape(3) - 1) * S - 2 * P + w.shape(3);
    if (OH < 1 || OW < 1) {
      throw new IllegalArgumentException(
          op
              + ": output size ("
              + OH
              + ", "
              + OW
              + ") is empty for x "
              + x.shapeString()
              + ", w "
              + w.shapeString()
              + ", pad "
              + P
              + ", stride "
              + S);
    }
    return new Cache(x.contiguous(), w.contiguous(), b.contiguous(), param);
  }

  /**
   * The conv geometry that maps this op's output (F, H', W') to its input grid (H, W): the conv
   * whose adjoint this op is.
   */
  private static ConvGeometry geometry(Cache c) {
    int S = c.param().stride(), P = c.param().pad();
    int H = c.x().shape(2), W = c.x().shape(3);
    int F = c.w().shape(1), HH = c.w().shape(2), WW = c.w().shape(3);
    int OH = (H - 1) * S - 2 * P + HH, OW = (W - 1) * S - 2 * P + WW;
    return new ConvGeometry(F, OH, OW, HH, WW, S, P, H, W);
  }
}
