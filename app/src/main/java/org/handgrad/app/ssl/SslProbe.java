package org.handgrad.app.ssl;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.handgrad.data.Dataset;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.handgrad.models.ssl.FeatureExtractor;
import org.handgrad.models.ssl.LinearProbe;
import org.handgrad.models.ssl.simclr.SimClr;

/**
 * The linear probe of a pre-training run, or of a baseline with the same probe: the run's encoder
 * (frozen), a randomly initialised encoder of the same configuration and seed ({@link
 * SimClr#untrained}: PyTorch's initial BatchNorm statistics), or raw pixels. Prints train and test
 * accuracy and writes {@code probe.json}, {@code probe-random.json} or {@code probe-pixels.json}
 * into the run folder.
 */
public final class SslProbe {
  /** What the probe reads. */
  public enum Baseline {
    /** The trained encoder. */
    NONE,
    /** The same encoder, untrained. */
    RANDOM,
    /** Flattened images. */
    PIXELS
  }

  private SslProbe() {}

  /**
   * Runs the probe.
   *
   * @param run the run folder
   * @param baseline which features
   * @param options the probe's training options
   * @param dataDir data folder or null
   * @param numTrain training images for the probe, or null for the run's
   * @return the probe result
   */
  public static LinearProbe.Result run(
      Path run,
      Baseline baseline,
      LinearProbe.Options options,
      Path dataDir,
      Integer numTrain,
      PrintWriter out,
      PrintWriter err)
      throws IOException {
    SimClrTraining.Options saved = SimClrTraining.savedOptions(run, dataDir);
    SimClrCheckpoint.Loaded c = SimClrCheckpoint.load(run);
    Dataset data =
        SslData.load(
            saved.data(),
            dataDir,
            numTrain != null ? numTrain : saved.numTrain(),
            saved.numTest(),
            saved.seed());
    FeatureExtractor f =
        switch (baseline) {
          case NONE -> c.model();
          case RANDOM -> SimClr.untrained(c.model().config());
          case PIXELS -> FeatureExtractor.pixels();
        };
    long t0 = System.nanoTime();
    err.println(
        "probe ("
            + name(baseline)
            + "): extracting features of "
            + data.train().size()
            + " + "
            + data.test().size()
            + " images, then "
            + options.epochs()
            + " epochs of logistic regression...");
    err.flush();
    LinearProbe.Result r =
        LinearProbe.run(
            f,
            data.train().x(),
            data.train().y(),
            data.test().x(),
            data.test().y(),
            data.train().numClasses(),
            256,
            options);
    double seconds = (System.nanoTime() - t0) / 1e9;
    out.printf(
        Locale.ROOT,
        "linear probe on %s features (%s, epoch %d checkpoint): train %.4f, test %.4f (%.0f s)%n",
        name(baseline),
        data.name(),
        c.epoch(),
        r.trainAccuracy(),
        r.testAccuracy(),
        seconds);
    out.flush();
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("features", name(baseline));
    json.put("data", data.name());
    json.put("checkpoint_epoch", c.epoch());
    json.put("num_train", data.train().size());
    json.put("num_test", data.test().size());
    json.put("train_acc", r.trainAccuracy());
    json.put("test_acc", r.testAccuracy());
    json.put("probe_lr", options.learningRate());
    json.put("probe_reg", options.reg());
    json.put("probe_epochs", options.epochs());
    json.put("seconds", seconds);
    String file = baseline == Baseline.NONE ? "probe.json" : "probe-" + name(baseline) + ".json";
    AtomicFiles.write(
        run.resolve(file), (Json.writePretty(json) + "\n").getBytes(StandardCharsets.UTF_8));
    return r;
  }

  private static String name(Baseline b) {
    return switch (b) {
      case NONE -> "simclr";
      case RANDOM -> "random";
      case PIXELS -> "pixels";
    };
  }
}
