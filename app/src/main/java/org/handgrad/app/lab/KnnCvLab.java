package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.handgrad.app.report.Charts;
import org.handgrad.models.knn.CrossValidation;
import org.handgrad.models.knn.KNearestNeighbor;

/**
 * k-fold cross-validation of k for the k-nearest-neighbour classifier (CS231n notes "Image
 * Classification: Validation sets for hyperparameter tuning", assignment 1's {@code knn.ipynb}).
 * The notes: the nearest neighbour alone (k = 1) follows every noisy training example; a few
 * neighbours vote the outliers down and generalize better; too many wash the classes out. k is
 * chosen on the folds, never on the test data, and the cross-validated accuracy is then a fair
 * estimate of the accuracy on unseen data.
 */
final class KnnCvLab implements Lab {
  /** assignment 1's candidates. */
  static final int[] KS = {1, 3, 5, 8, 10, 12, 15, 20, 50, 100};

  static final int FOLDS = 5;

  @Override
  public String name() {
    return "knn-cv";
  }

  @Override
  public String description() {
    return "5-fold cross-validation of k for kNN (assignment 1), and how well it predicts"
        + " held-out accuracy";
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    LabData d = ctx.data(quick ? 1000 : 5000, quick ? 500 : 1000);
    LabSummary s = ctx.summary();
    ctx.say(
        "kNN (L2 distance), %d-fold cross-validation on %d training images, k in %s",
        FOLDS, d.yTrain().length, java.util.Arrays.toString(KS));
    CrossValidation cv = KNearestNeighbor.crossValidate(d.xTrain(), d.yTrain(), KS, FOLDS);
    int bestK = cv.bestK();
    int bestIdx = 0;
    List<List<String>> rows = new ArrayList<>();
    for (int c = 0; c < KS.length; c++) {
      if (KS[c] == bestK) {
        bestIdx = c;
      }
      double mean = cv.meanAccuracy(c);
      double std = 0;
      for (double a : cv.accuracies()[c]) {
        std += (a - mean) * (a - mean) / cv.folds();
      }
      std = Math.sqrt(std);
      s.number("k" + KS[c] + "_cv_acc", mean);
      rows.add(List.of(Integer.toString(KS[c]), fmt(mean), fmt(std)));
      ctx.say("  k = %3d: %.3f +- %.3f", KS[c], mean, std);
    }
    Charts.crossValidation(
        KS, cv.accuracies(), "Cross-validation on k (" + FOLDS + " folds)", ctx.file("cv.png"));

    // Train on all the training folds with the chosen k, then look at the held-out set once.
    KNearestNeighbor knn = new KNearestNeighbor();
    knn.train(d.xTrain(), d.yTrain());
    double heldOut = Stats.accuracy(d.yVal(), knn.predict(d.xVal(), bestK, 0));
    double cvBest = cv.meanAccuracy(bestIdx);
    double cv1 = cv.meanAccuracy(0);
    double cvLast = cv.meanAccuracy(KS.length - 1);
    double bestStd = 0;
    for (double a : cv.accuracies()[bestIdx]) {
      bestStd += (a - cvBest) * (a - cvBest) / cv.folds();
    }
    bestStd = Math.sqrt(bestStd);
    s.number("best_k", bestK);
    s.number("best_cv_acc", cvBest);
    s.number("held_out_acc", heldOut);

    s.check(
        "A few neighbours generalize better than the single nearest one: the best k is larger"
            + " than 1",
        String.format(
            Locale.ROOT,
            "best k = %d with cross-validated accuracy %s; k = 1: %s",
            bestK,
            fmt(cvBest),
            fmt(cv1)),
        bestK > 1 && cvBest > cv1);
    s.check(
        "Too many neighbours wash the classes out: k = "
            + KS[KS.length - 1]
            + " is worse than"
            + " the best k",
        String.format(
            Locale.ROOT,
            "k = %d: %s vs k = %d: %s",
            KS[KS.length - 1],
            fmt(cvLast),
            bestK,
            fmt(cvBest)),
        cvLast < cvBest);
    // Two standard errors of the difference: the fold mean's (std / sqrt(folds)) and the held-out
    // estimate's (binomial, sqrt(p (1 - p) / n)), added in quadrature.
    double seCv = bestStd / Math.sqrt(cv.folds());
    double seHeldOut = Math.sqrt(cvBest * (1 - cvBest) / d.yVal().length);
    double tolerance = 2 * Math.hypot(seCv, seHeldOut);
    s.check(
        "The cross-validated accuracy of the chosen k predicts its accuracy on held-out data"
            + " (within two standard errors)",
        String.format(
            Locale.ROOT,
            "cross-validated %s, held-out %s (%d images): difference %s, two standard errors %s",
            fmt(cvBest),
            fmt(heldOut),
            d.yVal().length,
            fmt(Math.abs(heldOut - cvBest)),
            fmt(tolerance)),
        Math.abs(heldOut - cvBest) <= tolerance);
    s.text(
        "The "
            + d.yTrain().length
            + " training images are split into "
            + FOLDS
            + " consecutive folds (NumPy's array_split); for each fold, a kNN classifier memorises"
            + " the other four and labels the fold with every candidate k (L2 distance on the"
            + " normalised pixels; ties between classes go to the smallest label, as"
            + " np.argmax(np.bincount)). The best k is then used on all the training images to"
            + " label the "
            + d.yVal().length
            + " held-out images, once.");
    s.table(List.of("k", "mean accuracy over folds", "std over folds"), rows);
    s.figure("cv.png", "Accuracy of every k on every fold, with the mean and standard deviation");
  }
}
