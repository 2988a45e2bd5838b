package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.SeqArgs.input;
import static org.handgrad.nn.functional.SeqArgs.matching;

import org.handgrad.tensor.Tensor;

/**
 * Gated recurrent unit (Cho et al. 2014) with PyTorch's nn.GRU equations:
 *
 * <pre>
 *   r = sigmoid(x Wx_r + b_r + h Wh_r)
 *   z = sigmoid(x Wx_z + b_z + h Wh_z)
 *   n = tanh(x Wx_n + b_n + r * (h Wh_n + bhn))
 *   h' = (1 - z) * n + z * h
 * </pre>
 *
 * <p>Conventions (docs/conventions.md): gate blocks [r | z | n] as in PyTorch, weights stored (D,
 * 3H) and (H, 3H) (PyTorch stores the transposes); z is the share of the old state kept (some texts
 * swap z and 1 - z). The reset gate multiplies the hidden side of n including its bias, so that
 * bias, {@code bhn}, is a separate parameter; the other hidden-side biases would only add to the
 * input-side ones, so there is one input bias b (3H,): PyTorch's b_ih = b, b_hh = [0, 0, bhn].
 *
 * <p>Dimensions: N batch, T time, D input, H hidden. The sequence pair batches the input projection
 * and the weight gradients over all N*T rows, as {@link Rnn} does.
 */
public final class Gru {
  private Gru() {}

  /**
   * What {@link #gruStepBackward} reads.
   *
   * @param x input, shape (N, D)
   * @param prevH previous hidden state, shape (N, H)
   * @param wx shape (D, 3H)
   * @param wh shape (H, 3H)
   * @param gates activated gates [r | z | n], shape (N, 3H)
   * @param hn hidden side of the n gate, prevH Wh_n + bhn, shape (N, H)
   */
  public record StepCache(Tensor x, Tensor prevH, Tensor wx, Tensor wh, Tensor gates, Tensor hn) {}

  /**
   * Gradients of one step.
   *
   * @param dx shape (N, D)
   * @param dprevH shape (N, H)
   * @param dwx shape (D, 3H)
   * @param dwh shape (H, 3H)
   * @param db shape (3H,)
   * @param dbhn shape (H,)
   */
  public record StepGrads(
      Tensor dx, Tensor dprevH, Tensor dwx, Tensor dwh, Tensor db, Tensor dbhn) {}

  /**
   * One timestep.
   *
   * @param x input, shape (N, D), float32 or float64
   * @param prevH previous hidden state, shape (N, H)
   * @param wx input-to-hidden weights, shape (D, 3H), gate blocks [r | z | n]
   * @param wh hidden-to-hidden weights, shape (H, 3H)
   * @param b input-side bias, shape (3H,)
   * @param bhn hidden-side bias of the n gate (inside r *), shape (H,)
   * @return nextH, shape (N, H), and the cache
   */
  public static Forward<StepCache> gruStepForward(
      Tensor x, Tensor prevH, Tensor wx, Tensor wh, Tensor b, Tensor bhn) {
    String op = "gruStepForward";
    x = input(op, "x", x, "(N, D)", 2);
    int n = x.shape(0);
    int d = x.shape(1);
    prevH = input(op, "prevH", prevH, "(N, H)", 2);
    int h = prevH.shape(1);
    int g3 = 3 * h;
    prevH = matching(op, "prevH", prevH, "(N, H)", x, "x", n, h);
    wx = matching(op, "wx", wx, "(D, 3H)", x, "x", d, g3);
    wh = matching(op, "wh", wh, "(H, 3H)", x, "x", h, g3);
    b = matching(op, "b", b, "(3H,)", x, "x", g3);
    bhn = matching(op, "bhn", bhn, "(H,)", x, "x", h);

    Tensor gates = Tensor.zeros(x.dtype(), n, g3);
    Tensor gh = Tensor.zeros(x.dtype(), n, g3);
    TensorGemm.gemm(gates, 0, g3, x, 0, d, false, wx, 0, g3, false, n, g3, d, 0);
    TensorGemm.gemm(gh, 0, g3, prevH, 0, h, false, wh, 0, g3, false, n, g3, h, 0);
    Tensor hn = Tensor.zeros(x.dtype(), n, h);
    Tensor nextH = Tensor.zeros(x.dtype(), n, h);
    SeqKernels.gruForward(n, h, gates, 0, g3, gh, 0, g3, b, bhn, prevH, 0, h, hn, nextH, 0, h);
    return new Forward<>(nextH, new StepCache(x, prevH, wx, wh, gates, hn));
  }

  /**
   * Backward of {@link #gruStepForward}: the cell derivative (see {@link
   * org.handgrad.kernels.RecurrentCells#sgruBackward}) gives the input-side and hidden-side
   * pre-activation gradients dgx, dgh (N, 3H); then dx = dgx wx^T, dprevH = dnextH z + dgh wh^T,
   * dwx = x^T dgx, dwh = prevH^T dgh, db = sum of dgx, dbhn = sum of the n block of dgh.
   *
   * @param dnextH upstream gradient, shape (N, H)
   * @param cache from the forward pass
   */
  public static StepGrads gruStepBackward(Tensor dnextH, StepCache cache) {
    String op = "gruStepBackward";
    Tensor x = cache.x();
    int n = x.shape(0);
    int d = x.shape(1);
    int h = cache.prevH().shape(1);
    int g3 = 3 * h;
    // A copy: the cell kernel turns it into the direct part of dprevH in place.
    Tensor dprevH = matching(op, "dnextH", dnextH, "(N, H)", x, "the forward input", n, h).copy();

    Tensor dgx = Tensor.zeros(x.dtype(), n, g3);
    Tensor dgh = Tensor.zeros(x.dtype(), n, g3);
    SeqKernels.gruBackward(
        n,
        h,
        dgx,
        0,
        g3,
        dgh,
        0,
        g3,
        cache.gates(),
        0,
        g3,
        cache.hn(),
        0,
        h,
        cache.prevH(),
        0,
        h,
        dprevH,
        0,
        h);
    Tensor dx = Tensor.zeros(x.dtype(), n, d);
    Tensor dwx = Tensor.zeros(x.dtype(), d, g3);
    Tensor dwh = Tensor.zeros(x.dtype(), h, g3);
    Tensor db = Tensor.zeros(x.dtype(), g3);
    Tensor dbhn = Tensor.zeros(x.dtype(), h);
    TensorGemm.gemm(dx, 0, d, dgx, 0, g3, false, cache.wx(), 0, g3, true, n, d, g3, 0);
    TensorGemm.gemm(dprevH, 0, h, dgh, 0, g3, false, cache.wh(), 0, g3, true, n, h, g3, 1);
    TensorGemm.gemm(dwx, 0, g3, x, 0, d, true, dgx, 0, g3, false, d, g3, n, 0);
    TensorGemm.gemm(dwh, 0, g3, cache.prevH(), 0, h, true, dgh, 0, g3, false, h, g3, n, 0);
    SeqKernels.sumRows(n, g3, db, 0, dgx, 0, g3);
    SeqKernels.sumRows(n, h, dbhn, 0, dgh, 2 * h, g3);
    return new StepGrads(dx, dprevH, dwx, dwh, db, dbhn);
  }

  /**
   * What {@link #gruBackward} reads.
   *
   * @param x inputs, shape (N, T, D)
   * @param h0 initial hidden state, shape (N, H)
   * @param wx shape (D, 3H)
   * @param wh shape (H, 3H)
   * @param gates activated gates [r | z | n] of every step, shape (N, T, 3H)
   * @param hn hidden side of the n gate of every step, shape (N, T, H)
   * @param h hidden states (the forward output, shared, not copied), shape (N, T, H)
   */
  public record Cache(
      Tensor x, Tensor h0, Tensor wx, Tensor wh, Tensor gates, Tensor hn, Tensor h) {}

  /**
   * Gradients of a whole sequence.
   *
   * @param dx shape (N, T, D)
   * @param dh0 shape (N, H)
   * @param dwx shape (D, 3H)
   * @param dwh shape (H, 3H)
   * @param db shape (3H,)
   * @param dbhn shape (H,)
   */
  public record Grads(Tensor dx, Tensor dh0, Tensor dwx, Tensor dwh, Tensor db, Tensor dbhn) {}

  /**
   * Runs the GRU over a sequence.
   *
   * @param x inputs, shape (N, T, D), float32 or float64
   * @param h0 initial hidden state, shape (N, H)
   * @param wx input-to-hidden weights, shape (D, 3H), gate blocks [r | z | n]
   * @param wh hidden-to-hidden weights, shape (H, 3H)
   * @param b input-side bias, shape (3H,)
   * @param bhn hidden-side bias of the n gate, shape (H,)
   * @return every hidden state, shape (N, T, H) (kept by the cache: do not modify it before the
   *     backward pass), and the cache
   */
  public static Forward<Cache> gruForward(
      Tensor x, Tensor h0, Tensor wx, Tensor wh, Tensor b, Tensor bhn) {
    String op = "gruForward";
    x = input(op, "x", x, "(N, T, D)", 3);
    int n = x.shape(0);
    int tt = x.shape(1);
    int d = x.shape(2);
    h0 = input(op, "h0", h0, "(N, H)", 2);
    int h = h0.shape(1);
    int g3 = 3 * h;
    h0 = matching(op, "h0", h0, "(N, H)", x, "x", n, h);
    wx = matching(op, "wx", wx, "(D, 3H)", x, "x", d, g3);
    wh = matching(op, "wh", wh, "(H, 3H)", x, "x", h, g3);
    b = matching(op, "b", b, "(3H,)", x, "x", g3);
    bhn = matching(op, "bhn", bhn, "(H,)", x, "x", h);

    Tensor gates = Tensor.zeros(x.dtype(), n, tt, g3);
    Tensor gh = Tensor.zeros(x.dtype(), n, g3); // h_{t-1} Wh, one step's workspace
    Tensor hn = Tensor.zeros(x.dtype(), n, tt, h);
    Tensor out = Tensor.zeros(x.dtype(), n, tt, h);
    int ldg = tt * g3;
    int ldh = tt * h;
    TensorGemm.gemm(gates, 0, g3, x, 0, d, false, wx, 0, g3, false, n * tt, g3, d, 0);
    for (int t = 0; t < tt; t++) {
      Tensor hPrev = t == 0 ? h0 : out;
      int hpOff = t == 0 ? 0 : (t - 1) * h;
      int ldhp = t == 0 ? h : ldh;
      TensorGemm.gemm(gh, 0, g3, hPrev, hpOff, ldhp, false, wh, 0, g3, false, n, g3, h, 0);
      SeqKernels.gruForward(
          n, h, gates, t * g3, ldg, gh, 0, g3, b, bhn, hPrev, hpOff, ldhp, hn, out, t * h, ldh);
    }
    return new Forward<>(out, new Cache(x, h0, wx, wh, gates, hn, out));
  }

  /**
   * Backpropagation through time for {@link #gruForward}. Going back from t = T-1, the gradient
   * reaching h_t is the upstream dh[:, t] plus, from step t+1, the direct path dh_{t+1} z_{t+1} and
   * dgh_{t+1} wh^T. The weight gradients are single GEMMs over N*T rows after the loop: dwx = x^T
   * dgx, dwh = hPrev^T dgh, dx = dgx wx^T.
   *
   * @param dh upstream gradient of every hidden state, shape (N, T, H)
   * @param cache from the forward pass
   */
  public static Grads gruBackward(Tensor dh, Cache cache) {
    String op = "gruBackward";
    Tensor x = cache.x();
    int n = x.shape(0);
    int tt = x.shape(1);
    int d = x.shape(2);
    int h = cache.h0().shape(1);
    int g3 = 3 * h;
    dh = matching(op, "dh", dh, "(N, T, H)", x, "the forward input", n, tt, h);

    int ldg = tt * g3;
    int ldh = tt * h;
    Tensor dgx = Tensor.zeros(x.dtype(), n, tt, g3);
    Tensor dgh = Tensor.zeros(x.dtype(), n, tt, g3);
    Tensor dhNext = Tensor.zeros(x.dtype(), n, h);
    for (int t = tt - 1; t >= 0; t--) {
      SeqKernels.addRows(n, h, dhNext, 0, h, dh, t * h, ldh);
      Tensor hPrev = t == 0 ? cache.h0() : cache.h();
      int hpOff = t == 0 ? 0 : (t - 1) * h;
      int ldhp = t == 0 ? h : ldh;
      SeqKernels.gruBackward(
          n,
          h,
          dgx,
          t * g3,
          ldg,
          dgh,
          t * g3,
          ldg,
          cache.gates(),
          t * g3,
          ldg,
          cache.hn(),
          t * h,
          ldh,
          hPrev,
          hpOff,
          ldhp,
          dhNext,
          0,
          h);
      TensorGemm.gemm(dhNext, 0, h, dgh, t * g3, ldg, false, cache.wh(), 0, g3, true, n, h, g3, 1);
    }
    Tensor dx = Tensor.zeros(x.dtype(), n, tt, d);
    Tensor dwx = Tensor.zeros(x.dtype(), d, g3);
    Tensor dwh = Tensor.zeros(x.dtype(), h, g3);
    Tensor db = Tensor.zeros(x.dtype(), g3);
    Tensor dbhn = Tensor.zeros(x.dtype(), h);
    int rows = n * tt;
    TensorGemm.gemm(dx, 0, d, dgx, 0, g3, false, cache.wx(), 0, g3, true, rows, d, g3, 0);
    TensorGemm.gemm(dwx, 0, g3, x, 0, d, true, dgx, 0, g3, false, d, g3, rows, 0);
    Tensor hPrev = Rnn.shiftRight(cache.h(), cache.h0());
    TensorGemm.gemm(dwh, 0, g3, hPrev, 0, h, true, dgh, 0, g3, false, h, g3, rows, 0);
    SeqKernels.sumRows(rows, g3, db, 0, dgx, 0, g3);
    SeqKernels.sumRows(rows, h, dbhn, 0, dgh, 2 * h, g3);
    return new Grads(dx, dhNext, dwx, dwh, db, dbhn);
  }
}
