package org.handgrad.kernels;

/**
 * 3x3 convolution with stride 1 and padding 1 by Winograd's minimal filtering F(2x2, 3x3) (Lavin
 * and Gray 2016), float32, NCHW: 16 multiplications per 2x2 output tile and channel pair instead of
 * 36.
 *
 * <p>Each 2x2 output tile at (2i, 2j) reads the 4x4 input tile d of the zero-padded image at rows
 * 2i..2i+3 and columns 2j..2j+3 (image rows 2i-1..2i+2). In one dimension, two outputs of a 3-tap
 * correlation {@code y_r = sum_k g_k d_(r+k)} are {@code y = A^T [(G g) * (B^T d)]} with
 *
 * <pre>
 *   B^T = [1  0 -1  0]    G = [ 1    0    0 ]    A^T = [1  1  1  0]
 *         [0  1  1  0]        [1/2  1/2  1/2]          [0  1 -1 -1]
 *         [0 -1  1  0]        [1/2 -1/2  1/2]
 *         [0  1  0 -1]        [ 0    0    1 ]
 * </pre>
 *
 * and in two dimensions {@code Y = A^T [U * V] A} with {@code U = G g G^T} (the filter, 4x4) and
 * {@code V = B^T d B} (the input tile, 4x4), * element-wise. Summed over the input channels c, each
 * of the 16 positions p of the 4x4 products is a matrix product: {@code M_p (F, tiles) = U_p (F, C)
 * V_p (C, tiles)}, so one convolution becomes an input transform, 16 GEMMs with a third of the
 * im2col GEMM's multiply-adds (16/36 of them plus the transforms), and an output transform.
 *
 * <p>The input gradient of such a layer is again a 3x3, stride-1, pad-1 convolution: of dout with
 * the filters flipped in both spatial axes and their two channel axes swapped ({@link
 * #backwardData}). The filter gradient runs the algorithm backwards ({@link #backwardFilter}): the
 * forward pass is linear in U, so {@code dU = (A dY A^T) * V} per tile, summed over the tiles (16
 * GEMMs whose inner dimension is the tiles), and {@code dw = G^T dU G}.
 *
 * <p>The transforms' constants are 0, 1 and 1/2, so on inputs that are small integers (or halves)
 * every step is exact in float32, and the result equals the direct convolution bit for bit; that is
 * how the tests check the index arithmetic. On general inputs the rounding differs from the im2col
 * path's by a few units in the last place, as the sums run in another order.
 *
 * <p>Only with the Vector API ({@link Kernels#useVector()}); the callers keep the im2col path
 * otherwise, and {@code org.handgrad.nn.functional.Conv#convForwardNaive} is the reference. Work is
 * split into blocks of tile rows fixed by the shapes; a block's outputs depend on nothing but its
 * inputs, so the result is bit-identical for any thread count.
 */
public final class Winograd {
  private Winograd() {}

  /**
   * Whether the Winograd kernels may run here: the Vector API is in use and the system property
   * {@code handgrad.conv.winograd} is not {@code false} (for timing against the im2col path).
   *
   * @return true when {@link #forward} and the backward kernels can be called
   */
  public static boolean enabled() {
    return Kernels.useVector() && !"false".equals(System.getProperty(PROPERTY));
  }

  /** System property that turns the Winograd path off when set to {@code false}. */
  public static final String PROPERTY = "handgrad.conv.winograd";

  /**
   * {@code out = conv3x3(x, w) + b}, stride 1, padding 1.
   *
   * @param out output (N, F, H, W) from outOff, overwritten
   * @param outOff index of out[0, 0, 0, 0]
   * @param x input (N, C, H, W) from xOff
   * @param xOff index of x[0, 0, 0, 0]
   * @param w filters (F, C, 3, 3) from wOff
   * @param wOff index of w[0, 0, 0, 0]
   * @param b biases (F,) from bOff, or null for none
   * @param bOff index of b[0]
   * @param N images
   * @param C input channels
   * @param H image height
   * @param W image width
   * @param F filters
   */
  public static void forward(
      float[] out,
      int outOff,
      float[] x,
      int xOff,
      float[] w,
      int wOff,
      float[] b,
      int bOff,
      int N,
      int C,
      int H,
      int W,
      int F) {
    requireVector();
    float[] u = WinogradVector.filterTransform(w, wOff, F, C, false);
    WinogradVector.convolve(out, outOff, x, xOff, u, b, bOff, N, C, F, H, W);
  }

  /**
   * Input gradient of {@link #forward}: {@code dx = conv3x3(dout, wflip)}, where {@code wflip[c, f,
   * a, b] = w[f, c, 2-a, 2-b]}.
   *
   * @param dx input gradient (N, C, H, W) from dxOff, overwritten
   * @param dxOff index of dx[0, 0, 0, 0]
   * @param dout upstream gradient (N, F, H, W) from doutOff
   * @param doutOff index of dout[0, 0, 0, 0]
   * @param w filters (F, C, 3, 3) from wOff
   * @param wOff index of w[0, 0, 0, 0]
   * @param N images
   * @param C input channels
   * @param H image height
   * @param W image width
   * @param F filters
   */
  public static void backwardData(
      float[] dx,
      int dxOff,
      float[] dout,
      int doutOff,
      float[] w,
      int wOff,
      int N,
      int C,
      int H,
      int W,
      int F) {
    requireVector();
    float[] u = WinogradVector.filterTransform(w, wOff, F, C, true);
    WinogradVector.convolve(dx, dxOff, dout, doutOff, u, null, 0, N, F, C, H, W);
  }

  /**
   * Filter gradient of {@link #forward}: {@code dw[f, c, a, b] = sum over n, h, v of dout[n, f, h,
   * v] * xpad[n, c, h + a, v + b]} (xpad: x zero-padded by 1), by F(2x2, 3x3) run backwards: per
   * tile {@code dU = (A dY A^T) * (B^T d B)}, summed over tiles as 16 GEMMs, then {@code dw = G^T
   * dU G}. The sum over tiles is cut into a fixed number of runs added in a fixed order, so the
   * result does not depend on the thread count.
   *
   * @param dw filter gradient (F, C, 3, 3) from dwOff, overwritten
   * @param dwOff index of dw[0, 0, 0, 0]
   * @param x input (N, C, H, W) from xOff
   * @param xOff index of x[0, 0, 0, 0]
   * @param dout upstream gradient (N, F, H, W) from doutOff
   * @param doutOff index of dout[0, 0, 0, 0]
   * @param N images
   * @param C input channels
   * @param H image height
   * @param W image width
   * @param F filters
   */
  public static void backwardFilter(
      float[] dw,
      int dwOff,
      float[] x,
      int xOff,
      float[] dout,
      int doutOff,
      int N,
      int C,
      int H,
      int W,
      int F) {
    requireVector();
    WinogradVector.filterGradient(dw, dwOff, x, xOff, dout, doutOff, N, C, F, H, W);
  }

  private static void requireVector() {
    if (!Kernels.useVector()) {
      throw new IllegalStateException(
          "Winograd: the kernels need the Vector API (--add-modules jdk.incubator.vector)");
    }
  }
}
