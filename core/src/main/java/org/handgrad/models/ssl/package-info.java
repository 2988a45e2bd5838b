/**
 * Self-supervised representation learning and its evaluation: the {@link
 * org.handgrad.models.ssl.FeatureExtractor} contract (images to features), the {@link
 * org.handgrad.models.ssl.LinearProbe} and the weighted {@link org.handgrad.models.ssl.KnnMonitor},
 * shared by every method; SimCLR lives in {@code models.ssl.simclr}.
 */
package org.handgrad.models.ssl;
