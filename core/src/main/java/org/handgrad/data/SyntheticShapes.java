package org.handgrad.data;

import java.util.List;
import java.util.SplittableRandom;
import org.handgrad.tensor.Tensor;

/**
 * A procedurally generated 10-class image dataset of coloured shapes: the offline fallback that
 * needs no download and always works.
 *
 * <p>Each image shows one shape (the class) drawn with a random colour over a random two-colour
 * gradient background, at a random position, size (radius 22..40% of the image), aspect ratio
 * (0.85..1.15), rotation (-15..15 degrees, small enough that square and diamond, plus and cross
 * stay distinct), anti-aliased by 2x2 supersampling, plus per-pixel noise. Colours are independent
 * of the class and the shape may be lighter or darker than the background, so the mean colour of an
 * image says almost nothing about its class; position varies, so a linear classifier on pixels
 * cannot reach 100%, while a small convnet can learn it (measured: linear 16% test, a three-layer
 * convnet 95% test on 8000 training images; docs/conventions.md, section "data").
 *
 * <p>Determinism: image i of a split is generated from its own generator, seeded by a SplitMix64
 * hash of (seed, split, i), so any subset is reproducible and the loop over images parallelizes
 * without changing the result. Labels are balanced exactly (N/10 each, N mod 10 spread over the
 * first classes) and shuffled by a seeded permutation.
 *
 * <p>Grey images (C = 1) stand in for MNIST and Fashion-MNIST when those are missing and are laid
 * out as those datasets are: a light shape on a dark, nearly uniform background, centred and
 * size-normalized, so the README's first command (a softmax classifier) learns them offline.
 *
 * <p>Output: (N, C, S, S) float32 in [0, 1], with C = 3 (RGB) or 1 (grey).
 */
public final class SyntheticShapes {
  private SyntheticShapes() {}

  /** Class names, index = label. */
  public static final List<String> CLASSES =
      List.of(
          "circle",
          "ring",
          "square",
          "frame",
          "triangle",
          "diamond",
          "plus",
          "cross",
          "star",
          "crescent");

  /** Split id of the training split in the seed hash. */
  static final int TRAIN = 0;

  /** Split id of the test split in the seed hash. */
  static final int TEST = 1;

  /**
   * What to generate.
   *
   * @param numTrain training images, &gt;= 0
   * @param numTest test images, &gt;= 0
   * @param channels 3 (RGB) or 1 (grey)
   * @param size image height and width S, 12..256
   * @param seed the seed everything derives from
   */
  public record Config(int numTrain, int numTest, int channels, int size, long seed) {
    /** Validates the ranges. */
    public Config {
      if (numTrain < 0 || numTest < 0) {
        throw new IllegalArgumentException(
            "SyntheticShapes: image counts must be >= 0, got " + numTrain + " and " + numTest);
      }
      if (channels != 1 && channels != 3) {
        throw new IllegalArgumentException(
            "SyntheticShapes: channels must be 1 or 3, got " + channels);
      }
      if (size < 12 || size > 256) {
        throw new IllegalArgumentException("SyntheticShapes: size must be in 12..256, got " + size);
      }
    }

    /** CIFAR-10 sized: 50000 + 10000 RGB images of 32x32. */
    public static Config cifarLike(long seed) {
      return new Config(50_000, 10_000, 3, 32, seed);
    }

    /** MNIST sized: 60000 + 10000 grey images of 28x28. */
    public static Config mnistLike(long seed) {
      return new Config(60_000, 10_000, 1, 28, seed);
    }
  }

  /** Generates both splits. */
  public static Dataset generate(Config config) {
    Split train =
        generateSplit(config.numTrain(), config.channels(), config.size(), config.seed(), TRAIN);
    Split test =
        generateSplit(config.numTest(), config.channels(), config.size(), config.seed(), TEST);
    return new Dataset("shapes", train, test);
  }

  /**
   * Generates one split.
   *
   * @param splitId distinguishes splits generated from one seed (0 train, 1 test)
   * @return images (n, channels, size, size) float32 in [0, 1] with balanced labels
   */
  public static Split generateSplit(int n, int channels, int size, long seed, int splitId) {
    new Config(n, 0, channels, size, seed); // validates the arguments
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % CLASSES.size();
    }
    SplittableRandom labelRng = new SplittableRandom(hash(seed, splitId, -1));
    int[] perm = Preprocess.permutation(n, labelRng);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = y[perm[i]];
    }
    int per = channels * size * size;
    float[] x = new float[n * per];
    for (int i = 0; i < n; i++) { // independent images: a parallel-for can replace this loop
      render(hash(seed, splitId, i), labels[i], channels, size, x, i * per);
    }
    return new Split(Tensor.of(x, n, channels, size, size), labels, CLASSES);
  }

  /** SplitMix64's finalizer (Steele, Lea, Flood 2014): a bijective 64-bit mix. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  static long hash(long seed, int splitId, long index) {
    return mix(mix(mix(seed) + splitId * 0x9E3779B97F4A7C15L) + index);
  }

  /**
   * Renders one image into {@code out[off ..]} in (C, S, S) order.
   *
   * @param shape the class, 0..9
   */
  static void render(long imageSeed, int shape, int channels, int size, float[] out, int off) {
    SplittableRandom r = new SplittableRandom(imageSeed);
    if (channels == 1) {
      renderGrey(r, shape, size, out, off);
      return;
    }
    // Background: a linear gradient between two related colours in a random direction.
    double[] bg0 = {r.nextDouble(), r.nextDouble(), r.nextDouble()};
    double[] bg1 = new double[3];
    for (int k = 0; k < 3; k++) {
      bg1[k] = clamp(bg0[k] + 0.5 * (r.nextDouble() - 0.5));
    }
    double ga = r.nextDouble(2 * Math.PI);
    double gx = Math.cos(ga) / size;
    double gy = Math.sin(ga) / size;
    double bgLum = 0.5 * (lum(bg0) + lum(bg1));
    // Foreground: any colour whose luminance differs enough from the background to be seen, on
    // either side (so "bright blob" is not a class cue).
    double[] fg = new double[3];
    for (int tries = 0; ; tries++) {
      for (int k = 0; k < 3; k++) {
        fg[k] = r.nextDouble();
      }
      if (Math.abs(lum(fg) - bgLum) >= 0.3) {
        break;
      }
      if (tries == 32) {
        double target = bgLum < 0.5 ? 0.9 : 0.1;
        for (int k = 0; k < 3; k++) {
          fg[k] = 0.5 * fg[k] + target * 0.5 + (bgLum < 0.5 ? 0.05 : -0.05);
        }
        break;
      }
    }
    double noise = 0.02 + 0.08 * r.nextDouble();
    double radius = size * (0.22 + 0.18 * r.nextDouble());
    double margin = 0.9 * radius;
    double cx = margin + r.nextDouble() * Math.max(0, size - 2 * margin);
    double cy = margin + r.nextDouble() * Math.max(0, size - 2 * margin);
    double angle = Math.toRadians(-15 + 30 * r.nextDouble());
    double aspect = 0.85 + 0.3 * r.nextDouble();
    // (u, v) = rotate by -angle, scale by 1/radius and aspect: the shape's unit frame.
    double cos = Math.cos(angle);
    double sin = Math.sin(angle);
    double su = 1.0 / (radius * aspect);
    double sv = aspect / radius;
    double reach = 1.7 * radius; // covers every shape's extent after rotation and aspect
    int x0 = Math.max(0, (int) Math.floor(cx - reach));
    int x1 = Math.min(size - 1, (int) Math.ceil(cx + reach));
    int y0 = Math.max(0, (int) Math.floor(cy - reach));
    int y1 = Math.min(size - 1, (int) Math.ceil(cy + reach));
    int plane = size * size;
    long bits = 0;
    int bitsLeft = 0;
    for (int py = 0; py < size; py++) {
      for (int px = 0; px < size; px++) {
        double cover = 0;
        if (py >= y0 && py <= y1 && px >= x0 && px <= x1) {
          // 2x2 supersampling at pixel-centre offsets +-0.25: anti-aliased edges.
          for (int s = 0; s < 4; s++) {
            double dx = px + ((s & 1) == 0 ? 0.25 : 0.75) - cx;
            double dy = py + ((s & 2) == 0 ? 0.25 : 0.75) - cy;
            double u = (cos * dx + sin * dy) * su;
            double v = (-sin * dx + cos * dy) * sv;
            if (inside(shape, u, v)) {
              cover += 0.25;
            }
          }
        }
        double t = clamp(0.5 + (px - 0.5 * size) * gx + (py - 0.5 * size) * gy);
        for (int k = 0; k < 3; k++) {
          double bg = bg0[k] + (bg1[k] - bg0[k]) * t;
          double value = bg + (fg[k] - bg) * cover;
          if (bitsLeft == 0) {
            bits = r.nextLong();
            bitsLeft = 4;
          }
          // Uniform noise on [-sqrt(3), sqrt(3)] has unit variance; 16 random bits per draw
          // are plenty and 4x cheaper than a Gaussian.
          double unit = ((bits & 0xffff) / 65535.0 - 0.5) * 3.4641016151377544;
          bits >>>= 16;
          bitsLeft--;
          out[off + k * plane + py * size + px] = (float) clamp(value + noise * unit);
        }
      }
    }
  }

  /**
   * Draws a grey image the way MNIST and Fashion-MNIST present their objects: a light shape on a
   * dark, nearly uniform background, centred (jitter of at most 1.5 pixels) and size-normalized
   * (radius 32..40% of the image), with +-10 degree rotation and mild aspect change. Grey shapes
   * stand in for those datasets when they are missing, so they keep their easy layout: a linear
   * classifier on pixels learns them (docs/conventions.md, section "data").
   */
  private static void renderGrey(SplittableRandom r, int shape, int size, float[] out, int off) {
    double bg = 0.2 * r.nextDouble();
    double fg = 0.55 + 0.45 * r.nextDouble();
    double noise = 0.03 + 0.07 * r.nextDouble();
    double radius = size * (0.26 + 0.14 * r.nextDouble());
    double cx = 0.5 * size + 6 * (r.nextDouble() - 0.5);
    double cy = 0.5 * size + 6 * (r.nextDouble() - 0.5);
    double angle = Math.toRadians(-15 + 30 * r.nextDouble());
    double aspect = 0.85 + 0.3 * r.nextDouble();
    double cos = Math.cos(angle);
    double sin = Math.sin(angle);
    double su = 1.0 / (radius * aspect);
    double sv = aspect / radius;
    long bits = 0;
    int bitsLeft = 0;
    for (int py = 0; py < size; py++) {
      for (int px = 0; px < size; px++) {
        double cover = 0;
        for (int s = 0; s < 4; s++) {
          double dx = px + ((s & 1) == 0 ? 0.25 : 0.75) - cx;
          double dy = py + ((s & 2) == 0 ? 0.25 : 0.75) - cy;
          double u = (cos * dx + sin * dy) * su;
          double v = (-sin * dx + cos * dy) * sv;
          if (inside(shape, u, v)) {
            cover += 0.25;
          }
        }
        if (bitsLeft == 0) {
          bits = r.nextLong();
          bitsLeft = 4;
        }
        double unit = ((bits & 0xffff) / 65535.0 - 0.5) * 3.4641016151377544;
        bits >>>= 16;
        bitsLeft--;
        out[off + py * size + px] = (float) clamp(bg + (fg - bg) * cover + noise * unit);
      }
    }
  }

  /** ITU-R BT.601 luma weights. */
  private static final double[] LUMA = {0.299, 0.587, 0.114};

  private static double lum(double[] rgb) {
    return LUMA[0] * rgb[0] + LUMA[1] * rgb[1] + LUMA[2] * rgb[2];
  }

  private static double clamp(double v) {
    return v < 0 ? 0 : (v > 1 ? 1 : v);
  }

  private static final double SECTOR = 2 * Math.PI / 5;

  /**
   * Whether the point (u, v) of the shape's unit frame (v points down, the shape fits the unit
   * disc) is inside the shape. Public as a drawing primitive for other generators (the synthetic
   * captions).
   *
   * @param shape index into {@link #CLASSES}
   */
  public static boolean inside(int shape, double u, double v) {
    double au = Math.abs(u);
    double av = Math.abs(v);
    double q = u * u + v * v;
    switch (shape) {
      case 0: // circle
        return q <= 1;
      case 1: // ring: outer radius 1, inner 0.55
        return q <= 1 && q >= 0.3025;
      case 2: // filled square
        return Math.max(au, av) <= 0.82;
      case 3: // square outline
        {
          double m = Math.max(au, av);
          return m <= 0.85 && m >= 0.5;
        }
      case 4: // triangle, apex up
        return v <= 0.7 && v >= -0.95 && au <= (v + 0.95) * 0.6;
      case 5: // diamond: the square turned 45 degrees
        return au + av <= 1.05;
      case 6: // plus
        return (au <= 0.3 && av <= 0.95) || (av <= 0.3 && au <= 0.95);
      case 7: // cross: the plus turned 45 degrees
        {
          double a = Math.abs(u + v) * 0.7071067811865476;
          double b = Math.abs(v - u) * 0.7071067811865476;
          return (a <= 0.3 && b <= 1.0) || (b <= 0.3 && a <= 1.0);
        }
      case 8: // five-pointed star, a spike pointing up; radius 0.4 between the spikes
        {
          if (q > 1) {
            return false;
          }
          double phi = Math.atan2(u, -v);
          double t = ((phi % SECTOR) + SECTOR) % SECTOR;
          double d = Math.abs(t - 0.5 * SECTOR) / (0.5 * SECTOR);
          double rr = 0.4 + 0.6 * d;
          return q <= rr * rr;
        }
      case 9: // crescent opening to the right
        {
          double du = u - 0.5;
          return q <= 1 && du * du + v * v >= 0.7225;
        }
      default:
        throw new IllegalArgumentException("SyntheticShapes: unknown shape " + shape);
    }
  }
}
