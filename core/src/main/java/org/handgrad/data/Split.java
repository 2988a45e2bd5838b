package org.handgrad.data;

import java.util.List;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;

/**
 * One split of a labelled dataset: images (or features) and their integer class labels.
 *
 * <p>Dimension letters: N examples, C channels, H height, W width, D features. Readers return
 * images as (N, C, H, W) float32 in [0, 1] (pixel byte / 255); preprocessing may flatten them to
 * (N, D) or convert them to float64. Labels are class indices into {@code classNames}.
 *
 * <p>Like every record holding arrays, equality is identity of the arrays, not their contents.
 *
 * @param x examples, shape (N, C, H, W) or (N, D), float32 or float64
 * @param y labels, length N, each in [0, classNames.size())
 * @param classNames human-readable class names, index = label
 */
public record Split(Tensor x, int[] y, List<String> classNames) {
  /** Validates shapes, dtype and label range. */
  public Split {
    if (x == null || y == null || classNames == null) {
      throw new NullPointerException("Split: x, y and classNames must not be null");
    }
    if (x.ndim() < 2) {
      throw new IllegalArgumentException(
          "Split: expected x with shape (N, ...) and at least 2 dimensions, got "
              + x.shapeString());
    }
    if (x.dtype() == DType.INT32) {
      throw new IllegalArgumentException("Split: expected float32 or float64 x, got int32");
    }
    if (x.shape(0) != y.length) {
      throw new IllegalArgumentException(
          "Split: x " + x.shapeString() + " has " + x.shape(0) + " examples but y has " + y.length);
    }
    classNames = List.copyOf(classNames);
    if (classNames.isEmpty()) {
      throw new IllegalArgumentException("Split: classNames must not be empty");
    }
    for (int i = 0; i < y.length; i++) {
      if (y[i] < 0 || y[i] >= classNames.size()) {
        throw new IllegalArgumentException(
            "Split: label "
                + y[i]
                + " at index "
                + i
                + " is outside 0.."
                + (classNames.size() - 1));
      }
    }
  }

  /** Number of examples N. */
  public int size() {
    return y.length;
  }

  /** Number of classes. */
  public int numClasses() {
    return classNames.size();
  }

  /** Shape of one example: x's shape without the leading N, e.g. (3, 32, 32). */
  public int[] exampleShape() {
    int[] s = x.shape();
    int[] e = new int[s.length - 1];
    System.arraycopy(s, 1, e, 0, e.length);
    return e;
  }

  /** How many examples each class has, length numClasses(). */
  public int[] classCounts() {
    int[] counts = new int[classNames.size()];
    for (int label : y) {
      counts[label]++;
    }
    return counts;
  }

  /** The same labels and class names with new examples (e.g. after preprocessing). */
  public Split withX(Tensor newX) {
    return new Split(newX, y, classNames);
  }

  /**
   * Examples {@code from} (inclusive) to {@code to} (exclusive), copied.
   *
   * @throws IllegalArgumentException when the range is not inside [0, N]
   */
  public Split range(int from, int to) {
    if (from < 0 || to > size() || from > to) {
      throw new IllegalArgumentException(
          "Split.range: [" + from + ", " + to + ") is not inside [0, " + size() + "]");
    }
    int[] idx = new int[to - from];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = from + i;
    }
    return take(idx);
  }

  /**
   * The examples at the given indices, in that order, copied (NumPy's {@code x[idx], y[idx]}).
   *
   * @throws IndexOutOfBoundsException when an index is outside [0, N)
   */
  public Split take(int[] indices) {
    Tensor src = x.contiguous();
    int[] shape = x.shape();
    int per = Shapes.size(shape) / Math.max(1, shape[0]);
    shape[0] = indices.length;
    Tensor out = Tensor.zeros(x.dtype(), shape);
    int[] labels = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      int k = indices[i];
      if (k < 0 || k >= size()) {
        throw new IndexOutOfBoundsException(
            "Split.take: index " + k + " is outside [0, " + size() + ")");
      }
      if (src.dtype() == DType.FLOAT32) {
        System.arraycopy(
            src.floatStorage(), src.offset() + k * per, out.floatStorage(), i * per, per);
      } else {
        System.arraycopy(
            src.doubleStorage(), src.offset() + k * per, out.doubleStorage(), i * per, per);
      }
      labels[i] = y[k];
    }
    return new Split(out, labels, classNames);
  }
}
