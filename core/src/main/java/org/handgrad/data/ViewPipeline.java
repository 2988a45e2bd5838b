package org.handgrad.data;

import java.util.random.RandomGenerator;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * SimCLR's view generator (Chen et al. 2020, appendix A), one random view per image:
 *
 * <pre>
 *   RandomResizedCrop(outH x outW, scale=(minScale, maxScale), ratio=(3/4, 4/3))   {@link ResizedCrop}
 *   RandomHorizontalFlip(flipP)
 *   RandomApply([ColorJitter(brightness, contrast, saturation, hue)], jitterP)     random order
 *   RandomGrayscale(grayP)                                                       3 channels only
 *   RandomApply([GaussianBlur(blurKernel, sigma=(sigmaMin, sigmaMax))], blurP)    optional
 * </pre>
 *
 * {@link #simclr} gives the strengths of CS231n's SimCLR notebook ({@code compute_train_transform}:
 * jitter 0.4, 0.4, 0.4, 0.1 with probability 0.8, grayscale 0.2), which are the paper's CIFAR-10
 * setting (colour strength 0.5, no blur); {@link #withBlur} turns on the paper's ImageNet blur (p =
 * 0.5, sigma in [0.1, 2], kernel 10% of the side). Colour jitter follows torchvision: the factors
 * are uniform in [max(0, 1 - s), 1 + s] (hue in [-h, h]) and the four adjustments run in a random
 * order; on 1-channel images saturation, hue and grayscale are the identity.
 *
 * <p>Randomness: {@link #sample} draws every image's parameters from the generator in this order,
 * image after image: the crop box ({@link ResizedCrop#sample}'s draws); flip ({@code nextDouble() <
 * flipP}); jitter ({@code nextDouble() < jitterP}, and when applied the order, a Fisher-Yates
 * shuffle of (brightness, contrast, saturation, hue) with {@code nextInt(i + 1)} for i = 3, 2, 1,
 * then the four factors, one {@code nextDouble()} each in that order); grayscale ({@code
 * nextDouble() < grayP}); blur ({@code nextDouble() < blurP}, and when applied sigma, one {@code
 * nextDouble()}). Hence a seed gives the same views, and {@link #apply} with fixed parameters is a
 * pure function.
 *
 * @param outH view height, &gt;= 1
 * @param outW view width, &gt;= 1
 * @param minScale smallest crop area fraction, in (0, maxScale]
 * @param maxScale largest crop area fraction, in [minScale, 1]
 * @param flipP probability of a horizontal flip
 * @param jitterP probability of colour jitter
 * @param brightness jitter strength, &gt;= 0
 * @param contrast jitter strength, &gt;= 0
 * @param saturation jitter strength, &gt;= 0
 * @param hue jitter strength, in [0, 0.5]
 * @param grayP probability of grayscale
 * @param blurP probability of Gaussian blur (0 = off)
 * @param blurKernel odd kernel size, &gt;= 1
 * @param sigmaMin smallest blur sigma, &gt; 0
 * @param sigmaMax largest blur sigma, &gt;= sigmaMin
 */
public record ViewPipeline(
    int outH,
    int outW,
    double minScale,
    double maxScale,
    double flipP,
    double jitterP,
    double brightness,
    double contrast,
    double saturation,
    double hue,
    double grayP,
    double blurP,
    int blurKernel,
    double sigmaMin,
    double sigmaMax) {
  private static final double MIN_RATIO = 3.0 / 4.0;
  private static final double MAX_RATIO = 4.0 / 3.0;

  /** The adjustments of colour jitter, in torchvision's index order. */
  public enum Jitter {
    /** Brightness. */
    BRIGHTNESS,
    /** Contrast. */
    CONTRAST,
    /** Saturation. */
    SATURATION,
    /** Hue. */
    HUE
  }

  /** Validates every field with a message naming it. */
  public ViewPipeline {
    String op = "ViewPipeline";
    if (outH < 1 || outW < 1) {
      throw new IllegalArgumentException(
          op + ": view size must be positive, got " + outH + "x" + outW);
    }
    if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1)) {
      throw new IllegalArgumentException(
          op + ": need 0 < minScale <= maxScale <= 1, got " + minScale + ", " + maxScale);
    }
    probability(op, "flipP", flipP);
    probability(op, "jitterP", jitterP);
    probability(op, "grayP", grayP);
    probability(op, "blurP", blurP);
    strength(op, "brightness", brightness);
    strength(op, "contrast", contrast);
    strength(op, "saturation", saturation);
    if (!(hue >= 0 && hue <= 0.5)) {
      throw new IllegalArgumentException(op + ": hue must be in [0, 0.5], got " + hue);
    }
    if (blurKernel < 1 || blurKernel % 2 == 0) {
      throw new IllegalArgumentException(
          op + ": blurKernel must be odd and positive, got " + blurKernel);
    }
    if (!(sigmaMin > 0 && sigmaMin <= sigmaMax) || Double.isInfinite(sigmaMax)) {
      throw new IllegalArgumentException(
          op + ": need 0 < sigmaMin <= sigmaMax, got " + sigmaMin + ", " + sigmaMax);
    }
  }

  /**
   * CS231n's SimCLR augmentation for size x size views (see the class comment); blur off.
   *
   * @param size view side
   * @param minScale smallest crop area fraction (torchvision's default 0.08)
   */
  public static ViewPipeline simclr(int size, double minScale) {
    return new ViewPipeline(
        size,
        size,
        minScale,
        1.0,
        0.5,
        0.8,
        0.4,
        0.4,
        0.4,
        0.1,
        0.2,
        0.0,
        ColorJitter.simclrBlurKernel(size),
        0.1,
        2.0);
  }

  /** This pipeline with SimCLR's ImageNet blur: probability 0.5, sigma in [0.1, 2]. */
  public ViewPipeline withBlur() {
    return new ViewPipeline(
        outH,
        outW,
        minScale,
        maxScale,
        flipP,
        jitterP,
        brightness,
        contrast,
        saturation,
        hue,
        grayP,
        0.5,
        blurKernel,
        sigmaMin,
        sigmaMax);
  }

  /**
   * The random parameters of one image's view.
   *
   * @param box the crop box in the source image
   * @param flip mirror left to right
   * @param order the jitter adjustments in the order applied; empty when jitter is not applied
   * @param factors brightness, contrast, saturation factors and the hue shift (unused when order is
   *     empty)
   * @param gray convert to grayscale
   * @param sigma the blur sigma, 0 for no blur
   */
  public record Params(
      ResizedCrop.Box box,
      boolean flip,
      Jitter[] order,
      double[] factors,
      boolean gray,
      double sigma) {}

  /**
   * Draws the parameters of N views (see the class comment for the order of the draws).
   *
   * @param n images
   * @param h source image height
   * @param w source image width
   * @return one Params per image, length N
   */
  public Params[] sample(int n, int h, int w, RandomGenerator rng) {
    Params[] out = new Params[n];
    for (int i = 0; i < n; i++) {
      ResizedCrop.Box box = ResizedCrop.sample(h, w, minScale, maxScale, MIN_RATIO, MAX_RATIO, rng);
      boolean flip = rng.nextDouble() < flipP;
      Jitter[] order = new Jitter[0];
      double[] factors = new double[4];
      if (rng.nextDouble() < jitterP) {
        order = Jitter.values();
        for (int k = order.length - 1; k > 0; k--) {
          int j = rng.nextInt(k + 1);
          Jitter t = order[k];
          order[k] = order[j];
          order[j] = t;
        }
        factors[0] = uniform(rng, Math.max(0, 1 - brightness), 1 + brightness);
        factors[1] = uniform(rng, Math.max(0, 1 - contrast), 1 + contrast);
        factors[2] = uniform(rng, Math.max(0, 1 - saturation), 1 + saturation);
        factors[3] = uniform(rng, -hue, hue);
      }
      boolean gray = rng.nextDouble() < grayP;
      double sigma = rng.nextDouble() < blurP ? uniform(rng, sigmaMin, sigmaMax) : 0;
      out[i] = new Params(box, flip, order, factors, gray, sigma);
    }
    return out;
  }

  /**
   * One random view of every image: {@link #sample} then {@link #apply}.
   *
   * @param x images in [0, 1], shape (N, C, H, W), C = 1 or 3, float32 or float64
   * @return views, shape (N, C, outH, outW), the dtype of x
   */
  public Tensor view(Tensor x, RandomGenerator rng) {
    Preprocess.checkImages("ViewPipeline.view", x);
    return apply(x, sample(x.shape(0), x.shape(2), x.shape(3), rng));
  }

  /**
   * Two independent views of every image stacked as the NT-Xent batch: rows k and k + N are the two
   * views of image k. Draws all N first views, then all N second views.
   *
   * @param x images in [0, 1], shape (N, C, H, W)
   * @return views, shape (2N, C, outH, outW), the dtype of x
   */
  public Tensor twoViews(Tensor x, RandomGenerator rng) {
    Tensor a = view(x, rng);
    Tensor b = view(x, rng);
    return Tensor.concatenate(0, a, b);
  }

  /**
   * Applies fixed parameters: crop and resize, flip, jitter in its order, grayscale, blur.
   *
   * @param x images in [0, 1], shape (N, C, H, W), C = 1 or 3
   * @param params one per image, length N
   * @return views, shape (N, C, outH, outW), the dtype of x
   */
  public Tensor apply(Tensor x, Params[] params) {
    String op = "ViewPipeline.apply";
    Preprocess.checkImages(op, x);
    int n = x.shape(0);
    int c = x.shape(1);
    if (c != 1 && c != 3) {
      throw new IllegalArgumentException(
          op + ": expected 1 or 3 channels, got x " + x.shapeString());
    }
    if (params.length != n) {
      throw new IllegalArgumentException(
          op + ": expected " + n + " params for x " + x.shapeString() + ", got " + params.length);
    }
    if (blurP > 0) {
      ColorJitter.checkKernel(blurKernel, outH, outW);
    }
    ResizedCrop.Box[] boxes = new ResizedCrop.Box[n];
    for (int i = 0; i < n; i++) {
      boxes[i] = params[i].box();
    }
    double[] a = ResizedCrop.crop(x.to(DType.FLOAT64), boxes, outH, outW).toDoubleArray();
    int hw = outH * outW;
    for (int i = 0; i < n; i++) {
      Params p = params[i];
      int o = i * c * hw;
      if (p.flip()) {
        mirror(a, o, c * outH, outW);
      }
      for (Jitter j : p.order()) {
        switch (j) {
          case BRIGHTNESS -> ColorJitter.brightness(a, o, c, hw, p.factors()[0]);
          case CONTRAST -> ColorJitter.contrast(a, o, c, hw, p.factors()[1]);
          case SATURATION -> ColorJitter.saturation(a, o, c, hw, p.factors()[2]);
          case HUE -> ColorJitter.hue(a, o, c, hw, p.factors()[3]);
        }
      }
      if (p.gray()) {
        ColorJitter.grayscale(a, o, c, hw);
      }
      if (p.sigma() > 0) {
        ColorJitter.blur(a, o, c, outH, outW, blurKernel, p.sigma());
      }
    }
    Tensor out = Tensor.of(a, n, c, outH, outW);
    return x.dtype() == DType.FLOAT32 ? out.to(DType.FLOAT32) : out;
  }

  private static void mirror(double[] a, int o, int rows, int w) {
    for (int r = 0; r < rows; r++) {
      int base = o + r * w;
      for (int j = 0; j < w / 2; j++) {
        double t = a[base + j];
        a[base + j] = a[base + w - 1 - j];
        a[base + w - 1 - j] = t;
      }
    }
  }

  private static double uniform(RandomGenerator rng, double lo, double hi) {
    return lo + (hi - lo) * rng.nextDouble();
  }

  private static void probability(String op, String name, double p) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException(op + ": " + name + " must be in [0, 1], got " + p);
    }
  }

  private static void strength(String op, String name, double s) {
    if (!(s >= 0) || Double.isInfinite(s)) {
      throw new IllegalArgumentException(op + ": " + name + " must be finite and >= 0, got " + s);
    }
  }
}
