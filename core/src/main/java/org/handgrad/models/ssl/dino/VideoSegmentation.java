package org.handgrad.models.ssl.dino;

import java.util.Objects;
import org.handgrad.data.ResizedCrop;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.nn.NoGrad;
import org.handgrad.tensor.Tensor;

/**
 * Video object segmentation by label propagation from patch features (the CS231n DINO notes): a
 * linear classifier is fit to the first frame's patch features against its mask, downsampled to the
 * patch grid, and applied to the patches of every frame; its probability maps are upsampled to
 * pixels and thresholded at 1/2.
 *
 * <ul>
 *   <li>Features: a ViT's final-norm patch tokens ({@link VisionTransformer#patchTokens}), or raw
 *       pixel patches ({@link #pixelPatches}, the baseline). Each dimension is standardized with
 *       the first frame's mean and standard deviation.
 *   <li>Labels: a patch is foreground when more than half of its pixels are.
 *   <li>Classifier: logistic regression (weights and bias) with class-balanced weights (each class
 *       carries half of the loss, so a small object is not ignored) and an L2 penalty, fit by
 *       full-batch gradient descent from zero (a convex problem: the result does not depend on a
 *       seed). Gradient: {@code dw = X^T (a (sigma(Xw + b) - y)) + lambda w}, a the example
 *       weights.
 *   <li>Upsampling: bilinear, {@code F.interpolate(align_corners=False)} ({@link ResizedCrop#crop}
 *       with the whole map as the box).
 *   <li>Score: intersection over union per frame (1 when both masks are empty), and the mean.
 * </ul>
 *
 * <p>Dimension letters: T frames, C H W frame, P patch, gh gw patch grid, L = gh gw, D features.
 */
public final class VideoSegmentation {
  /** Gradient-descent steps of the classifier. */
  static final int STEPS = 500;

  /** Step size of the classifier's gradient descent (standardized features). */
  static final double STEP_SIZE = 0.5;

  /** L2 penalty of the classifier. */
  static final double L2 = 1e-3;

  private VideoSegmentation() {}

  /**
   * The outcome of a propagation.
   *
   * @param masks predicted masks, shape (T, H, W), 0 or 1
   * @param probabilities foreground probability per patch, shape (T, gh, gw)
   * @param iou per-frame IoU against the ground truth, or null without ground truth
   */
  public record Result(Tensor masks, Tensor probabilities, double[] iou) {
    /** Mean IoU over all frames (NaN without ground truth). */
    public double meanIou() {
      return mean(0);
    }

    /** Mean IoU over the frames after the first, the propagated ones (NaN without ground truth). */
    public double meanIouLater() {
      return mean(1);
    }

    private double mean(int from) {
      if (iou == null || iou.length <= from) {
        return Double.NaN;
      }
      double s = 0;
      for (int i = from; i < iou.length; i++) {
        s += iou[i];
      }
      return s / (iou.length - from);
    }
  }

  /**
   * Raw pixel patches as features, the baseline without a network.
   *
   * @param frames shape (T, C, H, W), H and W divisible by P
   * @param patch P
   * @return shape (T, L, C P P), patches in row-major order, values in (c, i, j) order
   */
  public static Tensor pixelPatches(Tensor frames, int patch) {
    checkFrames("pixelPatches", frames, patch);
    int t = frames.shape(0);
    int c = frames.shape(1);
    int h = frames.shape(2);
    int w = frames.shape(3);
    int gh = h / patch;
    int gw = w / patch;
    // (T, C, gh, P, gw, P) -> (T, gh, gw, C, P, P)
    return frames
        .reshape(t, c, gh, patch, gw, patch)
        .permute(0, 2, 4, 1, 3, 5)
        .contiguous()
        .reshape(t, gh * gw, c * patch * patch);
  }

  /**
   * A ViT's patch tokens for every frame, a few frames at a time.
   *
   * @param vit the backbone; frames of another size than its input use interpolated positions
   * @param frames shape (T, C, H, W), already normalized as in training
   * @return shape (T, L, D)
   */
  public static Tensor vitPatches(VisionTransformer vit, Tensor frames) {
    checkFrames("vitPatches", frames, vit.config().patch());
    int t = frames.shape(0);
    Tensor[] parts = new Tensor[(t + 3) / 4];
    for (int i = 0; i < parts.length; i++) {
      Tensor chunk = frames.slice(0, 4 * i, Math.min(t, 4 * i + 4)).contiguous();
      parts[i] = NoGrad.get(() -> vit.patchTokens(chunk.to(vit.config().dtype())));
    }
    return Tensor.concatenate(0, parts);
  }

  /**
   * The fraction of foreground pixels of every patch.
   *
   * @param mask shape (H, W), values in [0, 1]
   * @param patch P, dividing H and W
   * @return shape (gh gw,), row-major
   */
  public static Tensor patchFractions(Tensor mask, int patch) {
    if (mask.ndim() != 2 || mask.shape(0) % patch != 0 || mask.shape(1) % patch != 0) {
      throw new IllegalArgumentException(
          "patchFractions: expected a mask (H, W) with sides divisible by the patch "
              + patch
              + ", got "
              + mask.shapeString());
    }
    int gh = mask.shape(0) / patch;
    int gw = mask.shape(1) / patch;
    return mask.to(org.handgrad.tensor.DType.FLOAT64)
        .reshape(gh, patch, gw, patch)
        .mean(new int[] {1, 3})
        .reshape(gh * gw);
  }

  /**
   * Fits the classifier on the first frame and propagates it to every frame.
   *
   * @param features patch features, shape (T, L, D), L = gh gw
   * @param firstMask the first frame's mask, shape (H, W), H = gh P, W = gw P
   * @param patch P
   * @param truth ground-truth masks (T, H, W) to score against, or null
   * @return masks, probabilities and (with truth) IoUs
   * @throws IllegalArgumentException when the shapes do not agree, or the first mask has no
   *     foreground or no background patch (nothing to learn)
   */
  public static Result propagate(Tensor features, Tensor firstMask, int patch, Tensor truth) {
    Objects.requireNonNull(features, "propagate: features");
    Objects.requireNonNull(firstMask, "propagate: firstMask");
    if (features.ndim() != 3 || firstMask.ndim() != 2) {
      throw new IllegalArgumentException(
          "propagate: expected features (T, L, D) and a mask (H, W), got "
              + features.shapeString()
              + " and "
              + firstMask.shapeString());
    }
    int t = features.shape(0);
    int l = features.shape(1);
    int d = features.shape(2);
    int h = firstMask.shape(0);
    int w = firstMask.shape(1);
    int gh = h / patch;
    int gw = w / patch;
    if (h % patch != 0 || w % patch != 0 || gh * gw != l) {
      throw new IllegalArgumentException(
          "propagate: a mask "
              + h
              + "x"
              + w
              + " with patch "
              + patch
              + " has "
              + gh
              + "x"
              + gw
              + " patches, but the features hold "
              + l);
    }
    if (truth != null
        && (truth.ndim() != 3
            || truth.shape(0) != t
            || truth.shape(1) != h
            || truth.shape(2) != w)) {
      throw new IllegalArgumentException(
          "propagate: expected ground truth ("
              + t
              + ", "
              + h
              + ", "
              + w
              + "), got "
              + truth.shapeString());
    }
    double[] x = features.toDoubleArray();
    // standardize with the first frame's statistics
    double[] mu = new double[d];
    double[] sd = new double[d];
    for (int i = 0; i < l; i++) {
      for (int j = 0; j < d; j++) {
        mu[j] += x[i * d + j] / l;
      }
    }
    for (int i = 0; i < l; i++) {
      for (int j = 0; j < d; j++) {
        double z = x[i * d + j] - mu[j];
        sd[j] += z * z / l;
      }
    }
    for (int j = 0; j < d; j++) {
      sd[j] = Math.sqrt(sd[j]) + 1e-6;
    }
    for (int i = 0; i < x.length; i++) {
      int j = i % d;
      x[i] = (x[i] - mu[j]) / sd[j];
    }
    double[] frac = patchFractions(firstMask, patch).toDoubleArray();
    double[] y = new double[l];
    int pos = 0;
    for (int i = 0; i < l; i++) {
      y[i] = frac[i] > 0.5 ? 1 : 0;
      pos += (int) y[i];
    }
    if (pos == 0 || pos == l) {
      throw new IllegalArgumentException(
          "propagate: the first mask has "
              + pos
              + " foreground patches out of "
              + l
              + "; it needs both foreground and background");
    }
    double[] wts = fit(x, y, l, d, pos);
    double[] prob = new double[t * l];
    for (int i = 0; i < t * l; i++) {
      double z = wts[d];
      for (int j = 0; j < d; j++) {
        z += x[i * d + j] * wts[j];
      }
      prob[i] = sigmoid(z);
    }
    Tensor probs = Tensor.of(prob, t, gh, gw);
    ResizedCrop.Box[] whole = new ResizedCrop.Box[t];
    java.util.Arrays.fill(whole, new ResizedCrop.Box(0, 0, gh, gw));
    Tensor up = ResizedCrop.crop(probs.reshape(t, 1, gh, gw), whole, h, w).reshape(t, h, w);
    Tensor masks = up.gt(0.5).to(org.handgrad.tensor.DType.FLOAT32);
    double[] iou = truth == null ? null : iou(masks, truth);
    return new Result(masks, probs.to(org.handgrad.tensor.DType.FLOAT32), iou);
  }

  /**
   * Intersection over union of binary masks, frame by frame (1 when both are empty).
   *
   * @param predicted shape (T, H, W), nonzero = foreground
   * @param truth shape (T, H, W), nonzero = foreground
   * @return T values in [0, 1]
   */
  public static double[] iou(Tensor predicted, Tensor truth) {
    if (!predicted.sameShape(truth) || predicted.ndim() != 3) {
      throw new IllegalArgumentException(
          "iou: expected two masks (T, H, W) of one shape, got "
              + predicted.shapeString()
              + " and "
              + truth.shapeString());
    }
    int t = predicted.shape(0);
    int hw = predicted.shape(1) * predicted.shape(2);
    double[] p = predicted.toDoubleArray();
    double[] g = truth.toDoubleArray();
    double[] out = new double[t];
    for (int f = 0; f < t; f++) {
      int inter = 0;
      int union = 0;
      for (int i = f * hw; i < (f + 1) * hw; i++) {
        boolean a = p[i] != 0;
        boolean b = g[i] != 0;
        inter += a && b ? 1 : 0;
        union += a || b ? 1 : 0;
      }
      out[f] = union == 0 ? 1.0 : (double) inter / union;
    }
    return out;
  }

  /** Class-balanced L2-penalized logistic regression by gradient descent; returns (w, b). */
  private static double[] fit(double[] x, double[] y, int l, int d, int pos) {
    double wPos = 0.5 / pos;
    double wNeg = 0.5 / (l - pos);
    double[] wb = new double[d + 1];
    double[] grad = new double[d + 1];
    for (int step = 0; step < STEPS; step++) {
      java.util.Arrays.fill(grad, 0);
      for (int i = 0; i < l; i++) {
        double z = wb[d];
        for (int j = 0; j < d; j++) {
          z += x[i * d + j] * wb[j];
        }
        double r = (sigmoid(z) - y[i]) * (y[i] > 0 ? wPos : wNeg);
        for (int j = 0; j < d; j++) {
          grad[j] += r * x[i * d + j];
        }
        grad[d] += r;
      }
      for (int j = 0; j < d; j++) {
        grad[j] += L2 * wb[j];
      }
      for (int j = 0; j <= d; j++) {
        wb[j] -= STEP_SIZE * grad[j];
      }
    }
    return wb;
  }

  private static double sigmoid(double z) {
    return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  }

  /**
   * The first three principal components of patch features as colours: PCA over all frames' patches
   * (top eigenvectors of the covariance by power iteration with deflation), each component min-max
   * scaled to [0, 1] over the video.
   *
   * @param features shape (T, L, D), L = gh gw
   * @param gh patch rows
   * @param gw patch columns
   * @return shape (T, 3, gh, gw), values in [0, 1]
   */
  public static Tensor pcaColours(Tensor features, int gh, int gw) {
    if (features.ndim() != 3 || features.shape(1) != gh * gw) {
      throw new IllegalArgumentException(
          "pcaColours: expected features (T, " + gh * gw + ", D), got " + features.shapeString());
    }
    int t = features.shape(0);
    int l = gh * gw;
    int d = features.shape(2);
    int rows = t * l;
    double[] x = features.toDoubleArray();
    double[] mu = new double[d];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < d; j++) {
        mu[j] += x[i * d + j] / rows;
      }
    }
    double[] cov = new double[d * d];
    for (int i = 0; i < rows; i++) {
      for (int a = 0; a < d; a++) {
        double za = x[i * d + a] - mu[a];
        for (int b = 0; b < d; b++) {
          cov[a * d + b] += za * (x[i * d + b] - mu[b]) / rows;
        }
      }
    }
    int k = Math.min(3, d);
    double[][] comps = new double[k][];
    for (int c = 0; c < k; c++) {
      double[] v = new double[d];
      for (int j = 0; j < d; j++) {
        v[j] = 1.0 / Math.sqrt(d) * (1 + 0.01 * j); // fixed, not orthogonal to any eigenvector
      }
      double lambda = 0;
      for (int it = 0; it < 300; it++) {
        double[] nv = new double[d];
        for (int a = 0; a < d; a++) {
          for (int b = 0; b < d; b++) {
            nv[a] += cov[a * d + b] * v[b];
          }
        }
        double norm = 0;
        for (double z : nv) {
          norm += z * z;
        }
        norm = Math.sqrt(norm);
        if (norm == 0) {
          break;
        }
        lambda = norm;
        for (int a = 0; a < d; a++) {
          v[a] = nv[a] / norm;
        }
      }
      comps[c] = v;
      for (int a = 0; a < d; a++) {
        for (int b = 0; b < d; b++) {
          cov[a * d + b] -= lambda * v[a] * v[b]; // deflate
        }
      }
    }
    double[] out = new double[t * 3 * l];
    for (int c = 0; c < 3; c++) {
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      double[] proj = new double[rows];
      if (c < k) {
        for (int i = 0; i < rows; i++) {
          double s = 0;
          for (int j = 0; j < d; j++) {
            s += (x[i * d + j] - mu[j]) * comps[c][j];
          }
          proj[i] = s;
          lo = Math.min(lo, s);
          hi = Math.max(hi, s);
        }
      }
      double span = hi > lo ? hi - lo : 1;
      for (int i = 0; i < rows; i++) {
        int f = i / l;
        int p = i % l;
        out[(f * 3 + c) * l + p] = c < k ? (proj[i] - lo) / span : 0;
      }
    }
    return Tensor.of(out, t, 3, gh, gw);
  }

  private static void checkFrames(String op, Tensor frames, int patch) {
    if (frames.ndim() != 4 || frames.shape(2) % patch != 0 || frames.shape(3) % patch != 0) {
      throw new IllegalArgumentException(
          op
              + ": expected frames (T, C, H, W) with H and W divisible by the patch "
              + patch
              + ", got "
              + frames.shapeString());
    }
  }
}
