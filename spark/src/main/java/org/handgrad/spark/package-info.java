/**
 * handgrad on Apache Spark: hyper-parameter sweeps ({@link org.handgrad.spark.SweepCommand}, one
 * Spark task per configuration running the ordinary {@code train} command) and synchronous
 * data-parallel training ({@link org.handgrad.spark.DataParallelGradients}, a barrier stage per
 * step plugged into the Solver's {@link org.handgrad.optim.GradientComputation} seam). The entry
 * point is {@link org.handgrad.spark.SparkMain}; the {@code core} library knows nothing of Spark.
 */
package org.handgrad.spark;
