package org.handgrad.nn.modules;

import java.util.Optional;
import java.util.random.RandomGenerator;
import org.handgrad.nn.PairModule;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Affine;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Fully connected layer over {@link Affine}: {@code out = reshape(x, (N, D)) weight + bias}.
 *
 * <p>Dimensions: N examples of D = in features (x (N, d1, ..., dk) is flattened, as CS231n's affine
 * layer), M = out features. The weight is stored (D, M) = (in, out), CS231n's layout; PyTorch's
 * {@code nn.Linear.weight} is the transpose (out, in), so a PyTorch state_dict's weight must be
 * transposed on load. Parameters: {@code weight} (D, M) and, unless disabled, {@code bias} (M,).
 */
public final class Linear extends PairModule<Affine.Cache> {
  private final int inFeatures;
  private final int outFeatures;
  private final Parameter weight;
  private final Parameter bias;
  private final Tensor zeroBias;

  /**
   * A layer with a bias and PyTorch's default initialization ({@link WeightInit#pytorch()}).
   *
   * @param inFeatures D
   * @param outFeatures M
   * @param dtype float32 or float64: the parameters' dtype, which inputs must match
   * @param rng draws the initial weight, then the bias
   */
  public Linear(int inFeatures, int outFeatures, DType dtype, RandomGenerator rng) {
    this(inFeatures, outFeatures, true, dtype, WeightInit.pytorch(), rng);
  }

  /**
   * A layer with every choice explicit.
   *
   * @param inFeatures D
   * @param outFeatures M
   * @param bias whether to learn a bias (drop it before a BatchNorm, which removes any constant
   *     shift: its gradient would be exactly zero)
   * @param dtype float32 or float64
   * @param init weight and bias initializer
   * @param rng draws the initial weight, then the bias
   */
  public Linear(
      int inFeatures,
      int outFeatures,
      boolean bias,
      DType dtype,
      WeightInit init,
      RandomGenerator rng) {
    ModuleArgs.positive("Linear", "inFeatures", inFeatures);
    ModuleArgs.positive("Linear", "outFeatures", outFeatures);
    ModuleArgs.weighted("Linear", dtype, init, rng);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    int[] shape = {inFeatures, outFeatures};
    this.weight = registerParameter("weight", init.weight(rng, dtype, shape));
    if (bias) {
      this.bias = registerParameter("bias", init.bias(rng, dtype, shape, outFeatures));
      this.zeroBias = null;
    } else {
      this.bias = null;
      this.zeroBias = Tensor.zeros(dtype, outFeatures);
    }
  }

  /** The weight, shape (D, M). */
  public Parameter weight() {
    return weight;
  }

  /** The bias, shape (M,), when the layer has one. */
  public Optional<Parameter> bias() {
    return Optional.ofNullable(bias);
  }

  /**
   * {@inheritDoc}
   *
   * @param x input, shape (N, d1, ..., dk) with d1 * ... * dk = D, the dtype of the weight
   * @return out, shape (N, M)
   */
  @Override
  protected Forward<Affine.Cache> forwardPair(Tensor x) {
    checkFeatures(x);
    return Affine.affineForward(x, weight.value(), bias != null ? bias.value() : zeroBias);
  }

  /**
   * The commonest shape bug of a net: a first affine layer sized for the wrong flattened dimension
   * (the pooling forgotten, or C*H*W of the input instead of the last conv block's output). The
   * message names this layer by its place in the net and both shapes, and says what D the input
   * has, which is the number the layer should have been built with.
   */
  private void checkFeatures(Tensor x) {
    if (x.ndim() < 2) {
      return; // Affine's own check names the rank problem
    }
    long d = 1;
    for (int a = 1; a < x.ndim(); a++) {
      d *= x.shape(a);
    }
    if (d == inFeatures) {
      return;
    }
    String where = path().isEmpty() ? "Linear" : "Linear '" + path() + "'";
    String input;
    if (x.ndim() == 2) {
      input = "input " + x.shapeString() + " has " + d + " features";
    } else {
      StringBuilder product = new StringBuilder();
      for (int a = 1; a < x.ndim(); a++) {
        product.append(a > 1 ? "*" : "").append(x.shape(a));
      }
      input =
          "input "
              + x.shapeString()
              + " flattens to ("
              + x.shape(0)
              + ", "
              + d
              + ") ("
              + product
              + " = "
              + d
              + ")";
    }
    throw new IllegalArgumentException(
        where
            + " (in="
            + inFeatures
            + ", out="
            + outFeatures
            + "): "
            + input
            + ", but the weight is "
            + weight.value().shapeString()
            + ", sized for "
            + inFeatures
            + "; build the layer with in="
            + d
            + " (conv and pool outputs: 1 + (H + 2*pad - K) / stride per spatial dimension)");
  }

  /**
   * {@inheritDoc}
   *
   * @param dout shape (N, M)
   * @return dx, the shape of x
   */
  @Override
  protected Tensor backwardPair(Tensor dout, Affine.Cache cache) {
    if (!weight.requiresGrad() && (bias == null || !bias.requiresGrad())) {
      return Affine.affineBackwardInput(dout, cache); // frozen: no x^T dout product
    }
    Affine.Grads g = Affine.affineBackward(dout, cache);
    weight.accumulateGrad(g.dw());
    if (bias != null) {
      bias.accumulateGrad(g.db());
    }
    return g.dx();
  }

  @Override
  protected String extraRepr() {
    return "in="
        + inFeatures
        + ", out="
        + outFeatures
        + ", bias="
        + (bias != null)
        + ", "
        + weight.dtype().numpyName();
  }
}
