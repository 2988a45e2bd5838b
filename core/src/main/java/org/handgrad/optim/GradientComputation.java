package org.handgrad.optim;

import org.handgrad.nn.Model;
import org.handgrad.tensor.Tensor;

/**
 * How the {@link Solver} gets the loss and gradients of one minibatch: the seam between "compute
 * the gradient" and "check it, clip it, apply the update". The default, {@link #LOCAL}, is {@code
 * model.loss(xBatch, yBatch)} in this process. A data-parallel implementation (the {@code spark}
 * module's {@code DataParallelGradients}) splits the batch over workers, sums their gradients in a
 * fixed order and writes the sum into the model's parameter gradients; the Solver then applies the
 * one update exactly as for a local step (non-finite checks, clipping, optimizer, checkpoints).
 *
 * <p>Contract, the same as {@link Model#loss(Tensor, int[])}: on return every parameter's {@code
 * grad()} holds dL/dparam for the whole batch (not accumulated onto an earlier gradient), and the
 * returned value is the batch's mean data loss plus the regularization loss. Parameter values must
 * not be changed. An implementation may throw to stop training (for example when a worker is lost
 * and the step cannot be recomputed); the Solver then leaves parameters and optimizer state as they
 * were after the previous step, so the last checkpoint is still a consistent place to resume from.
 */
@FunctionalInterface
public interface GradientComputation {

  /** {@code model.loss(xBatch, yBatch)}: the gradient computed in this process. */
  GradientComputation LOCAL = Model::loss;

  /**
   * Loss and gradients of one training minibatch.
   *
   * @param model the model being trained; its parameter gradients receive the result
   * @param xBatch inputs, shape (B, ...)
   * @param yBatch labels, length B
   * @return the batch's loss (data loss averaged over B, plus regularization)
   */
  double lossAndGradients(Model model, Tensor xBatch, int[] yBatch);
}
