package org.handgrad.data;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Photometric augmentations with torchvision's definitions for float images in [0, 1] ({@code
 * torchvision.transforms.functional} 0.14, tensor backend): brightness, contrast, saturation, hue,
 * grayscale and Gaussian blur, each with one factor per image so a caller (or a test) can fix them.
 * {@link ViewPipeline} draws the factors.
 *
 * <pre>
 *   blend(a, b, f)  = clamp(f a + (1 - f) b, 0, 1)
 *   brightness f    : blend(x, 0, f)
 *   contrast f      : blend(x, mean(gray(x)), f)     the mean over the whole image; for 1 channel mean(x)
 *   saturation f    : blend(x, gray(x), f)           3 channels only; 1 channel is unchanged
 *   hue d           : RGB -> HSV, h = (h + d) mod 1, HSV -> RGB; 3 channels only
 *   gray(x)         = 0.2989 r + 0.587 g + 0.114 b   (ITU-R 601-2 luma, as torchvision)
 *   blur sigma, k   : separable Gaussian, taps exp(-t^2 / (2 sigma^2)) for t in [-(k-1)/2, (k-1)/2],
 *                     normalised to sum 1, reflect padding ("reflect": the edge pixel is not repeated)
 * </pre>
 *
 * <p>Dimension letters: N images, C channels (1 or 3), H height, W width. The Tensor functions
 * return new tensors of the input's dtype, computed in float64. The package-private kernels work in
 * place on one image of a float64 array, which is what {@link ViewPipeline} uses.
 */
public final class ColorJitter {
  /** Luma weights of torchvision's {@code rgb_to_grayscale}. */
  static final double WR = 0.2989;

  static final double WG = 0.587;
  static final double WB = 0.114;

  private ColorJitter() {}

  /**
   * Brightness: {@code clamp(f x, 0, 1)} per image.
   *
   * @param x images in [0, 1], shape (N, C, H, W)
   * @param factor one factor &gt;= 0 per image, length N
   * @return adjusted images, shape (N, C, H, W)
   */
  public static Tensor adjustBrightness(Tensor x, double[] factor) {
    return apply("adjustBrightness", x, factor, false, ColorJitter::brightness);
  }

  /**
   * Contrast: blend with the mean of the image's grayscale (of the image itself for C = 1).
   *
   * @param x images in [0, 1], shape (N, C, H, W), C = 1 or 3
   * @param factor one factor &gt;= 0 per image, length N
   * @return adjusted images, shape (N, C, H, W)
   */
  public static Tensor adjustContrast(Tensor x, double[] factor) {
    return apply("adjustContrast", x, factor, false, ColorJitter::contrast);
  }

  /**
   * Saturation: blend with the grayscale image; a 1-channel image is returned unchanged.
   *
   * @param x images in [0, 1], shape (N, C, H, W), C = 1 or 3
   * @param factor one factor &gt;= 0 per image, length N
   * @return adjusted images, shape (N, C, H, W)
   */
  public static Tensor adjustSaturation(Tensor x, double[] factor) {
    return apply("adjustSaturation", x, factor, false, ColorJitter::saturation);
  }

  /**
   * Hue: rotate the hue by {@code shift} turns; a 1-channel image is returned unchanged.
   *
   * @param x images in [0, 1], shape (N, C, H, W), C = 1 or 3
   * @param shift one shift in [-0.5, 0.5] per image, length N
   * @return adjusted images, shape (N, C, H, W)
   */
  public static Tensor adjustHue(Tensor x, double[] shift) {
    for (double s : shift) {
      if (!(s >= -0.5 && s <= 0.5)) {
        throw new IllegalArgumentException("adjustHue: shift must be in [-0.5, 0.5], got " + s);
      }
    }
    return apply("adjustHue", x, shift, true, ColorJitter::hue);
  }

  /**
   * Grayscale with three equal output channels (torchvision's {@code rgb_to_grayscale(x, 3)}), for
   * the images whose flag is set; a 1-channel image is returned unchanged.
   *
   * @param x images in [0, 1], shape (N, C, H, W), C = 1 or 3
   * @param gray one flag per image, length N
   * @return images, shape (N, C, H, W)
   */
  public static Tensor grayscale(Tensor x, boolean[] gray) {
    double[] f = new double[gray.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = gray[i] ? 1 : 0;
    }
    return apply(
        "grayscale",
        x,
        f,
        false,
        (a, o, c, hw, v) -> {
          if (v != 0) {
            grayscale(a, o, c, hw);
          }
        });
  }

  /**
   * Gaussian blur with a k x k separable kernel and one sigma per image (torchvision's {@code
   * gaussian_blur(x, [k, k], [sigma, sigma])}).
   *
   * @param x images, shape (N, C, H, W) with H, W &gt; k / 2
   * @param kernel k, odd, &gt;= 1
   * @param sigma one standard deviation &gt; 0 per image, length N
   * @return blurred images, shape (N, C, H, W)
   */
  public static Tensor gaussianBlur(Tensor x, int kernel, double[] sigma) {
    Preprocess.checkImages("gaussianBlur", x);
    checkKernel(kernel, x.shape(2), x.shape(3));
    for (double s : sigma) {
      if (!(s > 0) || Double.isInfinite(s)) {
        throw new IllegalArgumentException("gaussianBlur: sigma must be positive, got " + s);
      }
    }
    return apply(
        "gaussianBlur",
        x,
        sigma,
        false,
        (a, o, c, hw, s) -> blur(a, o, c, x.shape(2), x.shape(3), kernel, s));
  }

  /** Kernel size of SimCLR's blur: 10% of the image side, made odd, at least 3. */
  public static int simclrBlurKernel(int side) {
    int k = Math.max(3, side / 10);
    return k % 2 == 1 ? k : k + 1;
  }

  // ---- in-place kernels on one image a[o, o + c*hw)

  /** One image's in-place operation with its factor. */
  @FunctionalInterface
  interface ImageOp {
    void apply(double[] a, int o, int c, int hw, double factor);
  }

  static void brightness(double[] a, int o, int c, int hw, double f) {
    for (int i = o; i < o + c * hw; i++) {
      a[i] = clamp01(f * a[i]);
    }
  }

  static void contrast(double[] a, int o, int c, int hw, double f) {
    double mean = 0;
    if (c == 3) {
      for (int p = 0; p < hw; p++) {
        mean += gray(a, o, hw, p);
      }
    } else {
      for (int i = o; i < o + c * hw; i++) {
        mean += a[i];
      }
      mean /= c;
    }
    mean /= hw;
    for (int i = o; i < o + c * hw; i++) {
      a[i] = clamp01(f * a[i] + (1 - f) * mean);
    }
  }

  static void saturation(double[] a, int o, int c, int hw, double f) {
    if (c != 3) {
      return;
    }
    for (int p = 0; p < hw; p++) {
      double g = gray(a, o, hw, p);
      for (int ch = 0; ch < 3; ch++) {
        int i = o + ch * hw + p;
        a[i] = clamp01(f * a[i] + (1 - f) * g);
      }
    }
  }

  static void grayscale(double[] a, int o, int c, int hw) {
    if (c != 3) {
      return;
    }
    for (int p = 0; p < hw; p++) {
      double g = gray(a, o, hw, p);
      a[o + p] = g;
      a[o + hw + p] = g;
      a[o + 2 * hw + p] = g;
    }
  }

  /** torchvision's {@code _rgb2hsv}, the hue shift, then {@code _hsv2rgb}, pixel by pixel. */
  static void hue(double[] a, int o, int c, int hw, double shift) {
    if (c != 3) {
      return;
    }
    for (int p = 0; p < hw; p++) {
      double r = a[o + p];
      double g = a[o + hw + p];
      double b = a[o + 2 * hw + p];
      double maxc = Math.max(r, Math.max(g, b));
      double minc = Math.min(r, Math.min(g, b));
      boolean eq = maxc == minc;
      double cr = maxc - minc;
      double s = cr / (eq ? 1 : maxc);
      double div = eq ? 1 : cr;
      double rc = (maxc - r) / div;
      double gc = (maxc - g) / div;
      double bc = (maxc - b) / div;
      double h;
      if (maxc == r) {
        h = bc - gc;
      } else if (maxc == g) {
        h = 2.0 + rc - bc;
      } else {
        h = 4.0 + gc - rc;
      }
      h = (h / 6.0 + 1.0) % 1.0; // torch.fmod of a positive number
      h = floorMod1(h + shift); // Python's % 1.0: the result is in [0, 1)
      double v = maxc;
      double hi = Math.floor(h * 6.0);
      double f = h * 6.0 - hi;
      int i = ((int) hi) % 6;
      double pp = clamp01(v * (1.0 - s));
      double q = clamp01(v * (1.0 - s * f));
      double t = clamp01(v * (1.0 - s * (1.0 - f)));
      double[] rgb =
          switch (i) {
            case 0 -> new double[] {v, t, pp};
            case 1 -> new double[] {q, v, pp};
            case 2 -> new double[] {pp, v, t};
            case 3 -> new double[] {pp, q, v};
            case 4 -> new double[] {t, pp, v};
            default -> new double[] {v, pp, q};
          };
      a[o + p] = rgb[0];
      a[o + hw + p] = rgb[1];
      a[o + 2 * hw + p] = rgb[2];
    }
  }

  /** Separable Gaussian blur of the c planes of one image, reflect padding. */
  static void blur(double[] a, int o, int c, int h, int w, int k, double sigma) {
    double[] taps = gaussianKernel(k, sigma);
    int half = k / 2;
    double[] row = new double[Math.max(h, w)];
    for (int ch = 0; ch < c; ch++) {
      int plane = o + ch * h * w;
      for (int i = 0; i < h; i++) { // horizontal pass
        int base = plane + i * w;
        for (int j = 0; j < w; j++) {
          double s = 0;
          for (int t = 0; t < k; t++) {
            s += taps[t] * a[base + reflect(j + t - half, w)];
          }
          row[j] = s;
        }
        System.arraycopy(row, 0, a, base, w);
      }
      for (int j = 0; j < w; j++) { // vertical pass
        for (int i = 0; i < h; i++) {
          double s = 0;
          for (int t = 0; t < k; t++) {
            s += taps[t] * a[plane + reflect(i + t - half, h) * w + j];
          }
          row[i] = s;
        }
        for (int i = 0; i < h; i++) {
          a[plane + i * w + j] = row[i];
        }
      }
    }
  }

  /** torchvision's {@code _get_gaussian_kernel1d}: k taps, normalised to sum 1. */
  static double[] gaussianKernel(int k, double sigma) {
    double[] taps = new double[k];
    double half = (k - 1) * 0.5;
    double sum = 0;
    for (int t = 0; t < k; t++) {
      double x = -half + t;
      taps[t] = Math.exp(-0.5 * (x / sigma) * (x / sigma));
      sum += taps[t];
    }
    for (int t = 0; t < k; t++) {
      taps[t] /= sum;
    }
    return taps;
  }

  static void checkKernel(int kernel, int h, int w) {
    if (kernel < 1 || kernel % 2 == 0) {
      throw new IllegalArgumentException(
          "gaussianBlur: kernel size must be odd and positive, got " + kernel);
    }
    if (kernel / 2 >= h || kernel / 2 >= w) {
      throw new IllegalArgumentException(
          "gaussianBlur: kernel " + kernel + " is too large for reflect padding of " + h + "x" + w);
    }
  }

  private static int reflect(int i, int n) {
    if (i < 0) {
      return -i;
    }
    return i >= n ? 2 * (n - 1) - i : i;
  }

  private static double floorMod1(double v) {
    double m = v - Math.floor(v);
    return m >= 1.0 ? 0.0 : m;
  }

  private static double gray(double[] a, int o, int hw, int p) {
    return WR * a[o + p] + WG * a[o + hw + p] + WB * a[o + 2 * hw + p];
  }

  private static double clamp01(double v) {
    return v < 0 ? 0 : v > 1 ? 1 : v;
  }

  private static Tensor apply(String op, Tensor x, double[] factor, boolean rgbOnly, ImageOp f) {
    Preprocess.checkImages(op, x);
    int n = x.shape(0);
    int c = x.shape(1);
    int hw = x.shape(2) * x.shape(3);
    if (c != 1 && c != 3) {
      throw new IllegalArgumentException(
          op + ": expected 1 or 3 channels, got x " + x.shapeString());
    }
    if (factor.length != n) {
      throw new IllegalArgumentException(
          op + ": expected " + n + " factors for x " + x.shapeString() + ", got " + factor.length);
    }
    if (!rgbOnly) {
      for (double v : factor) {
        if (!(v >= 0) || Double.isInfinite(v)) {
          throw new IllegalArgumentException(op + ": factors must be finite and >= 0, got " + v);
        }
      }
    }
    double[] a = x.toDoubleArray();
    for (int img = 0; img < n; img++) {
      f.apply(a, img * c * hw, c, hw, factor[img]);
    }
    Tensor out = Tensor.of(a, x.shape());
    return x.dtype() == DType.FLOAT32 ? out.to(DType.FLOAT32) : out;
  }
}
