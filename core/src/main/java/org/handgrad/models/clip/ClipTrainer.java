package org.handgrad.models.clip;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.handgrad.data.caption.Vocab;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.handgrad.io.Safetensors;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.AdamW;
import org.handgrad.optim.Optimizer;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * Trains a {@link Clip} on {@link ClipPairs} with AdamW, and saves and resumes the run.
 *
 * <p>Optimization as in CLIP (Radford et al. 2021, section 2.5) at small scale: AdamW with
 * decoupled weight decay on the matrices only (gains, biases, the class token and {@code
 * logit_scale} are not decayed, as in OpenCLIP), a linear warm-up then cosine decay of the learning
 * rate to 0 over the run. Batch b of step i is drawn from an {@link Rng} seeded by (seed, i), so a
 * resumed run draws exactly the batches the uninterrupted run would have.
 *
 * <p>A checkpoint folder holds {@value #MODEL_FILE} (parameters and buffers such as a conv stem's
 * BatchNorm statistics, readable by {@code safetensors.torch}), {@value #OPTIMIZER_FILE} (AdamW
 * moments: {@code decay.*} and {@code no_decay.*}) and {@value #CONFIG_FILE} (model config,
 * vocabulary, options, iteration, loss history, and what the caller stores about the data); each
 * written atomically, the config last.
 */
public final class ClipTrainer {
  /** Parameters and buffers. */
  public static final String MODEL_FILE = "model.safetensors";

  /** Optimizer state. */
  public static final String OPTIMIZER_FILE = "optimizer.safetensors";

  /** Config, vocabulary, progress. */
  public static final String CONFIG_FILE = "config.json";

  /** Marks the JSON layout. */
  public static final String FORMAT = "handgrad-clip-1";

  /**
   * Training settings.
   *
   * @param steps total optimizer steps of the run (the cosine schedule's length), &gt;= 1
   * @param batchSize B, &gt;= 2 (the contrastive loss needs negatives)
   * @param learningRate peak learning rate, &gt; 0
   * @param weightDecay AdamW's decoupled decay of the matrices, &gt;= 0
   * @param warmup steps of linear warm-up, &gt;= 0
   * @param seed seeds the batches
   */
  public record Options(
      int steps, int batchSize, double learningRate, double weightDecay, int warmup, long seed) {
    /** Validates. */
    public Options {
      if (steps < 1) {
        throw new IllegalArgumentException("clip train: steps must be >= 1, got " + steps);
      }
      if (batchSize < 2) {
        throw new IllegalArgumentException(
            "clip train: batch size must be >= 2 (a batch of 1 pair has no negatives), got "
                + batchSize);
      }
      if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
        throw new IllegalArgumentException(
            "clip train: learning rate must be > 0, got " + learningRate);
      }
      if (!(weightDecay >= 0)) {
        throw new IllegalArgumentException(
            "clip train: weight decay must be >= 0, got " + weightDecay);
      }
      if (warmup < 0) {
        throw new IllegalArgumentException("clip train: warmup must be >= 0, got " + warmup);
      }
    }

    /** The learning rate of step i (0-based): linear warm-up, then cosine decay to 0. */
    public double learningRateAt(int i) {
      double w = warmup == 0 ? 1 : Math.min(1.0, (i + 1.0) / warmup);
      return learningRate * w * 0.5 * (1 + Math.cos(Math.PI * Math.min(i, steps) / steps));
    }

    /** The fields by snake_case name. */
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("steps", steps);
      m.put("batch_size", batchSize);
      m.put("learning_rate", learningRate);
      m.put("weight_decay", weightDecay);
      m.put("warmup", warmup);
      m.put("seed", seed);
      return m;
    }

    /** The inverse of {@link #toMap}. */
    public static Options fromMap(Map<String, Object> m) {
      return new Options(
          ((Number) m.get("steps")).intValue(),
          ((Number) m.get("batch_size")).intValue(),
          ((Number) m.get("learning_rate")).doubleValue(),
          ((Number) m.get("weight_decay")).doubleValue(),
          ((Number) m.get("warmup")).intValue(),
          ((Number) m.get("seed")).longValue());
    }
  }

  private final Clip model;
  private final Vocab vocab;
  private final Options options;
  private final Optimizer decay;
  private final Optimizer noDecay;
  private final List<Parameter> decayed = new ArrayList<>();
  private final List<Parameter> notDecayed = new ArrayList<>();
  private final List<Double> lossHistory = new ArrayList<>();
  private final Map<String, Object> dataInfo;
  private int iteration;

  /**
   * A trainer at step 0.
   *
   * @param vocab the tokens the captions use (saved with the model)
   * @param dataInfo what the caller wants saved about the data (JSON-able), or an empty map
   */
  public ClipTrainer(Clip model, Vocab vocab, Options options, Map<String, Object> dataInfo) {
    this.model = Objects.requireNonNull(model, "model");
    this.vocab = Objects.requireNonNull(vocab, "vocab");
    this.options = Objects.requireNonNull(options, "options");
    this.dataInfo = new LinkedHashMap<>(dataInfo);
    if (vocab.size() != model.config().vocabSize()) {
      throw new IllegalArgumentException(
          "clip train: the vocabulary has "
              + vocab.size()
              + " tokens but the model V = "
              + model.config().vocabSize());
    }
    for (Parameter p : model.parameters()) {
      (p.value().ndim() >= 2 ? decayed : notDecayed).add(p);
    }
    decay =
        new Optimizer(new AdamW(options.learningRate(), 0.9, 0.98, 1e-6, options.weightDecay()));
    noDecay = new Optimizer(new AdamW(options.learningRate(), 0.9, 0.98, 1e-6, 0.0));
  }

  /** The model. */
  public Clip model() {
    return model;
  }

  /** The vocabulary. */
  public Vocab vocab() {
    return vocab;
  }

  /** The options. */
  public Options options() {
    return options;
  }

  /** What the caller saved about the data. */
  public Map<String, Object> dataInfo() {
    return new LinkedHashMap<>(dataInfo);
  }

  /** Steps done. */
  public int iteration() {
    return iteration;
  }

  /** The loss of every step so far. */
  public List<Double> lossHistory() {
    return List.copyOf(lossHistory);
  }

  /**
   * One optimizer step on the batch of this iteration.
   *
   * @return the batch loss before the step
   */
  public double step(ClipPairs data) {
    if (iteration >= options.steps()) {
      throw new IllegalStateException(
          "clip train: the run is complete (" + iteration + " of " + options.steps() + " steps)");
    }
    Rng rng = new Rng(options.seed() * 0x9E3779B97F4A7C15L + iteration);
    ClipPairs.Batch b = data.sample(options.batchSize(), rng);
    Clip.Step s = model.trainStep(b.images().to(model.config().dtype()), b.tokens());
    if (!Double.isFinite(s.loss())) {
      throw new IllegalStateException(
          "clip train: the loss is " + s.loss() + " at step " + iteration + "; lower the lr");
    }
    double lr = options.learningRateAt(iteration);
    decay.setLearningRate(lr);
    noDecay.setLearningRate(lr);
    decay.step(decayed);
    noDecay.step(notDecayed);
    lossHistory.add(s.loss());
    iteration++;
    return s.loss();
  }

  // ---------------------------------------------------------------- checkpoints

  /** Writes a checkpoint folder (created if needed). */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Parameter p : model.parameters()) {
      tensors.put(p.name(), p.value());
    }
    tensors.putAll(model.buffers()); // BatchNorm statistics of a conv stem, dropout streams
    Map<String, String> meta = Map.of("format", FORMAT);
    AtomicFiles.write(dir.resolve(MODEL_FILE), Safetensors.toBytes(tensors, meta));
    Map<String, Tensor> opt = new LinkedHashMap<>();
    decay.stateDict().forEach((k, v) -> opt.put("decay." + k, v));
    noDecay.stateDict().forEach((k, v) -> opt.put("no_decay." + k, v));
    AtomicFiles.write(dir.resolve(OPTIMIZER_FILE), Safetensors.toBytes(opt, meta));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("format", FORMAT);
    json.put("model", model.config().toMap());
    json.put("vocab", vocab.idxToWord());
    json.put("options", options.toMap());
    json.put("iteration", iteration);
    json.put("loss_history", lossHistory);
    json.put("data", dataInfo);
    AtomicFiles.write(
        dir.resolve(CONFIG_FILE), Json.writePretty(json).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Reads a checkpoint folder: the model, vocabulary, options, progress and optimizer state.
   *
   * @throws IOException when a file is missing or unreadable
   * @throws IllegalArgumentException when the contents do not fit together
   */
  @SuppressWarnings("unchecked")
  public static ClipTrainer load(Path dir) throws IOException {
    Path config = dir.resolve(CONFIG_FILE);
    if (!Files.exists(config)) {
      throw new IOException("no CLIP checkpoint in " + dir + " (missing " + CONFIG_FILE + ")");
    }
    Map<String, Object> json =
        (Map<String, Object>) Json.parse(Files.readString(config, StandardCharsets.UTF_8));
    if (!FORMAT.equals(json.get("format"))) {
      throw new IllegalArgumentException(
          "clip: " + config + " has format " + json.get("format") + ", expected " + FORMAT);
    }
    Clip model = new Clip(ClipConfig.fromMap((Map<String, Object>) json.get("model")));
    Map<String, Tensor> tensors = Safetensors.read(dir.resolve(MODEL_FILE)).tensors();
    for (Parameter p : model.parameters()) {
      Tensor t = tensors.get(p.name());
      if (t == null) {
        throw new IllegalArgumentException(
            "clip: " + dir.resolve(MODEL_FILE) + " has no parameter '" + p.name() + "'");
      }
      p.assign(t);
    }
    for (Map.Entry<String, Tensor> b : model.buffers().entrySet()) {
      Tensor t = tensors.get(b.getKey());
      if (t != null) {
        b.getValue().copyFrom(t);
      } else if (!b.getKey().endsWith("rng_state")) {
        throw new IllegalArgumentException(
            "clip: " + dir.resolve(MODEL_FILE) + " has no buffer '" + b.getKey() + "'");
      }
      // A dropout stream missing from a checkpoint written before buffers were saved (2026-12-07)
      // starts again from its seed: only an exact resume of a run with dropout depends on it.
    }
    List<String> words = new ArrayList<>();
    for (Object w : (List<Object>) json.get("vocab")) {
      words.add((String) w);
    }
    Map<String, Object> data = (Map<String, Object>) json.getOrDefault("data", Map.of());
    ClipTrainer tr =
        new ClipTrainer(
            model,
            Vocab.of(words),
            Options.fromMap((Map<String, Object>) json.get("options")),
            data);
    tr.iteration = ((Number) json.get("iteration")).intValue();
    for (Object x : (List<Object>) json.get("loss_history")) {
      tr.lossHistory.add(((Number) x).doubleValue());
    }
    Path opt = dir.resolve(OPTIMIZER_FILE);
    if (Files.exists(opt)) {
      Map<String, Tensor> all = Safetensors.read(opt).tensors();
      tr.decay.loadStateDict(Safetensors.withPrefix(all, "decay."), tr.decayed);
      tr.noDecay.loadStateDict(Safetensors.withPrefix(all, "no_decay."), tr.notDecayed);
    }
    return tr;
  }
}
