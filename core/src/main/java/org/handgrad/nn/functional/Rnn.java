package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.SeqArgs.input;
import static org.handgrad.nn.functional.SeqArgs.matching;

import org.handgrad.tensor.Tensor;

/**
 * Vanilla (Elman) RNN with tanh, CS231n's {@code rnn_step_forward} ... {@code rnn_backward}:
 *
 * <pre>
 *   h_t = tanh(x_t Wx + h_{t-1} Wh + b)
 * </pre>
 *
 * <p>Dimensions: N batch, T time, D input, H hidden. Sequences are batch-major, (N, T, .), as in
 * CS231n and PyTorch's {@code batch_first=True}.
 *
 * <p>The sequence pair does not loop over the step pair: it projects the inputs of all timesteps
 * with one GEMM over N*T rows before the recurrence (and computes dx, dWx, dWh after it the same
 * way), so only the (N, H) x (H, H) product is per step; per-timestep blocks are addressed in place
 * through leading dimensions. The step pair is kept for sampling and as the naive reference.
 */
public final class Rnn {
  private Rnn() {}

  /**
   * What {@link #rnnStepBackward} reads.
   *
   * @param x input, shape (N, D)
   * @param prevH previous hidden state, shape (N, H)
   * @param wx input-to-hidden weights, shape (D, H)
   * @param wh hidden-to-hidden weights, shape (H, H)
   * @param nextH the output tanh(.), shape (N, H)
   */
  public record StepCache(Tensor x, Tensor prevH, Tensor wx, Tensor wh, Tensor nextH) {}

  /**
   * Gradients of one step.
   *
   * @param dx shape (N, D)
   * @param dprevH shape (N, H)
   * @param dwx shape (D, H)
   * @param dwh shape (H, H)
   * @param db shape (H,)
   */
  public record StepGrads(Tensor dx, Tensor dprevH, Tensor dwx, Tensor dwh, Tensor db) {}

  /**
   * One timestep: {@code nextH = tanh(x wx + prevH wh + b)}.
   *
   * @param x input, shape (N, D), float32 or float64
   * @param prevH previous hidden state, shape (N, H)
   * @param wx input-to-hidden weights, shape (D, H)
   * @param wh hidden-to-hidden weights, shape (H, H)
   * @param b bias, shape (H,)
   * @return nextH, shape (N, H), and the cache
   */
  public static Forward<StepCache> rnnStepForward(
      Tensor x, Tensor prevH, Tensor wx, Tensor wh, Tensor b) {
    String op = "rnnStepForward";
    x = input(op, "x", x, "(N, D)", 2);
    int n = x.shape(0);
    int d = x.shape(1);
    prevH = input(op, "prevH", prevH, "(N, H)", 2);
    int h = prevH.shape(1);
    prevH = matching(op, "prevH", prevH, "(N, H)", x, "x", n, h);
    wx = matching(op, "wx", wx, "(D, H)", x, "x", d, h);
    wh = matching(op, "wh", wh, "(H, H)", x, "x", h, h);
    b = matching(op, "b", b, "(H,)", x, "x", h);

    Tensor nextH = Tensor.zeros(x.dtype(), n, h);
    TensorGemm.gemm(nextH, 0, h, x, 0, d, false, wx, 0, h, false, n, h, d, 0);
    TensorGemm.gemm(nextH, 0, h, prevH, 0, h, false, wh, 0, h, false, n, h, h, 1);
    SeqKernels.tanhBias(n, h, nextH, 0, h, b);
    return new Forward<>(nextH, new StepCache(x, prevH, wx, wh, nextH));
  }

  /**
   * Backward of {@link #rnnStepForward}. With a = x wx + prevH wh + b and nextH = tanh(a): da =
   * dnextH (1 - nextH^2), then dx = da wx^T, dprevH = da wh^T, dwx = x^T da, dwh = prevH^T da, db =
   * sum over rows of da.
   *
   * @param dnextH upstream gradient, shape (N, H)
   * @param cache from the forward pass
   */
  public static StepGrads rnnStepBackward(Tensor dnextH, StepCache cache) {
    String op = "rnnStepBackward";
    Tensor x = cache.x();
    Tensor prevH = cache.prevH();
    int n = x.shape(0);
    int d = x.shape(1);
    int h = prevH.shape(1);
    dnextH = matching(op, "dnextH", dnextH, "(N, H)", x, "the forward input", n, h);

    Tensor da = Tensor.zeros(x.dtype(), n, h);
    SeqKernels.tanhBackward(n, h, da, 0, h, dnextH, 0, h, cache.nextH(), 0, h);
    Tensor dx = Tensor.zeros(x.dtype(), n, d);
    Tensor dprevH = Tensor.zeros(x.dtype(), n, h);
    Tensor dwx = Tensor.zeros(x.dtype(), d, h);
    Tensor dwh = Tensor.zeros(x.dtype(), h, h);
    Tensor db = Tensor.zeros(x.dtype(), h);
    TensorGemm.gemm(dx, 0, d, da, 0, h, false, cache.wx(), 0, h, true, n, d, h, 0);
    TensorGemm.gemm(dprevH, 0, h, da, 0, h, false, cache.wh(), 0, h, true, n, h, h, 0);
    TensorGemm.gemm(dwx, 0, h, x, 0, d, true, da, 0, h, false, d, h, n, 0);
    TensorGemm.gemm(dwh, 0, h, prevH, 0, h, true, da, 0, h, false, h, h, n, 0);
    SeqKernels.sumRows(n, h, db, 0, da, 0, h);
    return new StepGrads(dx, dprevH, dwx, dwh, db);
  }

  /**
   * What {@link #rnnBackward} reads.
   *
   * @param x inputs, shape (N, T, D)
   * @param h0 initial hidden state, shape (N, H)
   * @param wx shape (D, H)
   * @param wh shape (H, H)
   * @param h all hidden states (the forward output, shared, not copied), shape (N, T, H)
   */
  public record Cache(Tensor x, Tensor h0, Tensor wx, Tensor wh, Tensor h) {}

  /**
   * Gradients of a whole sequence.
   *
   * @param dx shape (N, T, D)
   * @param dh0 shape (N, H)
   * @param dwx shape (D, H)
   * @param dwh shape (H, H)
   * @param db shape (H,)
   */
  public record Grads(Tensor dx, Tensor dh0, Tensor dwx, Tensor dwh, Tensor db) {}

  /**
   * Runs the RNN over a sequence: {@code h[:, t] = tanh(x[:, t] wx + h[:, t-1] wh + b)} with {@code
   * h[:, -1] = h0}.
   *
   * @param x inputs, shape (N, T, D), float32 or float64
   * @param h0 initial hidden state, shape (N, H)
   * @param wx input-to-hidden weights, shape (D, H)
   * @param wh hidden-to-hidden weights, shape (H, H)
   * @param b bias, shape (H,)
   * @return h, every hidden state, shape (N, T, H) (the cache keeps it: do not modify it before the
   *     backward pass), and the cache
   */
  public static Forward<Cache> rnnForward(Tensor x, Tensor h0, Tensor wx, Tensor wh, Tensor b) {
    String op = "rnnForward";
    x = input(op, "x", x, "(N, T, D)", 3);
    int n = x.shape(0);
    int tt = x.shape(1);
    int d = x.shape(2);
    h0 = input(op, "h0", h0, "(N, H)", 2);
    int h = h0.shape(1);
    h0 = matching(op, "h0", h0, "(N, H)", x, "x", n, h);
    wx = matching(op, "wx", wx, "(D, H)", x, "x", d, h);
    wh = matching(op, "wh", wh, "(H, H)", x, "x", h, h);
    b = matching(op, "b", b, "(H,)", x, "x", h);

    Tensor out = Tensor.zeros(x.dtype(), n, tt, h);
    int ld = tt * h; // row stride of one timestep's (N, H) block inside (N, T, H)
    // Input projection of all timesteps at once: rows n*T + t of x (N*T, D) times wx.
    TensorGemm.gemm(out, 0, h, x, 0, d, false, wx, 0, h, false, n * tt, h, d, 0);
    for (int t = 0; t < tt; t++) {
      if (t == 0) {
        TensorGemm.gemm(out, 0, ld, h0, 0, h, false, wh, 0, h, false, n, h, h, 1);
      } else {
        // A = h_{t-1} and C = h_t are disjoint row blocks of the same array.
        TensorGemm.gemm(out, t * h, ld, out, (t - 1) * h, ld, false, wh, 0, h, false, n, h, h, 1);
      }
      SeqKernels.tanhBias(n, h, out, t * h, ld, b);
    }
    return new Forward<>(out, new Cache(x, h0, wx, wh, out));
  }

  /**
   * Backpropagation through time for {@link #rnnForward}. Going back from t = T-1, the gradient
   * reaching h_t is the upstream dh[:, t] plus the recurrent term da_{t+1} wh^T; da_t = that times
   * (1 - h_t^2). The weight gradients are sums over all timesteps, so they are computed after the
   * loop as single GEMMs over N*T rows: dwx = x^T da, dwh = hPrev^T da (hPrev = h shifted one step
   * right, h0 first), dx = da wx^T.
   *
   * @param dh upstream gradient of every hidden state, shape (N, T, H)
   * @param cache from the forward pass
   */
  public static Grads rnnBackward(Tensor dh, Cache cache) {
    String op = "rnnBackward";
    Tensor x = cache.x();
    Tensor h = cache.h();
    int n = x.shape(0);
    int tt = x.shape(1);
    int d = x.shape(2);
    int hid = h.shape(2);
    dh = matching(op, "dh", dh, "(N, T, H)", x, "the forward input", n, tt, hid);

    int ld = tt * hid;
    Tensor da = Tensor.zeros(x.dtype(), n, tt, hid);
    Tensor dhNext = Tensor.zeros(x.dtype(), n, hid); // gradient reaching h_t, then h_{t-1}
    for (int t = tt - 1; t >= 0; t--) {
      SeqKernels.addRows(n, hid, dhNext, 0, hid, dh, t * hid, ld);
      SeqKernels.tanhBackward(n, hid, da, t * hid, ld, dhNext, 0, hid, h, t * hid, ld);
      TensorGemm.gemm(
          dhNext, 0, hid, da, t * hid, ld, false, cache.wh(), 0, hid, true, n, hid, hid, 0);
    }
    Tensor dx = Tensor.zeros(x.dtype(), n, tt, d);
    Tensor dwx = Tensor.zeros(x.dtype(), d, hid);
    Tensor dwh = Tensor.zeros(x.dtype(), hid, hid);
    Tensor db = Tensor.zeros(x.dtype(), hid);
    int rows = n * tt;
    TensorGemm.gemm(dx, 0, d, da, 0, hid, false, cache.wx(), 0, hid, true, rows, d, hid, 0);
    TensorGemm.gemm(dwx, 0, hid, x, 0, d, true, da, 0, hid, false, d, hid, rows, 0);
    Tensor hPrev = shiftRight(h, cache.h0());
    TensorGemm.gemm(dwh, 0, hid, hPrev, 0, hid, true, da, 0, hid, false, hid, hid, rows, 0);
    SeqKernels.sumRows(rows, hid, db, 0, da, 0, hid);
    return new Grads(dx, dhNext, dwx, dwh, db);
  }

  /**
   * The hidden state each timestep started from: {@code hPrev[:, 0] = h0}, {@code hPrev[:, t] =
   * h[:, t-1]}, shape (N, T, H). Shared by the RNN, LSTM and GRU backward passes, which need it as
   * one (N*T, H) matrix for the single dWh GEMM.
   */
  static Tensor shiftRight(Tensor h, Tensor h0) {
    int n = h.shape(0);
    int tt = h.shape(1);
    int hid = h.shape(2);
    Tensor hPrev = Tensor.zeros(h.dtype(), n, tt, hid);
    SeqKernels.copyRows(n, hid, hPrev, 0, tt * hid, h0, 0, hid);
    SeqKernels.copyRows(n, (tt - 1) * hid, hPrev, hid, tt * hid, h, 0, tt * hid);
    return hPrev;
  }
}
