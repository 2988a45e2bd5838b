/**
 * SimCLR (Chen et al. 2020): a small ResNet encoder and a projection head trained with the NT-Xent
 * loss ({@link org.handgrad.nn.functional.NtXent}) on two augmented views of each image ({@link
 * org.handgrad.data.ViewPipeline}).
 */
package org.handgrad.models.ssl.simclr;
