/**
 * The pieces of {@code ./handgrad generate train | sample | eval}: a run's configuration, its
 * checkpoints, the samplers by name, sample grids and the sample-quality evaluation; for the U-Net
 * methods (ddpm, flow) {@link org.handgrad.app.generate.GenConfig} and {@link
 * org.handgrad.app.generate.Trainer}, for the VAE and the GAN {@link
 * org.handgrad.app.generate.LatentConfig} and {@link org.handgrad.app.generate.LatentTrainer}.
 */
package org.handgrad.app.generate;
