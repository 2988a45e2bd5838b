package org.handgrad.kernels;

/**
 * Max and average pooling over {@code planes} independent (H, W) planes (N*C of them for an NCHW
 * tensor), PH x PW windows with stride S and no padding, output (HO, WO) per plane with {@code HO =
 * 1 + (H - PH) / S}, {@code WO = 1 + (W - PW) / S}. Outputs first; arrays row-major from their
 * offsets; planes are independent, so callers may split them across threads.
 *
 * <p>Max pooling records, per output, the index {@code h*W + w} of the window's maximum inside its
 * plane. The window is scanned row-major and the first maximum wins, with NaN winning over numbers
 * (PyTorch's CPU rule {@code val > max || isnan(val)}): the backward pass then routes the whole
 * gradient to that one input, which is PyTorch's subgradient at ties.
 */
public final class Pool2d {
  private Pool2d() {}

  /**
   * Max pooling forward with argmax. 2x2 windows with stride 2 take the branch-free Vector API
   * kernel {@link Pool2dVector} when {@link Kernels#useVector()} and the rows are at least a
   * quarter of a vector of outputs wide; everything else runs {@link #maxPoolScalar}, the
   * reference.
   */
  public static void maxPool(
      float[] out,
      int outOff,
      int[] argmax,
      int argOff,
      float[] x,
      int xOff,
      int planes,
      int H,
      int W,
      int PH,
      int PW,
      int S,
      int HO,
      int WO) {
    if (PH == 2 && PW == 2 && S == 2 && Kernels.useVector() && Pool2dVector.fits(H, W, WO)) {
      Pool2dVector.maxPool2x2(out, outOff, argmax, argOff, x, xOff, planes, H, W, HO, WO);
    } else {
      maxPoolScalar(out, outOff, argmax, argOff, x, xOff, planes, H, W, PH, PW, S, HO, WO);
    }
  }

  /** Scalar twin of the float32 max pooling forward; a 2x2 stride-2 path skips the window loops. */
  public static void maxPoolScalar(
      float[] out,
      int outOff,
      int[] argmax,
      int argOff,
      float[] x,
      int xOff,
      int planes,
      int H,
      int W,
      int PH,
      int PW,
      int S,
      int HO,
      int WO) {
    boolean twoByTwo = PH == 2 && PW == 2 && S == 2;
    for (int p = 0; p < planes; p++) {
      int xp = xOff + p * H * W;
      int o = p * HO * WO;
      for (int i = 0; i < HO; i++) {
        for (int j = 0; j < WO; j++, o++) {
          int first = i * S * W + j * S;
          float best;
          int at;
          if (twoByTwo) {
            // Same scan order and comparison as the general loop, unrolled.
            best = x[xp + first];
            at = first;
            float v = x[xp + first + 1];
            if (v > best || v != v) {
              best = v;
              at = first + 1;
            }
            v = x[xp + first + W];
            if (v > best || v != v) {
              best = v;
              at = first + W;
            }
            v = x[xp + first + W + 1];
            if (v > best || v != v) {
              best = v;
              at = first + W + 1;
            }
          } else {
            best = Float.NEGATIVE_INFINITY;
            at = first;
            for (int kh = 0; kh < PH; kh++) {
              for (int kw = 0, q = first + kh * W; kw < PW; kw++, q++) {
                float v = x[xp + q];
                if (v > best || v != v) {
                  best = v;
                  at = q;
                }
              }
            }
          }
          out[outOff + o] = best;
          argmax[argOff + o] = at;
        }
      }
    }
  }

  /**
   * Max pooling with implicit -infinity padding P on each side (PyTorch's {@code F.max_pool2d(x, k,
   * s, padding=P)}): window (i, j) covers rows {@code i*S - P ..} and columns {@code j*S - P ..},
   * clipped to the plane, so a padded position never wins and the argmax is always a real pixel.
   * Scanned row-major, first maximum wins, NaN wins (as {@link #maxPoolScalar}). Also serves
   * unpadded windows that do not tile the plane (rounded-down output size). Scalar only: it runs
   * once per ResNet forward, on the stem.
   */
  public static void maxPoolPadded(
      float[] out,
      int outOff,
      int[] argmax,
      int argOff,
      float[] x,
      int xOff,
      int planes,
      int H,
      int W,
      int PH,
      int PW,
      int S,
      int P,
      int HO,
      int WO) {
    for (int p = 0; p < planes; p++) {
      int xp = xOff + p * H * W;
      int o = p * HO * WO;
      for (int i = 0; i < HO; i++) {
        int h0 = Math.max(0, i * S - P), h1 = Math.min(H, i * S - P + PH);
        for (int j = 0; j < WO; j++, o++) {
          int w0 = Math.max(0, j * S - P), w1 = Math.min(W, j * S - P + PW);
          float best = Float.NEGATIVE_INFINITY;
          int at = h0 * W + w0;
          for (int h = h0; h < h1; h++) {
            for (int w = w0, q = h * W + w0; w < w1; w++, q++) {
              float v = x[xp + q];
              if (v > best || v != v) {
                best = v;
                at = q;
              }
            }
          }
          out[outOff + o] = best;
          argmax[argOff + o] = at;
        }
      }
    }
  }

  /**
   * float64 {@link #maxPoolPadded(float[], int, int[], int, float[], int, int, int, int, int, int,
   * int, int, int, int)}.
   */
  public static void maxPoolPadded(
      double[] out,
      int outOff,
      int[] argmax,
      int argOff,
      double[] x,
      int xOff,
      int planes,
      int H,
      int W,
      int PH,
      int PW,
      int S,
      int P,
      int HO,
      int WO) {
    for (int p = 0; p < planes; p++) {
      int xp = xOff + p * H * W;
      int o = p * HO * WO;
      for (int i = 0; i < HO; i++) {
        int h0 = Math.max(0, i * S - P), h1 = Math.min(H, i * S - P + PH);
        for (int j = 0; j < WO; j++, o++) {
          int w0 = Math.max(0, j * S - P), w1 = Math.min(W, j * S - P + PW);
          double best = Double.NEGATIVE_INFINITY;
          int at = h0 * W + w0;
          for (int h = h0; h < h1; h++) {
            for (int w = w0, q = h * W + w0; w < w1; w++, q++) {
              double v = x[xp + q];
              if (v > best || v != v) {
                best = v;
                at = q;
              }
            }
          }
          out[outOff + o] = best;
          argmax[argOff + o] = at;
        }
      }
    }
  }

  /** float64 max pooling forward with argmax. */
  public static void maxPool(
      double[] out,
      int outOff,
      int[] argmax,
      int argOff,
      double[] x,
      int xOff,
      int planes,
      int H,
      int W,
      int PH,
      int PW,
      int S,
      int HO,
      int WO) {
    boolean twoByTwo = PH == 2 && PW == 2 && S == 2;
    for (int p = 0; p < planes; p++) {
      int xp = xOff + p * H * W;
      int o = p * HO * WO;
      for (int i = 0; i < HO; i++) {
        for (int j = 0; j < WO; j++, o++) {
          int first = i * S * W + j * S;
          double best;
          int at;
          if (twoByTwo) {
            best = x[xp + first];
            at = first;
            double v = x[xp + first + 1];
            if (v > best || v != v) {
              best = v;
              at = first + 1;
            }
            v = x[xp + first + W];
            if (v > best || v != v) {
              best = v;
              at = first + W;
            }
            v = x[xp + first + W + 1];
            if (v > best || v != v) {
              best = v;
              at = first + W + 1;
            }
          } else {
            best = Double.NEGATIVE_INFINITY;
            at = first;
            for (int kh = 0; kh < PH; kh++) {
              for (int kw = 0, q = first + kh * W; kw < PW; kw++, q++) {
                double v = x[xp + q];
                if (v > best || v != v) {
                  best = v;
                  at = q;
                }
              }
            }
          }
          out[outOff + o] = best;
          argmax[argOff + o] = at;
        }
      }
    }
  }

  /**
   * Max pooling backward: ADDS each upstream gradient onto the input its window's argmax names
   * (windows overlap when S &lt; PH or S &lt; PW). The caller zeroes dx first.
   */
  public static void maxPoolBackward(
      float[] dx,
      int dxOff,
      float[] dout,
      int doutOff,
      int[] argmax,
      int argOff,
      int planes,
      int H,
      int W,
      int HO,
      int WO) {
    int L = HO * WO;
    for (int p = 0; p < planes; p++) {
      int xp = dxOff + p * H * W;
      for (int o = p * L, end = o + L; o < end; o++) {
        dx[xp + argmax[argOff + o]] += dout[doutOff + o];
      }
    }
  }

  /** float64 max pooling backward. */
  public static void maxPoolBackward(
      double[] dx,
      int dxOff,
      double[] dout,
      int doutOff,
      int[] argmax,
      int argOff,
      int planes,
      int H,
      int W,
      int HO,
      int WO) {
    int L = HO * WO;
    for (int p = 0; p < planes; p++) {
      int xp = dxOff + p * H * W;
      for (int o = p * L, end = o + L; o < end; o++) {
        dx[xp + argmax[argOff + o]] += dout[doutOff + o];
      }
    }
  }

  /** Average pooling forward: window sum divided by PH*PW (no padding, so every count is PH*PW). */
  public static void avgPool(
      float[] out,
      int outOff,
      float[] x,
      int xOff,
      int planes,
      int H,
      int W,
      int PH,
      int PW,
      int S,
      int HO,
      int WO) {
    float area = PH * PW;
    for (int p = 0; p < planes; p++) {
      int xp = xOff + p * H * W;
      int o = outOff + p * HO * WO;
      for (int i = 0; i < HO; i++) {
        for (int j = 0; j < WO; j++, o++) {
          float s = 0f;
          for (int kh = 0; kh < PH; kh++) {
            for (int q = xp + (i * S + kh) * W + j * S, end = q + PW; q < end; q++) {
              s += x[q];
            }
          }
          out[o] = s / area;
        }
      }
    }
  }

  /** float64 average pooling forward. */
  public static void avgPool(
      double[] out,
      int outOff,
      double[] x,
      int xOff,
      int planes,
      int H,
      int W,
      int PH,
      int PW,
      int S,
      int HO,
      int WO) {
    double area = PH * PW;
    for (int p = 0; p < planes; p++) {
      int xp = xOff + p * H * W;
      int o = outOff + p * HO * WO;
      for (int i = 0; i < HO; i++) {
        for (int j = 0; j < WO; j++, o++) {
          double s = 0;
          for (int kh = 0; kh < PH; kh++) {
            for (int q = xp + (i * S + kh) * W + j * S, end = q + PW; q < end; q++) {
              s += x[q];
            }
          }
          out[o] = s / area;
        }
      }
    }
  }

  /**
   * Average pooling backward: each input of a window gets {@code dout / (PH*PW)}, ADDED (windows
   * may overlap). The caller zeroes dx first.
   */
  public static void avgPoolBackward(
      float[] dx,
      int dxOff,
      float[] dout,
      int doutOff,
      int planes,
      int H,
      int W,
      int PH,
      int PW,
      int S,
      int HO,
      int WO) {
    float area = PH * PW;
    for (int p = 0; p < planes; p++) {
      int xp = dxOff + p * H * W;
      int o = doutOff + p * HO * WO;
      for (int i = 0; i < HO; i++) {
        for (int j = 0; j < WO; j++, o++) {
          float g = dout[o] / area;
          for (int kh = 0; kh < PH; kh++) {
            for (int q = xp + (i * S + kh) * W + j * S, end = q + PW; q < end; q++) {
              dx[q] += g;
            }
          }
        }
      }
    }
  }

  /** float64 average pooling backward. */
  public static void avgPoolBackward(
      double[] dx,
      int dxOff,
      double[] dout,
      int doutOff,
      int planes,
      int H,
      int W,
      int PH,
      int PW,
      int S,
      int HO,
      int WO) {
    double area = PH * PW;
    for (int p = 0; p < planes; p++) {
      int xp = dxOff + p * H * W;
      int o = doutOff + p * HO * WO;
      for (int i = 0; i < HO; i++) {
        for (int j = 0; j < WO; j++, o++) {
          double g = dout[o] / area;
          for (int kh = 0; kh < PH; kh++) {
            for (int q = xp + (i * S + kh) * W + j * S, end = q + PW; q < end; q++) {
              dx[q] += g;
            }
          }
        }
      }
    }
  }
}
