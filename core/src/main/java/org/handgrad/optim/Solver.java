package org.handgrad.optim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.nn.NoGrad;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Labels;
import org.handgrad.tensor.Tensor;

/**
 * Trains a {@link Model} with minibatch gradient descent, the CS231n {@code Solver}: it runs epochs
 * of minibatches, records the loss and the train/val accuracy histories, keeps the parameters with
 * the best validation accuracy and restores them at the end.
 *
 * <pre>{@code
 * Solver solver = new Solver(model, new Solver.Data(xTrain, yTrain, xVal, yVal),
 *     SolverOptions.builder().updateRule("adam", Map.of("learning_rate", 1e-3))
 *         .numEpochs(10).batchSize(100).build());
 * solver.train();                       // prints CS231n's lines unless verbose(false)
 * solver.valAccHistory();               // one entry per accuracy check
 * }</pre>
 *
 * <p><b>Schedule of a run</b> (as CS231n): {@code iterationsPerEpoch = max(N / batchSize, 1)},
 * {@code numIterations = numEpochs * iterationsPerEpoch}. After every iteration the loss is
 * recorded; at the end of an epoch the learning rate is multiplied by {@code lrDecay}; after the
 * first iteration, at each epoch end and after the last iteration the train and val accuracies are
 * checked, the best parameters kept and (when {@code checkpointName} is set) a checkpoint written.
 *
 * <p><b>Differences from CS231n</b>, each deliberate:
 *
 * <ul>
 *   <li>Minibatches are drawn without replacement from a fresh shuffle of the training set each
 *       epoch (CS231n draws each minibatch with replacement, {@code np.random.choice(N, B)}); an
 *       epoch then sees each example at most once. The last {@code N mod batchSize} examples of
 *       each shuffle are skipped.
 *   <li>Randomness comes from the Solver's own seeded stream ({@link SolverOptions#seed()}), not a
 *       global generator, and is saved in checkpoints, so a resumed run is bit-identical to an
 *       uninterrupted one.
 *   <li>The first accuracy check always sets the best parameters (CS231n starts from best 0 and
 *       ends with an empty parameter dict if validation accuracy never exceeds 0). Model buffers
 *       (BatchNorm running statistics) are kept and restored with the best parameters, so they
 *       match; CS231n keeps only {@code model.params}.
 *   <li>Checkpoints are written after the best parameters are updated (CS231n saves first), so a
 *       checkpoint holds everything a resume needs.
 *   <li>A NaN or infinite loss, gradient or parameter stops training with a {@link
 *       TrainingDivergedException} instead of continuing on garbage.
 *   <li>With {@link SolverOptions#emaDecay()} the Solver keeps a moving average of the weights
 *       ({@link Ema}), updated after every step; accuracy checks, the best parameters and so the
 *       restored ones use the averaged weights; checkpoints hold the average with the optimizer
 *       state.
 * </ul>
 *
 * <p>The library prints nothing itself: progress goes to {@link SolverListener}s; {@code
 * verbose=true} attaches a {@link PrintingListener} on {@code System.out}.
 */
public final class Solver {

  /** How {@link #train()} returned. */
  public enum Status {
    /** All iterations ran; the best parameters are in the model. */
    COMPLETED,
    /** {@link #requestStop()} stopped it; the model holds the latest parameters. */
    STOPPED
  }

  /**
   * CS231n's {@code data} dict.
   *
   * @param xTrain training inputs, shape (N, ...), any dtype the model accepts
   * @param yTrain training labels, length N
   * @param xVal validation inputs, shape (NV, ...) with the trailing shape and dtype of xTrain
   * @param yVal validation labels, length NV
   */
  public record Data(Tensor xTrain, int[] yTrain, Tensor xVal, int[] yVal) {
    /**
     * The same data with the labels as int32 tensors of shape (N,) and (NV,) (see {@link
     * org.handgrad.nn.functional.Labels}), e.g. arrays read from an .npz file.
     */
    public Data(Tensor xTrain, Tensor yTrain, Tensor xVal, Tensor yVal) {
      this(
          xTrain,
          Labels.toArray("Solver.Data yTrain", yTrain),
          xVal,
          Labels.toArray("Solver.Data yVal", yVal));
    }

    /** Checks that inputs and labels agree; makes the inputs contiguous (for fast batching). */
    public Data {
      check("train", xTrain, yTrain);
      check("val", xVal, yVal);
      int[] ts = xTrain.shape();
      int[] vs = xVal.shape();
      ts[0] = vs[0] = -1;
      if (!Arrays.equals(ts, vs) || xTrain.dtype() != xVal.dtype()) {
        throw new IllegalArgumentException(
            "Solver.Data: xTrain "
                + xTrain.shapeString()
                + " "
                + xTrain.dtype().numpyName()
                + " and xVal "
                + xVal.shapeString()
                + " "
                + xVal.dtype().numpyName()
                + " must share the shape after N and the dtype");
      }
      xTrain = xTrain.contiguous();
      xVal = xVal.contiguous();
    }

    private static void check(String what, Tensor x, int[] y) {
      if (x.ndim() < 1 || x.shape(0) == 0 || x.shape(0) != y.length) {
        throw new IllegalArgumentException(
            "Solver.Data: expected x"
                + what
                + " (N, ...) with N > 0 matching y"
                + what
                + ", got "
                + x.shapeString()
                + " and "
                + y.length
                + " labels");
      }
    }

    /** Number of training examples N. */
    public int numTrain() {
      return xTrain.shape(0);
    }
  }

  private final Model model;
  private final Data data;
  private final SolverOptions options;
  private final Optimizer optimizer;
  private final SplitMix64 rng;

  /** The moving average of the weights ({@link SolverOptions#emaDecay()}), or null. */
  private final Ema ema;

  private final List<SolverListener> listeners = new ArrayList<>();

  private final List<Double> lossHistory = new ArrayList<>();
  private final List<Double> trainAccHistory = new ArrayList<>();
  private final List<Double> valAccHistory = new ArrayList<>();
  private int epoch;
  private int iteration;
  private double bestValAcc = Double.NaN;
  private Map<String, Tensor> bestParams = Map.of();
  private Map<String, Tensor> bestBuffers = Map.of();

  /** This epoch's example order; null between epochs. */
  private int[] permutation;

  private int lastCheckpointIteration = -1;
  private Path lastCheckpoint;
  private volatile boolean stopRequested;
  private GradientComputation gradients = GradientComputation.LOCAL;

  /**
   * A Solver at iteration 0 with fresh optimizer state.
   *
   * @param model the model to train (its parameters are updated in place)
   * @param data training and validation sets
   * @param options CS231n's keyword arguments; see {@link SolverOptions}
   */
  public Solver(Model model, Data data, SolverOptions options) {
    this.model = Objects.requireNonNull(model, "Solver: model");
    this.data = Objects.requireNonNull(data, "Solver: data");
    this.options = Objects.requireNonNull(options, "Solver: options");
    this.optimizer = new Optimizer(options.updateRule());
    this.rng = new SplitMix64(options.seed());
    this.ema = options.emaDecay() > 0 ? new Ema(options.emaDecay(), true) : null;
    if (options.verbose()) {
      listeners.add(new PrintingListener(System.out, options.printEvery()));
    }
  }

  /** Adds a listener (called in the order added); returns this Solver. */
  public Solver addListener(SolverListener listener) {
    listeners.add(Objects.requireNonNull(listener));
    return this;
  }

  /**
   * Replaces how a minibatch's loss and gradients are computed (default {@link
   * GradientComputation#LOCAL}, {@code model.loss(x, y)}). Everything else of a step stays here:
   * the batch is drawn from the Solver's random stream, and the non-finite checks, clipping,
   * update, accuracy checks and checkpoints run in this process as for a local run; it is not part
   * of the options or the checkpoint, so a run may be resumed with a different computation.
   *
   * @return this Solver
   */
  public Solver gradientComputation(GradientComputation computation) {
    this.gradients = Objects.requireNonNull(computation, "Solver: gradient computation");
    return this;
  }

  /** {@code max(N / batchSize, 1)}, as CS231n. */
  public int iterationsPerEpoch() {
    return Math.max(data.numTrain() / options.batchSize(), 1);
  }

  /** {@code numEpochs * iterationsPerEpoch}. */
  public int numIterations() {
    return Math.multiplyExact(options.numEpochs(), iterationsPerEpoch());
  }

  /**
   * Asks {@link #train()} to stop after the current iteration (safe from any thread, e.g. a Ctrl-C
   * handler or a listener). Training writes a checkpoint (when checkpoints are on) and returns
   * {@link Status#STOPPED}; calling {@code train()} again continues the run.
   */
  public void requestStop() {
    stopRequested = true;
  }

  // ---------------------------------------------------------------- training

  /**
   * Runs the remaining iterations of the run (all of them for a new Solver, the rest after {@link
   * #resume}).
   *
   * @return {@link Status#COMPLETED} with the best parameters restored into the model, or {@link
   *     Status#STOPPED} after {@link #requestStop()}
   * @throws TrainingDivergedException when the loss, a gradient or a parameter becomes NaN or
   *     infinite; the model keeps the offending values for inspection
   * @throws UncheckedIOException when a checkpoint cannot be written
   */
  public Status train() {
    long start = System.nanoTime();
    int ipe = iterationsPerEpoch();
    int total = numIterations();
    for (SolverListener l : listeners) {
      l.trainingStarted(new SolverListener.Start(iteration, total, ipe, options.numEpochs()));
    }
    while (iteration < total) {
      if (stopRequested) {
        stopRequested = false;
        saveCheckpointIfEnabled();
        return finish(Status.STOPPED, start);
      }
      int t = iteration;
      SolverListener.Iteration it = step(t, ipe, total);
      iteration++;
      boolean epochEnd = iteration % ipe == 0;
      if (epochEnd) {
        epoch++;
        permutation = null;
        if (options.lrDecay() != 1.0) {
          optimizer.setLearningRate(optimizer.learningRate() * options.lrDecay());
        }
      }
      for (SolverListener l : listeners) {
        l.iterationDone(it);
      }
      if (t == 0 || t == total - 1 || epochEnd) {
        checkAccuracies();
        saveCheckpointIfEnabled();
      } else if (options.checkpointEvery() > 0 && iteration % options.checkpointEvery() == 0) {
        saveCheckpointIfEnabled();
      }
    }
    stopRequested = false;
    restoreBest();
    return finish(Status.COMPLETED, start);
  }

  private Status finish(Status status, long start) {
    double seconds = (System.nanoTime() - start) * 1e-9;
    for (SolverListener l : listeners) {
      l.trainingFinished(new SolverListener.Finish(status, iteration, bestValAcc, seconds));
    }
    return status;
  }

  /** One minibatch: forward, backward, safety checks, clipping, update (CS231n's {@code _step}). */
  private SolverListener.Iteration step(int t, int ipe, int total) {
    long start = System.nanoTime();
    int n = data.numTrain();
    int b = Math.min(options.batchSize(), n);
    if (t % ipe == 0) {
      permutation = rng.permutation(n);
    } else if (permutation == null) {
      throw new IllegalStateException("Solver: mid-epoch at iteration " + t + " without an order");
    }
    int from = (t % ipe) * b;
    Tensor xBatch = gatherRows(data.xTrain(), permutation, from, b);
    int[] yBatch = new int[b];
    for (int i = 0; i < b; i++) {
      yBatch[i] = data.yTrain()[permutation[from + i]];
    }
    if (options.lrSchedule() != null) {
      optimizer.setLearningRate(options.lrSchedule().lr(t));
    }
    double lr = optimizer.learningRate();

    double loss = gradients.lossAndGradients(model, xBatch, yBatch);
    List<Parameter> params = model.parameters();
    Optional<NonFinite.Finding> bad = NonFinite.firstNonFinite(params);
    if (!Double.isFinite(loss) || bad.isPresent()) {
      TrainingDivergedException.Stage stage =
          Double.isFinite(loss)
              ? TrainingDivergedException.Stage.BACKWARD
              : TrainingDivergedException.Stage.LOSS;
      throw new TrainingDivergedException(stage, t + 1, epoch, loss, lr, bad);
    }
    double gradNorm =
        options.gradClipNorm() > 0
            ? GradClip.clipByGlobalNorm(params, options.gradClipNorm())
            : GradClip.globalNorm(params);
    optimizer.step(params);
    bad = NonFinite.firstNonFinite(params);
    if (bad.isPresent()) {
      throw new TrainingDivergedException(
          TrainingDivergedException.Stage.UPDATE, t + 1, epoch, loss, lr, bad);
    }
    if (ema != null) {
      ema.update(model);
    }
    lossHistory.add(loss);
    double seconds = Math.max((System.nanoTime() - start) * 1e-9, 1e-9);
    return new SolverListener.Iteration(
        t + 1, total, epoch, options.numEpochs(), loss, lr, gradNorm, b / seconds);
  }

  /**
   * Accuracy checks and the best parameters. With a moving average of the weights, the averaged
   * weights are the ones evaluated and kept (the live ones are put back afterwards).
   */
  private void checkAccuracies() {
    if (ema == null) {
      checkAccuraciesNow();
      return;
    }
    Ema.Swap swap = ema.swapInto(model);
    try {
      checkAccuraciesNow();
    } finally {
      swap.close();
    }
  }

  private void checkAccuraciesNow() {
    double trainAcc =
        checkAccuracy(data.xTrain(), data.yTrain(), options.numTrainSamples(), options.batchSize());
    double valAcc =
        checkAccuracy(data.xVal(), data.yVal(), options.numValSamples(), options.batchSize());
    trainAccHistory.add(trainAcc);
    valAccHistory.add(valAcc);
    boolean improved = Double.isNaN(bestValAcc) || valAcc > bestValAcc;
    if (improved) {
      bestValAcc = valAcc;
      bestParams = new LinkedHashMap<>();
      for (Parameter p : model.parameters()) {
        bestParams.put(p.name(), p.value().copy());
      }
      bestBuffers = copies(model.buffers());
    }
    for (SolverListener l : listeners) {
      l.accuracyChecked(
          new SolverListener.Accuracy(
              iteration,
              epoch,
              options.numEpochs(),
              trainAcc,
              valAcc,
              bestValAcc,
              improved,
              optimizer.learningRate()));
    }
  }

  private void restoreBest() {
    if (!bestParams.isEmpty()) {
      Checkpoint.restore(model, bestParams, bestBuffers, "Solver: restoring the best parameters");
    }
  }

  // ---------------------------------------------------------------- evaluation

  /**
   * Accuracy of the model on (a random sample of) a data set, CS231n's {@code check_accuracy}: when
   * {@code numSamples} is given and smaller than N, that many examples are drawn with replacement
   * from the Solver's random stream; predictions run in test mode, {@code batchSize} examples at a
   * time.
   *
   * @param x inputs, shape (N, ...)
   * @param y labels, length N
   * @param numSamples examples to draw, or null for all
   * @param batchSize examples per forward pass, &gt; 0
   * @return the fraction of correct predictions
   */
  public double checkAccuracy(Tensor x, int[] y, Integer numSamples, int batchSize) {
    int n = x.shape(0);
    if (n != y.length || n == 0 || batchSize <= 0) {
      throw new IllegalArgumentException(
          "checkAccuracy: x "
              + x.shapeString()
              + " with "
              + y.length
              + " labels, batchSize "
              + batchSize);
    }
    int[] idx;
    if (numSamples != null && n > numSamples) {
      idx = new int[numSamples];
      for (int i = 0; i < numSamples; i++) {
        idx[i] = rng.nextInt(n);
      }
    } else {
      idx = identity(n);
    }
    int[] ySel = new int[idx.length];
    for (int i = 0; i < idx.length; i++) {
      ySel[i] = y[idx[i]];
    }
    return Metrics.accuracy(ySel, predict(x.contiguous(), idx, batchSize));
  }

  /**
   * Predicted classes for every example, {@code argmax} of the test-mode scores, computed under
   * {@link NoGrad}.
   *
   * @param x inputs, shape (N, ...)
   * @param batchSize examples per forward pass, &gt; 0
   * @return predictions, length N
   */
  public int[] predict(Tensor x, int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("predict: batchSize must be > 0, got " + batchSize);
    }
    return predict(x.contiguous(), identity(x.shape(0)), batchSize);
  }

  private int[] predict(Tensor x, int[] idx, int batchSize) {
    int[] pred = new int[idx.length];
    for (int from = 0; from < idx.length; from += batchSize) {
      int count = Math.min(batchSize, idx.length - from);
      Tensor batch = gatherRows(x, idx, from, count);
      int[] p = Metrics.argmax(NoGrad.get(() -> model.loss(batch))); // nothing kept for a backward
      System.arraycopy(p, 0, pred, from, count);
    }
    return pred;
  }

  private static int[] identity(int n) {
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    return idx;
  }

  /**
   * Rows {@code idx[from .. from+count)} of a contiguous tensor, copied into a new one.
   *
   * @param x shape (N, ...), contiguous
   * @return shape (count, ...), the dtype of x
   */
  static Tensor gatherRows(Tensor x, int[] idx, int from, int count) {
    int[] shape = x.shape();
    int row = x.size() / shape[0];
    shape[0] = count;
    Tensor out = Tensor.zeros(x.dtype(), shape);
    int off = x.offset();
    for (int i = 0; i < count; i++) {
      int src = off + idx[from + i] * row;
      switch (x.dtype()) {
        case FLOAT32 -> System.arraycopy(x.floatStorage(), src, out.floatStorage(), i * row, row);
        case FLOAT64 -> System.arraycopy(x.doubleStorage(), src, out.doubleStorage(), i * row, row);
        case INT32 -> System.arraycopy(x.intStorage(), src, out.intStorage(), i * row, row);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- checkpoints

  /** The whole training state now, tensors copied (a resumable {@link Checkpoint}). */
  public Checkpoint snapshot() {
    Map<String, Tensor> params = new LinkedHashMap<>();
    for (Parameter p : model.parameters()) {
      params.put(p.name(), p.value().copy());
    }
    return new Checkpoint(
        options,
        epoch,
        iteration,
        rng.state(),
        lossHistory,
        trainAccHistory,
        valAccHistory,
        bestValAcc,
        params,
        copies(model.buffers()),
        bestParams,
        bestBuffers,
        optimizerState(),
        permutation == null ? null : Tensor.of(permutation.clone(), permutation.length));
  }

  /** The optimizer's state dict, plus the moving average's ({@link Ema#stateDict()}) if any. */
  private Map<String, Tensor> optimizerState() {
    Map<String, Tensor> m = new LinkedHashMap<>(optimizer.stateDict());
    if (ema != null) {
      m.putAll(ema.stateDict());
    }
    return m;
  }

  /**
   * Writes a checkpoint of the current state into {@code checkpointDir} under {@code
   * checkpointName}.
   *
   * @return the checkpoint's JSON file
   * @throws IllegalStateException when {@code checkpointName} is not set
   */
  public Path saveCheckpoint() throws IOException {
    if (options.checkpointName() == null) {
      throw new IllegalStateException("saveCheckpoint: set SolverOptions.checkpointName first");
    }
    Path file = snapshot().write(options.checkpointDir(), options.checkpointName());
    lastCheckpointIteration = iteration;
    lastCheckpoint = file;
    for (SolverListener l : listeners) {
      l.checkpointSaved(file, iteration);
    }
    return file;
  }

  private void saveCheckpointIfEnabled() {
    if (options.checkpointName() == null || lastCheckpointIteration == iteration) {
      return;
    }
    try {
      saveCheckpoint();
    } catch (IOException e) {
      throw new UncheckedIOException("Solver: writing a checkpoint failed", e);
    }
  }

  /**
   * Continues from a checkpoint: a JSON file, or a folder in which the newest checkpoint named
   * {@code checkpointName} is taken.
   *
   * @return this Solver, ready to {@link #train()}
   * @throws IOException when no checkpoint is found or it cannot be read
   * @see #resume(Checkpoint)
   */
  public Solver resume(Path checkpoint) throws IOException {
    Path file = checkpoint;
    if (Files.isDirectory(checkpoint)) {
      if (options.checkpointName() == null) {
        throw new IOException(
            "resume: " + checkpoint + " is a folder; set checkpointName or give a .json file");
      }
      file =
          Checkpoint.latest(checkpoint, options.checkpointName())
              .orElseThrow(
                  () ->
                      new IOException(
                          "resume: no checkpoint named "
                              + options.checkpointName()
                              + " in "
                              + checkpoint));
    }
    resume(Checkpoint.read(file));
    lastCheckpoint = file;
    return this;
  }

  /**
   * Continues from a checkpoint: restores the model's parameters and buffers, the optimizer state,
   * the random stream, epoch, iteration, histories and best parameters, so that {@link #train()}
   * continues bit-for-bit as the uninterrupted run would have. The Solver's options must agree with
   * the checkpoint's on everything that shapes the trajectory ({@code numEpochs} may differ, to
   * train longer); build them with {@code checkpoint.options().toBuilder()}.
   *
   * @return this Solver
   * @throws IllegalArgumentException when options, data size or model parameters do not match
   */
  public Solver resume(Checkpoint c) {
    List<String> diffs = options.trajectoryDifferences(c.options());
    if (!diffs.isEmpty()) {
      throw new IllegalArgumentException(
          "resume: the options differ from the checkpoint's, so the run would not continue as it"
              + " was: "
              + diffs
              + " (build them with checkpoint.options().toBuilder())");
    }
    int ipe = iterationsPerEpoch();
    boolean midEpoch = c.iteration() % ipe != 0;
    if (c.epoch() != c.iteration() / ipe
        || midEpoch != (c.permutation() != null)
        || (c.permutation() != null && c.permutation().size() != data.numTrain())) {
      throw new IllegalArgumentException(
          "resume: checkpoint at epoch "
              + c.epoch()
              + ", iteration "
              + c.iteration()
              + " does not fit "
              + ipe
              + " iterations per epoch over "
              + data.numTrain()
              + " training examples (a different training set?)");
    }
    c.restoreModel(model);
    Map<String, Tensor> optimState = new LinkedHashMap<>(c.optimizerState());
    if (ema != null) {
      ema.loadStateDict(optimState, model);
      optimState.keySet().removeIf(k -> k.startsWith(Ema.PREFIX));
    }
    optimizer.loadStateDict(optimState, model.parameters());
    rng.setState(c.rngState());
    epoch = c.epoch();
    iteration = c.iteration();
    replace(lossHistory, c.lossHistory());
    replace(trainAccHistory, c.trainAccHistory());
    replace(valAccHistory, c.valAccHistory());
    bestValAcc = c.bestValAcc();
    bestParams = new LinkedHashMap<>(c.bestParameters());
    bestBuffers = new LinkedHashMap<>(c.bestBuffers());
    permutation = c.permutation() == null ? null : c.permutation().toIntArray();
    lastCheckpointIteration = iteration;
    return this;
  }

  private static void replace(List<Double> dst, List<Double> src) {
    dst.clear();
    dst.addAll(src);
  }

  private static Map<String, Tensor> copies(Map<String, Tensor> tensors) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    tensors.forEach((k, v) -> out.put(k, v.copy()));
    return out;
  }

  // ---------------------------------------------------------------- state

  /** The model being trained. */
  public Model model() {
    return model;
  }

  /** The training and validation data. */
  public Data data() {
    return data;
  }

  /** The options. */
  public SolverOptions options() {
    return options;
  }

  /** The moving average of the weights, if {@link SolverOptions#emaDecay()} is set. */
  public Optional<Ema> ema() {
    return Optional.ofNullable(ema);
  }

  /** The optimizer (its learning rate and per-parameter state). */
  public Optimizer optimizer() {
    return optimizer;
  }

  /** Epochs completed. */
  public int epoch() {
    return epoch;
  }

  /** Iterations completed. */
  public int iteration() {
    return iteration;
  }

  /** Loss of every iteration so far (read-only view). */
  public List<Double> lossHistory() {
    return Collections.unmodifiableList(lossHistory);
  }

  /** Train accuracy of every check so far (read-only view). */
  public List<Double> trainAccHistory() {
    return Collections.unmodifiableList(trainAccHistory);
  }

  /** Validation accuracy of every check so far (read-only view). */
  public List<Double> valAccHistory() {
    return Collections.unmodifiableList(valAccHistory);
  }

  /** Best validation accuracy so far, NaN before the first check. */
  public double bestValAcc() {
    return bestValAcc;
  }

  /** Copies of the parameters at the best validation accuracy, by name (empty before a check). */
  public Map<String, Tensor> bestParams() {
    return Collections.unmodifiableMap(bestParams);
  }

  /** The last checkpoint written or resumed from, if any. */
  public Optional<Path> lastCheckpoint() {
    return Optional.ofNullable(lastCheckpoint);
  }
}
