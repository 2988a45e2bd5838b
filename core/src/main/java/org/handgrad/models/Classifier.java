package org.handgrad.models;

import org.handgrad.tensor.Tensor;

/**
 * Anything that labels a batch of inputs: every model in {@link Models}, trainable ({@link
 * org.handgrad.nn.Model}, whose prediction is {@link org.handgrad.nn.Metrics#argmax} of its
 * test-mode scores) or not (k-nearest neighbours).
 */
public interface Classifier {
  /**
   * Predicted class of every example.
   *
   * @param x input batch, shape (N, ...) as the model documents
   * @return N labels in [0, numClasses)
   */
  int[] predict(Tensor x);
}
