package org.handgrad.app.lab;

import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.handgrad.nn.Model;
import org.handgrad.nn.Module;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.Losses;
import org.handgrad.tensor.Tensor;

/**
 * A lab's classifier: a {@link Sequential} of modules followed by a loss on its scores, seen by the
 * {@link org.handgrad.optim.Solver} as a CS231n {@link Model} ({@code loss(x)} in eval mode, {@code
 * loss(x, y)} in train mode). The loss is pluggable so that a lab can swap in a deliberately broken
 * one (softmax without max-subtraction).
 */
final class LabNet implements Model {
  private final Sequential body;
  private final BiFunction<Tensor, int[], Losses.Loss> loss;

  /** A net trained with the numerically stable softmax loss. */
  LabNet(Sequential body) {
    this(body, Losses::softmaxLoss);
  }

  /**
   * @param body maps inputs (N, D) to scores (N, K)
   * @param loss (scores (N, K), labels) to the loss and d loss / d scores
   */
  LabNet(Sequential body, BiFunction<Tensor, int[], Losses.Loss> loss) {
    this.body = body;
    this.loss = loss;
  }

  /** The modules. */
  Sequential body() {
    return body;
  }

  @Override
  public List<Parameter> parameters() {
    return body.parameters();
  }

  @Override
  public Map<String, Tensor> buffers() {
    return body.buffers();
  }

  /**
   * Scores in eval mode.
   *
   * @param x inputs, shape (N, D)
   * @return scores, shape (N, K)
   */
  @Override
  public Tensor loss(Tensor x) {
    body.eval();
    return body.forward(x);
  }

  /**
   * Loss and gradients in train mode.
   *
   * @param x inputs, shape (N, D)
   * @param y labels, length N
   */
  @Override
  public double loss(Tensor x, int[] y) {
    body.train();
    body.zeroGrad();
    Losses.Loss l = loss.apply(body.forward(x), y);
    body.backward(l.dx());
    return l.loss();
  }

  /**
   * The identity, remembering what passed through: the activations going up and the gradients
   * coming down. Placed after each hidden layer, taps give the per-layer statistics of the notes'
   * initialization and vanishing-gradient plots without touching the layers.
   */
  static final class Tap extends Module {
    private Tensor activation;
    private Tensor gradient;

    /**
     * @param x any shape; returned unchanged
     */
    @Override
    public Tensor forward(Tensor x) {
      activation = x;
      return x;
    }

    /**
     * @param dout the shape of the last forward's x; returned unchanged
     */
    @Override
    public Tensor backward(Tensor dout) {
      gradient = dout;
      return dout;
    }

    /** The last forward's input, or null. */
    Tensor activation() {
      return activation;
    }

    /** The last backward's dout, or null. */
    Tensor gradient() {
      return gradient;
    }
  }
}
