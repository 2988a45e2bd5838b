package org.handgrad.models;

import java.util.List;
import org.handgrad.tensor.Tensor;

/**
 * Gradients with respect to the input of a classifier: the model runs forward in evaluation mode
 * (BatchNorm on its running statistics, dropout off, as {@code loss(x)}), then backward from an
 * upstream gradient on the class scores down to the images. This is what saliency maps, class
 * visualization, fooling images and Grad-CAM are built on ({@link org.handgrad.models.explain}).
 *
 * <p>Parameter gradients: a call first zeroes every parameter's gradient and then leaves in it the
 * gradient of the same surrogate {@code sum(dscores * scores)} in evaluation mode (the backward
 * pairs compute them anyway). So {@link org.handgrad.nn.Parameter#grad()} always holds the gradient
 * of the last call that filled it, as after {@code loss(x, y)}; the Solver zeroes them before every
 * training step, so an explanation between two steps does not leak into training.
 *
 * <p>Layer capture: convolutional models name the outputs of their conv layers ({@link
 * #captureLayers()}); {@link #inputGradient(Tensor, Tensor, String)} then also returns that layer's
 * activations and their gradient, which is all Grad-CAM needs. It is an explicit extra output of
 * the same pass, not a hook registry.
 */
public interface InputGradients {
  /**
   * One forward and backward pass.
   *
   * @param scores class scores in evaluation mode, shape (N, K)
   * @param dx gradient of {@code sum(dscores * scores)} with respect to the input, the shape of the
   *     input, e.g. (N, C, H, W) or (N, D)
   * @param activation the captured layer's output, e.g. (N, F, H', W'); null when none was asked
   * @param dactivation the gradient of {@code sum(dscores * scores)} with respect to it, its shape;
   *     null when none was asked
   */
  record Result(Tensor scores, Tensor dx, Tensor activation, Tensor dactivation) {}

  /** K, the number of class scores (the width of dscores). */
  int numClasses();

  /**
   * Forward in evaluation mode, then backward from {@code dscores} to the input.
   *
   * @param x input batch, shape (N, ...) as the model documents
   * @param dscores upstream gradient on the scores, shape (N, K), the dtype of x; a one-hot row
   *     gives the gradient of one class score
   * @return scores and dx (activation fields null)
   * @throws IllegalArgumentException on a wrong input shape or dtype, or dscores not (N, K)
   * @throws IllegalStateException for a BatchNorm model before any training step (no running
   *     statistics)
   */
  Result inputGradient(Tensor x, Tensor dscores);

  /**
   * The names of the layers whose output {@link #inputGradient(Tensor, Tensor, String)} can
   * capture, in forward order; empty for models without convolutional layers.
   */
  default List<String> captureLayers() {
    return List.of();
  }

  /**
   * As {@link #inputGradient(Tensor, Tensor)}, also returning a named layer's output and its
   * gradient.
   *
   * @param layer one of {@link #captureLayers()}
   * @throws IllegalArgumentException for an unknown layer name, listing the known ones
   */
  default Result inputGradient(Tensor x, Tensor dscores, String layer) {
    throw new IllegalArgumentException(unknownLayer(getClass().getSimpleName(), layer, List.of()));
  }

  /** The message for a layer name that does not exist. */
  static String unknownLayer(String model, String layer, List<String> known) {
    return model
        + ": no layer '"
        + layer
        + "' to capture"
        + (known.isEmpty()
            ? " (this model has no convolutional layers)"
            : "; layers: " + String.join(", ", known));
  }

  /**
   * Checks that dscores is (N, K) for a batch of N and K classes, in the input's dtype.
   *
   * @throws IllegalArgumentException naming the model and both shapes
   */
  static void checkDscores(String model, Tensor x, Tensor dscores, int numClasses) {
    if (dscores == null
        || dscores.ndim() != 2
        || dscores.shape(0) != x.shape(0)
        || dscores.shape(1) != numClasses
        || dscores.dtype() != x.dtype()) {
      throw new IllegalArgumentException(
          model
              + " input gradient: expected dscores ("
              + x.shape(0)
              + ", "
              + numClasses
              + ") in "
              + x.dtype().numpyName()
              + " for input "
              + x.shapeString()
              + ", got "
              + (dscores == null
                  ? "null"
                  : dscores.shapeString() + " " + dscores.dtype().numpyName()));
    }
  }
}
