package org.handgrad.models.explain;

import java.util.Objects;
import org.handgrad.models.InputGradients;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * Class visualization by gradient ascent on the image (Simonyan et al. 2014, with the regularizers
 * of Yosinski et al. 2015, "Understanding Neural Networks Through Deep Visualization"), CS231n's
 * {@code create_class_visualization}: starting from noise, maximize {@code s_y(I) - l2Reg *
 * ||I||^2} over the image I. Each iteration
 *
 * <ol>
 *   <li>rolls the image by a random (ox, oy) in [0, maxJitter] (jitter; undone after the step),
 *   <li>steps along the objective's gradient normalised to unit L2 length, {@code I += lr * g /
 *       ||g||_2} (normalising makes the step size independent of the model's score scale),
 *   <li>clamps every pixel to the range of valid images in the model's input space,
 *   <li>every {@code blurEvery} iterations (and at the first), blurs with a Gaussian of sigma 0.5
 *       (scipy's {@code gaussian_filter1d} along H then W: radius 2, mirrored edges).
 * </ol>
 *
 * <p>Scale. CS231n's defaults are for 3 x 224 x 224 SqueezeNet inputs. {@link Options#forInput(int,
 * int, int)} keeps the jitter the same fraction of the image (16 / 224, so 2 pixels at 28 x 28) and
 * the per-pixel step the same ({@code lr / sqrt(C H W)}, so lr 25 becomes 1.8 at 1 x 28 x 28).
 */
public final class ClassVisualization {
  private ClassVisualization() {}

  /** The side CS231n's defaults were chosen for (SqueezeNet's 224 x 224 x 3 input). */
  private static final int CS231N_SIDE = 224;

  /**
   * Settings.
   *
   * @param l2Reg strength of the L2 penalty on the image (CS231n: 1e-3)
   * @param learningRate L2 length of each step (CS231n: 25)
   * @param numIterations gradient steps (CS231n: 100)
   * @param blurEvery blur at iterations 0, blurEvery, 2 blurEvery, ... (CS231n: 10; 0 = never)
   * @param maxJitter largest roll in pixels along each axis (CS231n: 16)
   * @param blurSigma standard deviation of the blur in pixels (CS231n: 0.5)
   */
  public record Options(
      double l2Reg,
      double learningRate,
      int numIterations,
      int blurEvery,
      int maxJitter,
      double blurSigma) {
    /** Validates the fields. */
    public Options {
      if (!(l2Reg >= 0)
          || !(learningRate > 0)
          || numIterations < 0
          || blurEvery < 0
          || maxJitter < 0
          || !(blurSigma > 0)) {
        throw new IllegalArgumentException(
            "class visualization: need l2Reg >= 0, learningRate > 0, numIterations >= 0,"
                + " blurEvery >= 0, maxJitter >= 0, blurSigma > 0; got "
                + this);
      }
    }

    /**
     * CS231n's defaults for 3 x 224 x 224: l2 1e-3, lr 25, 100 iterations, blur every 10, jitter
     * 16.
     */
    public static Options cs231n() {
      return new Options(1e-3, 25, 100, 10, 16, 0.5);
    }

    /**
     * CS231n's defaults scaled to a (C, H, W) input: jitter {@code max(1, round(16 * max(H, W) /
     * 224))} and learning rate {@code 25 * sqrt(C H W / (3 * 224 * 224))}, the same per-pixel step.
     */
    public static Options forInput(int c, int h, int w) {
      Options d = cs231n();
      int jitter = Math.max(1, (int) Math.round(16.0 * Math.max(h, w) / CS231N_SIDE));
      double lr =
          d.learningRate() * Math.sqrt((double) c * h * w / (3.0 * CS231N_SIDE * CS231N_SIDE));
      return new Options(d.l2Reg(), lr, d.numIterations(), d.blurEvery(), jitter, d.blurSigma());
    }
  }

  /**
   * The range of valid images in the model's input space, per channel (for example {@code (0 -
   * mean) / std} to {@code (1 - mean) / std} after per-channel normalisation).
   *
   * @param low lowest value of each channel, length C
   * @param high highest value of each channel, length C
   */
  public record PixelRange(double[] low, double[] high) {
    /** Validates and copies the arrays. */
    public PixelRange {
      low = Objects.requireNonNull(low, "low").clone();
      high = Objects.requireNonNull(high, "high").clone();
      if (low.length != high.length) {
        throw new IllegalArgumentException(
            "pixel range: low and high differ in length, " + low.length + " vs " + high.length);
      }
      for (int c = 0; c < low.length; c++) {
        if (!(low[c] < high[c])) {
          throw new IllegalArgumentException(
              "pixel range: channel " + c + " needs low < high, got " + low[c] + ", " + high[c]);
        }
      }
    }

    /** Lowest values (a copy). */
    @Override
    public double[] low() {
      return low.clone();
    }

    /** Highest values (a copy). */
    @Override
    public double[] high() {
      return high.clone();
    }
  }

  /**
   * Synthesizes an image the model scores as {@code target}.
   *
   * @param model the classifier
   * @param target class to visualize, in [0, K)
   * @param shape the model's (C, H, W)
   * @param dtype float32 or float64, the model's
   * @param options the settings
   * @param range valid pixel range in input space, C entries; null for no clamping
   * @param rng draws the starting noise (standard normal, as CS231n) and the jitter
   * @return the image, shape (1, C, H, W), in the model's input space
   * @throws IllegalArgumentException for a target out of range or a range of the wrong length
   */
  public static Tensor create(
      InputGradients model,
      int target,
      int[] shape,
      DType dtype,
      Options options,
      PixelRange range,
      Rng rng) {
    Saliency.checkClass(target, model.numClasses());
    if (shape.length != 3) {
      throw new IllegalArgumentException(
          "class visualization: expected an image shape (C, H, W), got "
              + java.util.Arrays.toString(shape));
    }
    int c = shape[0];
    if (range != null && range.low.length != c) {
      throw new IllegalArgumentException(
          "class visualization: pixel range for "
              + range.low.length
              + " channels, images have "
              + c);
    }
    Tensor img = rng.randn(dtype, 1, c, shape[1], shape[2]);
    int[] classes = {target};
    for (int t = 0; t < options.numIterations(); t++) {
      int ox = rng.nextInt(0, options.maxJitter() + 1);
      int oy = rng.nextInt(0, options.maxJitter() + 1);
      img = roll(img, oy, ox);
      Tensor dx = Saliency.classScoreGradient(model, img, classes).dx();
      // d/dI of (s_y - l2Reg ||I||^2) = ds_y/dI - 2 l2Reg I
      Tensor g = dx.sub(img.mul(2 * options.l2Reg()));
      double norm = Math.sqrt(g.square().sum().item());
      if (norm > 0) {
        img.addScaledi(options.learningRate() / norm, g);
      }
      img = roll(img, -oy, -ox);
      if (range != null) {
        for (int ch = 0; ch < c; ch++) {
          Tensor plane = img.select(1, ch);
          plane.copyFrom(plane.clip(range.low[ch], range.high[ch]));
        }
      }
      if (options.blurEvery() > 0 && t % options.blurEvery() == 0) {
        img = blur(img, options.blurSigma());
      }
    }
    return img;
  }

  /**
   * Rolls images along H and W with wrap-around, as {@code torch.roll(x, (dy, dx), dims=(2, 3))}.
   *
   * @param x images, shape (N, C, H, W)
   * @return a new tensor, shape of x, where out[..., (i + dy) mod H, (j + dx) mod W] = x[..., i, j]
   */
  public static Tensor roll(Tensor x, int dy, int dx) {
    Saliency.checkImages("roll", x);
    int h = x.shape(2);
    int w = x.shape(3);
    int planes = x.shape(0) * x.shape(1);
    double[] a = x.contiguous().toDoubleArray();
    double[] out = new double[a.length];
    for (int p = 0; p < planes; p++) {
      for (int i = 0; i < h; i++) {
        int ti = Math.floorMod(i + dy, h);
        for (int j = 0; j < w; j++) {
          out[(p * h + ti) * w + Math.floorMod(j + dx, w)] = a[(p * h + i) * w + j];
        }
      }
    }
    return Tensor.of(out, x.shape()).to(x.dtype());
  }

  /**
   * Gaussian blur along H then W, as scipy's {@code gaussian_filter1d(x, sigma, axis)} twice: the
   * kernel has radius {@code round-half-up(4 sigma)} and sums to 1; edges are mirrored including
   * the edge pixel (scipy's "reflect": ... b a | a b ...).
   *
   * @param x images, shape (N, C, H, W)
   * @return a new tensor, shape and dtype of x
   */
  public static Tensor blur(Tensor x, double sigma) {
    Saliency.checkImages("blur", x);
    int radius = (int) (4 * sigma + 0.5);
    double[] k = new double[2 * radius + 1];
    double sum = 0;
    for (int i = -radius; i <= radius; i++) {
      k[i + radius] = Math.exp(-0.5 * i * i / (sigma * sigma));
      sum += k[i + radius];
    }
    for (int i = 0; i < k.length; i++) {
      k[i] /= sum;
    }
    int h = x.shape(2);
    int w = x.shape(3);
    int planes = x.shape(0) * x.shape(1);
    double[] a = x.contiguous().toDoubleArray();
    double[] tmp = new double[a.length];
    double[] out = new double[a.length];
    for (int p = 0; p < planes; p++) {
      int base = p * h * w;
      for (int i = 0; i < h; i++) {
        for (int j = 0; j < w; j++) {
          double s = 0;
          for (int d = -radius; d <= radius; d++) {
            s += k[d + radius] * a[base + reflect(i + d, h) * w + j];
          }
          tmp[base + i * w + j] = s;
        }
      }
      for (int i = 0; i < h; i++) {
        for (int j = 0; j < w; j++) {
          double s = 0;
          for (int d = -radius; d <= radius; d++) {
            s += k[d + radius] * tmp[base + i * w + reflect(j + d, w)];
          }
          out[base + i * w + j] = s;
        }
      }
    }
    return Tensor.of(out, x.shape()).to(x.dtype());
  }

  /** scipy's "reflect" index for i outside [0, n): mirrored about the edge, edge included. */
  private static int reflect(int i, int n) {
    int period = 2 * n;
    int m = Math.floorMod(i, period);
    return m < n ? m : period - 1 - m;
  }
}
