/**
 * Sample-quality metrics computed by the project itself: the Frechet distance between two sets of
 * features, with the symmetric eigen-decomposition (cyclic Jacobi) it needs.
 */
package org.handgrad.models.metrics;
