/**
 * Runnable programs that use handgrad as a library, as the README shows: build a model, train it
 * with the CS231n Solver, save and load its parameters, predict. Each has a {@code main} and is run
 * briefly by the test suite, so the README's code keeps compiling and working.
 */
package org.handgrad.examples;
