package org.handgrad.models.rnn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.handgrad.optim.GradClip;
import org.handgrad.optim.Optimizer;
import org.handgrad.optim.UpdateRule;
import org.handgrad.tensor.Rng;

/**
 * CS231n's {@code CaptioningSolver} in Java: minibatch training of a {@link CaptioningModel} with
 * an update rule chosen by name, one optimizer state per parameter, the learning rate multiplied by
 * {@code lrDecay} after every epoch, a loss history, and progress reported to a listener.
 *
 * <p>Differences from CS231n, for reproducibility and resumption: minibatches are consecutive
 * slices of a shuffled permutation of the captions per epoch (CS231n draws every minibatch
 * independently with replacement), and the permutation of epoch e comes from {@code Rng(seed + e *
 * golden gamma)}, so the run is a function of the seed and a checkpoint only needs the iteration
 * count to continue exactly. As in CS231n an epoch is {@code max(M / batchSize, 1)} iterations
 * (integer division: the remainder of the permutation is skipped that epoch); there is no
 * validation inside the loop (CS231n's captioning solver has none either).
 *
 * <pre>{@code
 * CaptioningTrainer t = new CaptioningTrainer(model, train, CaptioningTrainer.Options.defaults()
 *     .withUpdateRule("adam").withLearningRate(5e-3).withNumEpochs(50).withBatchSize(25));
 * t.train();
 * }</pre>
 */
public final class CaptioningTrainer {

  /**
   * Training settings; defaults are CS231n's CaptioningSolver ones.
   *
   * @param updateRule "sgd", "sgd_momentum", "nesterov", "rmsprop", "adam" or "adamw" (default sgd)
   * @param learningRate initial rate, &gt; 0 (default 1e-2, sgd's CS231n default)
   * @param lrDecay factor applied after each epoch, in (0, 1] (default 1)
   * @param batchSize captions per iteration, &gt; 0 (default 100)
   * @param numEpochs epochs, &gt; 0 (default 10)
   * @param maxGradNorm clip the global gradient norm to this value; 0 disables clipping (default)
   * @param seed seeds the minibatch order (default 0)
   */
  public record Options(
      String updateRule,
      double learningRate,
      double lrDecay,
      int batchSize,
      int numEpochs,
      double maxGradNorm,
      long seed) {
    /** Validates the ranges and the rule name. */
    public Options {
      UpdateRule.byName(updateRule).withLearningRate(learningRate); // validates both
      if (!(lrDecay > 0 && lrDecay <= 1)) {
        throw new IllegalArgumentException("Options: lrDecay must be in (0, 1], got " + lrDecay);
      }
      if (batchSize <= 0 || numEpochs <= 0) {
        throw new IllegalArgumentException(
            "Options: batchSize and numEpochs must be > 0, got " + batchSize + ", " + numEpochs);
      }
      if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) {
        throw new IllegalArgumentException(
            "Options: maxGradNorm must be finite and >= 0 (0 = off), got " + maxGradNorm);
      }
    }

    /** CS231n's defaults: sgd, lr 1e-2, no decay, batch 100, 10 epochs; no clipping, seed 0. */
    public static Options defaults() {
      return new Options("sgd", 1e-2, 1.0, 100, 10, 0, 0);
    }

    /** With another update rule name. */
    public Options withUpdateRule(String name) {
      return new Options(name, learningRate, lrDecay, batchSize, numEpochs, maxGradNorm, seed);
    }

    /** With another initial learning rate. */
    public Options withLearningRate(double lr) {
      return new Options(updateRule, lr, lrDecay, batchSize, numEpochs, maxGradNorm, seed);
    }

    /** With another per-epoch decay. */
    public Options withLrDecay(double decay) {
      return new Options(updateRule, learningRate, decay, batchSize, numEpochs, maxGradNorm, seed);
    }

    /** With another batch size. */
    public Options withBatchSize(int b) {
      return new Options(updateRule, learningRate, lrDecay, b, numEpochs, maxGradNorm, seed);
    }

    /** With another number of epochs. */
    public Options withNumEpochs(int e) {
      return new Options(updateRule, learningRate, lrDecay, batchSize, e, maxGradNorm, seed);
    }

    /** With gradient clipping at this global norm (0 = off). */
    public Options withMaxGradNorm(double m) {
      return new Options(updateRule, learningRate, lrDecay, batchSize, numEpochs, m, seed);
    }

    /** With another seed. */
    public Options withSeed(long s) {
      return new Options(updateRule, learningRate, lrDecay, batchSize, numEpochs, maxGradNorm, s);
    }

    /** As a JSON-ready map (checkpoints). */
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("update_rule", updateRule);
      m.put("learning_rate", learningRate);
      m.put("lr_decay", lrDecay);
      m.put("batch_size", batchSize);
      m.put("num_epochs", numEpochs);
      m.put("max_grad_norm", maxGradNorm);
      m.put("seed", seed);
      return m;
    }

    /** Reads {@link #toMap()}'s output. */
    public static Options fromMap(Map<String, Object> m) {
      return new Options(
          (String) m.get("update_rule"),
          ((Number) m.get("learning_rate")).doubleValue(),
          ((Number) m.get("lr_decay")).doubleValue(),
          ((Number) m.get("batch_size")).intValue(),
          ((Number) m.get("num_epochs")).intValue(),
          ((Number) m.get("max_grad_norm")).doubleValue(),
          ((Number) m.get("seed")).longValue());
    }
  }

  /** Progress callbacks, called on the training thread. */
  public interface Listener {
    /**
     * After every update.
     *
     * @param iteration updates done so far (1-based count)
     * @param numIterations updates of the whole run
     * @param epoch the epoch this update belonged to (0-based)
     * @param loss the minibatch loss before the update
     */
    void onIteration(int iteration, int numIterations, int epoch, double loss);

    /** After the last update of an epoch (0-based), before the learning rate decays. */
    default void onEpochEnd(int epoch, double learningRate) {}
  }

  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

  private final CaptioningModel model;
  private final CaptionData data;
  private final Options options;
  private final Optimizer optimizer;
  private final List<Double> lossHistory = new ArrayList<>();
  private Listener listener = (i, n, e, l) -> {};
  private int iteration;

  /**
   * A trainer at iteration 0.
   *
   * @param model the model, trained in place
   * @param data training captions and images
   * @param options settings
   */
  public CaptioningTrainer(CaptioningModel model, CaptionData data, Options options) {
    this.model = Objects.requireNonNull(model, "model");
    this.data = Objects.requireNonNull(data, "data");
    this.options = Objects.requireNonNull(options, "options");
    this.optimizer =
        new Optimizer(
            UpdateRule.byName(options.updateRule()).withLearningRate(options.learningRate()));
  }

  /**
   * A trainer that continues a checkpointed run: the model's parameters, the optimizer state, the
   * iteration count and the loss history come from the checkpoint; the data must be the same.
   */
  public static CaptioningTrainer resume(CaptionCheckpoint.Loaded checkpoint, CaptionData data) {
    CaptionCheckpoint.TrainerState s = checkpoint.trainer();
    if (s == null) {
      throw new IllegalArgumentException("resume: the checkpoint holds no trainer state");
    }
    CaptioningTrainer t = new CaptioningTrainer(checkpoint.model(), data, s.options());
    t.optimizer.loadStateDict(checkpoint.optimizerState(), checkpoint.model().parameters());
    t.iteration = s.iteration();
    t.lossHistory.addAll(s.lossHistory());
    return t;
  }

  /** Sets the progress listener (replacing the previous one). */
  public CaptioningTrainer listener(Listener l) {
    this.listener = Objects.requireNonNull(l, "listener");
    return this;
  }

  /** Updates per epoch: {@code max(M / batchSize, 1)}. */
  public int iterationsPerEpoch() {
    return Math.max(data.size() / options.batchSize(), 1);
  }

  /** Updates of the whole run. */
  public int numIterations() {
    return options.numEpochs() * iterationsPerEpoch();
  }

  /** Updates done so far. */
  public int iteration() {
    return iteration;
  }

  /** The minibatch loss of every update so far (CS231n's {@code loss_history}). */
  public List<Double> lossHistory() {
    return Collections.unmodifiableList(lossHistory);
  }

  /** The model being trained. */
  public CaptioningModel model() {
    return model;
  }

  /** The settings. */
  public Options options() {
    return options;
  }

  /** The optimizer (its state goes into checkpoints). */
  public Optimizer optimizer() {
    return optimizer;
  }

  /** The learning rate of epoch e: {@code learningRate * lrDecay^e}. */
  public double learningRate(int epoch) {
    return options.learningRate() * Math.pow(options.lrDecay(), epoch);
  }

  /** Runs every remaining update. */
  public void train() {
    train(numIterations() - iteration);
  }

  /**
   * Runs at most {@code steps} more updates (fewer at the end of the run).
   *
   * @throws ArithmeticException when a loss is not finite, naming the iteration
   */
  public void train(int steps) {
    int ipe = iterationsPerEpoch();
    int stop = Math.min(numIterations(), iteration + steps);
    int[] perm = null;
    int permEpoch = -1;
    while (iteration < stop) {
      int epoch = iteration / ipe;
      if (epoch != permEpoch) {
        perm = new Rng(options.seed() + epoch * GOLDEN_GAMMA).permutation(data.size());
        permEpoch = epoch;
        optimizer.setLearningRate(learningRate(epoch));
      }
      int k = iteration % ipe;
      int from = k * options.batchSize();
      int to = Math.min(from + options.batchSize(), data.size());
      int[] rows = Arrays.copyOfRange(perm, from, to);
      CaptionData.Batch batch = data.batch(rows);
      double loss = model.loss(batch.images(), batch.captions());
      if (!Double.isFinite(loss)) {
        throw new ArithmeticException(
            "CaptioningTrainer: loss is "
                + loss
                + " at iteration "
                + iteration
                + " (epoch "
                + epoch
                + "); lower the learning rate or clip gradients");
      }
      if (options.maxGradNorm() > 0) {
        GradClip.clipByGlobalNorm(model.parameters(), options.maxGradNorm());
      }
      optimizer.step(model.parameters());
      lossHistory.add(loss);
      iteration++;
      listener.onIteration(iteration, numIterations(), epoch, loss);
      if (iteration % ipe == 0) {
        listener.onEpochEnd(epoch, optimizer.learningRate());
      }
    }
  }

  /**
   * Writes a checkpoint of the model, vocabulary, optimizer and progress (see {@link
   * CaptionCheckpoint}).
   *
   * @param vocab the words by id, length V
   */
  public void save(Path dir, List<String> vocab) throws IOException {
    CaptionCheckpoint.save(
        dir,
        model,
        vocab,
        new CaptionCheckpoint.TrainerState(options, iteration, lossHistory),
        optimizer.stateDict());
  }

  /** Mean loss over the whole split in test mode, in batches of {@code batchSize}. */
  public static double evalLoss(CaptioningModel model, CaptionData split, int batchSize) {
    double sum = 0;
    int m = split.size();
    for (int from = 0; from < m; from += batchSize) {
      int to = Math.min(m, from + batchSize);
      int[] rows = new int[to - from];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = from + i;
      }
      CaptionData.Batch b = split.batch(rows);
      sum += model.evalLoss(b.images(), b.captions()) * rows.length;
    }
    return sum / m;
  }
}
