package org.handgrad.app.train;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.handgrad.app.report.Charts;
import org.handgrad.app.report.Figures;
import org.handgrad.app.report.HtmlReport;
import org.handgrad.app.report.RunDirectory;
import org.handgrad.data.Split;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.handgrad.models.knn.CrossValidation;
import org.handgrad.models.knn.KNearestNeighbor;
import org.handgrad.nn.Metrics;

/**
 * {@code train --model knn}, CS231n assignment 1's kNN notebook as a command: k-fold
 * cross-validation over candidate k on the first {@code numTrain} training images (raw pixels, L2
 * distance), the plot of accuracy against k with error bars, then the test accuracy of the best k
 * trained on all of them. There is no Solver and no checkpoint: kNN "training" memorises the data.
 */
public final class KnnRun {
  /** Training images by default (CS231n subsamples 5000 of CIFAR-10's 50000). */
  public static final int DEFAULT_NUM_TRAIN = 5000;

  /** Test images by default (CS231n: 500). */
  public static final int DEFAULT_NUM_TEST = 1000;

  /**
   * What to run.
   *
   * @param ks candidate k, each &gt;= 1
   * @param folds cross-validation folds, &gt;= 2
   * @param numTrain training images (the first of the official training split)
   * @param numTest test images (the first of the official test split)
   */
  public record Settings(int[] ks, int folds, int numTrain, int numTest) {
    /** Validates the ranges. */
    public Settings {
      if (ks.length == 0) {
        throw new IllegalArgumentException("--k-choices: give at least one k");
      }
      for (int k : ks) {
        if (k < 1) {
          throw new IllegalArgumentException("--k-choices: every k must be >= 1, got " + k);
        }
      }
      if (folds < 2) {
        throw new IllegalArgumentException("--folds must be >= 2, got " + folds);
      }
      if (numTrain < folds) {
        throw new IllegalArgumentException(
            "--num-train (" + numTrain + ") must be at least --folds (" + folds + ")");
      }
      int smallestTrain = numTrain - (numTrain + folds - 1) / folds;
      for (int k : ks) {
        if (k > smallestTrain) {
          throw new IllegalArgumentException(
              "--k-choices: k="
                  + k
                  + " exceeds the "
                  + smallestTrain
                  + " training images of a cross-validation fold");
        }
      }
      if (numTest < 1) {
        throw new IllegalArgumentException("--num-test must be > 0, got " + numTest);
      }
      ks = ks.clone();
    }
  }

  private final PrintWriter out;
  private final PrintWriter err;

  /**
   * @param out results
   * @param err notes
   */
  public KnnRun(PrintWriter out, PrintWriter err) {
    this.out = out;
    this.err = err;
  }

  /**
   * Cross-validates, plots, tests; writes config.json, knn_cv.png, confusion.png, metrics.jsonl and
   * result.json into the run folder.
   *
   * @return the exit code, 0
   */
  public int run(DataSource.Loaded loaded, String requested, Settings s, RunDirectory run)
      throws IOException {
    Split train = loaded.dataset().train().range(0, s.numTrain());
    Split test = loaded.dataset().test().range(0, s.numTest());
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("command", "train");
    config.put("model", "knn");
    config.put("dataset", loaded.used());
    config.put("requested_dataset", requested);
    config.put("fell_back", loaded.fellBack());
    config.put("ks", Specs.list(s.ks()));
    config.put("folds", s.folds());
    config.put("num_train", s.numTrain());
    config.put("num_test", s.numTest());
    config.put("preprocessing", "none (raw pixels in [0, 1], L2 distance)");
    run.writeConfig(config);
    out.printf(
        Locale.ROOT,
        "knn: %d-fold cross-validation of k in %s on %d training images of %s%n",
        s.folds(),
        java.util.Arrays.toString(s.ks()),
        s.numTrain(),
        loaded.used());
    out.println("run folder: " + run.path());
    out.flush();
    long t0 = System.nanoTime();
    CrossValidation cv = KNearestNeighbor.crossValidate(train.x(), train.y(), s.ks(), s.folds());
    double cvSeconds = (System.nanoTime() - t0) / 1e9;
    List<String> lines = new ArrayList<>();
    out.printf(Locale.ROOT, "%5s  %8s  %8s  %s%n", "k", "mean", "std", "fold accuracies");
    for (int c = 0; c < s.ks().length; c++) {
      double mean = cv.meanAccuracy(c);
      double var = 0;
      StringBuilder folds = new StringBuilder();
      List<Object> accs = new ArrayList<>();
      for (double a : cv.accuracies()[c]) {
        var += (a - mean) * (a - mean) / cv.folds();
        folds.append(String.format(Locale.ROOT, " %.4f", a));
        accs.add(a);
      }
      out.printf(Locale.ROOT, "%5d  %8.4f  %8.4f %s%n", s.ks()[c], mean, Math.sqrt(var), folds);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("event", "cv");
      m.put("k", s.ks()[c]);
      m.put("mean_acc", mean);
      m.put("std_acc", Math.sqrt(var));
      m.put("fold_acc", accs);
      lines.add(Json.write(m));
    }
    int bestK = cv.bestK();
    Charts.crossValidation(
        s.ks(),
        cv.accuracies(),
        "Cross-validation on k (" + loaded.used() + ", " + s.numTrain() + " images)",
        run.file("knn_cv.png"));

    t0 = System.nanoTime();
    KNearestNeighbor knn = new KNearestNeighbor(bestK);
    knn.train(train.x(), train.y());
    int[] pred = knn.predict(test.x(), bestK, 0);
    double testSeconds = (System.nanoTime() - t0) / 1e9;
    double acc = Metrics.accuracy(test.y(), pred);
    Figures.confusionMatrix(
        Metrics.confusionMatrix(test.y(), pred, test.numClasses()),
        test.classNames(),
        "Test confusion matrix (knn, k=" + bestK + ", " + loaded.used() + ")",
        run.file("confusion.png"));

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("event", "test");
    result.put("model", "knn");
    result.put("dataset", loaded.used());
    result.put("fell_back", loaded.fellBack());
    result.put("best_k", bestK);
    result.put("test_acc", acc);
    result.put("num_test", test.size());
    result.put("cv_seconds", cvSeconds);
    result.put("test_seconds", testSeconds);
    lines.add(Json.write(result));
    Files.write(run.metricsFile(), lines, StandardCharsets.UTF_8);
    AtomicFiles.write(
        run.file("result.json"), Json.writePretty(result).getBytes(StandardCharsets.UTF_8));
    HtmlReport.write(run.path());
    out.printf(
        Locale.ROOT,
        "best k = %d (cross-validation %.1f s); test accuracy: %.4f (%d %s test images)%n",
        bestK,
        cvSeconds,
        acc,
        test.size(),
        loaded.used());
    if (loaded.fellBack()) {
      err.println("NOTE: this ran on the synthetic shapes fallback, not " + requested);
    }
    out.println("plots: knn_cv.png, confusion.png; report: " + run.file(HtmlReport.FILE));
    out.flush();
    return 0;
  }
}
