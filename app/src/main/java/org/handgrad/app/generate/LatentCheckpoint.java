package org.handgrad.app.generate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;

/**
 * A checkpoint of a VAE or GAN run, written after every epoch and when a run stops: {@code
 * checkpoints/<method>_step_<S>.safetensors} holds what the core trainer saves (parameters,
 * BatchNorm buffers, Adam state, random stream; {@code VaeTrainer.save} / {@code GanTrainer.save}),
 * and {@code <method>_step_<S>.json}, written after it, holds the loss histories and the training
 * time. The JSON marks the pair complete: a crash between the two writes leaves no checkpoint that
 * {@link #latest} would pick.
 *
 * @param step optimizer steps completed (of both networks, for the GAN)
 * @param seconds training time so far (the steps alone: checkpoints and sample grids excluded)
 * @param losses per-step loss histories by name ("loss" for the VAE; "discriminator" and
 *     "generator" for the GAN)
 */
public record LatentCheckpoint(int step, double seconds, Map<String, List<Double>> losses) {
  private static final Pattern JSON = Pattern.compile("(vae|gan)_step_(\\d+)\\.json");

  /** The safetensors file next to a checkpoint JSON. */
  public static Path weightsOf(Path json) {
    return CheckpointFiles.weightsOf(json);
  }

  /** The JSON of step {@code step} of a method in {@code dir}. */
  public static Path jsonFor(Path dir, String method, int step) {
    return dir.resolve(method + "_step_" + step + ".json");
  }

  /** Writes the JSON (the weights must be written already, to {@link #weightsOf}). */
  public void write(Path json) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", "handgrad-generate-latent-checkpoint");
    m.put("step", step);
    m.put("seconds", seconds);
    m.put("losses", new LinkedHashMap<>(losses));
    AtomicFiles.write(json, Json.writePretty(m).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Reads a checkpoint JSON.
   *
   * @throws IOException when it is unreadable, malformed, or its weights are missing
   */
  public static LatentCheckpoint read(Path json) throws IOException {
    Map<?, ?> m;
    try {
      m = (Map<?, ?>) Json.parse(Files.readString(json));
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new IOException(json + ": not a checkpoint JSON (" + e.getMessage() + ")", e);
    }
    if (!"handgrad-generate-latent-checkpoint".equals(m.get("format"))) {
      throw new IOException(json + ": not a VAE or GAN checkpoint of './handgrad generate train'");
    }
    if (!Files.isRegularFile(weightsOf(json))) {
      throw new IOException(json + ": its weights " + weightsOf(json) + " are missing");
    }
    Map<String, List<Double>> losses = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : ((Map<?, ?>) m.get("losses")).entrySet()) {
      List<Double> values = new ArrayList<>();
      for (Object v : (List<?>) e.getValue()) {
        values.add(((Number) v).doubleValue());
      }
      losses.put(e.getKey().toString(), values);
    }
    return new LatentCheckpoint(
        ((Number) m.get("step")).intValue(), ((Number) m.get("seconds")).doubleValue(), losses);
  }

  /**
   * The newest checkpoint of a run: {@code path} itself when it is a checkpoint JSON, else the
   * highest step in {@code path/checkpoints}.
   *
   * @throws IOException naming the path when there is none
   */
  public static Path latest(Path path) throws IOException {
    return CheckpointFiles.latest(
        path,
        JSON,
        " holds no VAE or GAN checkpoint (expected checkpoints/<vae|gan>_step_<S>.json"
            + " from './handgrad generate train')");
  }

  /** Deletes all but the newest {@code keep} checkpoints in {@code dir}. */
  public static void prune(Path dir, int keep) throws IOException {
    CheckpointFiles.prune(dir, JSON, keep);
  }
}
