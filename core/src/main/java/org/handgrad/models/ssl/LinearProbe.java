package org.handgrad.models.ssl;

import java.util.List;
import java.util.SplittableRandom;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Affine;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Losses;
import org.handgrad.optim.Adam;
import org.handgrad.optim.Optimizer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Linear evaluation of a frozen representation (Chen et al. 2020, section 4; Kolesnikov et al.
 * 2019): features are extracted once, standardised with the training features' per-dimension mean
 * and standard deviation, and a multinomial logistic regression (softmax classifier, CS231n's
 * {@code softmax_loss} with L2 regularisation 0.5 reg ||W||^2) is trained on them with Adam on
 * shuffled minibatches. The encoder never sees a label.
 *
 * <p>Why standardise: the scale of features differs by orders of magnitude between raw pixels, a
 * random encoder and a trained one; standardising lets one learning rate serve all three baselines.
 * Standardisation is affine, so it does not change what a linear classifier can express.
 *
 * <p>Dimension letters: N examples, D features, K classes.
 */
public final class LinearProbe {
  private LinearProbe() {}

  /**
   * Training options.
   *
   * @param learningRate Adam's learning rate, &gt; 0
   * @param reg L2 strength, &gt;= 0
   * @param epochs passes over the training features, &gt;= 1
   * @param batchSize examples per step, &gt;= 1
   * @param seed seeds the weights and the shuffling
   */
  public record Options(double learningRate, double reg, int epochs, int batchSize, long seed) {
    /** Validates every field. */
    public Options {
      if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
        throw new IllegalArgumentException(
            "LinearProbe: learning rate must be positive, got " + learningRate);
      }
      if (!(reg >= 0) || Double.isInfinite(reg)) {
        throw new IllegalArgumentException("LinearProbe: reg must be >= 0, got " + reg);
      }
      if (epochs < 1 || batchSize < 1) {
        throw new IllegalArgumentException(
            "LinearProbe: epochs and batch size must be >= 1, got " + epochs + ", " + batchSize);
      }
    }

    /** Defaults: learning rate 1e-3, reg 1e-4, 30 epochs, batch 256, seed 0. */
    public static Options defaults() {
      return new Options(1e-3, 1e-4, 30, 256, 0);
    }
  }

  /**
   * A trained probe.
   *
   * @param w weights, shape (D, K), for standardised features
   * @param b biases, shape (K,)
   * @param mean training feature means, length D
   * @param std training feature standard deviations (floored at 1e-6), length D
   * @param trainAccuracy accuracy on the training features
   * @param testAccuracy accuracy on the test features
   * @param lossHistory mean training loss of each epoch
   */
  public record Result(
      Tensor w,
      Tensor b,
      double[] mean,
      double[] std,
      double trainAccuracy,
      double testAccuracy,
      double[] lossHistory) {
    /**
     * Class predictions for new features.
     *
     * @param features shape (M, D)
     * @return labels, length M
     */
    public int[] predict(Tensor features) {
      Tensor x = standardize(features, mean, std);
      return Metrics.argmax(Affine.affineForward(x, w, b).out());
    }
  }

  /**
   * Extracts train and test features with the frozen extractor, then {@link #fit}s the probe.
   *
   * @param extractor the representation
   * @param trainImages shape (N, C, H, W)
   * @param trainLabels length N
   * @param testImages shape (M, C, H, W)
   * @param testLabels length M
   * @param numClasses K
   * @param batchSize images per extractor call
   * @param options training options
   * @return the trained probe and its accuracies
   */
  public static Result run(
      FeatureExtractor extractor,
      Tensor trainImages,
      int[] trainLabels,
      Tensor testImages,
      int[] testLabels,
      int numClasses,
      int batchSize,
      Options options) {
    Tensor train = FeatureExtractor.extract(extractor, trainImages, batchSize);
    Tensor test = FeatureExtractor.extract(extractor, testImages, batchSize);
    return fit(train, trainLabels, test, testLabels, numClasses, options);
  }

  /**
   * Trains the softmax classifier on fixed features and measures it.
   *
   * @param train training features, shape (N, D)
   * @param trainLabels length N, each in [0, K)
   * @param test test features, shape (M, D)
   * @param testLabels length M, each in [0, K)
   * @param numClasses K, &gt;= 2
   * @param options training options
   * @return the trained probe and its accuracies
   */
  public static Result fit(
      Tensor train,
      int[] trainLabels,
      Tensor test,
      int[] testLabels,
      int numClasses,
      Options options) {
    check("LinearProbe", train, trainLabels, test, testLabels, numClasses);
    int n = train.shape(0);
    int d = train.shape(1);
    double[] mean = new double[d];
    double[] std = new double[d];
    double[] a = train.toDoubleArray();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        mean[j] += a[i * d + j] / n;
      }
    }
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        double c = a[i * d + j] - mean[j];
        std[j] += c * c / n;
      }
    }
    for (int j = 0; j < d; j++) {
      std[j] = Math.max(Math.sqrt(std[j]), 1e-6); // constant features (a border pixel) stay 0
    }
    Tensor x = standardize(train, mean, std);
    SplittableRandom rng = new SplittableRandom(options.seed());
    Tensor w0 = Tensor.zeros(DType.FLOAT32, d, numClasses);
    for (int i = 0; i < w0.size(); i++) {
      w0.setFlat(i, 1e-3 * rng.nextGaussian()); // CS231n's weight_scale
    }
    Parameter w = new Parameter("W", w0);
    Parameter b = new Parameter("b", Tensor.zeros(DType.FLOAT32, numClasses));
    List<Parameter> params = List.of(w, b);
    Optimizer opt = new Optimizer(new Adam().withLearningRate(options.learningRate()));
    double[] history = new double[options.epochs()];
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int epoch = 0; epoch < options.epochs(); epoch++) {
      for (int i = n - 1; i > 0; i--) { // Fisher-Yates
        int j = rng.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      double sum = 0;
      int steps = 0;
      for (int s = 0; s < n; s += options.batchSize()) {
        int m = Math.min(n, s + options.batchSize()) - s;
        int[] idx = new int[m];
        int[] y = new int[m];
        for (int i = 0; i < m; i++) {
          idx[i] = order[s + i];
          y[i] = trainLabels[idx[i]];
        }
        Forward<Affine.Cache> f = Affine.affineForward(x.take(0, idx), w.value(), b.value());
        Losses.Loss l = Losses.softmaxLoss(f.out(), y);
        Affine.Grads g = Affine.affineBackward(l.dx(), f.cache());
        double r = options.reg();
        Tensor wv = w.value();
        w.grad().copyFrom(g.dw().add(wv.mul(r)));
        b.grad().copyFrom(g.db());
        double norm = wv.square().sum().item();
        sum += l.loss() + 0.5 * r * norm;
        steps++;
        opt.step(params);
      }
      history[epoch] = sum / steps;
    }
    Result partial = new Result(w.value(), b.value(), mean, std, 0, 0, history);
    double trainAcc = Metrics.accuracy(trainLabels, partial.predict(train));
    double testAcc = Metrics.accuracy(testLabels, partial.predict(test));
    return new Result(w.value(), b.value(), mean, std, trainAcc, testAcc, history);
  }

  private static Tensor standardize(Tensor features, double[] mean, double[] std) {
    if (features.ndim() != 2 || features.shape(1) != mean.length) {
      throw new IllegalArgumentException(
          "LinearProbe: expected features (N, " + mean.length + "), got " + features.shapeString());
    }
    int n = features.shape(0);
    int d = features.shape(1);
    double[] a = features.toDoubleArray();
    float[] out = new float[n * d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        out[i * d + j] = (float) ((a[i * d + j] - mean[j]) / std[j]);
      }
    }
    return Tensor.of(out, n, d);
  }

  static void check(
      String op, Tensor train, int[] trainLabels, Tensor test, int[] testLabels, int numClasses) {
    if (numClasses < 2) {
      throw new IllegalArgumentException(op + ": need >= 2 classes, got " + numClasses);
    }
    if (train.ndim() != 2 || test.ndim() != 2 || train.shape(1) != test.shape(1)) {
      throw new IllegalArgumentException(
          op
              + ": expected train (N, D) and test (M, D) features, got "
              + train.shapeString()
              + " and "
              + test.shapeString());
    }
    if (train.shape(0) < 1 || test.shape(0) < 1) {
      throw new IllegalArgumentException(
          op + ": empty features " + train.shapeString() + ", " + test.shapeString());
    }
    labels(op, "train", trainLabels, train.shape(0), numClasses);
    labels(op, "test", testLabels, test.shape(0), numClasses);
  }

  private static void labels(String op, String which, int[] y, int n, int k) {
    if (y.length != n) {
      throw new IllegalArgumentException(
          op + ": " + n + " " + which + " features but " + y.length + " labels");
    }
    for (int v : y) {
      if (v < 0 || v >= k) {
        throw new IllegalArgumentException(
            op + ": " + which + " label " + v + " is outside [0, " + k + ")");
      }
    }
  }
}
