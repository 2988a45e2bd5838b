package org.handgrad.kernels;

/**
 * Elementwise kernels of the recurrent cells (vanilla RNN, LSTM, GRU), forward and backward, as
 * BLAS-style float32/float64 pairs ({@code s...} / {@code d...}). The matrix products of the cells
 * go through {@link Gemm}; these kernels do everything between two products, for a block of {@code
 * rows} batch rows and {@code hid} hidden units.
 *
 * <p>Every matrix operand is passed as (array, offset, leading dimension), so a kernel can work in
 * place on one timestep of an (N, T, width) sequence buffer (offset {@code t * width}, leading
 * dimension {@code T * width}) without copying it out. Rows are independent: a parallel-for over
 * row blocks can call a kernel per block.
 *
 * <p>Gate layouts: the LSTM gate row is [i | f | o | g] (CS231n order), the GRU gate row is [r | z
 * | n] (PyTorch order), each block {@code hid} wide.
 *
 * <p>The float32 forward cells, which evaluate the transcendental functions, have a Vector API path
 * ({@link RecurrentCellsVector}); the loops here are their scalar twins and the reference in tests.
 */
public final class RecurrentCells {
  private RecurrentCells() {}

  // ------------------------------------------------------------------ vector switch

  /**
   * Whether the float32 forward cells take their Vector API path ({@link RecurrentCellsVector}):
   * the package-wide {@link Kernels#useVector()} (forced off by {@link
   * Kernels#forceScalar(boolean)} or {@code -Dhandgrad.kernels.scalar=true}). The float64 kernels
   * are always scalar: they serve the gradient checks, not speed.
   */
  static boolean useVector() {
    return Kernels.useVector();
  }

  // ------------------------------------------------------------------ activations

  /** Logistic sigmoid in float64; exp overflows to infinity for x < -709 and gives exactly 0. */
  static double sigmoid(double x) {
    return 1.0 / (1.0 + Math.exp(-x));
  }

  /** Logistic sigmoid for float32, evaluated in float64 (Math.exp is an intrinsic). */
  static float sigmoid(float x) {
    return (float) (1.0 / (1.0 + Math.exp(-x)));
  }

  /**
   * tanh for float32 through one float64 exp: tanh(x) = (e^2x - 1) / (e^2x + 1). Math.tanh is not
   * an intrinsic on JDK 17 and costs ~45 ns against ~8 ns here. The exp form loses relative
   * accuracy only through cancellation for tiny |x|, where tanh(x) = x to float32 precision, and
   * overflows past |x| ~ 354, where tanh(x) = +-1 (float32 rounds tanh to 1 from |x| > 9.01).
   */
  static float tanh(float x) {
    float ax = Math.abs(x);
    if (ax < 1e-4f) {
      return x; // |x^3 / 3| < 4e-9 |x|: below float32 rounding
    }
    if (ax > 10f) {
      return Math.copySign(1f, x);
    }
    double e = Math.exp(2.0 * x);
    return (float) ((e - 1.0) / (e + 1.0));
  }

  // ------------------------------------------------------------------ vanilla RNN

  /** RNN forward nonlinearity in place: {@code a[r, j] = tanh(a[r, j] + b[j])}. */
  public static void stanhBias(
      int rows, int hid, float[] a, int aOff, int lda, float[] b, int bOff) {
    for (int r = 0; r < rows; r++) {
      int p = aOff + r * lda;
      for (int j = 0; j < hid; j++) {
        a[p + j] = tanh(a[p + j] + b[bOff + j]);
      }
    }
  }

  /** float64 twin of {@link #stanhBias}. */
  public static void dtanhBias(
      int rows, int hid, double[] a, int aOff, int lda, double[] b, int bOff) {
    for (int r = 0; r < rows; r++) {
      int p = aOff + r * lda;
      for (int j = 0; j < hid; j++) {
        a[p + j] = Math.tanh(a[p + j] + b[bOff + j]);
      }
    }
  }

  /**
   * RNN backward through the nonlinearity: {@code da = dh * (1 - h^2)}, since tanh' = 1 - tanh^2 is
   * a function of the cached output h.
   */
  public static void stanhBackward(
      int rows,
      int hid,
      float[] da,
      int daOff,
      int ldda,
      float[] dh,
      int dhOff,
      int lddh,
      float[] h,
      int hOff,
      int ldh) {
    for (int r = 0; r < rows; r++) {
      int pa = daOff + r * ldda;
      int pd = dhOff + r * lddh;
      int ph = hOff + r * ldh;
      for (int j = 0; j < hid; j++) {
        float y = h[ph + j];
        da[pa + j] = dh[pd + j] * (1f - y * y);
      }
    }
  }

  /** float64 twin of {@link #stanhBackward}. */
  public static void dtanhBackward(
      int rows,
      int hid,
      double[] da,
      int daOff,
      int ldda,
      double[] dh,
      int dhOff,
      int lddh,
      double[] h,
      int hOff,
      int ldh) {
    for (int r = 0; r < rows; r++) {
      int pa = daOff + r * ldda;
      int pd = dhOff + r * lddh;
      int ph = hOff + r * ldh;
      for (int j = 0; j < hid; j++) {
        double y = h[ph + j];
        da[pa + j] = dh[pd + j] * (1 - y * y);
      }
    }
  }

  // ------------------------------------------------------------------ LSTM

  /**
   * LSTM cell forward. On entry {@code gates} holds the pre-activations a = x Wx + h Wh (without
   * bias), [i | f | o | g] per row; on exit it holds the activations sigmoid(i, f, o) and tanh(g),
   * which the backward pass reads. Writes c = f * cPrev + i * g, tc = tanh(c) and h = o * tc; c, tc
   * and h share one offset and leading dimension.
   */
  public static void slstmForward(
      int rows,
      int hid,
      float[] gates,
      int gOff,
      int ldg,
      float[] b,
      int bOff,
      float[] cPrev,
      int cpOff,
      int ldcp,
      float[] c,
      float[] tc,
      float[] h,
      int off,
      int ld) {
    if (useVector()) {
      RecurrentCellsVector.slstmForward(
          rows, hid, gates, gOff, ldg, b, bOff, cPrev, cpOff, ldcp, c, tc, h, off, ld);
      return;
    }
    for (int r = 0; r < rows; r++) {
      slstmForwardTail(
          0, hid, gates, gOff + r * ldg, b, bOff, cPrev, cpOff + r * ldcp, c, tc, h, off + r * ld);
    }
  }

  /**
   * The scalar LSTM cell on units [from, hid) of one row (pg, pp, po: the row's offsets in gates,
   * cPrev and c/tc/h): the whole row for the scalar twin, the tail after the last full vector for
   * the vector path.
   */
  static void slstmForwardTail(
      int from,
      int hid,
      float[] gates,
      int pg,
      float[] b,
      int bOff,
      float[] cPrev,
      int pp,
      float[] c,
      float[] tc,
      float[] h,
      int po) {
    for (int j = from; j < hid; j++) {
      float i = sigmoid(gates[pg + j] + b[bOff + j]);
      float f = sigmoid(gates[pg + hid + j] + b[bOff + hid + j]);
      float o = sigmoid(gates[pg + 2 * hid + j] + b[bOff + 2 * hid + j]);
      float g = tanh(gates[pg + 3 * hid + j] + b[bOff + 3 * hid + j]);
      gates[pg + j] = i;
      gates[pg + hid + j] = f;
      gates[pg + 2 * hid + j] = o;
      gates[pg + 3 * hid + j] = g;
      float cn = f * cPrev[pp + j] + i * g;
      float t = tanh(cn);
      c[po + j] = cn;
      tc[po + j] = t;
      h[po + j] = o * t;
    }
  }

  /** float64 twin of {@link #slstmForward}. */
  public static void dlstmForward(
      int rows,
      int hid,
      double[] gates,
      int gOff,
      int ldg,
      double[] b,
      int bOff,
      double[] cPrev,
      int cpOff,
      int ldcp,
      double[] c,
      double[] tc,
      double[] h,
      int off,
      int ld) {
    for (int r = 0; r < rows; r++) {
      int pg = gOff + r * ldg;
      int pp = cpOff + r * ldcp;
      int po = off + r * ld;
      for (int j = 0; j < hid; j++) {
        double i = sigmoid(gates[pg + j] + b[bOff + j]);
        double f = sigmoid(gates[pg + hid + j] + b[bOff + hid + j]);
        double o = sigmoid(gates[pg + 2 * hid + j] + b[bOff + 2 * hid + j]);
        double g = Math.tanh(gates[pg + 3 * hid + j] + b[bOff + 3 * hid + j]);
        gates[pg + j] = i;
        gates[pg + hid + j] = f;
        gates[pg + 2 * hid + j] = o;
        gates[pg + 3 * hid + j] = g;
        double cn = f * cPrev[pp + j] + i * g;
        double t = Math.tanh(cn);
        c[po + j] = cn;
        tc[po + j] = t;
        h[po + j] = o * t;
      }
    }
  }

  /**
   * LSTM cell backward. Reads the activated gates, cPrev and tc = tanh(c); {@code dh} is the total
   * gradient reaching h (upstream plus recurrent). {@code dc} holds the gradient reaching c from
   * the next step on entry and the gradient for cPrev on exit; dh and dc share one offset and
   * leading dimension. Writes the pre-activation gradients da = [di | df | do | dg].
   *
   * <p>From h = o tanh(c) and c = f cPrev + i g: do = dh tc, dc += dh o (1 - tc^2), di = dc g, df =
   * dc cPrev, dg = dc i, dcPrev = dc f; then through the gate nonlinearities sigmoid' = s (1 - s),
   * tanh' = 1 - g^2.
   */
  public static void slstmBackward(
      int rows,
      int hid,
      float[] da,
      int daOff,
      int ldda,
      float[] gates,
      int gOff,
      int ldg,
      float[] cPrev,
      int cpOff,
      int ldcp,
      float[] tc,
      int tcOff,
      int ldtc,
      float[] dh,
      float[] dc,
      int dOff,
      int ldd) {
    for (int r = 0; r < rows; r++) {
      int pa = daOff + r * ldda;
      int pg = gOff + r * ldg;
      int pp = cpOff + r * ldcp;
      int pt = tcOff + r * ldtc;
      int pd = dOff + r * ldd;
      for (int j = 0; j < hid; j++) {
        float i = gates[pg + j];
        float f = gates[pg + hid + j];
        float o = gates[pg + 2 * hid + j];
        float g = gates[pg + 3 * hid + j];
        float t = tc[pt + j];
        float dhj = dh[pd + j];
        float dcj = dc[pd + j] + dhj * o * (1f - t * t);
        da[pa + j] = dcj * g * i * (1f - i);
        da[pa + hid + j] = dcj * cPrev[pp + j] * f * (1f - f);
        da[pa + 2 * hid + j] = dhj * t * o * (1f - o);
        da[pa + 3 * hid + j] = dcj * i * (1f - g * g);
        dc[pd + j] = dcj * f;
      }
    }
  }

  /** float64 twin of {@link #slstmBackward}. */
  public static void dlstmBackward(
      int rows,
      int hid,
      double[] da,
      int daOff,
      int ldda,
      double[] gates,
      int gOff,
      int ldg,
      double[] cPrev,
      int cpOff,
      int ldcp,
      double[] tc,
      int tcOff,
      int ldtc,
      double[] dh,
      double[] dc,
      int dOff,
      int ldd) {
    for (int r = 0; r < rows; r++) {
      int pa = daOff + r * ldda;
      int pg = gOff + r * ldg;
      int pp = cpOff + r * ldcp;
      int pt = tcOff + r * ldtc;
      int pd = dOff + r * ldd;
      for (int j = 0; j < hid; j++) {
        double i = gates[pg + j];
        double f = gates[pg + hid + j];
        double o = gates[pg + 2 * hid + j];
        double g = gates[pg + 3 * hid + j];
        double t = tc[pt + j];
        double dhj = dh[pd + j];
        double dcj = dc[pd + j] + dhj * o * (1 - t * t);
        da[pa + j] = dcj * g * i * (1 - i);
        da[pa + hid + j] = dcj * cPrev[pp + j] * f * (1 - f);
        da[pa + 2 * hid + j] = dhj * t * o * (1 - o);
        da[pa + 3 * hid + j] = dcj * i * (1 - g * g);
        dc[pd + j] = dcj * f;
      }
    }
  }

  // ------------------------------------------------------------------ GRU

  /**
   * GRU cell forward with PyTorch's equations. On entry {@code gates} holds x Wx (without bias) and
   * {@code gh} holds hPrev Wh (without bias), both [r | z | n] per row; b (3 hid) is the input-side
   * bias, bhn (hid) the hidden-side bias of the n gate, the one bias that cannot be folded into b
   * because r multiplies it:
   *
   * <pre>
   *   r = sigmoid(x Wx_r + b_r + h Wh_r)      z = sigmoid(x Wx_z + b_z + h Wh_z)
   *   hn = h Wh_n + bhn                        n = tanh(x Wx_n + b_n + r * hn)
   *   h' = (1 - z) * n + z * h
   * </pre>
   *
   * On exit gates holds the activations [r | z | n]; hn and h' are written with one shared offset
   * and leading dimension.
   */
  public static void sgruForward(
      int rows,
      int hid,
      float[] gates,
      int gOff,
      int ldg,
      float[] gh,
      int ghOff,
      int ldgh,
      float[] b,
      int bOff,
      float[] bhn,
      int bhnOff,
      float[] hPrev,
      int hpOff,
      int ldhp,
      float[] hn,
      float[] h,
      int off,
      int ld) {
    if (useVector()) {
      RecurrentCellsVector.sgruForward(
          rows, hid, gates, gOff, ldg, gh, ghOff, ldgh, b, bOff, bhn, bhnOff, hPrev, hpOff, ldhp,
          hn, h, off, ld);
      return;
    }
    for (int row = 0; row < rows; row++) {
      sgruForwardTail(
          0,
          hid,
          gates,
          gOff + row * ldg,
          gh,
          ghOff + row * ldgh,
          b,
          bOff,
          bhn,
          bhnOff,
          hPrev,
          hpOff + row * ldhp,
          hn,
          h,
          off + row * ld);
    }
  }

  /** The scalar GRU cell on units [from, hid) of one row; see {@link #slstmForwardTail}. */
  static void sgruForwardTail(
      int from,
      int hid,
      float[] gates,
      int pg,
      float[] gh,
      int pq,
      float[] b,
      int bOff,
      float[] bhn,
      int bhnOff,
      float[] hPrev,
      int pp,
      float[] hn,
      float[] h,
      int po) {
    for (int j = from; j < hid; j++) {
      float r = sigmoid(gates[pg + j] + b[bOff + j] + gh[pq + j]);
      float z = sigmoid(gates[pg + hid + j] + b[bOff + hid + j] + gh[pq + hid + j]);
      float q = gh[pq + 2 * hid + j] + bhn[bhnOff + j];
      float n = tanh(gates[pg + 2 * hid + j] + b[bOff + 2 * hid + j] + r * q);
      gates[pg + j] = r;
      gates[pg + hid + j] = z;
      gates[pg + 2 * hid + j] = n;
      hn[po + j] = q;
      h[po + j] = (1f - z) * n + z * hPrev[pp + j];
    }
  }

  /** float64 twin of {@link #sgruForward}. */
  public static void dgruForward(
      int rows,
      int hid,
      double[] gates,
      int gOff,
      int ldg,
      double[] gh,
      int ghOff,
      int ldgh,
      double[] b,
      int bOff,
      double[] bhn,
      int bhnOff,
      double[] hPrev,
      int hpOff,
      int ldhp,
      double[] hn,
      double[] h,
      int off,
      int ld) {
    for (int row = 0; row < rows; row++) {
      int pg = gOff + row * ldg;
      int pq = ghOff + row * ldgh;
      int pp = hpOff + row * ldhp;
      int po = off + row * ld;
      for (int j = 0; j < hid; j++) {
        double r = sigmoid(gates[pg + j] + b[bOff + j] + gh[pq + j]);
        double z = sigmoid(gates[pg + hid + j] + b[bOff + hid + j] + gh[pq + hid + j]);
        double q = gh[pq + 2 * hid + j] + bhn[bhnOff + j];
        double n = Math.tanh(gates[pg + 2 * hid + j] + b[bOff + 2 * hid + j] + r * q);
        gates[pg + j] = r;
        gates[pg + hid + j] = z;
        gates[pg + 2 * hid + j] = n;
        hn[po + j] = q;
        h[po + j] = (1 - z) * n + z * hPrev[pp + j];
      }
    }
  }

  /**
   * GRU cell backward. Reads the activated gates [r | z | n], hn = h Wh_n + bhn and hPrev; {@code
   * dh} is the total gradient reaching h' on entry and the direct part of dhPrev, dh * z, on exit.
   * Writes the pre-activation gradients of the input side dgx = [dr | dz | dn] and of the hidden
   * side dgh = [dr | dz | r dn]: they differ only in the n block, where r multiplies hn.
   *
   * <p>From h' = (1 - z) n + z h: dn = dh (1 - z), dz = dh (h - n); through n = tanh(.): dnPre = dn
   * (1 - n^2); through r * hn: dr = dnPre hn, dhn = dnPre r; through the sigmoids: s (1 - s).
   */
  public static void sgruBackward(
      int rows,
      int hid,
      float[] dgx,
      int dgxOff,
      int lddgx,
      float[] dgh,
      int dghOff,
      int lddgh,
      float[] gates,
      int gOff,
      int ldg,
      float[] hn,
      int hnOff,
      int ldhn,
      float[] hPrev,
      int hpOff,
      int ldhp,
      float[] dh,
      int dhOff,
      int lddh) {
    for (int row = 0; row < rows; row++) {
      int px = dgxOff + row * lddgx;
      int pq = dghOff + row * lddgh;
      int pg = gOff + row * ldg;
      int pn = hnOff + row * ldhn;
      int pp = hpOff + row * ldhp;
      int pd = dhOff + row * lddh;
      for (int j = 0; j < hid; j++) {
        float r = gates[pg + j];
        float z = gates[pg + hid + j];
        float n = gates[pg + 2 * hid + j];
        float d = dh[pd + j];
        float dnPre = d * (1f - z) * (1f - n * n);
        float drPre = dnPre * hn[pn + j] * r * (1f - r);
        float dzPre = d * (hPrev[pp + j] - n) * z * (1f - z);
        dgx[px + j] = drPre;
        dgx[px + hid + j] = dzPre;
        dgx[px + 2 * hid + j] = dnPre;
        dgh[pq + j] = drPre;
        dgh[pq + hid + j] = dzPre;
        dgh[pq + 2 * hid + j] = dnPre * r;
        dh[pd + j] = d * z;
      }
    }
  }

  /** float64 twin of {@link #sgruBackward}. */
  public static void dgruBackward(
      int rows,
      int hid,
      double[] dgx,
      int dgxOff,
      int lddgx,
      double[] dgh,
      int dghOff,
      int lddgh,
      double[] gates,
      int gOff,
      int ldg,
      double[] hn,
      int hnOff,
      int ldhn,
      double[] hPrev,
      int hpOff,
      int ldhp,
      double[] dh,
      int dhOff,
      int lddh) {
    for (int row = 0; row < rows; row++) {
      int px = dgxOff + row * lddgx;
      int pq = dghOff + row * lddgh;
      int pg = gOff + row * ldg;
      int pn = hnOff + row * ldhn;
      int pp = hpOff + row * ldhp;
      int pd = dhOff + row * lddh;
      for (int j = 0; j < hid; j++) {
        double r = gates[pg + j];
        double z = gates[pg + hid + j];
        double n = gates[pg + 2 * hid + j];
        double d = dh[pd + j];
        double dnPre = d * (1 - z) * (1 - n * n);
        double drPre = dnPre * hn[pn + j] * r * (1 - r);
        double dzPre = d * (hPrev[pp + j] - n) * z * (1 - z);
        dgx[px + j] = drPre;
        dgx[px + hid + j] = dzPre;
        dgx[px + 2 * hid + j] = dnPre;
        dgh[pq + j] = drPre;
        dgh[pq + hid + j] = dzPre;
        dgh[pq + 2 * hid + j] = dnPre * r;
        dh[pd + j] = d * z;
      }
    }
  }
}
