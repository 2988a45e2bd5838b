package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.SeqArgs.input;
import static org.handgrad.nn.functional.SeqArgs.matching;

import java.util.Objects;
import org.handgrad.tensor.Tensor;

/**
 * Long short-term memory (Hochreiter and Schmidhuber 1997, with forget gate), CS231n's {@code
 * lstm_step_forward} ... {@code lstm_backward}:
 *
 * <pre>
 *   a = x Wx + h_prev Wh + b,  split into [a_i | a_f | a_o | a_g], each H wide
 *   i = sigmoid(a_i)  f = sigmoid(a_f)  o = sigmoid(a_o)  g = tanh(a_g)
 *   c = f * c_prev + i * g      h = o * tanh(c)
 * </pre>
 *
 * <p>Gate order is CS231n's i, f, o, g with Wx (D, 4H), Wh (H, 4H) and one bias (4H,). PyTorch's
 * nn.LSTM orders the gates i, f, g, o, stores weights transposed (4H, D) and has two biases b_ih +
 * b_hh: see docs/conventions.md for the mapping.
 *
 * <p>Dimensions: N batch, T time, D input, H hidden. As in {@link Rnn}, the sequence pair projects
 * the inputs of all timesteps with one GEMM before the recurrence, leaves only the (N, H) x (H, 4H)
 * product per step, and computes dx, dWx, dWh with one GEMM each after it.
 */
public final class Lstm {
  private Lstm() {}

  /**
   * What {@link #lstmStepBackward} reads; {@link #nextC()} is the step's second output.
   *
   * @param x input, shape (N, D)
   * @param prevH previous hidden state, shape (N, H)
   * @param prevC previous cell state, shape (N, H)
   * @param wx shape (D, 4H)
   * @param wh shape (H, 4H)
   * @param gates activated gates [i | f | o | g], shape (N, 4H)
   * @param nextC next cell state, shape (N, H)
   * @param tanhC tanh(nextC), shape (N, H)
   */
  public record StepCache(
      Tensor x,
      Tensor prevH,
      Tensor prevC,
      Tensor wx,
      Tensor wh,
      Tensor gates,
      Tensor nextC,
      Tensor tanhC) {}

  /**
   * Gradients of one step.
   *
   * @param dx shape (N, D)
   * @param dprevH shape (N, H)
   * @param dprevC shape (N, H)
   * @param dwx shape (D, 4H)
   * @param dwh shape (H, 4H)
   * @param db shape (4H,)
   */
  public record StepGrads(
      Tensor dx, Tensor dprevH, Tensor dprevC, Tensor dwx, Tensor dwh, Tensor db) {}

  /**
   * The three outputs of one step in CS231n's order, {@code next_h, next_c, cache}.
   *
   * @param nextH next hidden state, shape (N, H)
   * @param nextC next cell state, shape (N, H) (the same tensor as {@code cache.nextC()})
   * @param cache what {@link #lstmStepBackward} reads
   */
  public record StepForward(Tensor nextH, Tensor nextC, StepCache cache) {
    /** Validates presence. */
    public StepForward {
      Objects.requireNonNull(nextH, "nextH");
      Objects.requireNonNull(nextC, "nextC");
      Objects.requireNonNull(cache, "cache");
    }
  }

  /**
   * One timestep with both states returned, as CS231n's {@code next_h, next_c, cache =
   * lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)}:
   *
   * <pre>{@code
   * Lstm.StepForward s = Lstm.lstmStepForwardWithCell(x, prevH, prevC, wx, wh, b);
   * Lstm.StepGrads g = Lstm.lstmStepBackward(dnextH, dnextC, s.cache());
   * }</pre>
   *
   * <p>Same computation and arguments as {@link #lstmStepForward}, which returns the layer's {@link
   * Forward} pair (out = nextH) like every other forward.
   *
   * @param x input, shape (N, D), float32 or float64
   * @param prevH previous hidden state, shape (N, H)
   * @param prevC previous cell state, shape (N, H)
   * @param wx input-to-hidden weights, shape (D, 4H), gate blocks [i | f | o | g]
   * @param wh hidden-to-hidden weights, shape (H, 4H)
   * @param b bias, shape (4H,)
   * @return nextH (N, H), nextC (N, H) and the cache
   * @throws IllegalArgumentException on wrong ranks, shapes or dtypes (as {@link #lstmStepForward})
   */
  public static StepForward lstmStepForwardWithCell(
      Tensor x, Tensor prevH, Tensor prevC, Tensor wx, Tensor wh, Tensor b) {
    Forward<StepCache> f = lstmStepForward(x, prevH, prevC, wx, wh, b);
    return new StepForward(f.out(), f.cache().nextC(), f.cache());
  }

  /**
   * One timestep. CS231n returns {@code next_h, next_c, cache}: here out is nextH and nextC is
   * {@code cache().nextC()}; {@link #lstmStepForwardWithCell} returns all three by name.
   *
   * @param x input, shape (N, D), float32 or float64
   * @param prevH previous hidden state, shape (N, H)
   * @param prevC previous cell state, shape (N, H)
   * @param wx input-to-hidden weights, shape (D, 4H), gate blocks [i | f | o | g]
   * @param wh hidden-to-hidden weights, shape (H, 4H)
   * @param b bias, shape (4H,)
   * @return nextH, shape (N, H), and the cache holding nextC
   */
  public static Forward<StepCache> lstmStepForward(
      Tensor x, Tensor prevH, Tensor prevC, Tensor wx, Tensor wh, Tensor b) {
    String op = "lstmStepForward";
    x = input(op, "x", x, "(N, D)", 2);
    int n = x.shape(0);
    int d = x.shape(1);
    prevH = input(op, "prevH", prevH, "(N, H)", 2);
    int h = prevH.shape(1);
    int g4 = 4 * h;
    prevH = matching(op, "prevH", prevH, "(N, H)", x, "x", n, h);
    prevC = matching(op, "prevC", prevC, "(N, H)", x, "x", n, h);
    wx = matching(op, "wx", wx, "(D, 4H)", x, "x", d, g4);
    wh = matching(op, "wh", wh, "(H, 4H)", x, "x", h, g4);
    b = matching(op, "b", b, "(4H,)", x, "x", g4);

    Tensor gates = Tensor.zeros(x.dtype(), n, g4);
    TensorGemm.gemm(gates, 0, g4, x, 0, d, false, wx, 0, g4, false, n, g4, d, 0);
    TensorGemm.gemm(gates, 0, g4, prevH, 0, h, false, wh, 0, g4, false, n, g4, h, 1);
    Tensor nextC = Tensor.zeros(x.dtype(), n, h);
    Tensor tanhC = Tensor.zeros(x.dtype(), n, h);
    Tensor nextH = Tensor.zeros(x.dtype(), n, h);
    SeqKernels.lstmForward(n, h, gates, 0, g4, b, prevC, 0, h, nextC, tanhC, nextH, 0, h);
    return new Forward<>(nextH, new StepCache(x, prevH, prevC, wx, wh, gates, nextC, tanhC));
  }

  /**
   * Backward of {@link #lstmStepForward}: the cell derivative (see {@link
   * org.handgrad.kernels.RecurrentCells#slstmBackward}) gives da (N, 4H), then dx = da wx^T, dprevH
   * = da wh^T, dwx = x^T da, dwh = prevH^T da, db = sum over rows of da.
   *
   * @param dnextH upstream gradient of nextH, shape (N, H)
   * @param dnextC upstream gradient of nextC, shape (N, H)
   * @param cache from the forward pass
   */
  public static StepGrads lstmStepBackward(Tensor dnextH, Tensor dnextC, StepCache cache) {
    String op = "lstmStepBackward";
    Tensor x = cache.x();
    int n = x.shape(0);
    int d = x.shape(1);
    int h = cache.prevH().shape(1);
    int g4 = 4 * h;
    // Copies: the cell kernel updates dc in place and wants dh and dc in one fresh layout.
    Tensor dh = matching(op, "dnextH", dnextH, "(N, H)", x, "the forward input", n, h).copy();
    Tensor dc = matching(op, "dnextC", dnextC, "(N, H)", x, "the forward input", n, h).copy();

    Tensor da = Tensor.zeros(x.dtype(), n, g4);
    SeqKernels.lstmBackward(
        n, h, da, 0, g4, cache.gates(), 0, g4, cache.prevC(), 0, h, cache.tanhC(), 0, h, dh, dc, h);
    Tensor dx = Tensor.zeros(x.dtype(), n, d);
    Tensor dprevH = Tensor.zeros(x.dtype(), n, h);
    Tensor dwx = Tensor.zeros(x.dtype(), d, g4);
    Tensor dwh = Tensor.zeros(x.dtype(), h, g4);
    Tensor db = Tensor.zeros(x.dtype(), g4);
    TensorGemm.gemm(dx, 0, d, da, 0, g4, false, cache.wx(), 0, g4, true, n, d, g4, 0);
    TensorGemm.gemm(dprevH, 0, h, da, 0, g4, false, cache.wh(), 0, g4, true, n, h, g4, 0);
    TensorGemm.gemm(dwx, 0, g4, x, 0, d, true, da, 0, g4, false, d, g4, n, 0);
    TensorGemm.gemm(dwh, 0, g4, cache.prevH(), 0, h, true, da, 0, g4, false, h, g4, n, 0);
    SeqKernels.sumRows(n, g4, db, 0, da, 0, g4);
    return new StepGrads(dx, dprevH, dc, dwx, dwh, db);
  }

  /**
   * What {@link #lstmBackward} reads.
   *
   * @param x inputs, shape (N, T, D)
   * @param h0 initial hidden state, shape (N, H)
   * @param c0 initial cell state, shape (N, H)
   * @param wx shape (D, 4H)
   * @param wh shape (H, 4H)
   * @param gates activated gates [i | f | o | g] of every step, shape (N, T, 4H)
   * @param c cell states, shape (N, T, H)
   * @param tanhC tanh(c), shape (N, T, H)
   * @param h hidden states (the forward output, shared, not copied), shape (N, T, H)
   */
  public record Cache(
      Tensor x,
      Tensor h0,
      Tensor c0,
      Tensor wx,
      Tensor wh,
      Tensor gates,
      Tensor c,
      Tensor tanhC,
      Tensor h) {

    /** The final cell state c[:, T-1] (a copy), shape (N, H): carry it to the next chunk. */
    public Tensor finalC() {
      int n = c.shape(0);
      int tt = c.shape(1);
      int hid = c.shape(2);
      Tensor out = Tensor.zeros(c.dtype(), n, hid);
      SeqKernels.copyRows(n, hid, out, 0, hid, c, (tt - 1) * hid, tt * hid);
      return out;
    }
  }

  /**
   * Gradients of a whole sequence.
   *
   * @param dx shape (N, T, D)
   * @param dh0 shape (N, H)
   * @param dc0 shape (N, H)
   * @param dwx shape (D, 4H)
   * @param dwh shape (H, 4H)
   * @param db shape (4H,)
   */
  public record Grads(Tensor dx, Tensor dh0, Tensor dc0, Tensor dwx, Tensor dwh, Tensor db) {}

  /**
   * Runs the LSTM over a sequence from h0 and a zero initial cell state (CS231n's {@code
   * lstm_forward}).
   *
   * @param x inputs, shape (N, T, D), float32 or float64
   * @param h0 initial hidden state, shape (N, H)
   * @param wx shape (D, 4H)
   * @param wh shape (H, 4H)
   * @param b shape (4H,)
   * @return every hidden state, shape (N, T, H), and the cache
   */
  public static Forward<Cache> lstmForward(Tensor x, Tensor h0, Tensor wx, Tensor wh, Tensor b) {
    return lstmForward(x, h0, null, wx, wh, b);
  }

  /**
   * Runs the LSTM over a sequence from (h0, c0), e.g. to continue from a previous chunk's {@link
   * Cache#finalC()}.
   *
   * @param x inputs, shape (N, T, D), float32 or float64
   * @param h0 initial hidden state, shape (N, H)
   * @param c0 initial cell state, shape (N, H); null means zeros
   * @param wx input-to-hidden weights, shape (D, 4H), gate blocks [i | f | o | g]
   * @param wh hidden-to-hidden weights, shape (H, 4H)
   * @param b bias, shape (4H,)
   * @return every hidden state, shape (N, T, H) (kept by the cache: do not modify it before the
   *     backward pass), and the cache
   */
  public static Forward<Cache> lstmForward(
      Tensor x, Tensor h0, Tensor c0, Tensor wx, Tensor wh, Tensor b) {
    String op = "lstmForward";
    x = input(op, "x", x, "(N, T, D)", 3);
    int n = x.shape(0);
    int tt = x.shape(1);
    int d = x.shape(2);
    h0 = input(op, "h0", h0, "(N, H)", 2);
    int h = h0.shape(1);
    int g4 = 4 * h;
    h0 = matching(op, "h0", h0, "(N, H)", x, "x", n, h);
    c0 =
        c0 == null ? Tensor.zeros(x.dtype(), n, h) : matching(op, "c0", c0, "(N, H)", x, "x", n, h);
    wx = matching(op, "wx", wx, "(D, 4H)", x, "x", d, g4);
    wh = matching(op, "wh", wh, "(H, 4H)", x, "x", h, g4);
    b = matching(op, "b", b, "(4H,)", x, "x", g4);

    Tensor gates = Tensor.zeros(x.dtype(), n, tt, g4);
    Tensor c = Tensor.zeros(x.dtype(), n, tt, h);
    Tensor tanhC = Tensor.zeros(x.dtype(), n, tt, h);
    Tensor out = Tensor.zeros(x.dtype(), n, tt, h);
    int ldg = tt * g4; // row strides of one timestep's block inside the (N, T, .) buffers
    int ldh = tt * h;
    // Input projection of all timesteps at once: (N*T, D) x (D, 4H).
    TensorGemm.gemm(gates, 0, g4, x, 0, d, false, wx, 0, g4, false, n * tt, g4, d, 0);
    for (int t = 0; t < tt; t++) {
      if (t == 0) {
        TensorGemm.gemm(gates, 0, ldg, h0, 0, h, false, wh, 0, g4, false, n, g4, h, 1);
        SeqKernels.lstmForward(n, h, gates, 0, ldg, b, c0, 0, h, c, tanhC, out, 0, ldh);
      } else {
        TensorGemm.gemm(
            gates, t * g4, ldg, out, (t - 1) * h, ldh, false, wh, 0, g4, false, n, g4, h, 1);
        SeqKernels.lstmForward(
            n, h, gates, t * g4, ldg, b, c, (t - 1) * h, ldh, c, tanhC, out, t * h, ldh);
      }
    }
    return new Forward<>(out, new Cache(x, h0, c0, wx, wh, gates, c, tanhC, out));
  }

  /**
   * Backpropagation through time for {@link #lstmForward} with no gradient on the final cell state
   * (CS231n's {@code lstm_backward}).
   *
   * @param dh upstream gradient of every hidden state, shape (N, T, H)
   * @param cache from the forward pass
   */
  public static Grads lstmBackward(Tensor dh, Cache cache) {
    return lstmBackward(dh, null, cache);
  }

  /**
   * Backpropagation through time for {@link #lstmForward}. Going back from t = T-1, two gradients
   * flow into step t from step t+1: dh_t (the upstream dh[:, t] plus da_{t+1} wh^T) and dc_t (the
   * cell path, dc_{t+1} * f_{t+1}); the cell derivative turns them into da_t. The weight gradients
   * sum over timesteps and are single GEMMs over N*T rows after the loop: dwx = x^T da, dwh =
   * hPrev^T da, dx = da wx^T.
   *
   * @param dh upstream gradient of every hidden state, shape (N, T, H)
   * @param dcT upstream gradient of the final cell state {@link Cache#finalC()}, shape (N, H); null
   *     means zeros
   * @param cache from the forward pass
   */
  public static Grads lstmBackward(Tensor dh, Tensor dcT, Cache cache) {
    String op = "lstmBackward";
    Tensor x = cache.x();
    int n = x.shape(0);
    int tt = x.shape(1);
    int d = x.shape(2);
    int h = cache.h0().shape(1);
    int g4 = 4 * h;
    dh = matching(op, "dh", dh, "(N, T, H)", x, "the forward input", n, tt, h);
    Tensor dcNext =
        dcT == null
            ? Tensor.zeros(x.dtype(), n, h)
            : matching(op, "dcT", dcT, "(N, H)", x, "the forward input", n, h).copy();

    int ldg = tt * g4;
    int ldh = tt * h;
    Tensor da = Tensor.zeros(x.dtype(), n, tt, g4);
    Tensor dhNext = Tensor.zeros(x.dtype(), n, h);
    for (int t = tt - 1; t >= 0; t--) {
      SeqKernels.addRows(n, h, dhNext, 0, h, dh, t * h, ldh);
      Tensor cPrev = t == 0 ? cache.c0() : cache.c();
      int cpOff = t == 0 ? 0 : (t - 1) * h;
      int ldcp = t == 0 ? h : ldh;
      SeqKernels.lstmBackward(
          n,
          h,
          da,
          t * g4,
          ldg,
          cache.gates(),
          t * g4,
          ldg,
          cPrev,
          cpOff,
          ldcp,
          cache.tanhC(),
          t * h,
          ldh,
          dhNext,
          dcNext,
          h);
      TensorGemm.gemm(dhNext, 0, h, da, t * g4, ldg, false, cache.wh(), 0, g4, true, n, h, g4, 0);
    }
    Tensor dx = Tensor.zeros(x.dtype(), n, tt, d);
    Tensor dwx = Tensor.zeros(x.dtype(), d, g4);
    Tensor dwh = Tensor.zeros(x.dtype(), h, g4);
    Tensor db = Tensor.zeros(x.dtype(), g4);
    int rows = n * tt;
    TensorGemm.gemm(dx, 0, d, da, 0, g4, false, cache.wx(), 0, g4, true, rows, d, g4, 0);
    TensorGemm.gemm(dwx, 0, g4, x, 0, d, true, da, 0, g4, false, d, g4, rows, 0);
    Tensor hPrev = Rnn.shiftRight(cache.h(), cache.h0());
    TensorGemm.gemm(dwh, 0, g4, hPrev, 0, h, true, da, 0, g4, false, h, g4, rows, 0);
    SeqKernels.sumRows(rows, g4, db, 0, da, 0, g4);
    return new Grads(dx, dhNext, dcNext, dwx, dwh, db);
  }
}
