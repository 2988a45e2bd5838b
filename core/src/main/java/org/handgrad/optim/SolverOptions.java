package org.handgrad.optim;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.handgrad.io.Json;

/**
 * The options of a {@link Solver}, CS231n's {@code Solver(model, data, **kwargs)} keyword arguments
 * with the same defaults, plus a few of our own (schedule, clipping, seed, checkpoint cadence).
 * Build with {@link #builder()}.
 *
 * @param updateRule the rule with its hyperparameters; each parameter gets its own copy of the
 *     state (CS231n's per-parameter {@code optim_configs}); default {@code sgd} with lr 1e-2
 * @param lrDecay multiplies the learning rate after every epoch (CS231n {@code lr_decay}), in (0,
 *     1]; default 1.0; must be 1.0 when a schedule is given
 * @param lrSchedule learning rate per iteration (0-based, counted over the whole run), or null to
 *     use the rule's rate with {@code lrDecay}
 * @param batchSize minibatch size, &gt; 0; default 100
 * @param numEpochs epochs to train, &gt;= 0; default 10
 * @param numTrainSamples training examples drawn (with replacement, as CS231n) for the train
 *     accuracy checks, or null for the whole training set; default 1000
 * @param numValSamples the same for validation accuracy; default null (all)
 * @param printEvery the printing listener reports the loss every this many iterations; default 10
 * @param verbose whether the Solver attaches a {@link PrintingListener} on {@code System.out};
 *     default true (as CS231n)
 * @param checkpointName file name prefix of checkpoints, or null for none (CS231n {@code
 *     checkpoint_name}); no path separators
 * @param checkpointDir folder for checkpoints; default the working folder (where CS231n writes)
 * @param checkpointEvery also checkpoint every this many iterations (0: only where CS231n does, at
 *     the accuracy checks: the first iteration, each epoch end, the last iteration)
 * @param gradClipNorm clip gradients to this global L2 norm before each update (0: no clipping)
 * @param emaDecay keep an exponential moving average of the weights with this decay ({@link Ema},
 *     with its decay warm-up) and evaluate, keep and restore the averaged weights; 0 (default):
 *     none; else in (0, 1)
 * @param seed seeds the Solver's random stream (shuffling and accuracy subsampling)
 * @param modelName recorded in checkpoints so a tool can rebuild the model
 * @param modelConfig the model's constructor arguments, JSON-compatible values (numbers, strings,
 *     booleans, lists, maps); stored normalized as JSON reads it back (integers as Long)
 */
public record SolverOptions(
    UpdateRule updateRule,
    double lrDecay,
    LrSchedule lrSchedule,
    int batchSize,
    int numEpochs,
    Integer numTrainSamples,
    Integer numValSamples,
    int printEvery,
    boolean verbose,
    String checkpointName,
    Path checkpointDir,
    int checkpointEvery,
    double gradClipNorm,
    double emaDecay,
    long seed,
    String modelName,
    Map<String, Object> modelConfig) {

  /** Validates every option, naming the bad one. */
  public SolverOptions {
    Objects.requireNonNull(updateRule, "Solver: updateRule");
    Objects.requireNonNull(checkpointDir, "Solver: checkpointDir");
    Objects.requireNonNull(modelName, "Solver: modelName");
    Objects.requireNonNull(modelConfig, "Solver: modelConfig");
    if (!(lrDecay > 0 && lrDecay <= 1)) {
      throw new IllegalArgumentException("Solver: lrDecay must be in (0, 1], got " + lrDecay);
    }
    if (lrSchedule != null && lrDecay != 1.0) {
      throw new IllegalArgumentException(
          "Solver: give either lrDecay (" + lrDecay + ") or lrSchedule, not both");
    }
    positive("batchSize", batchSize);
    if (numEpochs < 0) {
      throw new IllegalArgumentException("Solver: numEpochs must be >= 0, got " + numEpochs);
    }
    if (numTrainSamples != null) {
      positive("numTrainSamples", numTrainSamples);
    }
    if (numValSamples != null) {
      positive("numValSamples", numValSamples);
    }
    positive("printEvery", printEvery);
    if (checkpointName != null
        && (checkpointName.isBlank()
            || checkpointName.contains("/")
            || checkpointName.contains("\\"))) {
      throw new IllegalArgumentException(
          "Solver: checkpointName must be a non-blank file name prefix, got '"
              + checkpointName
              + "'");
    }
    if (checkpointEvery < 0) {
      throw new IllegalArgumentException(
          "Solver: checkpointEvery must be >= 0, got " + checkpointEvery);
    }
    if (!(gradClipNorm >= 0) || Double.isInfinite(gradClipNorm)) {
      throw new IllegalArgumentException(
          "Solver: gradClipNorm must be finite and >= 0 (0 = off), got " + gradClipNorm);
    }
    if (!(emaDecay >= 0 && emaDecay < 1)) {
      throw new IllegalArgumentException(
          "Solver: emaDecay must be in [0, 1) (0 = off), got " + emaDecay);
    }
    modelConfig = normalize(modelConfig);
  }

  private static void positive(String name, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException("Solver: " + name + " must be > 0, got " + v);
    }
  }

  /** A JSON round trip fixes the value types, so options compare equal after a checkpoint. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> normalize(Map<String, Object> config) {
    Object parsed;
    try {
      parsed = Json.parse(Json.write(config));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Solver: modelConfig is not JSON: " + e.getMessage(), e);
    }
    return Collections.unmodifiableMap((Map<String, Object>) parsed);
  }

  /** CS231n's defaults: sgd (lr 1e-2), batch 100, 10 epochs, 1000 train samples, verbose. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.updateRule = updateRule;
    b.lrDecay = lrDecay;
    b.lrSchedule = lrSchedule;
    b.batchSize = batchSize;
    b.numEpochs = numEpochs;
    b.numTrainSamples = numTrainSamples;
    b.numValSamples = numValSamples;
    b.printEvery = printEvery;
    b.verbose = verbose;
    b.checkpointName = checkpointName;
    b.checkpointDir = checkpointDir;
    b.checkpointEvery = checkpointEvery;
    b.gradClipNorm = gradClipNorm;
    b.emaDecay = emaDecay;
    b.seed = seed;
    b.modelName = modelName;
    b.modelConfig = modelConfig;
    return b;
  }

  /** The options as a JSON-ready map with CS231n's snake_case keys. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.putAll(OptimConfig.toMap(updateRule));
    m.put("lr_decay", lrDecay);
    m.put("lr_schedule", lrSchedule == null ? null : OptimConfig.toMap(lrSchedule));
    m.put("batch_size", batchSize);
    m.put("num_epochs", numEpochs);
    m.put("num_train_samples", numTrainSamples);
    m.put("num_val_samples", numValSamples);
    m.put("print_every", printEvery);
    m.put("verbose", verbose);
    m.put("checkpoint_name", checkpointName);
    m.put("checkpoint_dir", checkpointDir.toString());
    m.put("checkpoint_every", checkpointEvery);
    m.put("grad_clip_norm", gradClipNorm);
    m.put("ema_decay", emaDecay);
    m.put("seed", seed);
    m.put("model_name", modelName);
    m.put("model_config", modelConfig);
    return m;
  }

  /**
   * Reads a map written by {@link #toMap()}.
   *
   * @throws IllegalArgumentException on a missing key or a value of the wrong type
   */
  @SuppressWarnings("unchecked")
  public static SolverOptions fromMap(Map<?, ?> m) {
    try {
      return new SolverOptions(
          OptimConfig.rule(m),
          ((Number) req(m, "lr_decay")).doubleValue(),
          m.get("lr_schedule") == null
              ? null
              : OptimConfig.schedule((Map<?, ?>) m.get("lr_schedule")),
          intOf(req(m, "batch_size")),
          intOf(req(m, "num_epochs")),
          m.get("num_train_samples") == null ? null : intOf(m.get("num_train_samples")),
          m.get("num_val_samples") == null ? null : intOf(m.get("num_val_samples")),
          intOf(req(m, "print_every")),
          (Boolean) req(m, "verbose"),
          (String) m.get("checkpoint_name"),
          Path.of((String) req(m, "checkpoint_dir")),
          intOf(req(m, "checkpoint_every")),
          ((Number) req(m, "grad_clip_norm")).doubleValue(),
          // Absent in checkpoints written before the option existed: no average.
          m.get("ema_decay") == null ? 0.0 : ((Number) m.get("ema_decay")).doubleValue(),
          ((Number) req(m, "seed")).longValue(),
          (String) req(m, "model_name"),
          (Map<String, Object>) req(m, "model_config"));
    } catch (ClassCastException e) {
      throw new IllegalArgumentException("solver options: a value has the wrong type: " + m, e);
    }
  }

  private static Object req(Map<?, ?> m, String key) {
    if (!m.containsKey(key) || m.get(key) == null) {
      throw new IllegalArgumentException("solver options: missing '" + key + "'");
    }
    return m.get(key);
  }

  private static int intOf(Object o) {
    long v = ((Number) o).longValue();
    if (!(o instanceof Long || o instanceof Integer) || v != (int) v) {
      throw new IllegalArgumentException("solver options: expected an int, got " + o);
    }
    return (int) v;
  }

  /**
   * The options that shape the training trajectory and differ from {@code other}'s: a resumed run
   * continues bit-for-bit only when this list is empty. Printing, checkpoint placement and {@code
   * numEpochs} (training for longer is a legitimate reason to resume) are not compared.
   */
  List<String> trajectoryDifferences(SolverOptions other) {
    List<String> diffs = new ArrayList<>();
    diff(diffs, "updateRule", updateRule, other.updateRule);
    diff(diffs, "lrDecay", lrDecay, other.lrDecay);
    diff(diffs, "lrSchedule", lrSchedule, other.lrSchedule);
    diff(diffs, "batchSize", batchSize, other.batchSize);
    diff(diffs, "numTrainSamples", numTrainSamples, other.numTrainSamples);
    diff(diffs, "numValSamples", numValSamples, other.numValSamples);
    diff(diffs, "gradClipNorm", gradClipNorm, other.gradClipNorm);
    diff(diffs, "emaDecay", emaDecay, other.emaDecay);
    diff(diffs, "seed", seed, other.seed);
    diff(diffs, "modelName", modelName, other.modelName);
    diff(diffs, "modelConfig", modelConfig, other.modelConfig);
    return diffs;
  }

  private static void diff(List<String> out, String name, Object mine, Object theirs) {
    if (!Objects.equals(mine, theirs)) {
      out.add(name + ": " + mine + " here, " + theirs + " in the checkpoint");
    }
  }

  /** Mutable builder with CS231n's defaults; {@link #build()} validates. */
  public static final class Builder {
    private UpdateRule updateRule = new Sgd();
    private double lrDecay = 1.0;
    private LrSchedule lrSchedule;
    private int batchSize = 100;
    private int numEpochs = 10;
    private Integer numTrainSamples = 1000;
    private Integer numValSamples;
    private int printEvery = 10;
    private boolean verbose = true;
    private String checkpointName;
    private Path checkpointDir = Path.of(".");
    private int checkpointEvery;
    private double gradClipNorm;
    private double emaDecay;
    private long seed;
    private String modelName = "model";
    private Map<String, Object> modelConfig = Map.of();

    private Builder() {}

    /** The rule with its hyperparameters. */
    public Builder updateRule(UpdateRule rule) {
      this.updateRule = rule;
      return this;
    }

    /** The rule by CS231n name with its defaults (e.g. "adam"). */
    public Builder updateRule(String name) {
      return updateRule(UpdateRule.byName(name));
    }

    /**
     * CS231n's {@code update_rule} and {@code optim_config}, e.g. {@code ("adam",
     * Map.of("learning_rate", 5e-4))}; see {@link OptimConfig#rule(String, Map)}.
     */
    public Builder updateRule(String name, Map<String, ? extends Number> optimConfig) {
      return updateRule(OptimConfig.rule(name, optimConfig));
    }

    /** See {@link SolverOptions#lrDecay()}. */
    public Builder lrDecay(double v) {
      this.lrDecay = v;
      return this;
    }

    /** See {@link SolverOptions#lrSchedule()}. */
    public Builder lrSchedule(LrSchedule v) {
      this.lrSchedule = v;
      return this;
    }

    /** See {@link SolverOptions#batchSize()}. */
    public Builder batchSize(int v) {
      this.batchSize = v;
      return this;
    }

    /** See {@link SolverOptions#numEpochs()}. */
    public Builder numEpochs(int v) {
      this.numEpochs = v;
      return this;
    }

    /** See {@link SolverOptions#numTrainSamples()}; null for all. */
    public Builder numTrainSamples(Integer v) {
      this.numTrainSamples = v;
      return this;
    }

    /** See {@link SolverOptions#numValSamples()}; null for all. */
    public Builder numValSamples(Integer v) {
      this.numValSamples = v;
      return this;
    }

    /** See {@link SolverOptions#printEvery()}. */
    public Builder printEvery(int v) {
      this.printEvery = v;
      return this;
    }

    /** See {@link SolverOptions#verbose()}. */
    public Builder verbose(boolean v) {
      this.verbose = v;
      return this;
    }

    /** See {@link SolverOptions#checkpointName()}; null for no checkpoints. */
    public Builder checkpointName(String v) {
      this.checkpointName = v;
      return this;
    }

    /** See {@link SolverOptions#checkpointDir()}. */
    public Builder checkpointDir(Path v) {
      this.checkpointDir = v;
      return this;
    }

    /** See {@link SolverOptions#checkpointEvery()}. */
    public Builder checkpointEvery(int v) {
      this.checkpointEvery = v;
      return this;
    }

    /** See {@link SolverOptions#gradClipNorm()}; 0 for none. */
    public Builder gradClipNorm(double v) {
      this.gradClipNorm = v;
      return this;
    }

    /** See {@link SolverOptions#emaDecay()}; 0 for none. */
    public Builder emaDecay(double v) {
      this.emaDecay = v;
      return this;
    }

    /** See {@link SolverOptions#seed()}. */
    public Builder seed(long v) {
      this.seed = v;
      return this;
    }

    /** The model's name and constructor arguments, recorded in checkpoints. */
    public Builder model(String name, Map<String, Object> config) {
      this.modelName = name;
      this.modelConfig = config;
      return this;
    }

    /**
     * The validated options.
     *
     * @throws IllegalArgumentException naming the first invalid option
     */
    public SolverOptions build() {
      return new SolverOptions(
          updateRule,
          lrDecay,
          lrSchedule,
          batchSize,
          numEpochs,
          numTrainSamples,
          numValSamples,
          printEvery,
          verbose,
          checkpointName,
          checkpointDir,
          checkpointEvery,
          gradClipNorm,
          emaDecay,
          seed,
          modelName,
          modelConfig);
    }
  }
}
