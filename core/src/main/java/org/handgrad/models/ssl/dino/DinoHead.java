package org.handgrad.models.ssl.dino;

import java.util.random.RandomGenerator;
import org.handgrad.models.Nets;
import org.handgrad.nn.Module;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.GELU;
import org.handgrad.nn.modules.L2Norm;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.WeightNormLinear;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * DINO's projection head (Caron et al. 2021, section 3.1 and appendix): a 3-layer MLP with GELUs
 * down to a bottleneck, L2 normalization, and a last linear layer without bias to K outputs.
 *
 * <pre>
 *   z = Linear(D, hidden) -> GELU -> Linear(hidden, hidden) -> GELU -> Linear(hidden, bottleneck)
 *   z = z / ||z||                       (F.normalize)
 *   out = z . v_k / ||v_k||             K outputs, no bias ({@link WeightNormLinear})
 * </pre>
 *
 * <p>As in the paper the last layer is weight-normalized with its norm frozen at 1, so each output
 * is a cosine in [-1, 1] and the teacher's 1/0.04 sharpening acts from the first step (a plain
 * linear layer initialized at std 0.02 gives outputs near 0 and near-uniform targets: our first run
 * without it stayed at the uniform collapse, loss = log K). Children {@code mlp} (a {@link
 * Sequential} of {@code 0..4}), {@code norm}, {@code last_layer}. Weights normal(0.02) and zero
 * biases, as DINO's truncated-normal(0.02) initialization without the truncation.
 *
 * <p>Dimension letters: N rows, D input features, K outputs.
 */
public final class DinoHead extends Module {
  private static final String NAME = "dino_head";
  private final Sequential mlp;
  private final L2Norm norm;
  private final WeightNormLinear lastLayer;

  /**
   * A freshly initialized head.
   *
   * @param inDim D, the backbone's feature size
   * @param hiddenDim width of the two hidden layers (2048 in the paper)
   * @param bottleneckDim size of the normalized bottleneck (256 in the paper)
   * @param outDim K (65536 in the paper)
   * @param dtype float32 or float64
   * @param rng draws the weights in layer order
   */
  public DinoHead(
      int inDim, int hiddenDim, int bottleneckDim, int outDim, DType dtype, RandomGenerator rng) {
    Nets.requireAtLeast(NAME, "in_dim", inDim, 1);
    Nets.requireAtLeast(NAME, "hidden_dim", hiddenDim, 1);
    Nets.requireAtLeast(NAME, "bottleneck_dim", bottleneckDim, 1);
    Nets.requireAtLeast(NAME, "out_dim", outDim, 2);
    WeightInit init = WeightInit.normal(0.02);
    mlp =
        registerModule(
            "mlp",
            new Sequential(
                new Linear(inDim, hiddenDim, true, dtype, init, rng),
                new GELU(),
                new Linear(hiddenDim, hiddenDim, true, dtype, init, rng),
                new GELU(),
                new Linear(hiddenDim, bottleneckDim, true, dtype, init, rng)));
    norm = registerModule("norm", new L2Norm());
    lastLayer =
        registerModule("last_layer", new WeightNormLinear(bottleneckDim, outDim, dtype, init, rng));
  }

  /**
   * Forward pass.
   *
   * @param x features, shape (N, D)
   * @return outputs, shape (N, K)
   */
  @Override
  public Tensor forward(Tensor x) {
    return lastLayer.forward(norm.forward(mlp.forward(x)));
  }

  /**
   * Backward of the last forward; parameter gradients accumulate.
   *
   * @param dout shape (N, K)
   * @return dx, shape (N, D)
   */
  @Override
  public Tensor backward(Tensor dout) {
    return mlp.backward(norm.backward(lastLayer.backward(dout)));
  }
}
