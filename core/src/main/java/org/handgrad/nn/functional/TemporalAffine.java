package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.SeqArgs.input;
import static org.handgrad.nn.functional.SeqArgs.matching;

import org.handgrad.tensor.Tensor;

/**
 * Temporal affine, CS231n's {@code temporal_affine_forward/backward}: the same affine map applied
 * at every timestep, {@code out[n, t] = x[n, t] w + b}, e.g. hidden states to vocabulary scores.
 *
 * <p>Dimensions: N batch, T time, D input, M output. A row-major (N, T, D) tensor is an (N*T, D)
 * matrix, so forward and backward are each one GEMM over N*T rows.
 */
public final class TemporalAffine {
  private TemporalAffine() {}

  /**
   * What {@link #temporalAffineBackward} reads.
   *
   * @param x input, shape (N, T, D)
   * @param w weights, shape (D, M)
   */
  public record Cache(Tensor x, Tensor w) {}

  /**
   * Gradients.
   *
   * @param dx shape (N, T, D)
   * @param dw shape (D, M)
   * @param db shape (M,)
   */
  public record Grads(Tensor dx, Tensor dw, Tensor db) {}

  /**
   * Applies {@code x w + b} at every timestep.
   *
   * @param x input, shape (N, T, D), float32 or float64
   * @param w weights, shape (D, M)
   * @param b bias, shape (M,)
   * @return out, shape (N, T, M), and the cache
   */
  public static Forward<Cache> temporalAffineForward(Tensor x, Tensor w, Tensor b) {
    String op = "temporalAffineForward";
    x = input(op, "x", x, "(N, T, D)", 3);
    int n = x.shape(0);
    int tt = x.shape(1);
    int d = x.shape(2);
    w = input(op, "w", w, "(D, M)", 2);
    int m = w.shape(1);
    w = matching(op, "w", w, "(D, M)", x, "x", d, m);
    b = matching(op, "b", b, "(M,)", x, "x", m);

    int rows = n * tt;
    Tensor out = Tensor.zeros(x.dtype(), n, tt, m);
    TensorGemm.gemm(out, 0, m, x, 0, d, false, w, 0, m, false, rows, m, d, 0);
    SeqKernels.addBias(rows, m, out, 0, m, b);
    return new Forward<>(out, new Cache(x, w));
  }

  /**
   * Backward of {@link #temporalAffineForward}, as the affine layer on the (N*T, D) matrix: dx =
   * dout w^T, dw = x^T dout (summing over batch and time), db = sum of dout over rows.
   *
   * @param dout upstream gradient, shape (N, T, M)
   * @param cache from the forward pass
   */
  public static Grads temporalAffineBackward(Tensor dout, Cache cache) {
    Tensor x = cache.x();
    Tensor w = cache.w();
    int n = x.shape(0);
    int tt = x.shape(1);
    int d = x.shape(2);
    int m = w.shape(1);
    dout =
        matching(
            "temporalAffineBackward", "dout", dout, "(N, T, M)", x, "the forward input", n, tt, m);

    int rows = n * tt;
    Tensor dx = Tensor.zeros(x.dtype(), n, tt, d);
    Tensor dw = Tensor.zeros(x.dtype(), d, m);
    Tensor db = Tensor.zeros(x.dtype(), m);
    TensorGemm.gemm(dx, 0, d, dout, 0, m, false, w, 0, m, true, rows, d, m, 0);
    TensorGemm.gemm(dw, 0, m, x, 0, d, true, dout, 0, m, false, d, m, rows, 0);
    SeqKernels.sumRows(rows, m, db, 0, dout, 0, m);
    return new Grads(dx, dw, db);
  }
}
