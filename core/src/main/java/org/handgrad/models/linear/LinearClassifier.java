package org.handgrad.models.linear;

import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.handgrad.kernels.Gemm;
import org.handgrad.models.Classifier;
import org.handgrad.models.InputGradients;
import org.handgrad.models.Nets;
import org.handgrad.models.Regularized;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.init.Init;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * A linear classifier {@code scores = X W}, CS231n assignment 1's {@code LinearClassifier}: the
 * shared SGD training loop and prediction of {@link LinearSvm} and {@link Softmax}, which supply
 * the loss.
 *
 * <p>Dimensions: N examples, D features, C classes; W is (D, C). CS231n folds the bias into W with
 * the "bias trick" (a column of ones appended to X, so the last row of W is the bias). Two ways
 * here:
 *
 * <ul>
 *   <li>explicit, as the notebook: {@code implicitBias = false} and X already carries the ones
 *       column, so D counts it;
 *   <li>implicit, for raw images: {@code implicitBias = true}, W is (D + 1, C) for inputs with D
 *       features and the ones column is never materialised ({@code scores = X W[:D] + W[D]}).
 * </ul>
 *
 * <p>Regularization, CS231n assignment 1's convention: {@code reg * sum(W * W)} (no 1/2), so its
 * gradient is {@code 2 * reg * W}; the bias row is part of W and is regularized too. (The nets of
 * assignment 2 use {@code 0.5 * reg * sum(W * W)}; see docs/conventions.md, "models".)
 *
 * <p>As a {@link Model} the classifier has one parameter, "W", and uses {@link Config#reg()}.
 */
public abstract sealed class LinearClassifier
    implements Model, Classifier, Regularized, InputGradients permits LinearSvm, Softmax {

  /**
   * Configuration.
   *
   * @param dim D, features per example (including the ones column when the caller appended it)
   * @param numClasses C >= 2
   * @param reg regularization strength for {@link #loss(Tensor, int[])}, >= 0
   * @param weightScale std of the initial weights (CS231n: 0.001)
   * @param implicitBias when true W gets an extra bias row and X is used without a ones column
   * @param dtype float32 or float64
   * @param seed seeds the initial weights
   */
  public record Config(
      int dim,
      int numClasses,
      double reg,
      double weightScale,
      boolean implicitBias,
      DType dtype,
      long seed) {
    /** Validates the fields. */
    public Config {
      Nets.requireAtLeast("linear", "dim", dim, 1);
      Nets.requireAtLeast("linear", "numClasses", numClasses, 2);
      Nets.requireAtLeast("linear", "reg", reg, 0.0);
      Nets.requireAtLeast("linear", "weightScale", weightScale, 0.0);
      Nets.requireFloat("linear", dtype);
    }

    /** The same configuration with another L2 strength (validated as the constructor does). */
    public Config withReg(double newReg) {
      return new Config(dim, numClasses, newReg, weightScale, implicitBias, dtype, seed);
    }

    /** CS231n defaults for D features and C classes: reg 0, weight scale 1e-3, float64. */
    public static Config of(int dim, int numClasses) {
      return new Config(dim, numClasses, 0.0, 1e-3, false, DType.FLOAT64, 0);
    }
  }

  private Config config; // replaced by setReg, otherwise fixed
  private final Parameter w;

  LinearClassifier(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    int rows = config.dim() + (config.implicitBias() ? 1 : 0);
    Tensor w0 =
        Init.normal(
            Init.rng(config.seed()),
            config.dtype(),
            config.weightScale(),
            rows,
            config.numClasses());
    this.w = new Parameter("W", w0);
  }

  /** Model name in messages ("svm" or "softmax"). */
  abstract String name();

  /** The data loss and its gradient with respect to the scores (N, C). */
  abstract Losses.Loss dataLoss(Tensor scores, int[] y);

  /** The configuration. */
  public Config config() {
    return config;
  }

  /** CS231n's {@code model.reg}: the L2 strength the loss uses now. */
  @Override
  public double reg() {
    return config.reg();
  }

  /**
   * Sets the L2 strength for the following loss calls (CS231n's {@code model.reg = ...}); the
   * parameters are kept and {@link #config()} reports the new value.
   *
   * @throws IllegalArgumentException when reg is negative or not finite
   */
  @Override
  public void setReg(double reg) {
    config = config.withReg(reg);
  }

  /** The weights, shape (D, C) or (D + 1, C) with an implicit bias; live, updated in place. */
  public Tensor weights() {
    return w.value();
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(w);
  }

  /**
   * Class scores {@code X W} (plus the bias row with an implicit bias).
   *
   * @param x inputs, shape (N, D) or any (N, d1, ..., dk) with D features
   * @return scores, shape (N, C)
   */
  @Override
  public Tensor loss(Tensor x) {
    Tensor xc = checkX(x);
    return scores(w.value(), xc, config.implicitBias());
  }

  /**
   * Loss with {@link Config#reg()} and dL/dW into the "W" parameter.
   *
   * @param x inputs, shape (N, D) or (N, d1, ..., dk)
   * @param y labels, length N
   */
  @Override
  public double loss(Tensor x, int[] y) {
    Tensor xc = checkX(x);
    Nets.checkLabels(name(), x, y, config.numClasses());
    Nets.zeroGrads(parameters());
    LinearLoss l =
        vectorized(w.value(), xc, y, config.reg(), config.implicitBias(), this::dataLoss);
    w.accumulateGrad(l.dW());
    return l.loss();
  }

  @Override
  public int numClasses() {
    return config.numClasses();
  }

  /**
   * Scores and the gradient of {@code sum(dscores * scores)} with respect to x: {@code dx = dscores
   * W[:D]^T}, the template of each class weighted by its upstream gradient. The "W" gradient is
   * zeroed and then holds that surrogate's gradient, {@code X^T dscores} (and the column sums in
   * the bias row), without regularization (see {@link InputGradients}).
   *
   * @param x inputs, shape (N, D) or (N, d1, ..., dk)
   * @param dscores upstream gradient, shape (N, C)
   * @return scores (N, C) and dx, the shape of x
   */
  @Override
  public InputGradients.Result inputGradient(Tensor x, Tensor dscores) {
    Tensor xc = checkX(x);
    InputGradients.checkDscores(name(), x, dscores, config.numClasses());
    Nets.zeroGrads(parameters());
    Tensor wt = w.value();
    int d = xc.shape(1);
    Tensor scores = scores(wt, xc, config.implicitBias());
    Tensor dx = dscores.matmul(wt.slice(0, 0, d).transpose()).reshape(x.shape());
    Tensor dw = Tensor.zerosLike(wt);
    dw.slice(0, 0, d).copyFrom(xc.transpose().matmul(dscores));
    if (config.implicitBias()) {
      dw.select(0, d).copyFrom(dscores.sum(0));
    }
    w.accumulateGrad(dw);
    return new InputGradients.Result(scores, dx, null, null);
  }

  @Override
  public int[] predict(Tensor x) {
    return Metrics.argmax(loss(x));
  }

  /**
   * Minibatch SGD, CS231n's {@code LinearClassifier.train}: each iteration samples {@code
   * batchSize} examples WITH replacement (as {@code np.random.choice(N, batch_size)}), computes the
   * vectorized loss and gradient with strength {@code reg}, and steps {@code W -= lr * dW}.
   *
   * @param x training inputs, shape (N, D) or (N, d1, ..., dk)
   * @param y labels, length N
   * @param learningRate SGD step, > 0
   * @param reg regularization strength, >= 0 (used instead of {@link Config#reg()})
   * @param numIters number of steps, >= 1
   * @param batchSize examples per step, >= 1
   * @param seed seeds the batch sampling
   * @param verbose print the loss every 100 iterations
   * @return the loss of every iteration, length numIters
   */
  public double[] train(
      Tensor x,
      int[] y,
      double learningRate,
      double reg,
      int numIters,
      int batchSize,
      long seed,
      boolean verbose) {
    Tensor xc = checkX(x);
    Nets.checkLabels(name(), x, y, config.numClasses());
    Nets.requireAtLeast(name() + " train", "learningRate", learningRate, Double.MIN_VALUE);
    Nets.requireAtLeast(name() + " train", "reg", reg, 0.0);
    Nets.requireAtLeast(name() + " train", "numIters", numIters, 1);
    Nets.requireAtLeast(name() + " train", "batchSize", batchSize, 1);
    int n = xc.shape(0);
    int d = xc.shape(1);
    SplittableRandom rng = new SplittableRandom(seed);
    Tensor xBatch = Tensor.zeros(config.dtype(), batchSize, d);
    int[] yBatch = new int[batchSize];
    Object src = storage(xc);
    Object dst = storage(xBatch);
    double[] history = new double[numIters];
    for (int it = 0; it < numIters; it++) {
      for (int r = 0; r < batchSize; r++) {
        int i = rng.nextInt(n);
        System.arraycopy(src, xc.offset() + i * d, dst, r * d, d);
        yBatch[r] = y[i];
      }
      LinearLoss l =
          vectorized(w.value(), xBatch, yBatch, reg, config.implicitBias(), this::dataLoss);
      history[it] = l.loss();
      Nets.axpy(w.value(), l.dW(), -learningRate);
      if (verbose && it % 100 == 0) {
        System.out.printf("iteration %d / %d: loss %f%n", it, numIters, l.loss());
      }
    }
    return history;
  }

  // ---------------------------------------------------------------- shared loss machinery

  /**
   * The vectorized loss: scores by one GEMM, the data loss on the scores ({@link Losses}), then
   * {@code dW = X^T dscores + 2 reg W} by a second GEMM (the bias row, if implicit, gets the column
   * sums of dscores: its input is the constant 1).
   */
  static LinearLoss vectorized(
      Tensor wt,
      Tensor x,
      int[] y,
      double reg,
      boolean implicitBias,
      BiFunction<Tensor, int[], Losses.Loss> dataLoss) {
    Tensor s = scores(wt, x, implicitBias);
    Losses.Loss data = dataLoss.apply(s, y);
    int n = x.shape(0);
    int d = x.shape(1);
    int c = wt.shape(1);
    Tensor dw = Tensor.zeros(wt.dtype(), wt.shape());
    Tensor ds = data.dx();
    gemmTransA(dw, x, ds, d, c, n);
    if (implicitBias) {
      addColumnSums(dw, d * c, ds, n, c);
    }
    double loss = data.loss() + reg * Nets.sumOfSquares(wt);
    Nets.axpy(dw, wt, 2 * reg);
    return new LinearLoss(loss, dw);
  }

  /** {@code X W} (N, C), plus row D of W when the bias is implicit. */
  static Tensor scores(Tensor wt, Tensor x, boolean implicitBias) {
    int n = x.shape(0);
    int d = x.shape(1);
    int c = wt.shape(1);
    Tensor s = Tensor.zeros(wt.dtype(), n, c);
    if (implicitBias) {
      // Start every row at the bias row, then accumulate X W[:D] on top (GEMM with beta = 1).
      for (int i = 0; i < n; i++) {
        System.arraycopy(storage(wt), wt.offset() + d * c, storage(s), i * c, c);
      }
    }
    gemmAcc(s, x, wt, n, c, d);
    return s;
  }

  /** Checks x against the configuration and returns it as a contiguous (N, D) view. */
  final Tensor checkX(Tensor x) {
    Nets.checkInput(name(), x, new int[] {config.dim()}, true, config.dtype());
    return x.reshape(x.shape(0), -1);
  }

  /** Checks the (W, X, y, reg) arguments of the static CS231n loss functions. */
  static void checkStatic(String op, Tensor w, Tensor x, int[] y, double reg) {
    if (w.ndim() != 2 || x.ndim() != 2 || x.shape(1) != w.shape(0)) {
      throw new IllegalArgumentException(
          op
              + ": expected W (D, C) and X (N, D) with the same D, got W "
              + w.shapeString()
              + " and X "
              + x.shapeString());
    }
    if (!w.dtype().isFloating() || w.dtype() != x.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": W and X must share a float dtype, got "
              + w.dtype().numpyName()
              + " and "
              + x.dtype().numpyName());
    }
    Nets.checkLabels(op, x, y, w.shape(1));
    Nets.requireAtLeast(op, "reg", reg, 0.0);
  }

  private static Object storage(Tensor t) {
    return t.dtype() == DType.FLOAT32 ? t.floatStorage() : t.doubleStorage();
  }

  /** {@code c (m, n) += a (m, k) b (k, n)}, b being the first k rows of its storage. */
  private static void gemmAcc(Tensor c, Tensor a, Tensor b, int m, int n, int k) {
    if (c.dtype() == DType.FLOAT32) {
      Gemm.sgemm(
          c.floatStorage(),
          0,
          n,
          a.floatStorage(),
          a.offset(),
          k,
          false,
          b.floatStorage(),
          b.offset(),
          n,
          false,
          m,
          n,
          k,
          1f,
          1f);
    } else {
      Gemm.dgemm(
          c.doubleStorage(),
          0,
          n,
          a.doubleStorage(),
          a.offset(),
          k,
          false,
          b.doubleStorage(),
          b.offset(),
          n,
          false,
          m,
          n,
          k,
          1.0,
          1.0);
    }
  }

  /** {@code c (m, n) = a^T b} with a stored (k, m) and b stored (k, n): dW = X^T dscores. */
  private static void gemmTransA(Tensor c, Tensor a, Tensor b, int m, int n, int k) {
    if (c.dtype() == DType.FLOAT32) {
      Gemm.sgemm(
          c.floatStorage(),
          0,
          n,
          a.floatStorage(),
          a.offset(),
          m,
          true,
          b.floatStorage(),
          b.offset(),
          n,
          false,
          m,
          n,
          k,
          1f,
          0f);
    } else {
      Gemm.dgemm(
          c.doubleStorage(),
          0,
          n,
          a.doubleStorage(),
          a.offset(),
          m,
          true,
          b.doubleStorage(),
          b.offset(),
          n,
          false,
          m,
          n,
          k,
          1.0,
          0.0);
    }
  }

  /** Adds the column sums of g (n, c) into dst at offset off (length c). */
  private static void addColumnSums(Tensor dst, int off, Tensor g, int n, int c) {
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < c; j++) {
        if (dst.dtype() == DType.FLOAT32) {
          dst.floatStorage()[off + j] += g.floatStorage()[g.offset() + i * c + j];
        } else {
          dst.doubleStorage()[off + j] += g.doubleStorage()[g.offset() + i * c + j];
        }
      }
    }
  }
}
