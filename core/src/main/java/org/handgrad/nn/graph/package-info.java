/**
 * Composition beyond a chain: a {@link org.handgrad.nn.graph.Tape} records the layer pairs of a
 * forward pass as they run and replays their backward passes in reverse, adding gradients where
 * paths meet (residual adds, concatenated skips, one input used twice). The derivatives still come
 * from the hand-written pairs of {@code nn.functional}; the tape only orders the calls and sums.
 * {@link org.handgrad.nn.graph.TapeModule} is the base of modules whose graph is not a chain
 * (transformer layers, residual blocks). See docs/architecture.md, "The tape", for a worked
 * example.
 */
package org.handgrad.nn.graph;
