package org.handgrad.data;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;

/**
 * CS231n preprocessing: validation splits, mean-image subtraction, per-channel normalization, the
 * bias trick, flattening.
 *
 * <p>Dimension letters: N examples, C channels, H height, W width, D features. Every statistic is
 * fitted on the training split only and then applied unchanged to every split: fitting on
 * validation or test data would leak them into training (CS231n notes, "Data Preprocessing").
 * Functions return new tensors of the input's dtype (float32 or float64) and never modify their
 * input; statistics are accumulated in double.
 */
public final class Preprocess {
  private Preprocess() {}

  /**
   * A training split and the validation split held out of it.
   *
   * @param train the remaining training examples
   * @param val the held-out validation examples
   */
  public record TrainVal(Split train, Split val) {}

  /**
   * Per-channel statistics fitted on training images.
   *
   * @param mean per-channel mean, length C
   * @param std per-channel population standard deviation (ddof 0, NumPy's default), length C
   */
  public record ChannelStats(double[] mean, double[] std) {
    /** Checks lengths and that every std is positive and finite. */
    public ChannelStats {
      if (mean.length != std.length || mean.length == 0) {
        throw new IllegalArgumentException(
            "ChannelStats: mean has " + mean.length + " channels, std has " + std.length);
      }
      for (int c = 0; c < std.length; c++) {
        if (!(std[c] > 0) || !Double.isFinite(std[c]) || !Double.isFinite(mean[c])) {
          throw new IllegalArgumentException(
              "ChannelStats: channel "
                  + c
                  + " has mean "
                  + mean[c]
                  + " and std "
                  + std[c]
                  + "; a constant channel cannot be normalized");
        }
      }
      mean = mean.clone();
      std = std.clone();
    }
  }

  // ---------------------------------------------------------------- validation splits

  /**
   * The CS231n split: the last {@code numValidation} training examples become the validation set
   * ({@code mask = range(num_training, num_training + num_validation)}), the rest stay training.
   *
   * @throws IllegalArgumentException when numValidation is not in [0, N]
   */
  public static TrainVal splitLast(Split train, int numValidation) {
    checkValidationSize("splitLast", train, numValidation);
    int n = train.size() - numValidation;
    return new TrainVal(train.range(0, n), train.range(n, train.size()));
  }

  /**
   * A seeded random split: a uniform permutation of the training examples (Fisher-Yates driven by
   * {@code rng}); its first {@code numValidation} entries become the validation set, in permuted
   * order, and the rest stay training, in their original order.
   */
  public static TrainVal splitRandom(Split train, int numValidation, RandomGenerator rng) {
    checkValidationSize("splitRandom", train, numValidation);
    int[] perm = permutation(train.size(), rng);
    int[] val = Arrays.copyOfRange(perm, 0, numValidation);
    int[] rest = Arrays.copyOfRange(perm, numValidation, perm.length);
    Arrays.sort(rest);
    return new TrainVal(train.take(rest), train.take(val));
  }

  /** A uniform random permutation of 0..n-1 (Fisher-Yates, Knuth Algorithm P). */
  public static int[] permutation(int n, RandomGenerator rng) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  private static void checkValidationSize(String op, Split train, int numValidation) {
    if (numValidation < 0 || numValidation > train.size()) {
      throw new IllegalArgumentException(
          op
              + ": numValidation "
              + numValidation
              + " is not in [0, "
              + train.size()
              + "] (training examples)");
    }
  }

  // ---------------------------------------------------------------- mean image

  /**
   * The mean training example, {@code np.mean(X_train, axis=0)}.
   *
   * @param xTrain training examples, shape (N, ...) with N &gt; 0
   * @return the mean, shape (...) (e.g. (C, H, W) or (D,)), dtype of xTrain
   */
  public static Tensor meanImage(Tensor xTrain) {
    Tensor x = checkFloat("meanImage", xTrain).contiguous();
    int n = x.shape(0);
    if (n == 0) {
      throw new IllegalArgumentException("meanImage: expected at least one example, got (0, ...)");
    }
    int d = x.size() / n;
    double[] sum = new double[d];
    if (x.dtype() == DType.FLOAT32) {
      float[] a = x.floatStorage();
      for (int i = 0, p = x.offset(); i < n; i++) {
        for (int j = 0; j < d; j++) {
          sum[j] += a[p++];
        }
      }
    } else {
      double[] a = x.doubleStorage();
      for (int i = 0, p = x.offset(); i < n; i++) {
        for (int j = 0; j < d; j++) {
          sum[j] += a[p++];
        }
      }
    }
    for (int j = 0; j < d; j++) {
      sum[j] /= n;
    }
    int[] shape = Arrays.copyOfRange(x.shape(), 1, x.ndim());
    return Tensor.of(sum, shape).to(x.dtype());
  }

  /**
   * Subtracts a mean example from every example: {@code X - mean_image}.
   *
   * @param x examples, shape (N, ...)
   * @param mean the mean from {@link #meanImage} on the training split, shape (...)
   * @return centred examples, shape (N, ...), dtype of x
   */
  public static Tensor subtractMean(Tensor x, Tensor mean) {
    checkFloat("subtractMean", x);
    int[] exampleShape = Arrays.copyOfRange(x.shape(), 1, x.ndim());
    if (!Shapes.same(exampleShape, mean.shape())) {
      throw new IllegalArgumentException(
          "subtractMean: expected mean of shape "
              + Shapes.str(exampleShape)
              + " for x "
              + x.shapeString()
              + ", got "
              + mean.shapeString());
    }
    Tensor src = x.contiguous();
    Tensor out = Tensor.zeros(x.dtype(), x.shape());
    double[] m = mean.toDoubleArray();
    int d = m.length;
    int n = x.shape(0);
    if (x.dtype() == DType.FLOAT32) {
      float[] a = src.floatStorage();
      float[] o = out.floatStorage();
      for (int i = 0, p = src.offset(), q = 0; i < n; i++) {
        for (int j = 0; j < d; j++) {
          o[q++] = (float) (a[p++] - m[j]);
        }
      }
    } else {
      double[] a = src.doubleStorage();
      double[] o = out.doubleStorage();
      for (int i = 0, p = src.offset(), q = 0; i < n; i++) {
        for (int j = 0; j < d; j++) {
          o[q++] = a[p++] - m[j];
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- per-channel normalization

  /**
   * Per-channel mean and standard deviation over (N, H, W), two-pass for accuracy.
   *
   * @param xTrain training images, shape (N, C, H, W) with N &gt; 0
   */
  public static ChannelStats fitChannelStats(Tensor xTrain) {
    Tensor x = checkImages("fitChannelStats", xTrain).contiguous();
    int n = x.shape(0);
    int c = x.shape(1);
    int hw = x.shape(2) * x.shape(3);
    double[] mean = new double[c];
    double[] std = new double[c];
    long count = (long) n * hw;
    if (count == 0) {
      throw new IllegalArgumentException(
          "fitChannelStats: expected a non-empty x, got " + x.shapeString());
    }
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < c; k++) {
        mean[k] += planeSum(x, x.offset() + (i * c + k) * hw, hw, 0.0, false);
      }
    }
    for (int k = 0; k < c; k++) {
      mean[k] /= count;
    }
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < c; k++) {
        std[k] += planeSum(x, x.offset() + (i * c + k) * hw, hw, mean[k], true);
      }
    }
    for (int k = 0; k < c; k++) {
      std[k] = Math.sqrt(std[k] / count);
    }
    return new ChannelStats(mean, std);
  }

  /** Sum of {@code len} values from {@code off} (squared deviations from m when squares is set). */
  private static double planeSum(Tensor x, int off, int len, double m, boolean squares) {
    double sum = 0;
    if (x.dtype() == DType.FLOAT32) {
      float[] a = x.floatStorage();
      for (int j = off; j < off + len; j++) {
        double t = a[j] - m;
        sum += squares ? t * t : a[j];
      }
    } else {
      double[] a = x.doubleStorage();
      for (int j = off; j < off + len; j++) {
        double t = a[j] - m;
        sum += squares ? t * t : a[j];
      }
    }
    return sum;
  }

  /**
   * Normalizes each channel: {@code (x - mean[c]) / std[c]}.
   *
   * @param x images, shape (N, C, H, W)
   * @param stats statistics fitted on the training split, C channels
   * @return normalized images, shape (N, C, H, W), dtype of x
   */
  public static Tensor normalize(Tensor x, ChannelStats stats) {
    checkImages("normalize", x);
    int c = x.shape(1);
    if (stats.mean().length != c) {
      throw new IllegalArgumentException(
          "normalize: stats have "
              + stats.mean().length
              + " channels but x "
              + x.shapeString()
              + " has C="
              + c);
    }
    Tensor src = x.contiguous();
    Tensor out = Tensor.zeros(x.dtype(), x.shape());
    int n = x.shape(0);
    int hw = x.shape(2) * x.shape(3);
    double[] m = stats.mean();
    double[] s = stats.std();
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < c; k++) {
        int q = (i * c + k) * hw;
        int p = src.offset() + q;
        double inv = 1.0 / s[k];
        if (x.dtype() == DType.FLOAT32) {
          float[] a = src.floatStorage();
          float[] o = out.floatStorage();
          for (int j = 0; j < hw; j++) {
            o[q + j] = (float) ((a[p + j] - m[k]) * inv);
          }
        } else {
          double[] a = src.doubleStorage();
          double[] o = out.doubleStorage();
          for (int j = 0; j < hw; j++) {
            o[q + j] = (a[p + j] - m[k]) * inv;
          }
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- shapes and scaling

  /**
   * Flattens every example to a row: {@code np.reshape(X, (N, -1))}. A view when x is contiguous.
   *
   * @param x examples, shape (N, ...)
   * @return shape (N, D) with D the product of the other dimensions
   */
  public static Tensor flatten(Tensor x) {
    if (x.ndim() < 1) {
      throw new IllegalArgumentException("flatten: expected x with shape (N, ...), got ()");
    }
    int n = x.shape(0);
    int d = n == 0 ? Shapes.size(Arrays.copyOfRange(x.shape(), 1, x.ndim())) : x.size() / n;
    return x.reshape(n, d);
  }

  /**
   * The bias trick: appends a column of ones so a linear classifier's bias becomes the last row of
   * W ({@code np.hstack([X, np.ones((N, 1))])}, CS231n assignment 1).
   *
   * @param x features, shape (N, D)
   * @return shape (N, D + 1), last column 1, dtype of x
   */
  public static Tensor appendBias(Tensor x) {
    checkFloat("appendBias", x);
    if (x.ndim() != 2) {
      throw new IllegalArgumentException(
          "appendBias: expected x of shape (N, D), got " + x.shapeString());
    }
    int n = x.shape(0);
    int d = x.shape(1);
    Tensor src = x.contiguous();
    Tensor out = Tensor.ones(x.dtype(), n, d + 1);
    Object a = x.dtype() == DType.FLOAT32 ? src.floatStorage() : src.doubleStorage();
    Object o = x.dtype() == DType.FLOAT32 ? out.floatStorage() : out.doubleStorage();
    for (int i = 0; i < n; i++) {
      System.arraycopy(a, src.offset() + i * d, o, i * (d + 1), d);
    }
    return out;
  }

  /**
   * Multiplies every value by {@code factor}; {@code scale(x, 255)} gives CS231n's raw pixel range
   * 0..255 from the readers' [0, 1].
   *
   * @param x any float tensor
   * @return same shape and dtype
   */
  public static Tensor scale(Tensor x, double factor) {
    checkFloat("scale", x);
    Tensor out = x.copy();
    if (out.dtype() == DType.FLOAT32) {
      float[] o = out.floatStorage();
      for (int i = 0; i < o.length; i++) {
        o[i] = (float) (o[i] * factor);
      }
    } else {
      double[] o = out.doubleStorage();
      for (int i = 0; i < o.length; i++) {
        o[i] *= factor;
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- checks

  static Tensor checkFloat(String op, Tensor x) {
    if (x.dtype() == DType.INT32) {
      throw new IllegalArgumentException(op + ": expected float32 or float64 x, got int32");
    }
    if (x.ndim() < 1) {
      throw new IllegalArgumentException(op + ": expected x with shape (N, ...), got ()");
    }
    return x;
  }

  static Tensor checkImages(String op, Tensor x) {
    checkFloat(op, x);
    if (x.ndim() != 4) {
      throw new IllegalArgumentException(
          op + ": expected images of shape (N, C, H, W), got " + x.shapeString());
    }
    return x;
  }
}
