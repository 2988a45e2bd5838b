/**
 * The pieces of {@code ./handgrad generate train | sample | eval}: a run's configuration, its
 * checkpoints, the samplers by name, sample grids and the sample-quality evaluation.
 */
package org.handgrad.app.generate;
