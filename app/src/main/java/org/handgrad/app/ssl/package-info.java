/**
 * The {@code ssl} command's work: SimCLR pre-training runs (progress, kNN monitor, checkpoints,
 * resume), their data, and the linear probe of a run with its baselines.
 */
package org.handgrad.app.ssl;
