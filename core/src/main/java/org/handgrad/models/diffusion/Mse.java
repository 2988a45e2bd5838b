package org.handgrad.models.diffusion;

import org.handgrad.tensor.Tensor;

/** The mean squared error shared by DDPM and rectified flow (package-private). */
final class Mse {
  private Mse() {}

  /**
   * L = mean((prediction - target)^2) over all elements, and runs {@code denoiser.backward} with
   * dL/dprediction = 2 (prediction - target) / numel (d/dp of (1/M) sum (p - y)^2).
   *
   * @param prediction shape (N, C, H, W)
   * @param target shape (N, C, H, W)
   */
  static DenoiserLoss mse(Tensor prediction, Tensor target, Denoiser denoiser) {
    Tensor diff = prediction.sub(target);
    int m = diff.size();
    double sum = 0;
    for (int i = 0; i < m; i++) {
      double d = diff.getFlat(i);
      sum += d * d;
    }
    Tensor dprediction = diff.mul(2.0 / m);
    denoiser.backward(dprediction);
    return new DenoiserLoss(sum / m, prediction, target, dprediction);
  }
}
