package org.handgrad.app.generate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.handgrad.io.Json;
import org.handgrad.models.diffusion.UNet;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.Tensor;

/**
 * A trained generate run loaded for sampling: its config and a U-Net holding the checkpoint's EMA
 * weights (or the raw weights).
 *
 * @param config the run's configuration
 * @param net the U-Net with the loaded weights
 * @param step the checkpoint's step
 * @param checkpoint the checkpoint JSON read
 * @param folder the run folder
 */
public record GenRun(GenConfig config, UNet net, int step, Path checkpoint, Path folder) {

  /**
   * Loads a run.
   *
   * @param path a run folder or one of its checkpoint JSON files
   * @param ema load the moving average (what samples should use) rather than the raw weights
   * @throws IOException when the files are missing or unreadable
   * @throws IllegalArgumentException when the config is malformed
   */
  public static GenRun load(Path path, boolean ema) throws IOException {
    Path json = GenCheckpoint.latest(path);
    Path folder = GenCheckpoint.runOf(Files.isRegularFile(path) ? json : path);
    Path config = folder.resolve("config.json");
    if (!Files.isRegularFile(config)) {
      throw new IOException(path + ": no config.json in the run folder " + folder);
    }
    GenConfig cfg = GenConfig.fromMap((Map<?, ?>) Json.parse(Files.readString(config)));
    GenCheckpoint c = GenCheckpoint.read(json);
    UNet net = new UNet(cfg.unet());
    Map<String, Tensor> weights = ema ? c.ema() : c.model();
    for (Parameter p : net.parameters()) {
      Tensor v = weights.get(p.name());
      if (v == null) {
        throw new IOException(json + ": no weights for parameter '" + p.name() + "'");
      }
      p.assign(v);
    }
    return new GenRun(cfg, net, c.step(), json, folder);
  }
}
