package org.handgrad.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.handgrad.nn.functional.Labels;
import org.handgrad.tensor.Tensor;

/**
 * The CS231n model contract in Java: parameters by name, {@code loss(X)} gives class scores and
 * {@code loss(X, y)} gives the loss and fills the gradients.
 *
 * <p>As in the CS231n models, the mode follows from the call: {@code loss(x)} runs in test mode
 * (BatchNorm uses running statistics, dropout is the identity) and {@code loss(x, y)} in train
 * mode. {@code loss(x, y)} first zeroes every parameter's gradient, then writes dL/dparam into
 * {@link Parameter#grad()}, so the Solver can hand {@link #parameters()} to an optimizer.
 */
public interface Model {
  /** Trainable parameters in a stable order; names are unique (e.g. "W1", "b1", "gamma1"). */
  List<Parameter> parameters();

  /**
   * The parameter with this name (CS231n's {@code model.params[name]}).
   *
   * @throws IllegalArgumentException naming the known names when there is none
   */
  default Parameter parameter(String name) {
    List<String> names = new ArrayList<>();
    for (Parameter p : parameters()) {
      if (p.name().equals(name)) {
        return p;
      }
      names.add(p.name());
    }
    throw new IllegalArgumentException("no parameter '" + name + "'; parameters: " + names);
  }

  /**
   * Non-trainable state that a checkpoint must keep, by unique name: BatchNorm running means and
   * variances, for example. Empty for models without such state. Tensors are live (updated in place
   * during training), so restoring copies values into them.
   */
  default Map<String, Tensor> buffers() {
    return Map.of();
  }

  /**
   * Class scores in test mode.
   *
   * @param x input batch, shape (N, ...) as the model documents (e.g. (N, D) or (N, C, H, W))
   * @return scores, shape (N, numClasses)
   */
  Tensor loss(Tensor x);

  /**
   * Training-mode forward and backward pass: zeroes the gradients, then fills them.
   *
   * @param x input batch, shape (N, ...)
   * @param y labels, length N, each in [0, numClasses)
   * @return the data loss plus regularization loss, averaged over the batch
   */
  double loss(Tensor x, int[] y);

  /**
   * {@link #loss(Tensor, int[])} with the labels as an int32 tensor (see {@link Labels}).
   *
   * @param x input batch, shape (N, ...)
   * @param y labels, int32, shape (N,), each in [0, numClasses)
   * @return the data loss plus regularization loss, averaged over the batch
   */
  default double loss(Tensor x, Tensor y) {
    return loss(x, Labels.toArray("loss", y));
  }
}
