/**
 * Labs for learners: the experiments and debug-handbook failures of the CS231n notes, each one
 * command ({@code ./handgrad lab run NAME}) that trains what it needs, writes plots, and says in
 * {@code summary.md} whether the measurement agrees with the conclusion the notes draw.
 */
package org.handgrad.app.lab;
