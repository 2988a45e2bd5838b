package org.handgrad.models.resnet;

import java.util.SplittableRandom;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/** Inputs for the ResNet tests. */
final class ResNetTesting {
  private ResNetTesting() {}

  /** A seeded standard-normal tensor. */
  static Tensor normal(DType dtype, int... shape) {
    SplittableRandom rng = new SplittableRandom(5);
    Tensor t = Tensor.zeros(dtype, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, rng.nextGaussian());
    }
    return t;
  }
}
