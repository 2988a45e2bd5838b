/**
 * The Vision Transformer (Dosovitskiy et al. 2021) for image classification, and its attention maps
 * (per-head CLS attention and attention rollout, Abnar and Zuidema 2020).
 */
package org.handgrad.models.vit;
