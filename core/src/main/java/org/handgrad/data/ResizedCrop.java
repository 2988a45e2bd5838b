package org.handgrad.data;

import java.util.random.RandomGenerator;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Random resized crops, the view generator of SimCLR and DINO (torchvision's {@code
 * RandomResizedCrop}): cut a box whose area is a random fraction of the image and whose aspect
 * ratio is random, then resize it to a fixed output size with bilinear interpolation.
 *
 * <p>Two steps, each usable alone: {@link #sample} draws a {@link Box} with torchvision's rule, and
 * {@link #crop} resizes given boxes, so a test or a caller can fix the boxes. Resizing is {@code
 * F.interpolate(x[:, :, top:top+h, left:left+w], size=(outH, outW), mode="bilinear",
 * align_corners=False)} without antialiasing: for a source side s and output side o the output
 * pixel d reads the source coordinate {@code (d + 0.5) * s / o - 0.5}, clamped at 0, between the
 * two nearest pixels (the last pixel repeats at the right and bottom edges).
 *
 * <p>Dimension letters: N images, C channels, H height, W width; outputs have the input's dtype.
 */
public final class ResizedCrop {
  /** Attempts at a box of the drawn area and ratio before falling back to a centre crop. */
  private static final int ATTEMPTS = 10;

  private ResizedCrop() {}

  /**
   * A crop box in pixel units: rows [top, top + height), columns [left, left + width).
   *
   * @param top first row
   * @param left first column
   * @param height rows, &gt;= 1
   * @param width columns, &gt;= 1
   */
  public record Box(int top, int left, int height, int width) {}

  /**
   * Draws a box with torchvision's {@code RandomResizedCrop.get_params} rule. Up to ten attempts:
   * area = H W u with u uniform in [minScale, maxScale], log aspect uniform in [log minRatio, log
   * maxRatio], w = round(sqrt(area r)), h = round(sqrt(area / r)); the first box that fits is
   * placed at a uniform position. If none fits, the largest centred box whose ratio is clamped into
   * [minRatio, maxRatio] is returned. Draw order per attempt: u, then the log ratio (both {@code
   * rng.nextDouble()}), then, for a box that fits, the row then the column ({@code rng.nextInt}).
   *
   * @param h image height
   * @param w image width
   * @param minScale smallest area fraction, in (0, maxScale]
   * @param maxScale largest area fraction, in [minScale, 1]
   * @param minRatio smallest width / height ratio, &gt; 0
   * @param maxRatio largest width / height ratio, &gt;= minRatio
   * @return a box inside the image
   */
  public static Box sample(
      int h,
      int w,
      double minScale,
      double maxScale,
      double minRatio,
      double maxRatio,
      RandomGenerator rng) {
    checkRanges(minScale, maxScale, minRatio, maxRatio);
    if (h < 1 || w < 1) {
      throw new IllegalArgumentException("ResizedCrop.sample: empty image " + h + "x" + w);
    }
    double area = (double) h * w;
    double logLo = Math.log(minRatio);
    double logHi = Math.log(maxRatio);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      double target = area * (minScale + (maxScale - minScale) * rng.nextDouble());
      double ratio = Math.exp(logLo + (logHi - logLo) * rng.nextDouble());
      int bw = (int) Math.round(Math.sqrt(target * ratio));
      int bh = (int) Math.round(Math.sqrt(target / ratio));
      if (bw > 0 && bw <= w && bh > 0 && bh <= h) {
        int top = rng.nextInt(h - bh + 1);
        int left = rng.nextInt(w - bw + 1);
        return new Box(top, left, bh, bw);
      }
    }
    // Fallback (torchvision): the whole image, narrowed to the nearest allowed ratio.
    double inRatio = (double) w / h;
    int bw = w;
    int bh = h;
    if (inRatio < minRatio) {
      bh = (int) Math.round(w / minRatio);
    } else if (inRatio > maxRatio) {
      bw = (int) Math.round(h * maxRatio);
    }
    return new Box((h - bh) / 2, (w - bw) / 2, bh, bw);
  }

  /**
   * Random resized crops, one box per image drawn with {@link #sample} in image order.
   *
   * @param x images, shape (N, C, H, W)
   * @param outH output height
   * @param outW output width
   * @return crops, shape (N, C, outH, outW)
   */
  public static Tensor random(
      Tensor x,
      int outH,
      int outW,
      double minScale,
      double maxScale,
      double minRatio,
      double maxRatio,
      RandomGenerator rng) {
    Preprocess.checkImages("ResizedCrop.random", x);
    Box[] boxes = new Box[x.shape(0)];
    for (int i = 0; i < boxes.length; i++) {
      boxes[i] = sample(x.shape(2), x.shape(3), minScale, maxScale, minRatio, maxRatio, rng);
    }
    return crop(x, boxes, outH, outW);
  }

  /**
   * Crops each image to its box and resizes it bilinearly to outH x outW (see the class comment).
   *
   * @param x images, shape (N, C, H, W)
   * @param boxes one box per image, each inside the image, length N
   * @param outH output height, &gt;= 1
   * @param outW output width, &gt;= 1
   * @return crops, shape (N, C, outH, outW)
   */
  public static Tensor crop(Tensor x, Box[] boxes, int outH, int outW) {
    Preprocess.checkImages("ResizedCrop.crop", x);
    int n = x.shape(0);
    int c = x.shape(1);
    int h = x.shape(2);
    int w = x.shape(3);
    if (boxes.length != n) {
      throw new IllegalArgumentException(
          "ResizedCrop.crop: expected "
              + n
              + " boxes for x "
              + x.shapeString()
              + ", got "
              + boxes.length);
    }
    if (outH < 1 || outW < 1) {
      throw new IllegalArgumentException(
          "ResizedCrop.crop: output size must be positive, got " + outH + "x" + outW);
    }
    for (int i = 0; i < n; i++) {
      Box b = boxes[i];
      if (b.top() < 0
          || b.left() < 0
          || b.height() < 1
          || b.width() < 1
          || b.top() + b.height() > h
          || b.left() + b.width() > w) {
        throw new IllegalArgumentException(
            "ResizedCrop.crop: box " + b + " of image " + i + " is not inside " + h + "x" + w);
      }
    }
    double[] src = x.toDoubleArray();
    double[] out = new double[n * c * outH * outW];
    int[] r0 = new int[outH];
    int[] r1 = new int[outH];
    double[] fr = new double[outH];
    int[] c0 = new int[outW];
    int[] c1 = new int[outW];
    double[] fc = new double[outW];
    for (int img = 0; img < n; img++) {
      Box b = boxes[img];
      taps(b.top(), b.height(), outH, r0, r1, fr);
      taps(b.left(), b.width(), outW, c0, c1, fc);
      for (int ch = 0; ch < c; ch++) {
        int plane = (img * c + ch) * h * w;
        int o = (img * c + ch) * outH * outW;
        for (int i = 0; i < outH; i++) {
          int top = plane + r0[i] * w;
          int bottom = plane + r1[i] * w;
          for (int j = 0; j < outW; j++) {
            double upper = src[top + c0[j]] + fc[j] * (src[top + c1[j]] - src[top + c0[j]]);
            double lower =
                src[bottom + c0[j]] + fc[j] * (src[bottom + c1[j]] - src[bottom + c0[j]]);
            out[o + i * outW + j] = upper + fr[i] * (lower - upper);
          }
        }
      }
    }
    Tensor result = Tensor.of(out, n, c, outH, outW);
    return x.dtype() == DType.FLOAT32 ? result.to(DType.FLOAT32) : result;
  }

  /**
   * Source taps along one axis: output index d reads between absolute pixels lo[d] and hi[d] with
   * weight frac[d] on hi, for a box starting at {@code start} with {@code size} pixels.
   */
  private static void taps(int start, int size, int out, int[] lo, int[] hi, double[] frac) {
    double scale = (double) size / out;
    for (int d = 0; d < out; d++) {
      double s = Math.max(0.0, (d + 0.5) * scale - 0.5);
      int i0 = Math.min((int) s, size - 1);
      lo[d] = start + i0;
      hi[d] = start + Math.min(i0 + 1, size - 1);
      frac[d] = s - i0;
    }
  }

  private static void checkRanges(
      double minScale, double maxScale, double minRatio, double maxRatio) {
    if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1)) {
      throw new IllegalArgumentException(
          "ResizedCrop: scale range must satisfy 0 < min <= max <= 1, got ["
              + minScale
              + ", "
              + maxScale
              + "]");
    }
    if (!(minRatio > 0 && minRatio <= maxRatio && Double.isFinite(maxRatio))) {
      throw new IllegalArgumentException(
          "ResizedCrop: ratio range must satisfy 0 < min <= max, got ["
              + minRatio
              + ", "
              + maxRatio
              + "]");
    }
  }
}
