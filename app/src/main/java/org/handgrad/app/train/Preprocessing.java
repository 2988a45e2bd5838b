package org.handgrad.app.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.data.Preprocess;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;

/**
 * The input preprocessing of a trained model, fitted on its training split and stored with it (in
 * the checkpoint's model config) so that {@code eval} and {@code predict} feed the model exactly
 * what it was trained on.
 *
 * <p>Dimension letters: N images, C channels, H height, W width. Per model family (CS231n):
 *
 * <ul>
 *   <li>{@link Kind#NONE}: raw pixels in [0, 1] (kNN: subtracting a constant changes no L2
 *       distance);
 *   <li>{@link Kind#MEAN_IMAGE}: subtract the mean training image (linear classifiers and
 *       fully-connected nets, assignments 1 and 2);
 *   <li>{@link Kind#CHANNEL_NORM}: per-channel mean and standard deviation (convnets, as
 *       torchvision's {@code Normalize}).
 * </ul>
 *
 * @param kind what is applied
 * @param shape example shape (C, H, W) the statistics belong to
 * @param mean the mean image, C * H * W values in (C, H, W) order, or C channel means; empty for
 *     NONE
 * @param std C channel standard deviations for CHANNEL_NORM, else empty
 */
public record Preprocessing(Kind kind, int[] shape, double[] mean, double[] std) {

  /** What is applied. */
  public enum Kind {
    /** Nothing: pixels in [0, 1]. */
    NONE("none"),
    /** {@code x - mean_image}. */
    MEAN_IMAGE("mean_image"),
    /** {@code (x - mean[c]) / std[c]}. */
    CHANNEL_NORM("channel_norm");

    private final String key;

    Kind(String key) {
      this.key = key;
    }

    /** The name in JSON. */
    public String key() {
      return key;
    }

    static Kind of(String key) {
      for (Kind k : values()) {
        if (k.key.equals(key)) {
          return k;
        }
      }
      throw new IllegalArgumentException("preprocessing: unknown kind '" + key + "'");
    }
  }

  /** Checks the lengths against the kind and the shape; copies the arrays. */
  public Preprocessing {
    if (shape.length != 3) {
      throw new IllegalArgumentException(
          "preprocessing: expected an image shape (C, H, W), got " + Shapes.str(shape));
    }
    int c = shape[0];
    int expectMean =
        switch (kind) {
          case NONE -> 0;
          case MEAN_IMAGE -> Shapes.size(shape);
          case CHANNEL_NORM -> c;
        };
    int expectStd = kind == Kind.CHANNEL_NORM ? c : 0;
    if (mean.length != expectMean || std.length != expectStd) {
      throw new IllegalArgumentException(
          "preprocessing "
              + kind.key()
              + " for "
              + Shapes.str(shape)
              + ": expected "
              + expectMean
              + " means and "
              + expectStd
              + " stds, got "
              + mean.length
              + " and "
              + std.length);
    }
    shape = shape.clone();
    mean = mean.clone();
    std = std.clone();
  }

  /** The kind CS231n uses for a model (see the class comment). */
  public static Kind kindFor(String model) {
    return switch (model) {
      case "knn" -> Kind.NONE;
      case "cnn", "bn-cnn", "resnet18", "resnet-small", "speedrun" -> Kind.CHANNEL_NORM;
      default -> Kind.MEAN_IMAGE;
    };
  }

  /**
   * Fits the statistics on training images.
   *
   * @param xTrain training images, shape (N, C, H, W), N &gt; 0
   */
  public static Preprocessing fit(Kind kind, Tensor xTrain) {
    int[] shape = Arrays.copyOfRange(xTrain.shape(), 1, xTrain.ndim());
    return switch (kind) {
      case NONE -> new Preprocessing(kind, shape, new double[0], new double[0]);
      case MEAN_IMAGE ->
          new Preprocessing(
              kind, shape, Preprocess.meanImage(xTrain).toDoubleArray(), new double[0]);
      case CHANNEL_NORM -> {
        Preprocess.ChannelStats s = Preprocess.fitChannelStats(xTrain);
        yield new Preprocessing(kind, shape, s.mean(), s.std());
      }
    };
  }

  /**
   * Applies the fitted statistics.
   *
   * @param x images, shape (N, C, H, W) with (C, H, W) = {@link #shape()}
   * @return a new tensor, shape (N, C, H, W), dtype of x
   */
  public Tensor apply(Tensor x) {
    int[] example = Arrays.copyOfRange(x.shape(), 1, x.ndim());
    if (!Arrays.equals(example, shape)) {
      throw new IllegalArgumentException(
          "preprocessing: fitted on images " + Shapes.str(shape) + ", got x " + x.shapeString());
    }
    return switch (kind) {
      case NONE -> x.copy();
      case MEAN_IMAGE -> Preprocess.subtractMean(x, Tensor.of(mean, shape).to(x.dtype()));
      case CHANNEL_NORM -> Preprocess.normalize(x, new Preprocess.ChannelStats(mean, std));
    };
  }

  /**
   * Undoes {@link #apply}: {@code x * std[c] + mean[c]} (CHANNEL_NORM), {@code x + mean_image}
   * (MEAN_IMAGE), a copy (NONE). Exact up to the rounding of x's dtype.
   *
   * @param x preprocessed images, shape (N, C, H, W) with (C, H, W) = {@link #shape()}
   * @return a new tensor, shape (N, C, H, W), dtype of x
   */
  public Tensor invert(Tensor x) {
    int[] example = Arrays.copyOfRange(x.shape(), 1, x.ndim());
    if (!Arrays.equals(example, shape)) {
      throw new IllegalArgumentException(
          "preprocessing invert: fitted on images "
              + Shapes.str(shape)
              + ", got x "
              + x.shapeString());
    }
    int c = shape[0];
    return switch (kind) {
      case NONE -> x.copy();
      case MEAN_IMAGE -> x.add(Tensor.of(mean, 1, shape[0], shape[1], shape[2]).to(x.dtype()));
      case CHANNEL_NORM ->
          x.mul(Tensor.of(std, 1, c, 1, 1).to(x.dtype()))
              .add(Tensor.of(mean, 1, c, 1, 1).to(x.dtype()));
    };
  }

  /** As a JSON-ready map (stored in checkpoints). */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", kind.key());
    m.put("shape", Specs.list(shape));
    m.put("mean", doubles(mean));
    m.put("std", doubles(std));
    return m;
  }

  /** Reads a map written by {@link #toMap()}. */
  public static Preprocessing fromMap(Map<?, ?> m) {
    return new Preprocessing(
        Kind.of((String) m.get("kind")),
        Specs.intArray(m.get("shape")),
        Specs.doubleArray(m.get("mean")),
        Specs.doubleArray(m.get("std")));
  }

  private static List<Object> doubles(double[] a) {
    List<Object> l = new ArrayList<>();
    for (double v : a) {
      l.add(v);
    }
    return l;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Preprocessing p
        && kind == p.kind
        && Arrays.equals(shape, p.shape)
        && Arrays.equals(mean, p.mean)
        && Arrays.equals(std, p.std);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * kind.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(mean);
  }

  @Override
  public String toString() {
    return "Preprocessing[" + kind.key() + ", " + Shapes.str(shape) + "]";
  }
}
