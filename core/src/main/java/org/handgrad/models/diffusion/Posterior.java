package org.handgrad.models.diffusion;

import org.handgrad.tensor.Tensor;

/**
 * The Gaussian q(x_{t-1} | x_t, x0) = N(mean, variance I) of the DDPM forward process (Ho et al.
 * 2020, eqs. 6-7).
 *
 * @param mean posterior mean, shape (N, C, H, W)
 * @param variance posterior variance per sample, shape (N, 1, 1, 1)
 * @param logVariance its clipped log, shape (N, 1, 1, 1)
 */
public record Posterior(Tensor mean, Tensor variance, Tensor logVariance) {}
