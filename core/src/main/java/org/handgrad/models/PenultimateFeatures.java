package org.handgrad.models;

import org.handgrad.tensor.Tensor;

/**
 * A classifier that exposes its penultimate layer: the activations its output affine layer reads.
 * Sample-quality metrics (the Frechet distance of {@link org.handgrad.models.metrics}) compare
 * images in this feature space.
 */
public interface PenultimateFeatures {
  /**
   * Test-mode features (as {@code loss(x)}: BatchNorm on running statistics, dropout off).
   *
   * @param x input batch, shape (N, ...) as the model documents
   * @return the penultimate activations, shape (N, F)
   */
  Tensor penultimateFeatures(Tensor x);
}
