/**
 * Diffusion and flow models (CS231n stage 8): the DDPM forward and reverse processes with their
 * schedules, DDIM, classifier-free guidance, rectified flow, and the time-conditioned U-Net that
 * predicts the noise (or the clean image, v, or the velocity).
 */
package org.handgrad.models.diffusion;
