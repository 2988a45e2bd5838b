package org.handgrad.app.generate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.handgrad.io.Json;
import org.handgrad.models.gan.Dcgan;
import org.handgrad.models.gan.GanTrainer;
import org.handgrad.models.vae.Vae;
import org.handgrad.models.vae.VaeTrainer;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * A trained VAE or GAN run loaded for sampling and evaluation.
 *
 * @param config the run's configuration
 * @param vae the VAE with the checkpoint's weights (method vae), else null
 * @param gan the DCGAN with the checkpoint's weights and BatchNorm statistics (method gan), else
 *     null
 * @param step the checkpoint's step
 * @param checkpoint the checkpoint JSON read
 * @param folder the run folder
 */
public record LatentRun(
    LatentConfig config, Vae vae, Dcgan gan, int step, Path checkpoint, Path folder) {

  /**
   * Whether a path (a run folder or a checkpoint JSON in its {@code checkpoints} folder) belongs to
   * a VAE or GAN run, read from the run's {@code config.json}; false when there is none (the U-Net
   * loader then names what is missing).
   */
  public static boolean isLatentRun(Path path) throws IOException {
    Path config = GenCheckpoint.runOf(path).resolve("config.json");
    if (!Files.isRegularFile(config)) {
      return false;
    }
    return Json.parse(Files.readString(config)) instanceof Map<?, ?> m && LatentConfig.isLatent(m);
  }

  /**
   * Loads a run.
   *
   * @param path a run folder or one of its checkpoint JSON files
   * @throws IOException when files are missing, unreadable or written for another configuration
   * @throws IllegalArgumentException when the config is malformed
   */
  public static LatentRun load(Path path) throws IOException {
    Path json = LatentCheckpoint.latest(path);
    Path folder = GenCheckpoint.runOf(Files.isRegularFile(path) ? json : path);
    Path configFile = folder.resolve("config.json");
    if (!Files.isRegularFile(configFile)) {
      throw new IOException(path + ": no config.json in the run folder " + folder);
    }
    LatentConfig cfg = LatentConfig.fromMap((Map<?, ?>) Json.parse(Files.readString(configFile)));
    LatentCheckpoint c = LatentCheckpoint.read(json);
    Path weights = LatentCheckpoint.weightsOf(json);
    Vae vae = null;
    Dcgan gan = null;
    if (cfg.vae() != null) {
      vae = new Vae(cfg.vae());
      new VaeTrainer(vae, VaeTrainer.Options.defaults()).restore(weights);
    } else {
      gan = new Dcgan(cfg.gan());
      new GanTrainer(gan, GanTrainer.Options.defaults()).restore(weights);
    }
    return new LatentRun(cfg, vae, gan, c.step(), json, folder);
  }

  /**
   * Draws samples: the VAE decodes z ~ N(0, I) (the mean of p(x|z)); the GAN generates from noise
   * with BatchNorm's running statistics.
   *
   * @param labels the requested class of each sample (conditional GAN), or null
   * @return images in the models' range [-1, 1], shape (n, C, H, W)
   */
  public Tensor sample(int n, int[] labels, Rng rng) {
    if (vae != null) {
      // the VAE's images, (n, C, H, W), are in [0, 1]; the grids and the classifier read [-1, 1]
      return vae.sample(n, rng).mul(2).sub(1);
    }
    return gan.generate(gan.noise(n, rng), labels);
  }

  /**
   * The labels of n samples spread evenly over the classes (sample i gets class i k / n), or all of
   * class {@code cls}; null for a model without classes.
   *
   * @throws IllegalArgumentException for a class out of range, or a class asked of a model without
   *     classes
   */
  public int[] labels(int n, Integer cls) {
    int k = config.numClasses();
    if (k == 0) {
      if (cls != null) {
        throw new IllegalArgumentException(
            "--class " + cls + ": this " + config.method() + " is unconditional");
      }
      return null;
    }
    if (cls != null && (cls < 0 || cls >= k)) {
      throw new IllegalArgumentException("--class must be in [0, " + k + "), got " + cls);
    }
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = cls != null ? cls : (int) ((long) i * k / n);
    }
    return labels;
  }
}
