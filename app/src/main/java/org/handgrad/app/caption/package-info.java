/**
 * What {@code handgrad caption} needs around the captioning models: the dataset behind an interface
 * ({@link org.handgrad.app.caption.CaptionSource}, implemented by the synthetic shapes captions),
 * held-out scoring (exact match and BLEU-4) and the PNG grid of captioned images.
 */
package org.handgrad.app.caption;
