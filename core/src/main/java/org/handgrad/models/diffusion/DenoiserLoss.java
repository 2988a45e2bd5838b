package org.handgrad.models.diffusion;

import org.handgrad.tensor.Tensor;

/**
 * A denoising (or velocity) regression loss L = mean((prediction - target)^2) over all elements,
 * after the denoiser's backward has run with {@code dprediction}.
 *
 * @param value L
 * @param prediction the denoiser's output, shape (N, C, H, W)
 * @param target what it should have predicted, shape (N, C, H, W)
 * @param dprediction dL/dprediction = 2 (prediction - target) / (N C H W), shape (N, C, H, W)
 */
public record DenoiserLoss(double value, Tensor prediction, Tensor target, Tensor dprediction) {}
