/**
 * Image captioning, CS231n assignment 3: {@link org.handgrad.models.rnn.CaptioningRnn} (RNN or LSTM
 * decoder, teacher forcing), decoding ({@link org.handgrad.models.rnn.Decoders}: greedy, beam
 * search, temperature / top-k / top-p sampling), image encoders ({@link
 * org.handgrad.models.rnn.ConvEncoder} with {@link org.handgrad.models.rnn.WordDetector}
 * pretraining, precomputed features, the image-blind baseline), the composite {@link
 * org.handgrad.models.rnn.CaptioningModel}, its trainer and checkpoints, and whole-model gradient
 * checks. Conventions: docs/conventions.md, section "captioning".
 */
package org.handgrad.models.rnn;
