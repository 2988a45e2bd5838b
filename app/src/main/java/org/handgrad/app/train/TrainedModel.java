package org.handgrad.app.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.optim.Checkpoint;
import org.handgrad.tensor.Tensor;

/**
 * A model rebuilt from a checkpoint for {@code eval} and {@code predict}: its {@link RunSpec}
 * (data, preprocessing, registry config) and its parameters.
 *
 * @param spec how the model was built and trained
 * @param model the model with the checkpoint's parameters and buffers loaded
 * @param checkpoint the checkpoint read
 * @param file its JSON file
 * @param best whether the best parameters (highest validation accuracy) were loaded, rather than
 *     the latest
 */
public record TrainedModel(
    RunSpec spec, Model model, Checkpoint checkpoint, Path file, boolean best) {

  /**
   * Loads a checkpoint.
   *
   * @param path a checkpoint JSON, a folder of checkpoints or a run folder (newest checkpoint)
   * @param latest load the latest parameters instead of the best ones; the best are what {@code
   *     train} restores at the end and reports the test accuracy of
   * @throws IOException when no readable checkpoint is found or it was not written by {@code
   *     ./handgrad train} (no run spec in its model config)
   */
  public static TrainedModel load(Path path, boolean latest) throws IOException {
    return load(path, latest, Map.of());
  }

  /**
   * Loads a checkpoint into a model built with some settings replaced: those that change how it
   * evaluates, not its parameters (the speedrun net's {@code tta}).
   *
   * @param overrides registry keys of the run's model and their values
   * @throws IOException as {@link #load(Path, boolean)}
   * @throws IllegalArgumentException for a key the model does not have, or a value it refuses
   */
  public static TrainedModel load(Path path, boolean latest, Map<String, String> overrides)
      throws IOException {
    Path file = CheckpointFiles.resolve(path);
    Checkpoint c = Checkpoint.read(file);
    RunSpec spec;
    try {
      spec = RunSpec.fromMap(c.options().modelConfig());
    } catch (IllegalArgumentException e) {
      throw new IOException(
          file
              + ": not a checkpoint of './handgrad train' (its model config lacks the run spec: "
              + e.getMessage()
              + ")",
          e);
    }
    if (!overrides.isEmpty()) {
      spec = spec.withModelArgs(overrides);
    }
    Model model = spec.buildModel();
    boolean best = !latest && !c.bestParameters().isEmpty();
    Checkpoint source =
        best
            ? new Checkpoint(
                c.options(),
                c.epoch(),
                c.iteration(),
                c.rngState(),
                c.lossHistory(),
                c.trainAccHistory(),
                c.valAccHistory(),
                c.bestValAcc(),
                c.bestParameters(),
                c.bestBuffers(),
                Map.of(),
                Map.of(),
                Map.of(),
                null)
            : c;
    source.restoreModel(model);
    return new TrainedModel(spec, model, c, file, best);
  }

  /**
   * Test-mode class scores, {@code batchSize} images at a time.
   *
   * @param x preprocessed inputs, shape (N, C, H, W)
   * @return scores, shape (N, K)
   */
  public static Tensor scores(Model model, Tensor x, int batchSize) {
    int n = x.shape(0);
    Tensor out = null;
    for (int from = 0; from < n; from += batchSize) {
      int to = Math.min(n, from + batchSize);
      Tensor s = model.loss(x.slice(0, from, to).copy()).contiguous();
      if (out == null) {
        out = Tensor.zeros(s.dtype(), n, s.shape(1));
      }
      out.slice(0, from, to).copyFrom(s);
    }
    return out;
  }

  /**
   * Predicted classes, {@code argmax} of the test-mode scores.
   *
   * @param x preprocessed inputs, shape (N, C, H, W)
   * @return N labels
   */
  public static int[] predict(Model model, Tensor x, int batchSize) {
    int n = x.shape(0);
    int[] pred = new int[n];
    for (int from = 0; from < n; from += batchSize) {
      int to = Math.min(n, from + batchSize);
      int[] p = Metrics.argmax(model.loss(x.slice(0, from, to).copy()));
      System.arraycopy(p, 0, pred, from, to - from);
    }
    return pred;
  }
}
