package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.handgrad.app.report.RunDirectory;
import org.handgrad.app.train.AugmentedModel;
import org.handgrad.app.train.CheckpointFiles;
import org.handgrad.app.train.DataSource;
import org.handgrad.app.train.KnnRun;
import org.handgrad.app.train.Preprocessing;
import org.handgrad.app.train.RunSpec;
import org.handgrad.app.train.TrainedModel;
import org.handgrad.app.train.TrainingData;
import org.handgrad.app.train.TrainingSession;
import org.handgrad.data.DataDirs;
import org.handgrad.data.DatasetInfo;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.data.Downloader;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.models.Models;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.optim.Checkpoint;
import org.handgrad.optim.LrSchedule;
import org.handgrad.optim.Solver;
import org.handgrad.optim.SolverListener;
import org.handgrad.optim.SolverOptions;
import org.handgrad.optim.TrainingDivergedException;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Shapes;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code ./handgrad train}: trains a model of the registry on a dataset, end to end.
 *
 * <pre>
 * ./handgrad train --model cnn --data fashion-mnist --epochs 5
 * ./handgrad train --resume runs/cnn-fashion-mnist-20240101-120000
 * </pre>
 *
 * <ol>
 *   <li>Data: found locally, else downloaded, else (offline) the built-in {@code shapes} set with a
 *       loud warning ({@link DataSource}). The last images of the training split are the validation
 *       set, as CS231n does ({@link TrainingData}).
 *   <li>Preprocessing fitted on the training split ({@link Preprocessing}): mean image for the
 *       linear and fully-connected models, per-channel normalization for the convnets. The linear
 *       models use the bias trick with an implicit ones column (the registry's choice).
 *   <li>The CS231n {@link Solver} trains, with a progress bar, per-epoch accuracy lines, a run
 *       folder ({@link RunDirectory}: config.json, metrics.jsonl, checkpoints, PNG plots) and the
 *       final test accuracy of the best parameters.
 *   <li>Ctrl-C (SIGINT, or SIGTERM) asks the Solver to stop after the current iteration and to
 *       write a checkpoint; {@code --resume} continues from it exactly.
 * </ol>
 *
 * <p>kNN is not trained by the Solver: {@code --model knn} cross-validates k on a subsample ({@link
 * KnnRun}). Exit codes: 0 done, 1 failed (I/O, data), 2 bad usage, 3 training diverged, 130
 * interrupted (checkpoint saved).
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Train a model (knn, svm, softmax, two-layer, fc, cnn, bn-cnn, vit, resnet-small, resnet18,"
          + " speedrun) on a dataset.",
      "Writes a run folder: config.json, metrics.jsonl, checkpoints/, loss.png, accuracy.png,"
          + " weights.png, confusion.png (test set), result.json.",
      "Ctrl-C stops after the current iteration and saves a checkpoint; --resume continues it.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  ./handgrad train --model softmax --epochs 5",
      "  ./handgrad train --model fc --hidden-dims 512,256 --normalization batchnorm",
      "  ./handgrad train --model cnn --data shapes --num-train 2000 --epochs 2",
      "  ./handgrad train --resume runs/cnn-fashion-mnist-20240101-120000",
      "Exit codes: 0 done, 1 failed, 2 bad usage, 3 training diverged, 130 interrupted."
    })
public final class TrainCommand implements Callable<Integer> {
  /** Exit code after a divergence. */
  public static final int DIVERGED = 3;

  /** Exit code after Ctrl-C (128 + SIGINT, the shell convention). */
  public static final int INTERRUPTED = TrainingSession.INTERRUPTED;

  @Spec CommandLine.Model.CommandSpec spec;
  @Mixin TrainOptions.ModelOptions modelOpts;
  @Mixin TrainOptions.DataOptions dataOpts;
  @Mixin TrainOptions.SolverOptions solverOpts;
  @Mixin TrainOptions.KnnOptions knnOpts;
  @Mixin TrainOptions.RunOptions runOpts;

  private final DatasetRegistry registry;
  private final Map<String, String> env;
  private final Path home;
  private final Downloader downloader;
  private final BooleanSupplier terminal;

  private PrintWriter out;
  private PrintWriter err;

  private DataLoader dataLoader = DataSource::load;
  private Consumer<Solver> beforeTraining = solver -> {};

  /** The real registry, environment, home folder and network. */
  public TrainCommand() {
    this(
        DatasetRegistry.defaults(),
        System.getenv(),
        Path.of(System.getProperty("user.home")),
        new Downloader(),
        ProgressBar::interactive);
  }

  /** For tests: a registry of test datasets, a fake environment and home, a tuned downloader. */
  TrainCommand(
      DatasetRegistry registry,
      Map<String, String> env,
      Path home,
      Downloader downloader,
      BooleanSupplier terminal) {
    this.registry = registry;
    this.env = env;
    this.home = home;
    this.downloader = downloader;
    this.terminal = terminal;
  }

  /**
   * How a run gets its dataset; the default asks the {@link DataSource}. The {@code spark} module's
   * sweeps pass a loader that reads each dataset once per executor rather than once per run.
   */
  @FunctionalInterface
  public interface DataLoader {
    /** Loads as {@link DataSource#load}. */
    DataSource.Loaded load(
        DataSource source,
        String name,
        DataSource.Policy policy,
        SyntheticShapes.Config shapesTemplate)
        throws IOException;
  }

  /** Replaces the data loader (see {@link DataLoader}); returns this command. */
  public TrainCommand dataLoader(DataLoader loader) {
    this.dataLoader = loader;
    return this;
  }

  /**
   * A hook called with the ready Solver (new or resumed) just before training starts: the {@code
   * spark} module sets a data-parallel {@link org.handgrad.optim.GradientComputation} here. An
   * {@link IllegalArgumentException} it throws is reported as a usage error (exit code 2).
   */
  public TrainCommand beforeTraining(Consumer<Solver> hook) {
    this.beforeTraining = hook;
    return this;
  }

  /**
   * Watches the test accuracy of a run, for {@code ./handgrad speedrun}: the test set is evaluated
   * at the end of every epoch with the weights being checked (the averaged ones with {@code
   * --ema}), reported and never used for a choice.
   */
  public interface TestWatch {
    /**
     * After the accuracy check at the end of an epoch.
     *
     * @param epoch epochs done, &gt;= 1
     * @param testAcc accuracy on the test split
     * @param evalSeconds time this evaluation took (not part of the recipe)
     */
    void epochTest(int epoch, double testAcc, double evalSeconds);

    /** The final test accuracy, as soon as it is known (before plots and result files). */
    void finalTest(double testAcc);
  }

  private TestWatch testWatch;

  /** Evaluates the test set after every epoch and reports to {@code watch}; returns this. */
  public TrainCommand testWatch(TestWatch watch) {
    this.testWatch = watch;
    return this;
  }

  /** A usage mistake: printed with a pointer to --help, exit code 2. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  @Override
  public Integer call() {
    out = spec.commandLine().getOut();
    err = spec.commandLine().getErr();
    // PNGs are encoded in memory: ImageIO's file cache registers a shutdown hook per stream, which
    // fails when plots are written after Ctrl-C (the JVM is already shutting down).
    ImageIO.setUseCache(false);
    try {
      checkRanges();
      return runOpts.resume != null ? resume() : trainNew();
    } catch (UsageException e) {
      err.println("error: " + e.getMessage());
      err.println("see './handgrad train --help'");
      return 2;
    } catch (TrainingDivergedException e) {
      // Expected failure of a bad configuration, not a bug: the message names the iteration, the
      // first non-finite parameter and the usual causes; a stack trace would only hide it.
      err.println();
      err.println("error: " + e.getMessage());
      return DIVERGED;
    } catch (IOException e) {
      err.println("error: " + Errors.describe(e));
      return 1;
    } catch (UncheckedIOException e) {
      err.println("error: " + Errors.describe(e));
      return 1;
    } finally {
      out.flush();
      err.flush();
    }
  }

  // ---------------------------------------------------------------- a new run

  private int trainNew() throws IOException {
    String model = modelOpts.model;
    if (model == null) {
      throw new UsageException("--model is required (or --resume CHECKPOINT); models: " + models());
    }
    if (!Models.names().contains(model)) {
      throw new UsageException("unknown model '" + model + "'; models: " + models());
    }
    DatasetInfo info =
        registry
            .find(dataOpts.data)
            .orElseThrow(
                () ->
                    new UsageException(
                        "unknown dataset '" + dataOpts.data + "'; datasets: " + registry.names()));
    DType dtype = dtype(modelOpts.dtype);
    checkPositive("--num-train", dataOpts.numTrain);
    checkPositive("--num-val", dataOpts.numVal);
    checkPositive("--num-test", dataOpts.numTest);

    DataSource source = dataSource();
    DataSource.Loaded loaded =
        dataLoader.load(
            source,
            info.name(),
            new DataSource.Policy(!dataOpts.noFetch, dataOpts.mirror, !dataOpts.noFallback),
            shapesTemplate(info));
    out.println("data: " + loaded.used() + " from " + loaded.origin());

    if (model.equals("knn")) {
      return knn(loaded, info);
    }
    int trainSize = loaded.dataset().train().size();
    int numVal;
    if (dataOpts.numVal != null) {
      numVal = dataOpts.numVal;
    } else if (loaded.shapes() != null && dataOpts.numTrain != null) {
      numVal = trainSize - dataOpts.numTrain; // generated with exactly this many extra images
    } else {
      numVal = TrainingData.defaultNumVal(trainSize);
    }
    TrainingData raw;
    try {
      raw = TrainingData.split(loaded.dataset(), dataOpts.numTrain, numVal, dataOpts.numTest);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    int[] inputShape = raw.train().exampleShape();
    Preprocessing pre = Preprocessing.fit(Preprocessing.kindFor(model), raw.train().x().to(dtype));
    AugmentedModel.Recipe augment = augmentRecipe(loaded.used(), inputShape);
    RunSpec runSpec =
        new RunSpec(
            model,
            modelArgs(model, inputShape, raw.train().numClasses(), dtype),
            info.name(),
            loaded.used(),
            loaded.shapes(),
            raw.train().size(),
            raw.val().size(),
            raw.train().classNames(),
            inputShape,
            dtype,
            pre,
            augment,
            modelOpts.seed);
    Model net;
    SolverOptions options;
    try {
      net = runSpec.buildModel();
      options = solverOptions(runSpec, raw.train().size());
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    TrainingData data = raw.prepared(dtype, pre);
    String name = runOpts.name != null ? runOpts.name : model + "-" + loaded.used();
    RunDirectory run;
    try {
      run = RunDirectory.create(runOpts.runDir, name);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--name: " + e.getMessage());
    }
    options = options.toBuilder().checkpointDir(run.checkpointsDir()).build();
    run.writeConfig(config(runSpec, options, loaded));
    Solver solver =
        new Solver(
            net,
            new Solver.Data(data.train().x(), data.train().y(), data.val().x(), data.val().y()),
            options);
    return train(solver, run, runSpec, data, loaded);
  }

  private int knn(DataSource.Loaded loaded, DatasetInfo info) throws IOException {
    List<Integer> ks =
        knnOpts.kChoices != null ? knnOpts.kChoices : List.of(1, 3, 5, 8, 10, 12, 15, 20, 50, 100);
    int numTrain = dataOpts.numTrain != null ? dataOpts.numTrain : KnnRun.DEFAULT_NUM_TRAIN;
    int numTest = dataOpts.numTest != null ? dataOpts.numTest : KnnRun.DEFAULT_NUM_TEST;
    String name = runOpts.name != null ? runOpts.name : "knn-" + loaded.used();
    KnnRun.Settings settings;
    RunDirectory run;
    try {
      settings =
          new KnnRun.Settings(
              ks.stream().mapToInt(Integer::intValue).toArray(),
              knnOpts.folds,
              Math.min(numTrain, loaded.dataset().train().size()),
              Math.min(numTest, loaded.dataset().test().size()));
      run = RunDirectory.create(runOpts.runDir, name);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    return new KnnRun(out, err).run(loaded, info.name(), settings, run);
  }

  // ---------------------------------------------------------------- resuming

  /** Options that would change a resumed run's trajectory: they come from the checkpoint. */
  private static final List<String> FIXED_BY_CHECKPOINT =
      List.of(
          "--model",
          "--hidden-dims",
          "--normalization",
          "--dropout",
          "--reg",
          "--weight-scale",
          "--tta",
          "--set",
          "--dtype",
          "--seed",
          "--data",
          "--num-train",
          "--num-val",
          "--augment",
          "--crop-pad",
          "--no-flip",
          "--random-erasing",
          "--label-smoothing",
          "--ema",
          "--batch-size",
          "--optimizer",
          "--lr",
          "--lr-decay",
          "--schedule",
          "--warmup",
          "--pct-start",
          "--div-factor",
          "--final-div-factor",
          "--momentum",
          "--weight-decay",
          "--grad-clip",
          "--num-train-samples",
          "--name");

  private int resume() throws IOException {
    List<String> conflicting = new ArrayList<>();
    for (String o : FIXED_BY_CHECKPOINT) {
      if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
        conflicting.add(o);
      }
    }
    if (!conflicting.isEmpty()) {
      throw new UsageException(
          String.join(", ", conflicting)
              + (conflicting.size() == 1 ? " is" : " are")
              + " fixed by the checkpoint when resuming (a resumed run continues the same"
              + " trajectory); only --epochs (to train longer), --data-dir, --num-test, --run-dir,"
              + " --checkpoint-every, --keep-checkpoints and --log-every may be given");
    }
    Path file = CheckpointFiles.resolve(runOpts.resume);
    Checkpoint checkpoint = Checkpoint.read(file);
    RunSpec runSpec;
    try {
      runSpec = RunSpec.fromMap(checkpoint.options().modelConfig());
    } catch (IllegalArgumentException e) {
      throw new IOException(file + " was not written by './handgrad train': " + e.getMessage(), e);
    }
    if (spec.commandLine().getParseResult().hasMatchedOption("--epochs")) {
      int perEpoch = Math.max(runSpec.numTrain() / checkpoint.options().batchSize(), 1);
      int target =
          totalIterations(solverOpts.epochs, runSpec.numTrain(), checkpoint.options().batchSize());
      if (target < checkpoint.iteration()) {
        throw new UsageException(
            "--epochs "
                + solverOpts.epochs
                + " is fewer than the run has done: "
                + file
                + " is at epoch "
                + checkpoint.epoch()
                + ", iteration "
                + checkpoint.iteration()
                + " (of "
                + target
                + " for "
                + solverOpts.epochs
                + " epochs); give --epochs "
                + Math.max(1, (checkpoint.iteration() + perEpoch - 1) / perEpoch)
                + " or more to train longer, or omit it to finish the planned epochs");
      }
    }
    DataSource.Loaded loaded = loadForSpec(runSpec);
    TrainingData data =
        TrainingData.split(loaded.dataset(), runSpec.numTrain(), runSpec.numVal(), dataOpts.numTest)
            .prepared(runSpec.dtype(), runSpec.preprocessing());
    Path runFolder = CheckpointFiles.runFolderOf(file);
    RunDirectory run =
        runFolder != null
            ? RunDirectory.open(runFolder)
            : RunDirectory.create(runOpts.runDir, runSpec.model() + "-" + runSpec.dataset());
    SolverOptions.Builder b =
        checkpoint.options().toBuilder().checkpointDir(run.checkpointsDir()).verbose(false);
    b.checkpointEvery(runOpts.checkpointEvery);
    if (spec.commandLine().getParseResult().hasMatchedOption("--epochs")) {
      b.numEpochs(solverOpts.epochs);
    }
    SolverOptions options = b.build();
    if (runFolder == null) {
      run.writeConfig(config(runSpec, options, loaded));
    }
    Solver solver =
        new Solver(
            runSpec.buildModel(),
            new Solver.Data(data.train().x(), data.train().y(), data.val().x(), data.val().y()),
            options);
    try {
      solver.resume(file);
    } catch (IllegalArgumentException e) {
      throw new IOException("cannot resume from " + file + ": " + e.getMessage(), e);
    }
    out.println(
        "resuming "
            + file
            + " (epoch "
            + checkpoint.epoch()
            + ", iteration "
            + checkpoint.iteration()
            + ")");
    return train(solver, run, runSpec, data, loaded);
  }

  /** The data a run spec was trained on: regenerated shapes, or the dataset (no fallback). */
  private DataSource.Loaded loadForSpec(RunSpec s) throws IOException {
    if (s.shapes() != null) {
      return new DataSource.Loaded(
          SyntheticShapes.generate(s.shapes()), s.requestedDataset(), s.shapes(), "generated");
    }
    return dataLoader.load(
        dataSource(),
        s.dataset(),
        new DataSource.Policy(!dataOpts.noFetch, dataOpts.mirror, false),
        SyntheticShapes.Config.cifarLike(0));
  }

  // ---------------------------------------------------------------- training

  private int train(
      Solver solver, RunDirectory run, RunSpec runSpec, TrainingData data, DataSource.Loaded loaded)
      throws IOException {
    try {
      beforeTraining.accept(solver);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    TrainingSession session = new TrainingSession(out, err, terminal.getAsBoolean());
    if (testWatch != null) {
      TestWatch watch = testWatch;
      int perEpoch = solver.iterationsPerEpoch();
      solver.addListener(
          new SolverListener() {
            @Override
            public void accuracyChecked(Accuracy acc) {
              if (acc.iteration() == 0 || acc.iteration() % perEpoch != 0) {
                return; // the check after the first iteration is not an epoch end
              }
              long start = System.nanoTime();
              int[] pred = TrainedModel.predict(solver.model(), data.test().x(), 256);
              double testAcc = Metrics.accuracy(data.test().y(), pred);
              watch.epochTest(acc.epoch(), testAcc, (System.nanoTime() - start) * 1e-9);
            }
          });
      session.onTestAccuracy(watch::finalTest);
    }
    return session.run(
        solver,
        run,
        runSpec,
        data,
        loaded,
        runOpts.keepCheckpoints,
        runOpts.logEvery,
        runOpts.stopOnDivergence);
  }

  // ---------------------------------------------------------------- building blocks

  private DataSource dataSource() {
    return new DataSource(
        registry, DataDirs.resolve(dataOpts.dataDir, env, home), downloader, err, terminal);
  }

  /** Sizes of a generated shapes dataset: enough for the requested split, else full size. */
  private SyntheticShapes.Config shapesTemplate(DatasetInfo info) {
    int[] cs = DataSource.imageShape(info);
    int fullTrain = cs[0] == 1 ? 60_000 : 50_000;
    int train = fullTrain;
    if (dataOpts.numTrain != null) {
      int val =
          dataOpts.numVal != null
              ? dataOpts.numVal
              : TrainingData.defaultNumVal(dataOpts.numTrain * 10 / 9 + 1);
      train = dataOpts.numTrain + val;
    }
    int test = dataOpts.numTest != null ? dataOpts.numTest : 10_000;
    return new SyntheticShapes.Config(train, test, cs[0], cs[1], 0);
  }

  /** What training batches go through: crops and flips, random erasing, label smoothing. */
  private AugmentedModel.Recipe augmentRecipe(String dataset, int[] inputShape) {
    double erasing = dataOpts.randomErasing != null ? dataOpts.randomErasing : 0;
    double smoothing = solverOpts.labelSmoothing != null ? solverOpts.labelSmoothing : 0;
    if (!dataOpts.augment && (dataOpts.cropPad != null || dataOpts.noFlip)) {
      throw new UsageException("--crop-pad and --no-flip need --augment");
    }
    if (!dataOpts.augment && erasing == 0 && smoothing == 0) {
      return null;
    }
    AugmentedModel.Recipe r = AugmentedModel.Recipe.forDataset(dataset, inputShape);
    int pad = !dataOpts.augment ? 0 : dataOpts.cropPad != null ? dataOpts.cropPad : r.cropPad();
    boolean flip = dataOpts.augment && r.hflip() && !dataOpts.noFlip;
    try {
      return new AugmentedModel.Recipe(pad, flip, erasing, smoothing);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /** The registry config: data-given keys, then the options given, then --set. */
  private Map<String, String> modelArgs(String model, int[] inputShape, int classes, DType dtype) {
    Map<String, String> args = new LinkedHashMap<>();
    args.put("input_shape", inputShape[0] + "," + inputShape[1] + "," + inputShape[2]);
    args.put("num_classes", Integer.toString(classes));
    args.put("dtype", dtype.numpyName());
    args.put("seed", Long.toString(modelOpts.seed));
    if (modelOpts.hiddenDims != null) {
      List<Integer> h = modelOpts.hiddenDims;
      if (model.equals("fc")) {
        args.put("hidden_dims", join(h));
      } else if (h.size() == 1) {
        args.put("hidden_dim", Integer.toString(h.get(0)));
      } else {
        throw new UsageException(
            "--hidden-dims: " + model + " has one hidden layer, got " + h.size() + " sizes");
      }
    }
    put(args, "normalization", modelOpts.normalization);
    put(args, "dropout", modelOpts.dropout);
    put(args, "reg", modelOpts.reg);
    put(args, "weight_scale", modelOpts.weightScale);
    put(args, "tta", modelOpts.tta);
    args.putAll(modelOpts.set);
    Map<String, String> checked = new LinkedHashMap<>(args);
    List<String> unknown = new ArrayList<>();
    for (String k : args.keySet()) {
      if (!Models.keys(model).contains(k)) {
        unknown.add(k);
      }
    }
    if (!unknown.isEmpty()) {
      throw new UsageException(
          "model "
              + model
              + " has no setting "
              + unknown.stream().map(TrainCommand::optionFor).toList()
              + "; its settings: "
              + Models.keys(model));
    }
    return checked;
  }

  /** The option that sets a registry key, for messages. */
  private static String optionFor(String key) {
    return switch (key) {
      case "hidden_dim", "hidden_dims" -> "--hidden-dims";
      case "weight_scale" -> "--weight-scale";
      case "normalization", "dropout", "reg", "tta" -> "--" + key;
      default -> "--set " + key;
    };
  }

  private SolverOptions solverOptions(RunSpec runSpec, int numTrain) {
    Map<String, Number> optim = new LinkedHashMap<>();
    if (solverOpts.lr != null) {
      optim.put("learning_rate", solverOpts.lr);
    }
    if (solverOpts.momentum != null) {
      optim.put("momentum", solverOpts.momentum);
    }
    if (solverOpts.weightDecay != null) {
      optim.put("weight_decay", solverOpts.weightDecay);
    }
    SolverOptions.Builder b =
        SolverOptions.builder()
            .updateRule(solverOpts.optimizer, optim)
            .batchSize(solverOpts.batchSize)
            .numEpochs(solverOpts.epochs)
            .numTrainSamples(solverOpts.numTrainSamples)
            .verbose(false)
            .checkpointName(runSpec.model())
            .checkpointEvery(runOpts.checkpointEvery)
            .gradClipNorm(solverOpts.gradClip)
            .emaDecay(solverOpts.ema != null ? solverOpts.ema : 0)
            .seed(runSpec.seed())
            .model(runSpec.model(), runSpec.toMap());
    int total = totalIterations(solverOpts.epochs, numTrain, solverOpts.batchSize);
    double baseLr = b.build().updateRule().learningRate();
    LrSchedule schedule = null;
    if (solverOpts.schedule != null && solverOpts.schedule.equals("onecycle")) {
      if (solverOpts.warmup > 0) {
        throw new UsageException("--warmup does not go with --schedule onecycle (it warms up)");
      }
      try {
        schedule =
            new LrSchedule.OneCycle(
                baseLr,
                Math.max(2, total),
                solverOpts.pctStart,
                solverOpts.divFactor,
                solverOpts.finalDivFactor,
                true);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--schedule onecycle: " + e.getMessage());
      }
    } else if (solverOpts.schedule != null) {
      if (!solverOpts.schedule.equals("cosine")) {
        throw new UsageException(
            "--schedule must be cosine or onecycle, got '" + solverOpts.schedule + "'");
      }
      schedule = new LrSchedule.Cosine(baseLr, 0.0, Math.max(1, total - solverOpts.warmup));
    }
    if (solverOpts.warmup > 0) {
      schedule =
          new LrSchedule.WarmUp(
              solverOpts.warmup,
              1.0 / solverOpts.warmup,
              schedule != null ? schedule : new LrSchedule.Constant(baseLr));
    }
    if (schedule != null) {
      b.lrSchedule(schedule);
    }
    b.lrDecay(solverOpts.lrDecay);
    return b.build();
  }

  private Map<String, Object> config(
      RunSpec runSpec, SolverOptions options, DataSource.Loaded loaded) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("command", "train");
    c.put("args", List.copyOf(spec.commandLine().getParseResult().originalArgs()));
    c.put("model", runSpec.model());
    c.put("dataset", runSpec.dataset());
    c.put("requested_dataset", runSpec.requestedDataset());
    c.put("fell_back", loaded.fellBack());
    c.put("data_origin", loaded.origin());
    c.put("input_shape", Shapes.str(runSpec.inputShape()));
    Map<String, Object> solver = options.toMap();
    // The run spec (with the fitted preprocessing) is stored in full in every checkpoint; here a
    // readable summary is enough.
    Map<String, Object> specMap = runSpec.toMap();
    Map<String, Object> pre = new LinkedHashMap<>();
    pre.put("kind", runSpec.preprocessing().kind().key());
    specMap.put("preprocessing", pre);
    solver.put("model_config", specMap);
    c.put("solver", solver);
    c.put("java", System.getProperty("java.version"));
    c.put("cores", Runtime.getRuntime().availableProcessors());
    return c;
  }

  // ---------------------------------------------------------------- small helpers

  private static DType dtype(String name) {
    try {
      return RunSpec.dtypeOf(name);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--dtype " + e.getMessage().replace("dtype ", ""));
    }
  }

  /**
   * Checks the range of every numeric option before anything is loaded or created, so a mistake
   * never leaves a half-made run folder behind (issue 14).
   */
  private void checkRanges() {
    atLeast("--epochs", solverOpts.epochs, 1);
    atLeast("--batch-size", solverOpts.batchSize, 1);
    atLeast("--warmup", solverOpts.warmup, 0);
    atLeast("--num-train-samples", solverOpts.numTrainSamples, 1);
    atLeast("--checkpoint-every", runOpts.checkpointEvery, 0);
    atLeast("--keep-checkpoints", runOpts.keepCheckpoints, 1);
    atLeast("--log-every", runOpts.logEvery, 1);
    atLeast("--folds", knnOpts.folds, 2);
    if (solverOpts.lr != null && !(solverOpts.lr > 0 && Double.isFinite(solverOpts.lr))) {
      throw new UsageException("--lr must be a finite number > 0, got " + solverOpts.lr);
    }
    if (!(solverOpts.lrDecay > 0 && Double.isFinite(solverOpts.lrDecay))) {
      throw new UsageException(
          "--lr-decay must be a finite number > 0 (1 = no decay), got " + solverOpts.lrDecay);
    }
    if (solverOpts.ema != null && !(solverOpts.ema > 0 && solverOpts.ema < 1)) {
      throw new UsageException("--ema must be in (0, 1), e.g. 0.999, got " + solverOpts.ema);
    }
    if (solverOpts.labelSmoothing != null
        && !(solverOpts.labelSmoothing >= 0 && solverOpts.labelSmoothing <= 1)) {
      throw new UsageException(
          "--label-smoothing must be in [0, 1], e.g. 0.1, got " + solverOpts.labelSmoothing);
    }
    if (dataOpts.randomErasing != null
        && !(dataOpts.randomErasing >= 0 && dataOpts.randomErasing <= 1)) {
      throw new UsageException(
          "--random-erasing must be a probability in [0, 1], got " + dataOpts.randomErasing);
    }
    if (!(solverOpts.gradClip >= 0 && Double.isFinite(solverOpts.gradClip))) {
      throw new UsageException(
          "--grad-clip must be a finite number >= 0 (0 = off), got " + solverOpts.gradClip);
    }
  }

  private static void atLeast(String option, int v, int min) {
    if (v < min) {
      throw new UsageException(option + " must be >= " + min + ", got " + v);
    }
  }

  /**
   * The run's iteration count, or a usage error when {@code --epochs} times the iterations per
   * epoch does not fit an int.
   */
  private static int totalIterations(int epochs, int numTrain, int batchSize) {
    int perEpoch = Math.max(numTrain / batchSize, 1);
    try {
      return Math.multiplyExact(epochs, perEpoch);
    } catch (ArithmeticException e) {
      throw new UsageException(
          "--epochs "
              + epochs
              + " x "
              + perEpoch
              + " iterations per epoch ("
              + numTrain
              + " training images / --batch-size "
              + batchSize
              + ") exceeds "
              + Integer.MAX_VALUE
              + " iterations: lower --epochs or raise --batch-size");
    }
  }

  private static void checkPositive(String option, Integer v) {
    if (v != null && v <= 0) {
      throw new UsageException(option + " must be > 0, got " + v);
    }
  }

  private static void put(Map<String, String> m, String key, Object v) {
    if (v != null) {
      m.put(key, v.toString());
    }
  }

  private static String join(List<Integer> values) {
    StringBuilder sb = new StringBuilder();
    for (int v : values) {
      sb.append(sb.length() == 0 ? "" : ",").append(v);
    }
    return sb.toString();
  }

  private static String models() {
    return String.join(", ", Models.names());
  }
}
