package org.handgrad.data;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Data augmentation for image batches: random crops with zero padding and horizontal flips, the
 * classic CIFAR-10 recipe (pad 4, crop 32x32, flip with probability 1/2; He et al. 2016, section
 * 4.2), and random erasing (Zhong et al. 2017).
 *
 * <p>Dimension letters: N images, C channels, H height, W width. Functions return new tensors of
 * the input's dtype and never modify their input. Randomness comes only from the {@code rng}
 * argument, drawn in a documented order, so a seeded generator reproduces the same batch.
 *
 * <p>Each image is independent: a parallel-for over N can be dropped into the loops unchanged once
 * the project's threading helper exists (draw the random offsets first, as done here).
 */
public final class Augment {
  private Augment() {}

  /**
   * Random crops: each image is zero-padded by {@code pad} pixels on every side, then an H x W
   * window is cut at a uniform random offset (dy, dx) in [0, 2 pad]^2 (torchvision's {@code
   * RandomCrop(H, padding=pad)}). Draw order: for each image n, dy then dx, each {@code
   * rng.nextInt(2 * pad + 1)}.
   *
   * @param x images, shape (N, C, H, W)
   * @param pad zero padding on each side, &gt;= 0
   * @return cropped images, shape (N, C, H, W)
   */
  public static Tensor randomCrop(Tensor x, int pad, RandomGenerator rng) {
    Preprocess.checkImages("randomCrop", x);
    checkPad("randomCrop", pad);
    int n = x.shape(0);
    int[] dy = new int[n];
    int[] dx = new int[n];
    for (int i = 0; i < n; i++) {
      dy[i] = rng.nextInt(2 * pad + 1);
      dx[i] = rng.nextInt(2 * pad + 1);
    }
    return crop(x, pad, dy, dx);
  }

  /**
   * Deterministic crops: {@code out[n, c, i, j] = padded[n, c, i + dy[n], j + dx[n]]} where {@code
   * padded} is x with {@code pad} zeros around it, i.e. {@code x[n, c, i + dy[n] - pad, j + dx[n] -
   * pad]} or 0 outside x. With pad 0 and zero offsets this is the identity.
   *
   * @param x images, shape (N, C, H, W)
   * @param pad zero padding on each side, &gt;= 0
   * @param dy per-image row offsets in [0, 2 pad], length N
   * @param dx per-image column offsets in [0, 2 pad], length N
   * @return cropped images, shape (N, C, H, W)
   */
  public static Tensor crop(Tensor x, int pad, int[] dy, int[] dx) {
    Preprocess.checkImages("crop", x);
    checkPad("crop", pad);
    int n = x.shape(0);
    int c = x.shape(1);
    int h = x.shape(2);
    int w = x.shape(3);
    if (dy.length != n || dx.length != n) {
      throw new IllegalArgumentException(
          "crop: expected "
              + n
              + " offsets for x "
              + x.shapeString()
              + ", got dy "
              + dy.length
              + " and dx "
              + dx.length);
    }
    Tensor src = x.contiguous();
    Tensor out = Tensor.zeros(x.dtype(), x.shape());
    Object a = storage(src);
    Object o = storage(out);
    for (int img = 0; img < n; img++) {
      if (dy[img] < 0 || dy[img] > 2 * pad || dx[img] < 0 || dx[img] > 2 * pad) {
        throw new IllegalArgumentException(
            "crop: offset ("
                + dy[img]
                + ", "
                + dx[img]
                + ") of image "
                + img
                + " is outside [0, "
                + 2 * pad
                + "]");
      }
      // Shift of the window relative to the unpadded image; rows/columns falling outside x stay 0.
      int sy = dy[img] - pad;
      int sx = dx[img] - pad;
      int j0 = Math.max(0, -sx);
      int j1 = Math.min(w, w - sx);
      for (int ch = 0; ch < c; ch++) {
        int plane = (img * c + ch) * h * w;
        for (int i = 0; i < h; i++) {
          int si = i + sy;
          if (si < 0 || si >= h || j1 <= j0) {
            continue;
          }
          System.arraycopy(
              a, src.offset() + plane + si * w + j0 + sx, o, plane + i * w + j0, j1 - j0);
        }
      }
    }
    return out;
  }

  /**
   * Mirrors every image left to right: {@code out[n, c, i, j] = x[n, c, i, W - 1 - j]}.
   *
   * @param x images, shape (N, C, H, W)
   * @return flipped images, shape (N, C, H, W)
   */
  public static Tensor hflip(Tensor x) {
    Preprocess.checkImages("hflip", x);
    boolean[] all = new boolean[x.shape(0)];
    Arrays.fill(all, true);
    return hflip(x, all);
  }

  /**
   * Random horizontal flips, each image with probability 1/2. Draw order: one {@code
   * rng.nextBoolean()} per image n.
   *
   * @param x images, shape (N, C, H, W)
   * @return images, shape (N, C, H, W), about half of them mirrored
   */
  public static Tensor randomHFlip(Tensor x, RandomGenerator rng) {
    Preprocess.checkImages("randomHFlip", x);
    boolean[] flip = new boolean[x.shape(0)];
    for (int i = 0; i < flip.length; i++) {
      flip[i] = rng.nextBoolean();
    }
    return hflip(x, flip);
  }

  /**
   * Mirrors the images whose flag is set and copies the others.
   *
   * @param x images, shape (N, C, H, W)
   * @param flip per-image flags, length N
   * @return images, shape (N, C, H, W)
   */
  public static Tensor hflip(Tensor x, boolean[] flip) {
    Preprocess.checkImages("hflip", x);
    int n = x.shape(0);
    if (flip.length != n) {
      throw new IllegalArgumentException(
          "hflip: expected " + n + " flags for x " + x.shapeString() + ", got " + flip.length);
    }
    int rows = x.shape(1) * x.shape(2);
    int w = x.shape(3);
    Tensor src = x.contiguous();
    Tensor out = Tensor.zeros(x.dtype(), x.shape());
    int off = src.offset();
    for (int img = 0; img < n; img++) {
      int base = img * rows * w;
      if (!flip[img]) {
        System.arraycopy(storage(src), off + base, storage(out), base, rows * w);
      } else if (x.dtype() == DType.FLOAT32) {
        mirrorRows(src.floatStorage(), off + base, out.floatStorage(), base, rows, w);
      } else {
        mirrorRows(src.doubleStorage(), off + base, out.doubleStorage(), base, rows, w);
      }
    }
    return out;
  }

  /**
   * Random erasing with torchvision's defaults ({@code RandomErasing(p, scale=(0.02, 0.33),
   * ratio=(0.3, 3.3), value=0)}); see {@link #randomErasing(Tensor, double, double, double, double,
   * double, double, RandomGenerator)}.
   *
   * @param x images, shape (N, C, H, W)
   * @param p probability that an image gets a rectangle erased, in [0, 1]
   * @return images, shape (N, C, H, W)
   */
  public static Tensor randomErasing(Tensor x, double p, RandomGenerator rng) {
    return randomErasing(x, p, 0.02, 0.33, 0.3, 3.3, 0.0, rng);
  }

  /**
   * Random erasing (Zhong et al. 2017, "Random Erasing Data Augmentation"), with the semantics of
   * torchvision's {@code RandomErasing}: with probability p an image gets one rectangle, across all
   * its channels, set to {@code value}. The rectangle's area is a uniform fraction in [scaleMin,
   * scaleMax] of H W and its aspect ratio h / w is log-uniform in [ratioMin, ratioMax]; {@code h =
   * round(sqrt(area * ratio))}, {@code w = round(sqrt(area / ratio))} (round half to even, as
   * Python's {@code round}). A draw with h &gt;= H or w &gt;= W is rejected and drawn again, at
   * most 10 times; when all 10 fail the image is left unchanged (torchvision returns it as is too).
   * The top-left corner is uniform over the positions where the rectangle fits.
   *
   * <p>Applied after normalization, {@code value = 0} erases to the training mean (torchvision's
   * default placement, after {@code Normalize}). It occludes parts of the object, so the network
   * cannot rely on one discriminative region.
   *
   * <p>Draw order, per image n: {@code rng.nextDouble()} (erase when &lt; p); if erasing, per
   * attempt: the area fraction {@code rng.nextDouble(scaleMin, scaleMax)} (or scaleMin when equal)
   * and the log ratio {@code rng.nextDouble(log ratioMin, log ratioMax)} (or log ratioMin), then
   * for the accepted attempt the row {@code rng.nextInt(H - h + 1)} and the column {@code
   * rng.nextInt(W - w + 1)}.
   *
   * @param x images, shape (N, C, H, W)
   * @param p probability that an image gets a rectangle erased, in [0, 1]
   * @param scaleMin smallest erased fraction of the image area, in (0, scaleMax]
   * @param scaleMax largest erased fraction, in [scaleMin, 1]
   * @param ratioMin smallest aspect ratio h / w, in (0, ratioMax]
   * @param ratioMax largest aspect ratio
   * @param value the erased pixels' value
   * @return images, shape (N, C, H, W), the dtype of x
   */
  public static Tensor randomErasing(
      Tensor x,
      double p,
      double scaleMin,
      double scaleMax,
      double ratioMin,
      double ratioMax,
      double value,
      RandomGenerator rng) {
    Preprocess.checkImages("randomErasing", x);
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("randomErasing: p must be in [0, 1], got " + p);
    }
    if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1)) {
      throw new IllegalArgumentException(
          "randomErasing: scale must satisfy 0 < min <= max <= 1, got ("
              + scaleMin
              + ", "
              + scaleMax
              + ")");
    }
    if (!(ratioMin > 0 && ratioMin <= ratioMax && Double.isFinite(ratioMax))) {
      throw new IllegalArgumentException(
          "randomErasing: ratio must satisfy 0 < min <= max, got ("
              + ratioMin
              + ", "
              + ratioMax
              + ")");
    }
    int n = x.shape(0);
    int c = x.shape(1);
    int h = x.shape(2);
    int w = x.shape(3);
    Tensor out = x.copy(); // row-major from offset 0
    double logMin = Math.log(ratioMin);
    double logMax = Math.log(ratioMax);
    for (int img = 0; img < n; img++) {
      if (!(rng.nextDouble() < p)) {
        continue;
      }
      for (int attempt = 0; attempt < 10; attempt++) {
        double area = h * w * (scaleMin < scaleMax ? rng.nextDouble(scaleMin, scaleMax) : scaleMin);
        double ratio = Math.exp(logMin < logMax ? rng.nextDouble(logMin, logMax) : logMin);
        int eh = (int) Math.rint(Math.sqrt(area * ratio));
        int ew = (int) Math.rint(Math.sqrt(area / ratio));
        if (!(eh < h && ew < w)) {
          continue;
        }
        int top = rng.nextInt(h - eh + 1);
        int left = rng.nextInt(w - ew + 1);
        for (int ch = 0; ch < c; ch++) {
          for (int i = top; i < top + eh; i++) {
            int from = ((img * c + ch) * h + i) * w + left;
            if (out.dtype() == DType.FLOAT32) {
              Arrays.fill(out.floatStorage(), from, from + ew, (float) value);
            } else {
              Arrays.fill(out.doubleStorage(), from, from + ew, value);
            }
          }
        }
        break;
      }
    }
    return out;
  }

  private static void mirrorRows(float[] a, int ao, float[] o, int oo, int rows, int w) {
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < w; j++) {
        o[oo + r * w + j] = a[ao + r * w + w - 1 - j];
      }
    }
  }

  private static void mirrorRows(double[] a, int ao, double[] o, int oo, int rows, int w) {
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < w; j++) {
        o[oo + r * w + j] = a[ao + r * w + w - 1 - j];
      }
    }
  }

  private static Object storage(Tensor t) {
    return t.dtype() == DType.FLOAT32 ? t.floatStorage() : t.doubleStorage();
  }

  private static void checkPad(String op, int pad) {
    if (pad < 0) {
      throw new IllegalArgumentException(op + ": pad must be >= 0, got " + pad);
    }
  }
}
