package org.handgrad.models.linear;

import org.handgrad.tensor.Tensor;

/**
 * A linear classifier's regularized loss and its gradient with respect to the weights (CS231n's
 * {@code loss, dW}).
 *
 * @param loss data loss averaged over the N examples plus {@code reg * sum(W * W)}
 * @param dW gradient dL/dW, shape (D, C), the dtype of W
 */
public record LinearLoss(double loss, Tensor dW) {}
