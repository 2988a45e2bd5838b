package org.handgrad.models.explain;

import java.util.Objects;
import org.handgrad.models.InputGradients;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Class activation maps: where in the image a class's evidence sits, at the resolution of a conv
 * layer.
 *
 * <ul>
 *   <li>CAM (Zhou et al. 2016, "Learning Deep Features for Discriminative Localization"), for a net
 *       whose last conv features A (F maps) are globally average-pooled into a linear layer W (F,
 *       K): {@code M_y = sum_k W[k, y] A_k}.
 *   <li>Grad-CAM (Selvaraju et al. 2017), for any conv layer of any net: the weight of map k is the
 *       spatial mean of the gradient of the class score, {@code alpha_k = mean_ij d s_y / d A_k[i,
 *       j]}, and {@code M_y = ReLU(sum_k alpha_k A_k)}, as pytorch-grad-cam computes it. For a GAP
 *       net at its last conv layer it is {@code ReLU(CAM) / (h w)}.
 * </ul>
 *
 * <p>Maps are returned raw at the layer's h x w; {@link #upsample} brings them to the image size
 * (bilinear with half-pixel centres, as OpenCV's {@code resize} that pytorch-grad-cam uses) and
 * {@link #normalize} scales each to [0, 1] ({@code scale_cam_image}); both are linear with weights
 * summing to 1, so their order does not matter.
 */
public final class GradCam {
  private GradCam() {}

  /**
   * Grad-CAM of a batch at a named layer.
   *
   * @param model the classifier; {@link InputGradients#captureLayers()} lists the layer names
   * @param x images, shape (N, C, H, W)
   * @param classes the class explained for each image, length N, in [0, K)
   * @param layer a captured conv layer
   * @return maps, shape (N, h, w), float64, >= 0
   * @throws IllegalArgumentException for an unknown layer (listing the known ones), a class out of
   *     range or wrong images
   */
  public static Tensor gradCam(InputGradients model, Tensor x, int[] classes, String layer) {
    Saliency.checkImages("grad-cam", x);
    Objects.requireNonNull(layer, "grad-cam: layer");
    InputGradients.Result r = model.inputGradient(x, Saliency.oneHot(model, x, classes), layer);
    return fromActivations(r.activation(), r.dactivation());
  }

  /**
   * Grad-CAM from a layer's activations and the class score's gradient with respect to them.
   *
   * @param a activations, shape (N, F, h, w)
   * @param da d s_y / d a, shape (N, F, h, w)
   * @return {@code ReLU(sum_k mean_ij(da_k) a_k)}, shape (N, h, w), float64
   */
  public static Tensor fromActivations(Tensor a, Tensor da) {
    if (a.ndim() != 4 || !a.sameShape(da)) {
      throw new IllegalArgumentException(
          "grad-cam: expected activations and gradients of one shape (N, F, h, w), got "
              + a.shapeString()
              + " and "
              + da.shapeString());
    }
    Tensor a64 = a.to(DType.FLOAT64);
    Tensor alpha = da.to(DType.FLOAT64).mean(new int[] {2, 3}, true); // (N, F, 1, 1)
    return a64.mul(alpha).sum(1).relu();
  }

  /**
   * CAM of a net with global average pooling before its last linear layer.
   *
   * @param features the last conv features, shape (N, F, h, w)
   * @param weights the linear layer after the pooling, shape (F, K) (scores = pooled W + b)
   * @param classes the class of each image, length N, in [0, K)
   * @return {@code sum_k W[k, y] A_k}, shape (N, h, w), float64 (not rectified, as Zhou et al.)
   */
  public static Tensor cam(Tensor features, Tensor weights, int[] classes) {
    if (features.ndim() != 4 || weights.ndim() != 2 || weights.shape(0) != features.shape(1)) {
      throw new IllegalArgumentException(
          "cam: expected features (N, F, h, w) and weights (F, K), got "
              + features.shapeString()
              + " and "
              + weights.shapeString());
    }
    int n = features.shape(0);
    int f = features.shape(1);
    if (classes.length != n) {
      throw new IllegalArgumentException(
          "cam: expected "
              + n
              + " classes for features "
              + features.shapeString()
              + ", got "
              + classes.length);
    }
    Tensor w = Tensor.zeros(DType.FLOAT64, n, f, 1, 1);
    for (int i = 0; i < n; i++) {
      Saliency.checkClass(classes[i], weights.shape(1));
      for (int k = 0; k < f; k++) {
        w.set(weights.get(k, classes[i]), i, k, 0, 0);
      }
    }
    return features.to(DType.FLOAT64).mul(w).sum(1);
  }

  /**
   * Bilinear resize with half-pixel centres (OpenCV's {@code INTER_LINEAR}, PyTorch's {@code
   * interpolate(mode="bilinear", align_corners=False)}): output pixel i samples the input at {@code
   * (i + 0.5) * in / out - 0.5}, clamped at 0 and at the last pixel.
   *
   * @param maps shape (N, h, w)
   * @return shape (N, height, width), float64
   */
  public static Tensor upsample(Tensor maps, int height, int width) {
    if (maps.ndim() != 3 || height < 1 || width < 1) {
      throw new IllegalArgumentException(
          "grad-cam upsample: expected maps (N, h, w) and a positive size, got "
              + maps.shapeString()
              + " to "
              + height
              + "x"
              + width);
    }
    int n = maps.shape(0);
    int h = maps.shape(1);
    int w = maps.shape(2);
    double[] a = maps.contiguous().toDoubleArray();
    double[] out = new double[n * height * width];
    for (int b = 0; b < n; b++) {
      for (int i = 0; i < height; i++) {
        double sy = Math.max(0, (i + 0.5) * h / height - 0.5);
        int y0 = Math.min((int) sy, h - 1);
        int y1 = Math.min(y0 + 1, h - 1);
        double fy = sy - y0;
        for (int j = 0; j < width; j++) {
          double sx = Math.max(0, (j + 0.5) * w / width - 0.5);
          int x0 = Math.min((int) sx, w - 1);
          int x1 = Math.min(x0 + 1, w - 1);
          double fx = sx - x0;
          int base = b * h * w;
          double top = (1 - fx) * a[base + y0 * w + x0] + fx * a[base + y0 * w + x1];
          double bottom = (1 - fx) * a[base + y1 * w + x0] + fx * a[base + y1 * w + x1];
          out[(b * height + i) * width + j] = (1 - fy) * top + fy * bottom;
        }
      }
    }
    return Tensor.of(out, n, height, width);
  }

  /**
   * Scales each map to [0, 1], as pytorch-grad-cam's {@code scale_cam_image}: {@code (m - min) /
   * (max - min + 1e-7)}.
   *
   * @param maps shape (N, ...)
   * @return the shape of maps, float64
   */
  public static Tensor normalize(Tensor maps) {
    int n = maps.shape(0);
    Tensor m = maps.to(DType.FLOAT64).contiguous().reshape(n, -1);
    Tensor shifted = m.sub(m.min(1, true));
    return shifted.div(shifted.max(1, true).add(1e-7)).reshape(maps.shape());
  }
}
