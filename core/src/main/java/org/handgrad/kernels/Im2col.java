package org.handgrad.kernels;

import java.util.Arrays;

/**
 * im2col / col2im for 2-D convolution on one image: unrolls every receptive field into a column so
 * that a convolution becomes one matrix product (Chellapilla et al. 2006; the layout of Caffe's
 * {@code im2col_cpu}, which CS231n's {@code im2col.py} mirrors).
 *
 * <p>Layout. The image {@code x} is (C, H, W) row-major at {@code xOff}. The column matrix {@code
 * cols} is (C*KH*KW, HO*WO) row-major at {@code colsOff}: row {@code (c*KH + kh)*KW + kw} holds,
 * for every output position {@code ho*WO + wo}, the input value {@code x[c, ho*S - P + kh, wo*S - P
 * + kw]}, or 0 where that falls in the zero padding. With this layout the convolution of one image
 * is {@code out (F, HO*WO) = w (F, C*KH*KW) * cols}, written straight into NCHW order, and its
 * gradients are {@code dw += dout * cols^T} and {@code dcols = w^T * dout}: GEMMs with transpose
 * flags, no transposed copies. The caller fixes {@code HO = 1 + (H + 2P - KH) / S} (same for W).
 *
 * <p>{@link #col2im} is the adjoint (transpose) of {@link #im2col}: it scatters every column entry
 * back onto the pixel it was read from and ADDS it there, so overlapping windows (stride &lt;
 * kernel) sum their contributions, which is exactly the chain rule for a value read several times.
 *
 * <p>Each kernel has a scalar twin ({@code im2colScalar}, {@code col2imScalar}): one bounds test
 * per element, obviously correct, the reference for tests. The default versions hoist the padding
 * tests out of the inner loop (the valid output range of each kernel column is computed once) and
 * copy stride-1 rows with {@code System.arraycopy}. Plain Java: the inner loops are copies or
 * strided gathers, which the Vector API does not speed up. The package-wide switch {@link
 * Kernels#forceScalar(boolean)} (or {@code -Dhandgrad.kernels.scalar=true}) sends the dispatching
 * methods to the scalar twins (for A/B timing and for tests).
 *
 * <p>Single-threaded and allocation-free: callers parallelise over images, each worker with its own
 * column buffer (see {@code nn.functional.Conv}).
 */
public final class Im2col {
  private Im2col() {}

  // ------------------------------------------------------------------------------- im2col

  /**
   * Unrolls one (C, H, W) image into the (C*KH*KW, HO*WO) column matrix; see the class comment.
   * Every entry of the column matrix is written (padding as zeros).
   */
  public static void im2col(
      float[] cols,
      int colsOff,
      float[] x,
      int xOff,
      int C,
      int H,
      int W,
      int KH,
      int KW,
      int S,
      int P,
      int HO,
      int WO) {
    if (Kernels.scalarForced()) {
      im2colScalar(cols, colsOff, x, xOff, C, H, W, KH, KW, S, P, HO, WO);
      return;
    }
    if (S == 1 && HO == H && WO == W) {
      im2colSame(cols, colsOff, x, xOff, C, H, W, KH, KW, P);
      return;
    }
    int hw = HO * WO;
    for (int c = 0; c < C; c++) {
      for (int kh = 0; kh < KH; kh++) {
        for (int kw = 0; kw < KW; kw++) {
          int row = colsOff + ((c * KH + kh) * KW + kw) * hw;
          int lo = Math.min(WO, firstInside(kw, S, P));
          int hi = Math.max(lo, endInside(kw, S, P, W, WO));
          for (int ho = 0; ho < HO; ho++) {
            int dst = row + ho * WO;
            int h = ho * S - P + kh;
            if (h < 0 || h >= H) {
              Arrays.fill(cols, dst, dst + WO, 0f);
              continue;
            }
            // The padding margins are a column or two: a loop beats an Arrays.fill call there.
            for (int i = dst; i < dst + lo; i++) {
              cols[i] = 0f;
            }
            int src = xOff + (c * H + h) * W + lo * S - P + kw;
            if (S == 1) {
              System.arraycopy(x, src, cols, dst + lo, hi - lo);
            } else {
              for (int wo = lo; wo < hi; wo++, src += S) {
                cols[dst + wo] = x[src];
              }
            }
            for (int i = dst + hi; i < dst + WO; i++) {
              cols[i] = 0f;
            }
          }
        }
      }
    }
  }

  /**
   * im2col for "same" convolutions (stride 1, output as large as the input: 2P = KH - 1 = KW - 1,
   * the 3x3 pad-1 and 7x7 pad-3 layers). Row (c, kh, kw) of the column matrix is then the image
   * plane shifted by (kh - P, kw - P), zero where the shift leaves it: element {@code ho*W + wo}
   * reads the plane at {@code ho*W + wo + (kh - P)*W + (kw - P)}. So the stretch from the first
   * element that reads inside the plane to the last is one copy, after which the few entries in it
   * that wrapped into a neighbouring image row are set to zero, as are the rows and columns outside
   * it. A 28-pixel-wide image takes one copy per (c, kh, kw) instead of one per output row.
   */
  private static void im2colSame(
      float[] cols, int colsOff, float[] x, int xOff, int C, int H, int W, int KH, int KW, int P) {
    int hw = H * W;
    for (int c = 0; c < C; c++) {
      int plane = xOff + c * hw;
      for (int kh = 0; kh < KH; kh++) {
        int dh = kh - P;
        // Output rows [h0, h1) and columns [w0, w1) read inside the plane.
        int h0 = Math.max(0, -dh);
        int h1 = Math.min(H, H - dh);
        for (int kw = 0; kw < KW; kw++) {
          int dw = kw - P;
          int w0 = Math.max(0, -dw);
          int w1 = Math.min(W, W - dw);
          int row = colsOff + ((c * KH + kh) * KW + kw) * hw;
          if (h0 >= h1 || w0 >= w1) {
            Arrays.fill(cols, row, row + hw, 0f);
            continue;
          }
          int first = h0 * W + w0;
          int end = (h1 - 1) * W + w1;
          Arrays.fill(cols, row, row + first, 0f);
          System.arraycopy(x, plane + first + dh * W + dw, cols, row + first, end - first);
          Arrays.fill(cols, row + end, row + hw, 0f);
          // Inside the copied stretch, the columns outside [w0, w1) came from the next or the
          // previous image row.
          for (int ho = h0; ho < h1; ho++) {
            int r = row + ho * W;
            for (int wo = 0; wo < w0; wo++) {
              cols[r + wo] = 0f;
            }
            for (int wo = w1; wo < W; wo++) {
              cols[r + wo] = 0f;
            }
          }
        }
      }
    }
  }

  /**
   * float64 {@link #im2col(float[], int, float[], int, int, int, int, int, int, int, int, int,
   * int)}.
   */
  public static void im2col(
      double[] cols,
      int colsOff,
      double[] x,
      int xOff,
      int C,
      int H,
      int W,
      int KH,
      int KW,
      int S,
      int P,
      int HO,
      int WO) {
    if (Kernels.scalarForced()) {
      im2colScalar(cols, colsOff, x, xOff, C, H, W, KH, KW, S, P, HO, WO);
      return;
    }
    int hw = HO * WO;
    for (int c = 0; c < C; c++) {
      for (int kh = 0; kh < KH; kh++) {
        for (int kw = 0; kw < KW; kw++) {
          int row = colsOff + ((c * KH + kh) * KW + kw) * hw;
          int lo = Math.min(WO, firstInside(kw, S, P));
          int hi = Math.max(lo, endInside(kw, S, P, W, WO));
          for (int ho = 0; ho < HO; ho++) {
            int dst = row + ho * WO;
            int h = ho * S - P + kh;
            if (h < 0 || h >= H) {
              Arrays.fill(cols, dst, dst + WO, 0.0);
              continue;
            }
            // The padding margins are a column or two: a loop beats an Arrays.fill call there.
            for (int i = dst; i < dst + lo; i++) {
              cols[i] = 0.0;
            }
            int src = xOff + (c * H + h) * W + lo * S - P + kw;
            if (S == 1) {
              System.arraycopy(x, src, cols, dst + lo, hi - lo);
            } else {
              for (int wo = lo; wo < hi; wo++, src += S) {
                cols[dst + wo] = x[src];
              }
            }
            for (int i = dst + hi; i < dst + WO; i++) {
              cols[i] = 0.0;
            }
          }
        }
      }
    }
  }

  /** Scalar twin of im2col: one bounds test per element. */
  public static void im2colScalar(
      float[] cols,
      int colsOff,
      float[] x,
      int xOff,
      int C,
      int H,
      int W,
      int KH,
      int KW,
      int S,
      int P,
      int HO,
      int WO) {
    int i = colsOff;
    for (int c = 0; c < C; c++) {
      for (int kh = 0; kh < KH; kh++) {
        for (int kw = 0; kw < KW; kw++) {
          for (int ho = 0; ho < HO; ho++) {
            for (int wo = 0; wo < WO; wo++) {
              int h = ho * S - P + kh;
              int w = wo * S - P + kw;
              boolean inside = h >= 0 && h < H && w >= 0 && w < W;
              cols[i++] = inside ? x[xOff + (c * H + h) * W + w] : 0f;
            }
          }
        }
      }
    }
  }

  /** Scalar twin of im2col, float64. */
  public static void im2colScalar(
      double[] cols,
      int colsOff,
      double[] x,
      int xOff,
      int C,
      int H,
      int W,
      int KH,
      int KW,
      int S,
      int P,
      int HO,
      int WO) {
    int i = colsOff;
    for (int c = 0; c < C; c++) {
      for (int kh = 0; kh < KH; kh++) {
        for (int kw = 0; kw < KW; kw++) {
          for (int ho = 0; ho < HO; ho++) {
            for (int wo = 0; wo < WO; wo++) {
              int h = ho * S - P + kh;
              int w = wo * S - P + kw;
              boolean inside = h >= 0 && h < H && w >= 0 && w < W;
              cols[i++] = inside ? x[xOff + (c * H + h) * W + w] : 0.0;
            }
          }
        }
      }
    }
  }

  // ------------------------------------------------------------------------------- col2im

  /**
   * Adjoint of im2col: ADDS every entry of the (C*KH*KW, HO*WO) column matrix onto the pixel of the
   * (C, H, W) image it was read from; entries that came from padding are dropped. The caller zeroes
   * {@code x} first when it wants the plain scatter.
   */
  public static void col2im(
      float[] x,
      int xOff,
      float[] cols,
      int colsOff,
      int C,
      int H,
      int W,
      int KH,
      int KW,
      int S,
      int P,
      int HO,
      int WO) {
    if (Kernels.scalarForced()) {
      col2imScalar(x, xOff, cols, colsOff, C, H, W, KH, KW, S, P, HO, WO);
      return;
    }
    int hw = HO * WO;
    for (int c = 0; c < C; c++) {
      for (int kh = 0; kh < KH; kh++) {
        for (int kw = 0; kw < KW; kw++) {
          int row = colsOff + ((c * KH + kh) * KW + kw) * hw;
          int lo = Math.min(WO, firstInside(kw, S, P));
          int hi = Math.max(lo, endInside(kw, S, P, W, WO));
          for (int ho = 0; ho < HO; ho++) {
            int h = ho * S - P + kh;
            if (h < 0 || h >= H) {
              continue;
            }
            int src = row + ho * WO;
            int dst = xOff + (c * H + h) * W + lo * S - P + kw;
            if (S == 1) {
              // Unit stride: a plain a[i] += b[i] loop that C2 vectorises.
              for (int i = 0, len = hi - lo, from = src + lo; i < len; i++) {
                x[dst + i] += cols[from + i];
              }
            } else {
              for (int wo = lo; wo < hi; wo++, dst += S) {
                x[dst] += cols[src + wo];
              }
            }
          }
        }
      }
    }
  }

  /**
   * float64 {@link #col2im(float[], int, float[], int, int, int, int, int, int, int, int, int,
   * int)}.
   */
  public static void col2im(
      double[] x,
      int xOff,
      double[] cols,
      int colsOff,
      int C,
      int H,
      int W,
      int KH,
      int KW,
      int S,
      int P,
      int HO,
      int WO) {
    if (Kernels.scalarForced()) {
      col2imScalar(x, xOff, cols, colsOff, C, H, W, KH, KW, S, P, HO, WO);
      return;
    }
    int hw = HO * WO;
    for (int c = 0; c < C; c++) {
      for (int kh = 0; kh < KH; kh++) {
        for (int kw = 0; kw < KW; kw++) {
          int row = colsOff + ((c * KH + kh) * KW + kw) * hw;
          int lo = Math.min(WO, firstInside(kw, S, P));
          int hi = Math.max(lo, endInside(kw, S, P, W, WO));
          for (int ho = 0; ho < HO; ho++) {
            int h = ho * S - P + kh;
            if (h < 0 || h >= H) {
              continue;
            }
            int src = row + ho * WO;
            int dst = xOff + (c * H + h) * W + lo * S - P + kw;
            if (S == 1) {
              // Unit stride: a plain a[i] += b[i] loop that C2 vectorises.
              for (int i = 0, len = hi - lo, from = src + lo; i < len; i++) {
                x[dst + i] += cols[from + i];
              }
            } else {
              for (int wo = lo; wo < hi; wo++, dst += S) {
                x[dst] += cols[src + wo];
              }
            }
          }
        }
      }
    }
  }

  /** Scalar twin of col2im: one bounds test per element. */
  public static void col2imScalar(
      float[] x,
      int xOff,
      float[] cols,
      int colsOff,
      int C,
      int H,
      int W,
      int KH,
      int KW,
      int S,
      int P,
      int HO,
      int WO) {
    int i = colsOff;
    for (int c = 0; c < C; c++) {
      for (int kh = 0; kh < KH; kh++) {
        for (int kw = 0; kw < KW; kw++) {
          for (int ho = 0; ho < HO; ho++) {
            for (int wo = 0; wo < WO; wo++, i++) {
              int h = ho * S - P + kh;
              int w = wo * S - P + kw;
              if (h >= 0 && h < H && w >= 0 && w < W) {
                x[xOff + (c * H + h) * W + w] += cols[i];
              }
            }
          }
        }
      }
    }
  }

  /** Scalar twin of col2im, float64. */
  public static void col2imScalar(
      double[] x,
      int xOff,
      double[] cols,
      int colsOff,
      int C,
      int H,
      int W,
      int KH,
      int KW,
      int S,
      int P,
      int HO,
      int WO) {
    int i = colsOff;
    for (int c = 0; c < C; c++) {
      for (int kh = 0; kh < KH; kh++) {
        for (int kw = 0; kw < KW; kw++) {
          for (int ho = 0; ho < HO; ho++) {
            for (int wo = 0; wo < WO; wo++, i++) {
              int h = ho * S - P + kh;
              int w = wo * S - P + kw;
              if (h >= 0 && h < H && w >= 0 && w < W) {
                x[xOff + (c * H + h) * W + w] += cols[i];
              }
            }
          }
        }
      }
    }
  }

  // ------------------------------------------------------------------------------- geometry

  /** First output column wo whose input column {@code wo*S - P + kw} is >= 0. */
  private static int firstInside(int kw, int S, int P) {
    int need = P - kw; // wo*S >= P - kw
    return need <= 0 ? 0 : (need + S - 1) / S;
  }

  /** One past the last output column wo whose input column {@code wo*S - P + kw} is < W. */
  private static int endInside(int kw, int S, int P, int W, int WO) {
    int room = W - 1 + P - kw; // wo*S <= W - 1 + P - kw
    return room < 0 ? 0 : Math.min(WO, room / S + 1);
  }
}
