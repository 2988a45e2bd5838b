package org.handgrad.models.gan;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.handgrad.io.Safetensors;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.GanLosses;
import org.handgrad.nn.functional.Losses;
import org.handgrad.optim.Adam;
import org.handgrad.optim.Optimizer;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * Alternating GAN updates (Goodfellow et al. 2014, Algorithm 1 with k = 1, as CS231n's {@code
 * run_a_gan}): for each minibatch of real images, one Adam step of the discriminator on [real;
 * G(z)], then one Adam step of the generator on fresh noise. Each network has its own {@link
 * Optimizer}; DCGAN's Adam settings (lr 2e-4, beta1 0.5) are the default.
 *
 * <p>Real images come in [0, 1] (as the IDX reader gives them) and are mapped to [-1, 1], the range
 * of the generator's tanh. For a conditional model the real images' labels are used as they are and
 * the fakes' labels are drawn uniformly. Every random draw (permutation, noise, fake labels) comes
 * from one {@link Rng}, so a run is reproducible and {@link #save} / {@link #restore} resume it
 * exactly.
 */
public final class GanTrainer {
  private static final String G = "generator.";
  private static final String D = "discriminator.";

  /**
   * Training options.
   *
   * @param batchSize real images per step, &gt;= 1 (default 128)
   * @param learningRate Adam's step size for both networks (default 2e-4; CS231n uses 1e-3)
   * @param beta1 Adam's first-moment decay (default 0.5, DCGAN's)
   * @param seed seeds the shuffling, the noise and the fake labels
   */
  public record Options(int batchSize, double learningRate, double beta1, long seed) {
    /** Validates the batch size (the Adam record checks the rest). */
    public Options {
      if (batchSize < 1) {
        throw new IllegalArgumentException("gan trainer: batchSize must be >= 1, got " + batchSize);
      }
      new Adam(learningRate, beta1, 0.999, 1e-8);
    }

    /** Batch 128, lr 2e-4, beta1 0.5, seed 0. */
    public static Options defaults() {
      return new Options(128, 2e-4, 0.5, 0);
    }
  }

  /**
   * The losses of one step.
   *
   * @param discriminator the discriminator loss before its update
   * @param generator the generator loss before its update
   */
  public record StepLosses(double discriminator, double generator) {}

  private final Dcgan gan;
  private final Options options;
  private final Optimizer optG;
  private final Optimizer optD;
  private final Rng rng;
  private int epoch;
  private int step;

  /** A trainer at epoch 0 with fresh Adam states. */
  public GanTrainer(Dcgan gan, Options options) {
    this.gan = Objects.requireNonNull(gan, "gan");
    this.options = Objects.requireNonNull(options, "options");
    Adam adam = new Adam(options.learningRate(), options.beta1(), 0.999, 1e-8);
    this.optG = new Optimizer(adam);
    this.optD = new Optimizer(adam);
    this.rng = new Rng(options.seed());
  }

  /** The model being trained. */
  public Dcgan gan() {
    return gan;
  }

  /** Epochs completed. */
  public int epoch() {
    return epoch;
  }

  /** Steps completed. */
  public int step() {
    return step;
  }

  /**
   * One discriminator step and one generator step.
   *
   * @param real real images in [-1, 1], shape (N, C, H, W)
   * @param labels their classes (conditional model) or null
   * @return both losses
   */
  public StepLosses step(Tensor real, int[] labels) {
    int n = real.shape(0);
    GanLosses.DiscriminatorLoss d =
        gan.discriminatorLossAndBackward(real, gan.noise(n, rng), labels, fakeLabels(n));
    optD.step(gan.discriminatorParameters());
    Losses.Loss g = gan.generatorLossAndBackward(gan.noise(n, rng), fakeLabels(n));
    optG.step(gan.generatorParameters());
    if (!Double.isFinite(d.loss()) || !Double.isFinite(g.loss())) {
      throw new IllegalStateException(
          "gan: non-finite loss at step " + step + " (D " + d.loss() + ", G " + g.loss() + ")");
    }
    step++;
    return new StepLosses(d.loss(), g.loss());
  }

  /**
   * One pass over the data in a shuffled order; the last batch may be smaller.
   *
   * @param x real images in [0, 1], shape (N, C, H, W)
   * @param y their classes (conditional model) or null
   * @return the mean losses over the epoch's steps
   */
  public StepLosses epoch(Tensor x, int[] y) {
    int n = x.shape(0);
    int[] order = rng.permutation(n);
    double sd = 0;
    double sg = 0;
    int steps = 0;
    for (int start = 0; start < n; start += options.batchSize()) {
      int[] idx = Arrays.copyOfRange(order, start, Math.min(n, start + options.batchSize()));
      Tensor real = x.take(0, idx).mul(2).sub(1); // [0, 1] -> [-1, 1], tanh's range
      int[] labels = null;
      if (y != null) {
        labels = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
          labels[i] = y[idx[i]];
        }
      }
      StepLosses s = step(real, labels);
      sd += s.discriminator();
      sg += s.generator();
      steps++;
    }
    epoch++;
    return new StepLosses(sd / steps, sg / steps);
  }

  private int[] fakeLabels(int n) {
    if (!gan.config().conditional()) {
      return null;
    }
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = rng.nextInt(0, gan.config().numClasses());
    }
    return labels;
  }

  // ---------------------------------------------------------------- checkpoints

  /**
   * Writes one safetensors file: both networks' parameters and BatchNorm buffers ({@code
   * generator.<name>}, {@code discriminator.<name>}), both Adam states ({@code optim.g.<key>},
   * {@code optim.d.<key>}), and the epoch, step, generator state and configuration as metadata.
   */
  public void save(Path file) throws IOException {
    Map<String, Tensor> t = new LinkedHashMap<>();
    gan.generatorParameters().forEach(p -> t.put(G + p.name(), p.value()));
    gan.generator().buffers().forEach((k, v) -> t.put(G + k, v));
    gan.discriminatorParameters().forEach(p -> t.put(D + p.name(), p.value()));
    gan.discriminator().buffers().forEach((k, v) -> t.put(D + k, v));
    optG.stateDict().forEach((k, v) -> t.put("optim.g." + k, v));
    optD.stateDict().forEach((k, v) -> t.put("optim.d." + k, v));
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "handgrad-gan");
    meta.put("config", gan.config().toString());
    meta.put("epoch", Integer.toString(epoch));
    meta.put("step", Integer.toString(step));
    meta.put("rng_state", Arrays.toString(rng.getState()).replaceAll("[\\[\\] ]", ""));
    Safetensors.write(file, t, meta);
  }

  /**
   * Restores what {@link #save} wrote into this trainer and its model (same configuration).
   *
   * @throws IOException when the file is unreadable, for another configuration, or incomplete
   */
  public void restore(Path file) throws IOException {
    Safetensors.Contents c = Safetensors.read(file);
    Map<String, String> meta = c.metadata();
    if (!"handgrad-gan".equals(meta.get("format"))) {
      throw new IOException(file + ": not a handgrad GAN checkpoint");
    }
    if (!gan.config().toString().equals(meta.get("config"))) {
      throw new IOException(
          file + ": written for " + meta.get("config") + ", this model is " + gan.config());
    }
    Map<String, Tensor> t = c.tensors();
    assign(file, t, G, gan.generatorParameters(), gan.generator().buffers());
    assign(file, t, D, gan.discriminatorParameters(), gan.discriminator().buffers());
    optG.loadStateDict(Safetensors.withPrefix(t, "optim.g."), gan.generatorParameters());
    optD.loadStateDict(Safetensors.withPrefix(t, "optim.d."), gan.discriminatorParameters());
    String[] words = meta.get("rng_state").split(",");
    long[] s = new long[words.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = Long.parseLong(words[i]);
    }
    rng.setState(s);
    epoch = Integer.parseInt(meta.get("epoch"));
    step = Integer.parseInt(meta.get("step"));
  }

  private static void assign(
      Path file,
      Map<String, Tensor> saved,
      String prefix,
      List<Parameter> params,
      Map<String, Tensor> buffers)
      throws IOException {
    for (Parameter p : params) {
      Tensor v = saved.get(prefix + p.name());
      if (v == null) {
        throw new IOException(file + ": no tensor for " + prefix + p.name());
      }
      p.assign(v);
    }
    for (Map.Entry<String, Tensor> b : buffers.entrySet()) {
      Tensor v = saved.get(prefix + b.getKey());
      if (v == null) {
        throw new IOException(file + ": no tensor for " + prefix + b.getKey());
      }
      b.getValue().copyFrom(v);
    }
  }
}
