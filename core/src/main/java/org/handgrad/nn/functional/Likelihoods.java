package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.kernels.Parallel;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Decoder likelihoods of a VAE as per-example negative log-likelihoods, -log p(x|z) in nats, summed
 * over the D pixels of each example (the ELBO's reconstruction term, Kingma and Welling 2014,
 * appendix C):
 *
 * <pre>
 *   Bernoulli, decoder output = logits l:
 *     -log p(x|z) = sum_j  max(l_j, 0) - l_j x_j + log(1 + exp(-|l_j|))
 *     d/dl_j      = sigmoid(l_j) - x_j
 *   Gaussian with fixed standard deviation sigma, decoder output = mean m:
 *     -log p(x|z) = sum_j  (x_j - m_j)^2 / (2 sigma^2) + log sigma + log(2 pi) / 2
 *     d/dm_j      = (m_j - x_j) / sigma^2
 * </pre>
 *
 * <p>The Bernoulli term is binary cross-entropy with logits in the stable form of {@link
 * SigmoidCrossEntropy} (exp only sees non-positive arguments); it is a pair with per-example output
 * (N,) because the importance-sampled log-likelihood needs log p(x|z) for every example, while
 * {@link SigmoidCrossEntropy#sigmoidCrossEntropyLoss} returns the batch mean. For grey-level
 * targets in [0, 1] (Fashion-MNIST scaled to [0, 1]) the Bernoulli "likelihood" is the usual
 * cross-entropy stand-in, not a density of continuous pixels; reported nats are comparable only
 * with models that use the same convention (PyTorch's {@code F.binary_cross_entropy_with_logits(l,
 * x, reduction='none').sum(1)}).
 *
 * <p>Dimensions: N examples, D pixels. Computed in float64; outputs take the dtype of the decoder
 * output. The Bernoulli forward splits its examples over {@link Parallel}'s threads (each example's
 * sum stays on one thread, so the result does not depend on the thread count).
 */
public final class Likelihoods {
  private Likelihoods() {}

  /** Examples per parallel chunk of the forward passes. */
  private static final int ROWS_PER_CHUNK = 8;

  /** Elementary operations counted per pixel of the Bernoulli forward (an exp and a log1p). */
  private static final long TRANSCENDENTAL_WORK = 20;

  /**
   * What the backward passes read: the per-element derivative of -log p(x|z) with respect to the
   * decoder output, before scaling by dout.
   *
   * @param dpixel shape (N, D), float64
   */
  public record Cache(double[] dpixel, int n, int d, DType dtype) {}

  // ---------------------------------------------------------------- Bernoulli

  /**
   * -log p(x|z) under independent Bernoulli pixels with the given logits.
   *
   * @param logits decoder output, shape (N, D), float32 or float64
   * @param x targets in [0, 1], shape (N, D), any float dtype
   * @return -log p(x|z) per example, shape (N,), the dtype of logits, and the cache
   * @throws IllegalArgumentException for mismatched shapes or a target outside [0, 1] (naming its
   *     position)
   */
  public static Forward<Cache> bernoulliNllForward(Tensor logits, Tensor x) {
    String op = "bernoulliNll";
    check(op, "logits", logits, x);
    int n = logits.shape(0);
    int d = logits.shape(1);
    double[] l = logits.toDoubleArray();
    double[] t = x.toDoubleArray();
    double[] dpix = new double[n * d];
    double[] nll = new double[n];
    // Rows are independent and each row's sum runs in order on one thread: the same bits for any
    // thread count. exp and log1p cost tens of nanoseconds each, hence the work estimate.
    Parallel.forRange(
        n,
        ROWS_PER_CHUNK,
        (long) n * d * TRANSCENDENTAL_WORK,
        (start, end) -> {
          for (int i = start; i < end; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
              int k = i * d + j;
              double y = t[k];
              if (!(y >= 0 && y <= 1)) {
                throw new IllegalArgumentException(
                    op + ": target " + y + " at (" + i + ", " + j + ") is outside [0, 1]");
              }
              double v = l[k];
              double e = Math.exp(-Math.abs(v)); // in (0, 1]: cannot overflow
              s += Math.max(v, 0) - v * y + Math.log1p(e);
              double sigmoid = v >= 0 ? 1 / (1 + e) : e / (1 + e);
              dpix[k] = sigmoid - y;
            }
            nll[i] = s;
          }
        });
    return new Forward<>(
        Reparameterize.toDtype(Tensor.of(nll, n), logits.dtype()),
        new Cache(dpix, n, d, logits.dtype()));
  }

  /**
   * Backward of {@link #bernoulliNllForward}.
   *
   * @param dout upstream gradient of each example's -log p(x|z), shape (N,)
   * @param cache from the forward pass
   * @return dlogits, shape (N, D), the dtype of logits
   * @throws IllegalArgumentException when dout is not (N,)
   */
  public static Tensor bernoulliNllBackward(Tensor dout, Cache cache) {
    return scaleRows("bernoulliNllBackward", dout, cache);
  }

  // ---------------------------------------------------------------- Gaussian

  /**
   * -log p(x|z) under independent Gaussian pixels N(mean, sigma^2) with a fixed sigma.
   *
   * @param mean decoder output, shape (N, D), float32 or float64
   * @param x targets, shape (N, D), any float dtype
   * @param sigma the fixed standard deviation, finite and &gt; 0
   * @return -log p(x|z) per example, shape (N,), the dtype of mean, and the cache
   * @throws IllegalArgumentException for mismatched shapes or a bad sigma
   */
  public static Forward<Cache> gaussianNllForward(Tensor mean, Tensor x, double sigma) {
    String op = "gaussianNll";
    check(op, "mean", mean, x);
    if (!(sigma > 0) || !Double.isFinite(sigma)) {
      throw new IllegalArgumentException(op + ": sigma must be finite and > 0, got " + sigma);
    }
    int n = mean.shape(0);
    int d = mean.shape(1);
    double[] m = mean.toDoubleArray();
    double[] t = x.toDoubleArray();
    double var = sigma * sigma;
    double constant = d * (Math.log(sigma) + 0.5 * Math.log(2 * Math.PI));
    double[] dpix = new double[n * d];
    double[] nll = new double[n];
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (int j = 0; j < d; j++) {
        int k = i * d + j;
        double r = m[k] - t[k];
        s += r * r;
        dpix[k] = r / var;
      }
      nll[i] = s / (2 * var) + constant;
    }
    return new Forward<>(
        Reparameterize.toDtype(Tensor.of(nll, n), mean.dtype()),
        new Cache(dpix, n, d, mean.dtype()));
  }

  /**
   * Backward of {@link #gaussianNllForward}.
   *
   * @param dout upstream gradient of each example's -log p(x|z), shape (N,)
   * @param cache from the forward pass
   * @return dmean, shape (N, D), the dtype of mean
   * @throws IllegalArgumentException when dout is not (N,)
   */
  public static Tensor gaussianNllBackward(Tensor dout, Cache cache) {
    return scaleRows("gaussianNllBackward", dout, cache);
  }

  // ---------------------------------------------------------------- helpers

  private static void check(String op, String name, Tensor out, Tensor x) {
    Objects.requireNonNull(out, op + ": " + name + " is null");
    Objects.requireNonNull(x, op + ": x is null");
    Elementwise.requireFloat(op, name, out);
    Elementwise.requireFloat(op, "x", x);
    if (out.ndim() != 2 || !out.sameShape(x)) {
      throw new IllegalArgumentException(
          op
              + ": expected "
              + name
              + " (N, D) and x of the same shape, got "
              + name
              + " "
              + out.shapeString()
              + " and x "
              + x.shapeString());
    }
  }

  /** d(out)[i, j] = dout[i] * dpixel[i, j]. */
  private static Tensor scaleRows(String op, Tensor dout, Cache cache) {
    int n = cache.n();
    int d = cache.d();
    if (dout == null || dout.ndim() != 1 || dout.shape(0) != n) {
      throw new IllegalArgumentException(
          op + ": expected dout (" + n + ",), got " + (dout == null ? "null" : dout.shapeString()));
    }
    double[] g = dout.toDoubleArray();
    double[] dx = new double[n * d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        dx[i * d + j] = g[i] * cache.dpixel()[i * d + j];
      }
    }
    return Reparameterize.toDtype(Tensor.of(dx, n, d), cache.dtype());
  }
}
