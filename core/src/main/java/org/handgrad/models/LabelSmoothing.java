package org.handgrad.models;

import org.handgrad.nn.Model;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.tensor.Tensor;

/**
 * The training step of a tape-built classifier ({@link TapeModule} and {@link Model}: the Vision
 * Transformer, the ResNets, the speedrun net) with label smoothing: the model's own {@code loss(x,
 * y)} with {@link Losses#softmaxLoss(Tensor, int[], double)} in place of the hard-target
 * cross-entropy. The scores come from the model's {@code forward(Tape, Var)} and their gradient
 * goes back through the same tape, so nothing of the model changes: a training-time choice, like
 * augmentation, which evaluation never sees.
 */
public final class LabelSmoothing {
  private LabelSmoothing() {}

  /**
   * Whether {@link #loss} can train this model: it records its forward pass on a tape.
   *
   * @param model any model
   */
  public static boolean supports(Model model) {
    return model instanceof TapeModule;
  }

  /**
   * Training-mode forward and backward pass with smoothed targets: zeroes the gradients, fills
   * them.
   *
   * @param model a model for which {@link #supports} is true
   * @param x input batch, shape (N, ...) as the model documents
   * @param y labels, length N, each in [0, K)
   * @param eps the smoothing, in [0, 1]
   * @return the mean smoothed cross-entropy
   * @throws IllegalArgumentException when the model is not built on the tape
   */
  public static double loss(Model model, Tensor x, int[] y, double eps) {
    if (!(model instanceof TapeModule m)) {
      throw new IllegalArgumentException(
          "label smoothing: "
              + model.getClass().getSimpleName()
              + " computes its own loss; label smoothing needs a model built on the tape"
              + " (vit, resnet-small, resnet18, speedrun)");
    }
    m.train();
    m.zeroGrad();
    Tape tape = new Tape();
    Var scores = m.forward(tape, tape.constant(x));
    Losses.Loss l = Losses.softmaxLoss(scores.value(), y, eps);
    tape.backward(scores, l.dx());
    return l.loss();
  }
}
