package org.handgrad.app.ssl;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.handgrad.app.ProgressBar;
import org.handgrad.app.report.HtmlReport;
import org.handgrad.app.report.MetricsLog;
import org.handgrad.app.report.RunDirectory;
import org.handgrad.data.Dataset;
import org.handgrad.data.Split;
import org.handgrad.data.ViewPipeline;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.handgrad.models.ssl.KnnMonitor;
import org.handgrad.models.ssl.simclr.SimClr;
import org.handgrad.optim.Adam;
import org.handgrad.optim.LrSchedule;
import org.handgrad.optim.Optimizer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * SimCLR pre-training without labels: each step draws N images, makes two views of each with {@link
 * ViewPipeline#simclr}, takes one Adam step on the NT-Xent loss; after every {@code knnEvery}
 * epochs the weighted kNN monitor classifies a test subset from a training subset's features (the
 * only use of labels). A run folder holds config.json, metrics.jsonl (a "step" line every logEvery
 * steps, an "epoch" line per epoch), knn.png, the checkpoint, result.json and report.html.
 *
 * <p>Reproducibility: the shuffled order of epoch e and the views of step s come from generators
 * seeded by hashes of (seed, e) and (seed, e, s), so a resumed run draws what the uninterrupted run
 * would have. Ctrl-C or SIGTERM stops after the current step and saves a checkpoint (exit 130).
 */
public final class SimClrTraining {
  /** Exit code of an interrupted run (128 + SIGINT), as {@code train}. */
  public static final int INTERRUPTED = 130;

  private static final String ERR_PREFIX = "ssl train: ";

  /**
   * Options of a run.
   *
   * @param data data set name
   * @param dataDir data folder or null
   * @param numTrain training images or null for all
   * @param numTest test images or null for all
   * @param epochs epochs, &gt;= 1
   * @param batchSize images per step (2x views), &gt;= 2
   * @param temperature NT-Xent tau, &gt; 0
   * @param learningRate Adam's learning rate (the peak rate under {@code cosine})
   * @param schedule {@code constant}, or {@code cosine}: a linear warm-up from 1% of the rate over
   *     {@code warmupEpochs} epochs, then a half cosine down to 0 at the end of the last epoch
   *     (SimCLR's schedule, Chen et al. 2020, section B.1)
   * @param warmupEpochs epochs of warm-up under {@code cosine}, in [0, epochs)
   * @param minScale smallest crop area fraction
   * @param blur SimCLR's Gaussian blur on
   * @param widths encoder stage widths
   * @param projectionDim head output size (the hidden layer has the encoder's width)
   * @param knnEvery epochs between kNN evaluations, 0 for none
   * @param knnBank training images of the kNN bank
   * @param knnQueries test images classified by the kNN monitor
   * @param seed seeds weights, order and views
   * @param logEvery steps per metrics line
   */
  public record Options(
      String data,
      Path dataDir,
      Integer numTrain,
      Integer numTest,
      int epochs,
      int batchSize,
      double temperature,
      double learningRate,
      String schedule,
      int warmupEpochs,
      double minScale,
      boolean blur,
      int[] widths,
      int projectionDim,
      int knnEvery,
      int knnBank,
      int knnQueries,
      long seed,
      int logEvery) {
    /** Validates the counts (the model and pipeline validate their own fields). */
    public Options {
      widths = widths.clone();
      if (epochs < 1) {
        throw new IllegalArgumentException(ERR_PREFIX + "--epochs must be >= 1, got " + epochs);
      }
      if (batchSize < 2) {
        throw new IllegalArgumentException(
            ERR_PREFIX
                + "--batch-size must be >= 2 (NT-Xent needs other images), got "
                + batchSize);
      }
      if (!(temperature > 0) || Double.isInfinite(temperature)) {
        throw new IllegalArgumentException(
            ERR_PREFIX + "--temperature must be positive, got " + temperature);
      }
      if (!(learningRate > 0)) {
        throw new IllegalArgumentException(
            ERR_PREFIX + "--lr must be positive, got " + learningRate);
      }
      if (!"constant".equals(schedule) && !"cosine".equals(schedule)) {
        throw new IllegalArgumentException(
            ERR_PREFIX + "--schedule must be constant or cosine, got '" + schedule + "'");
      }
      if (warmupEpochs < 0 || warmupEpochs >= epochs) {
        throw new IllegalArgumentException(
            ERR_PREFIX
                + "--warmup-epochs must be in [0, --epochs), got "
                + warmupEpochs
                + " with "
                + epochs
                + " epochs");
      }
      if (knnEvery < 0 || knnBank < 1 || knnQueries < 1 || logEvery < 1) {
        throw new IllegalArgumentException(
            ERR_PREFIX + "--knn-every >= 0, --knn-bank, --knn-queries and --log-every >= 1");
      }
    }

    /** Encoder widths (a copy). */
    @Override
    public int[] widths() {
      return widths.clone();
    }

    /** The options as JSON values (config.json). */
    Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("method", "simclr");
      m.put("data", data);
      m.put("num_train", numTrain);
      m.put("num_test", numTest);
      m.put("epochs", epochs);
      m.put("batch_size", batchSize);
      m.put("temperature", temperature);
      m.put("lr", learningRate);
      m.put("schedule", schedule);
      m.put("warmup_epochs", warmupEpochs);
      m.put("min_scale", minScale);
      m.put("blur", blur);
      List<Integer> w = new ArrayList<>();
      for (int v : widths) {
        w.add(v);
      }
      m.put("widths", w);
      m.put("projection_dim", projectionDim);
      m.put("knn_every", knnEvery);
      m.put("knn_bank", knnBank);
      m.put("knn_queries", knnQueries);
      m.put("seed", seed);
      m.put("log_every", logEvery);
      return m;
    }

    /** Options from config.json (resume). */
    static Options fromJson(Map<?, ?> m, Path dataDir) {
      List<?> w = (List<?>) m.get("widths");
      int[] widths = new int[w.size()];
      for (int i = 0; i < widths.length; i++) {
        widths[i] = ((Number) w.get(i)).intValue();
      }
      return new Options(
          (String) m.get("data"),
          dataDir,
          m.get("num_train") == null ? null : ((Number) m.get("num_train")).intValue(),
          m.get("num_test") == null ? null : ((Number) m.get("num_test")).intValue(),
          ((Number) m.get("epochs")).intValue(),
          ((Number) m.get("batch_size")).intValue(),
          ((Number) m.get("temperature")).doubleValue(),
          ((Number) m.get("lr")).doubleValue(),
          // runs saved before schedules existed trained at a constant rate
          m.containsKey("schedule") ? (String) m.get("schedule") : "constant",
          m.containsKey("warmup_epochs") ? ((Number) m.get("warmup_epochs")).intValue() : 0,
          ((Number) m.get("min_scale")).doubleValue(),
          (Boolean) m.get("blur"),
          widths,
          ((Number) m.get("projection_dim")).intValue(),
          ((Number) m.get("knn_every")).intValue(),
          ((Number) m.get("knn_bank")).intValue(),
          ((Number) m.get("knn_queries")).intValue(),
          ((Number) m.get("seed")).longValue(),
          ((Number) m.get("log_every")).intValue());
    }

    /** The model these options describe for images of shape (C, H, W). */
    SimClr.Config modelConfig(int[] imageShape) {
      int[] blocks = new int[widths.length];
      Arrays.fill(blocks, 1);
      int f = widths[widths.length - 1];
      return new SimClr.Config(imageShape, widths, blocks, f, projectionDim, DType.FLOAT32, seed);
    }

    /**
     * The learning rate as a function of the step count, for {@code stepsPerEpoch} steps an epoch.
     */
    LrSchedule lrSchedule(int stepsPerEpoch) {
      if ("constant".equals(schedule)) {
        return new LrSchedule.Constant(learningRate);
      }
      int total = epochs * stepsPerEpoch;
      int warm = warmupEpochs * stepsPerEpoch;
      LrSchedule cosine = new LrSchedule.Cosine(learningRate, 0.0, total - warm);
      return warm == 0 ? cosine : new LrSchedule.WarmUp(warm, 0.01, cosine);
    }

    /** The view generator of these options. */
    ViewPipeline pipeline(int size) {
      ViewPipeline p = ViewPipeline.simclr(size, minScale);
      return blur ? p.withBlur() : p;
    }
  }

  private final Options options;
  private final PrintWriter out;
  private final PrintWriter err;

  /**
   * @param options the run's options
   * @param out results
   * @param err progress and messages
   */
  public SimClrTraining(Options options, PrintWriter out, PrintWriter err) {
    this.options = options;
    this.out = out;
    this.err = err;
  }

  /** Reads the options saved in a run folder. */
  public static Options savedOptions(Path run, Path dataDir) throws IOException {
    Map<?, ?> m =
        (Map<?, ?>) Json.parse(java.nio.file.Files.readString(run.resolve("config.json")));
    return Options.fromJson(m, dataDir);
  }

  /**
   * Trains in a new run folder under runsRoot.
   *
   * @return the exit code: 0 done, 130 interrupted
   */
  public int start(Path runsRoot) throws IOException {
    Dataset data = load();
    RunDirectory run = RunDirectory.create(runsRoot, "simclr-" + options.data());
    run.writeConfig(options.toJson());
    SimClr model = new SimClr(options.modelConfig(data.train().exampleShape()));
    Optimizer opt = new Optimizer(new Adam().withLearningRate(options.learningRate()));
    err.println("run folder: " + run.path());
    return train(run, data, model, opt, 0, 0);
  }

  /**
   * Continues the run in its folder from its checkpoint.
   *
   * @return the exit code: 0 done, 130 interrupted
   */
  public int resume(Path runDir) throws IOException {
    SimClrCheckpoint.Loaded c = SimClrCheckpoint.load(runDir);
    Dataset data = load();
    Optimizer opt = new Optimizer(new Adam().withLearningRate(options.learningRate()));
    opt.loadStateDict(c.optimizerState(), c.model().parameters());
    err.println("resuming " + runDir + " at epoch " + c.epoch() + ", step " + c.step());
    return train(RunDirectory.open(runDir), data, c.model(), opt, c.epoch(), c.step());
  }

  /**
   * Steady-state throughput: warm-up steps, then timed steps on the first images, without a run
   * folder.
   *
   * @param steps timed steps, &gt;= 1
   * @return the median images per second (each image is two views)
   */
  public double bench(int steps) throws IOException {
    Dataset data = load();
    Split train = data.train();
    SimClr model = new SimClr(options.modelConfig(train.exampleShape()));
    Optimizer opt = new Optimizer(new Adam().withLearningRate(options.learningRate()));
    ViewPipeline views = options.pipeline(train.exampleShape()[1]);
    int b = Math.min(options.batchSize(), train.size());
    Tensor x = train.x().slice(0, 0, b).contiguous();
    double[] rates = new double[steps];
    for (int s = -2; s < steps; s++) {
      long t0 = System.nanoTime();
      Tensor v = views.twoViews(x, new SplittableRandom(mix(options.seed(), 0, s + 2)));
      model.trainStep(v, options.temperature());
      opt.step(model.parameters());
      double sec = (System.nanoTime() - t0) / 1e9;
      if (s >= 0) {
        rates[s] = b / sec;
        err.printf(Locale.ROOT, "step %d: %.1f img/s%n", s + 1, rates[s]);
        err.flush();
      }
    }
    Arrays.sort(rates);
    double median =
        steps % 2 == 1 ? rates[steps / 2] : 0.5 * (rates[steps / 2 - 1] + rates[steps / 2]);
    out.printf(
        Locale.ROOT,
        "simclr bench: batch %d (%d views of %s), widths %s: median %.1f img/s over %d steps"
            + " (augmentation, forward, backward, Adam; %d threads)%n",
        b,
        2 * b,
        Arrays.toString(train.exampleShape()),
        Arrays.toString(options.widths()),
        median,
        steps,
        org.handgrad.kernels.Parallel.threads());
    out.flush();
    return median;
  }

  private Dataset load() throws IOException {
    return SslData.load(
        options.data(), options.dataDir(), options.numTrain(), options.numTest(), options.seed());
  }

  private int train(
      RunDirectory run, Dataset data, SimClr model, Optimizer opt, int startEpoch, int startStep)
      throws IOException {
    Split train = data.train();
    Split test = data.test();
    int n = train.size();
    int b = Math.min(options.batchSize(), n);
    if (b < 2) {
      throw new IllegalArgumentException(ERR_PREFIX + "need at least 2 training images, got " + n);
    }
    int steps = n / b; // the last partial batch is dropped, as SimCLR's drop_last
    ViewPipeline views = options.pipeline(train.exampleShape()[1]);
    LrSchedule lr = options.lrSchedule(steps);
    Split bank = train.range(0, Math.min(options.knnBank(), n));
    Split queries = test.range(0, Math.min(options.knnQueries(), test.size()));
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              stop.set(true);
              err.println();
              err.println("interrupted: stopping after this step, saving a checkpoint...");
              err.flush();
              try {
                finished.await(2, TimeUnit.MINUTES);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "handgrad-ssl-interrupt");
    Runtime.getRuntime().addShutdownHook(hook);
    List<Double> knnEpochs = new ArrayList<>();
    List<Double> knnAcc = new ArrayList<>();
    readKnnHistory(run, knnEpochs, knnAcc);
    long t0 = System.nanoTime();
    long stepTime = 0; // nanoseconds spent in training steps only, for the img/s figure
    long imagesDone = 0;
    try (MetricsLog log = new MetricsLog(run.metricsFile(), 1)) {
      if (startEpoch == 0 && startStep == 0 && options.knnEvery() > 0) {
        // The model has no BatchNorm statistics before its first step: evaluate its twin (same
        // seed, same weights) with PyTorch's initial ones.
        double acc = knn(SimClr.untrained(model.config()), bank, queries);
        knnEpochs.add(0.0);
        knnAcc.add(acc);
        log.note(Map.of("event", "knn", "epoch", 0, "knn_acc", acc));
        err.printf(Locale.ROOT, "epoch 0 (random init): kNN accuracy %.4f%n", acc);
      }
      for (int epoch = startEpoch; epoch < options.epochs(); epoch++) {
        int[] order = permutation(n, new SplittableRandom(mix(options.seed(), epoch, -1)));
        ProgressBar bar =
            ProgressBar.onStderr(
                String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, options.epochs()),
                ProgressBar.Unit.ITEMS);
        double lossSum = 0;
        int lossCount = 0;
        int first = epoch == startEpoch ? startStep : 0;
        for (int step = first; step < steps; step++) {
          if (stop.get()) {
            bar.finish();
            SimClrCheckpoint.save(run.path(), model, opt, epoch, step);
            log.note(Map.of("event", "interrupted", "epoch", epoch, "step", step));
            err.println(
                "checkpoint saved; continue with: ./handgrad ssl train --resume " + run.path());
            err.flush();
            return INTERRUPTED;
          }
          long s0 = System.nanoTime();
          Tensor x = train.x().take(0, Arrays.copyOfRange(order, step * b, step * b + b));
          Tensor v = views.twoViews(x, new SplittableRandom(mix(options.seed(), epoch, step)));
          opt.setLearningRate(lr.lr(epoch * steps + step));
          double loss = model.trainStep(v, options.temperature());
          opt.step(model.parameters());
          if (!Double.isFinite(loss)) {
            throw new IllegalStateException(
                ERR_PREFIX
                    + "the loss is "
                    + loss
                    + " at epoch "
                    + (epoch + 1)
                    + ", step "
                    + step
                    + "; try a smaller --lr");
          }
          lossSum += loss;
          lossCount++;
          imagesDone += b;
          stepTime += System.nanoTime() - s0;
          double rate = imagesDone / (stepTime / 1e9);
          bar.status(String.format(Locale.ROOT, "loss %.4f  %.1f img/s", loss, rate));
          bar.update(step + 1, steps);
          if ((step + 1) % options.logEvery() == 0) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("event", "step");
            line.put("epoch", epoch);
            line.put("step", step + 1);
            line.put("loss", loss);
            line.put("lr", opt.learningRate());
            line.put("img_per_s", rate);
            log.note(line);
          }
        }
        bar.finish();
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", "epoch");
        line.put("epoch", epoch + 1);
        line.put("loss", lossCount == 0 ? 0.0 : lossSum / lossCount);
        line.put("seconds", (System.nanoTime() - t0) / 1e9);
        if (options.knnEvery() > 0
            && ((epoch + 1) % options.knnEvery() == 0 || epoch + 1 == options.epochs())) {
          double acc = knn(model, bank, queries);
          knnEpochs.add((double) (epoch + 1));
          knnAcc.add(acc);
          line.put("knn_acc", acc);
          err.printf(
              Locale.ROOT,
              "epoch %d: loss %.4f, kNN accuracy %.4f (%d queries, bank %d)%n",
              epoch + 1,
              lossCount == 0 ? 0.0 : lossSum / lossCount,
              acc,
              queries.size(),
              bank.size());
          SslCharts.knnCurve(
              knnEpochs, knnAcc, "SimCLR kNN monitor (k = 200, T = 0.1)", run.file("knn.png"));
        }
        log.note(line);
        SimClrCheckpoint.save(run.path(), model, opt, epoch + 1, 0);
      }
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("method", "simclr");
      result.put("epochs", options.epochs());
      result.put("knn_acc", knnAcc.isEmpty() ? null : knnAcc.get(knnAcc.size() - 1));
      result.put("train_seconds_this_session", (System.nanoTime() - t0) / 1e9);
      AtomicFiles.write(
          run.file("result.json"),
          (Json.writePretty(result) + "\n").getBytes(StandardCharsets.UTF_8));
      HtmlReport.write(run.path());
      out.println("done: " + run.path());
      out.println(
          "next: ./handgrad ssl probe --checkpoint "
              + run.path()
              + "   (then --baseline random|pixels)");
      out.flush();
      return 0;
    } finally {
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is exiting: the hook is running and waits for the latch released above
      }
    }
  }

  private static void readKnnHistory(RunDirectory run, List<Double> epochs, List<Double> acc)
      throws IOException {
    if (!java.nio.file.Files.isRegularFile(run.metricsFile())) {
      return;
    }
    for (Map<String, Object> m : MetricsLog.read(run.metricsFile())) {
      Object a = m.get("knn_acc");
      if (a instanceof Number num) {
        epochs.add(((Number) m.get("epoch")).doubleValue());
        acc.add(num.doubleValue());
      }
    }
  }

  private double knn(SimClr model, Split bank, Split queries) {
    return KnnMonitor.accuracy(
        model,
        bank.x(),
        bank.y(),
        queries.x(),
        queries.y(),
        bank.numClasses(),
        KnnMonitor.DEFAULT_K,
        KnnMonitor.DEFAULT_TEMPERATURE,
        256);
  }

  /** A seed from (seed, a, b) by SplitMix64's finalizer, so streams of different steps differ. */
  static long mix(long seed, long a, long b) {
    long z = seed * 0x9E3779B97F4A7C15L + a * 0xBF58476D1CE4E5B9L + b * 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static int[] permutation(int n, SplittableRandom rng) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
