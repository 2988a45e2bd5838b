package org.handgrad.models.vae;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.handgrad.io.Safetensors;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.Adam;
import org.handgrad.optim.Optimizer;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * The VAE's training loop: shuffled minibatches, one reparameterization noise draw per batch,
 * {@link Vae#lossAndBackward} and an Adam step ({@link Optimizer}). The classifier {@code Solver}
 * does not fit (no labels, no accuracy; the loss needs a noise draw), so this small loop stands in
 * for it.
 *
 * <p>Every random draw (the epoch's permutation, then each batch's eps) comes from one {@link Rng}
 * seeded by {@link Options#seed}, so a run is reproducible, and {@link #save} / {@link #restore}
 * keep the parameters, the Adam state, the generator state and the epoch, so a resumed run
 * continues exactly.
 */
public final class VaeTrainer {
  private static final String OPTIM = "optim.";

  /**
   * Training options.
   *
   * @param batchSize examples per step, &gt;= 1 (default 128)
   * @param learningRate Adam's step size, &gt; 0 (default 1e-3, CS231n's Adam default; beta1 0.9,
   *     beta2 0.999, eps 1e-8)
   * @param seed seeds the shuffling and the noise
   */
  public record Options(int batchSize, double learningRate, long seed) {
    /** Validates the fields. */
    public Options {
      if (batchSize < 1) {
        throw new IllegalArgumentException("vae trainer: batchSize must be >= 1, got " + batchSize);
      }
      if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
        throw new IllegalArgumentException(
            "vae trainer: learningRate must be finite and > 0, got " + learningRate);
      }
    }

    /** Batch 128, learning rate 1e-3, seed 0. */
    public static Options defaults() {
      return new Options(128, 1e-3, 0);
    }
  }

  private final Vae vae;
  private final Options options;
  private final Optimizer optimizer;
  private final Rng rng;
  private int epoch;
  private int step;

  /** A trainer at epoch 0 with fresh Adam state. */
  public VaeTrainer(Vae vae, Options options) {
    this.vae = Objects.requireNonNull(vae, "vae");
    this.options = Objects.requireNonNull(options, "options");
    this.optimizer = new Optimizer(new Adam(options.learningRate(), 0.9, 0.999, 1e-8));
    this.rng = new Rng(options.seed());
  }

  /** The model being trained. */
  public Vae vae() {
    return vae;
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
   * One step on a batch.
   *
   * @param x images, shape (N, C, H, W) or (N, D)
   * @return the batch's terms before the update
   */
  public Vae.Terms step(Tensor x) {
    Tensor eps = rng.randn(vae.config().dtype(), x.shape(0), vae.config().latent());
    Vae.Terms t = vae.lossAndBackward(x, eps);
    if (!Double.isFinite(t.loss())) {
      throw new IllegalStateException("vae: the loss is " + t.loss() + " at step " + step);
    }
    optimizer.step(vae.parameters());
    step++;
    return t;
  }

  /**
   * One pass over the data in a shuffled order; the last batch may be smaller.
   *
   * @param x images, shape (N, C, H, W) or (N, D), the model's dtype
   * @param onStep called after each step with its terms (progress output), or null
   * @return the mean negative ELBO over the epoch's batches, weighted by batch size
   */
  public double epoch(Tensor x, Consumer<Vae.Terms> onStep) {
    int n = x.shape(0);
    int[] order = rng.permutation(n);
    double sum = 0;
    for (int start = 0; start < n; start += options.batchSize()) {
      int stop = Math.min(n, start + options.batchSize());
      int[] idx = java.util.Arrays.copyOfRange(order, start, stop);
      Vae.Terms t = step(x.take(0, idx));
      sum += t.loss() * idx.length;
      if (onStep != null) {
        onStep.accept(t);
      }
    }
    epoch++;
    return sum / n;
  }

  /**
   * The mean ELBO of a dataset, one noise draw per example from {@code rng}, in batches.
   *
   * @param x images, shape (N, C, H, W) or (N, D)
   * @return the mean ELBO in nats (negative; the bound on log p(x))
   */
  public static double meanElbo(Vae vae, Tensor x, int batchSize, Rng rng) {
    double sum = 0;
    int n = x.shape(0);
    for (int start = 0; start < n; start += batchSize) {
      Tensor b = x.slice(0, start, Math.min(n, start + batchSize));
      Tensor eps = rng.randn(vae.config().dtype(), b.shape(0), vae.config().latent());
      sum += vae.elbo(b, eps).sum().item();
    }
    return sum / n;
  }

  /**
   * The mean importance-sampled log-likelihood estimate of a dataset ({@link
   * Vae#importanceSampledLogLikelihood}); its negation is the test NLL in nats.
   *
   * @param x images, shape (N, C, H, W) or (N, D)
   * @param k samples per example, &gt;= 1
   * @return the mean estimate of log p(x) in nats
   */
  public static double meanLogLikelihood(Vae vae, Tensor x, int k, int batchSize, Rng rng) {
    double sum = 0;
    int n = x.shape(0);
    for (int start = 0; start < n; start += batchSize) {
      Tensor b = x.slice(0, start, Math.min(n, start + batchSize));
      sum += vae.importanceSampledLogLikelihood(b, k, rng).sum().item();
    }
    return sum / n;
  }

  // ---------------------------------------------------------------- checkpoints

  /**
   * Writes one safetensors file: every parameter under its name, the Adam state under {@code
   * optim.<key>}, and the epoch, step, generator state and configuration as metadata.
   */
  public void save(Path file) throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Parameter p : vae.parameters()) {
      tensors.put(p.name(), p.value());
    }
    optimizer.stateDict().forEach((k, v) -> tensors.put(OPTIM + k, v));
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "handgrad-vae");
    meta.put("config", vae.config().toString());
    meta.put("epoch", Integer.toString(epoch));
    meta.put("step", Integer.toString(step));
    long[] s = rng.getState();
    List<String> words = new ArrayList<>();
    for (long w : s) {
      words.add(Long.toString(w));
    }
    meta.put("rng_state", String.join(",", words));
    Safetensors.write(file, tensors, meta);
  }

  /**
   * Restores what {@link #save} wrote into this trainer and its model (built with the same
   * configuration).
   *
   * @throws IOException when the file is unreadable, was written for another configuration, or
   *     lacks a parameter
   */
  public void restore(Path file) throws IOException {
    Safetensors.Contents c = Safetensors.read(file);
    Map<String, String> meta = c.metadata();
    if (!"handgrad-vae".equals(meta.get("format"))) {
      throw new IOException(file + ": not a handgrad VAE checkpoint");
    }
    if (!vae.config().toString().equals(meta.get("config"))) {
      throw new IOException(
          file + ": written for " + meta.get("config") + ", this model is " + vae.config());
    }
    Map<String, Tensor> optim = new LinkedHashMap<>();
    c.tensors()
        .forEach(
            (k, v) -> {
              if (k.startsWith(OPTIM)) {
                optim.put(k.substring(OPTIM.length()), v);
              }
            });
    for (Parameter p : vae.parameters()) {
      Tensor v = c.tensors().get(p.name());
      if (v == null) {
        throw new IOException(file + ": no tensor for parameter " + p.name());
      }
      p.assign(v);
    }
    optimizer.loadStateDict(optim, vae.parameters());
    String[] words = meta.get("rng_state").split(",");
    long[] s = new long[words.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = Long.parseLong(words[i]);
    }
    rng.setState(s);
    epoch = Integer.parseInt(meta.get("epoch"));
    step = Integer.parseInt(meta.get("step"));
  }
}
