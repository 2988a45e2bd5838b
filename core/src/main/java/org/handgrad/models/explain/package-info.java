/**
 * Seeing inside a trained classifier (CS231n assignment 3, "Network Visualization"): saliency maps
 * (Simonyan et al. 2014), class visualization by gradient ascent, fooling images, CAM (Zhou et al.
 * 2016) and Grad-CAM (Selvaraju et al. 2017), the ViT's attention rollout as a map, and the
 * cascading-randomization sanity check of saliency maps (Adebayo et al. 2018).
 *
 * <p>Everything here stands on {@link org.handgrad.models.InputGradients}: one forward pass in
 * evaluation mode and the hand-written backward passes down to the image. Dimension letters: N
 * images, C channels, H x W pixels, K classes; h x w the resolution of a captured conv layer with F
 * feature maps.
 */
package org.handgrad.models.explain;
