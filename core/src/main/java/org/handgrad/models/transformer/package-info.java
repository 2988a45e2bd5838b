/**
 * Transformers (CS231n stage 6): the encoder layer of a Vision Transformer (pre-norm), CS231n's
 * decoder layer (post-norm, masked self-attention, cross-attention, feed-forward) and the
 * captioning transformer. Every layer records its pairs on a {@link org.handgrad.nn.graph.Tape},
 * whose replay adds the gradients of the residual paths.
 */
package org.handgrad.models.transformer;
