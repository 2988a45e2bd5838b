package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.tensor.Tensor;

/**
 * The affine - norm - ReLU sandwich of CS231n's fully connected net with normalization ({@code
 * normalization="batchnorm"} or {@code "layernorm"} in {@code fc_net.py}): {@code out =
 * relu(norm(reshape(x, (N, D)) w + b, gamma, beta))}, chaining {@link Affine}, {@link BatchNorm} or
 * {@link LayerNorm}, and the ReLU of {@link Activations}.
 *
 * <p>Dimensions as in {@link Affine}: x (N, d1, ..., dk) flattened to (N, D), w (D, M), b (M,);
 * gamma and beta (M,). With batchnorm the affine bias b is redundant (the batch mean removes any
 * constant shift, so db is zero up to round-off); CS231n keeps it, and so does this layer.
 */
public final class AffineNormRelu {
  private AffineNormRelu() {}

  /** Which normalization sits between the affine layer and the ReLU, with its settings. */
  public sealed interface Norm {
    /**
     * Batch normalization ({@link BatchNorm}; backward in closed form).
     *
     * @param bnParam mode, eps, momentum and the running statistics of shape (M,), updated in place
     *     in TRAIN mode
     */
    record Batch(BatchNormParam bnParam) implements Norm {
      /** Validates presence. */
      public Batch {
        Objects.requireNonNull(bnParam, "affine_norm_relu: bnParam");
      }
    }

    /**
     * Layer normalization ({@link LayerNorm}).
     *
     * @param eps added to the variance under the square root, positive
     */
    record Layer(double eps) implements Norm {}

    /** Batch normalization with the given parameter. */
    static Norm batchnorm(BatchNormParam bnParam) {
      return new Batch(bnParam);
    }

    /** Layer normalization with eps = 1e-5. */
    static Norm layernorm() {
      return new Layer(LayerNorm.DEFAULT_EPS);
    }

    /**
     * Layer normalization with the eps of CS231n-style settings ({@link NormParam}; mode and
     * momentum are not read, as {@link LayerNorm#layernormForward(Tensor, Tensor, Tensor,
     * NormParam)}).
     */
    static Norm layernorm(NormParam lnParam) {
      return new Layer(Objects.requireNonNull(lnParam, "affine_norm_relu: lnParam").eps());
    }
  }

  /**
   * Cache of {@link #affineNormReluForward}: the caches of the three layers it chains, exactly one
   * of {@code batchnorm} and {@code layernorm} being set.
   *
   * @param affine cache of the affine layer
   * @param batchnorm cache of the batchnorm, or null with layernorm
   * @param layernorm cache of the layernorm, or null with batchnorm
   * @param relu cache of the ReLU, whose input is the normalised (N, M) activation
   */
  public record Cache(
      Affine.Cache affine,
      BatchNorm.Cache batchnorm,
      LayerNorm.Cache layernorm,
      Activations.ReluCache relu) {
    /** Validates that exactly one normalization cache is present. */
    public Cache {
      Objects.requireNonNull(affine, "affine");
      Objects.requireNonNull(relu, "relu");
      if ((batchnorm == null) == (layernorm == null)) {
        throw new IllegalArgumentException(
            "affine_norm_relu: exactly one of the batchnorm and layernorm caches must be set");
      }
    }
  }

  /**
   * Gradients of {@link #affineNormReluBackward}.
   *
   * @param dx shape of x, (N, d1, ..., dk)
   * @param dw shape (D, M)
   * @param db shape (M,)
   * @param dgamma shape (M,)
   * @param dbeta shape (M,)
   */
  public record Grads(Tensor dx, Tensor dw, Tensor db, Tensor dgamma, Tensor dbeta) {}

  /**
   * {@code out = relu(norm(reshape(x, (N, D)) w + b, gamma, beta))}.
   *
   * @param x input, shape (N, d1, ..., dk), float32 or float64
   * @param w weights, shape (D, M), the dtype of x
   * @param b biases, shape (M,)
   * @param gamma normalization scale, shape (M,)
   * @param beta normalization shift, shape (M,)
   * @param norm batchnorm (with its parameter) or layernorm (with its eps)
   * @return out of shape (N, M) and the cache
   * @throws IllegalArgumentException as the chained layers do, naming the layer that failed
   */
  public static Forward<Cache> affineNormReluForward(
      Tensor x, Tensor w, Tensor b, Tensor gamma, Tensor beta, Norm norm) {
    Objects.requireNonNull(norm, "affine_norm_relu: norm");
    Forward<Affine.Cache> fc = Affine.affineForward(x, w, b);
    Tensor a = fc.out();
    BatchNorm.Cache bnCache = null;
    LayerNorm.Cache lnCache = null;
    Tensor normed;
    if (norm instanceof Norm.Batch bn) {
      Forward<BatchNorm.Cache> f = BatchNorm.batchnormForward(a, gamma, beta, bn.bnParam());
      normed = f.out();
      bnCache = f.cache();
    } else {
      Forward<LayerNorm.Cache> f =
          LayerNorm.layernormForward(a, gamma, beta, ((Norm.Layer) norm).eps());
      normed = f.out();
      lnCache = f.cache();
    }
    Forward<Activations.ReluCache> relu = Activations.reluForward(normed);
    return new Forward<>(relu.out(), new Cache(fc.cache(), bnCache, lnCache, relu.cache()));
  }

  /**
   * Backward of {@link #affineNormReluForward}: the three backward passes in reverse order.
   *
   * @param dout upstream gradient, shape (N, M)
   * @param cache from {@link #affineNormReluForward}
   * @return dx shaped like x, dw (D, M), db (M,), dgamma (M,), dbeta (M,)
   */
  public static Grads affineNormReluBackward(Tensor dout, Cache cache) {
    Tensor dnormed = Activations.reluBackward(dout, cache.relu());
    Tensor da;
    Tensor dgamma;
    Tensor dbeta;
    if (cache.batchnorm() != null) {
      BatchNorm.Grads g = BatchNorm.batchnormBackwardAlt(dnormed, cache.batchnorm());
      da = g.dx();
      dgamma = g.dgamma();
      dbeta = g.dbeta();
    } else {
      LayerNorm.Grads g = LayerNorm.layernormBackward(dnormed, cache.layernorm());
      da = g.dx();
      dgamma = g.dgamma();
      dbeta = g.dbeta();
    }
    Affine.Grads fc = Affine.affineBackward(da, cache.affine());
    return new Grads(fc.dx(), fc.dw(), fc.db(), dgamma, dbeta);
  }
}
