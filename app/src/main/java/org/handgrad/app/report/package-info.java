/**
 * Run reports: a run folder ({@code runs/<name>-<timestamp>/}) with {@code config.json}, {@code
 * metrics.jsonl}, checkpoints and PNG plots (loss curve, accuracies, first-layer weights, confusion
 * matrix), built from {@link org.handgrad.optim.Solver} histories and listener events.
 */
package org.handgrad.app.report;
