/**
 * CLIP (Radford et al. 2021): a ViT image encoder and a causal Transformer text encoder trained
 * with the symmetric contrastive loss ({@link org.handgrad.nn.functional.ClipLoss}) on the shape
 * scenes or on Fashion-MNIST with templated descriptions; zero-shot classification from prompts and
 * text-to-image retrieval. See {@code docs/clip.md}.
 */
package org.handgrad.models.clip;
