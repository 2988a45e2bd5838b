package org.handgrad.nn.modules;

import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.nn.Module;
import org.handgrad.nn.NoGrad;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.L2Normalize;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * A bias-free linear layer with weight normalization and the norm fixed to 1 (Salimans and Kingma
 * 2016 with g = 1; DINO's last layer, {@code weight_norm(nn.Linear(B, K, bias=False))} with {@code
 * weight_g} frozen at 1): each output's weight vector is divided by its length, so an output is the
 * cosine-like {@code x . v_k / ||v_k||}.
 *
 * <pre>
 *   W = normalize(V^T) row by row        (K, B): row k = v_k / ||v_k||, v_k column k of V
 *   out = x W^T                          dx = dout W
 *   dW = dout^T x                        dV^T = the L2-normalization backward of dW
 * </pre>
 *
 * <p>The normalization is {@link L2Normalize}'s pair, applied to the columns of V. Parameter {@code
 * weight} V, shape (B, K) (stored (in, out) like {@link Linear}).
 *
 * <p>Dimension letters: N rows, B inputs, K outputs.
 */
public final class WeightNormLinear extends Module {
  private final Parameter weight;
  private Tensor lastX;
  private Tensor lastW;
  private L2Normalize.Cache normCache;

  /**
   * A layer with weights drawn by {@code init}.
   *
   * @param inFeatures B
   * @param outFeatures K
   * @param dtype float32 or float64
   * @param init draws V
   * @param rng the generator
   */
  public WeightNormLinear(
      int inFeatures, int outFeatures, DType dtype, WeightInit init, RandomGenerator rng) {
    ModuleArgs.positive("WeightNormLinear", "inFeatures", inFeatures);
    ModuleArgs.positive("WeightNormLinear", "outFeatures", outFeatures);
    ModuleArgs.weighted("WeightNormLinear", dtype, init, rng);
    weight =
        registerParameter("weight", init.weight(rng, dtype, new int[] {inFeatures, outFeatures}));
  }

  /** V, shape (B, K). */
  public Parameter weight() {
    return weight;
  }

  /**
   * Forward pass.
   *
   * @param x input, shape (N, B)
   * @return out, shape (N, K)
   */
  @Override
  public Tensor forward(Tensor x) {
    Objects.requireNonNull(x, "WeightNormLinear: x");
    lastX = null;
    int b = weight.shape()[0];
    if (x.ndim() != 2 || x.shape(1) != b || x.dtype() != weight.dtype()) {
      throw new IllegalArgumentException(
          "WeightNormLinear: expected x (N, "
              + b
              + ") of dtype "
              + weight.dtype().numpyName()
              + ", got "
              + x.shapeString()
              + " "
              + x.dtype().numpyName());
    }
    normCache = null;
    lastW = null;
    lastX = null;
    Forward<L2Normalize.Cache> f = L2Normalize.l2NormalizeForward(weight.value().transpose());
    Tensor w = f.out(); // (K, B)
    if (!NoGrad.active()) {
      normCache = f.cache();
      lastW = w;
      lastX = x;
    }
    return x.matmul(w.transpose());
  }

  /**
   * Backward of the last forward; adds dV into the weight's gradient.
   *
   * @param dout shape (N, K)
   * @return dx, shape (N, B)
   */
  @Override
  public Tensor backward(Tensor dout) {
    if (lastX == null) {
      throw noForward();
    }
    Tensor dw = dout.transpose().matmul(lastX); // (K, B)
    weight.accumulateGrad(L2Normalize.l2NormalizeBackward(dw, normCache).transpose().contiguous());
    return dout.matmul(lastW);
  }
}
