package org.handgrad.app.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.handgrad.data.Dataset;
import org.handgrad.data.Split;

/**
 * A few classes of a dataset, relabelled 0..K-1 in the order given, optionally with only N training
 * labels per class: the data of a transfer experiment (pretrain on classes 0-4, fine-tune on 5-9
 * with 10, 100 or 1000 labels each).
 *
 * <p>With {@code labelsPerClass}, the training split becomes {@code [N per class] ++ [the last
 * numVal images of the class]}: the first N images of each class in file order (Fashion-MNIST's
 * order is already shuffled) followed by a validation set taken from the end, so that {@code train
 * --num-train K*N --num-val numVal} sees exactly the N labels per class and validates on images it
 * never trains on. The test split keeps every image of the chosen classes.
 *
 * @param classes original labels to keep, distinct, in their new order
 * @param labelsPerClass training labels per class, or null for all
 * @param numVal validation images taken from the end of the filtered training split
 */
public record ClassSubset(int[] classes, Integer labelsPerClass, int numVal) {
  /** Validates and copies. */
  public ClassSubset {
    classes = classes.clone();
    if (classes.length < 2) {
      throw new IllegalArgumentException(
          "--classes: need at least 2 classes, got " + classes.length);
    }
    if (Arrays.stream(classes).distinct().count() != classes.length) {
      throw new IllegalArgumentException(
          "--classes: repeated class in " + Arrays.toString(classes));
    }
    if (labelsPerClass != null && labelsPerClass < 1) {
      throw new IllegalArgumentException("--labels-per-class must be >= 1, got " + labelsPerClass);
    }
  }

  /** The original labels kept (a copy). */
  @Override
  public int[] classes() {
    return classes.clone();
  }

  /**
   * The subset.
   *
   * @throws IllegalArgumentException for a class outside the dataset, or too few images
   */
  public Dataset apply(Dataset d) {
    List<String> names = new ArrayList<>();
    for (int c : classes) {
      if (c < 0 || c >= d.classNames().size()) {
        throw new IllegalArgumentException(
            "--classes: class "
                + c
                + " is outside 0.."
                + (d.classNames().size() - 1)
                + " of "
                + d.name());
      }
      names.add(d.classNames().get(c));
    }
    Split train = keep(d.train(), names);
    if (labelsPerClass != null) {
      int n = train.size();
      if (n - numVal < labelsPerClass * classes.length) {
        throw new IllegalArgumentException(
            "--labels-per-class "
                + labelsPerClass
                + ": only "
                + (n - numVal)
                + " training images of these classes after "
                + numVal
                + " validation images");
      }
      int[] taken = new int[classes.length];
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < n - numVal; i++) {
        int c = train.y()[i];
        if (taken[c] < labelsPerClass) {
          taken[c]++;
          idx.add(i);
        }
      }
      for (int c = 0; c < classes.length; c++) {
        if (taken[c] < labelsPerClass) {
          throw new IllegalArgumentException(
              "--labels-per-class "
                  + labelsPerClass
                  + ": class "
                  + classes[c]
                  + " has only "
                  + taken[c]
                  + " training images");
        }
      }
      for (int i = n - numVal; i < n; i++) {
        idx.add(i);
      }
      train = train.take(idx.stream().mapToInt(Integer::intValue).toArray());
    }
    return new Dataset(d.name(), train, keep(d.test(), names));
  }

  private Split keep(Split s, List<String> names) {
    int[] newLabel = new int[s.classNames().size()];
    Arrays.fill(newLabel, -1);
    for (int i = 0; i < classes.length; i++) {
      newLabel[classes[i]] = i;
    }
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < s.size(); i++) {
      if (newLabel[s.y()[i]] >= 0) {
        idx.add(i);
      }
    }
    Split t = s.take(idx.stream().mapToInt(Integer::intValue).toArray());
    int[] y = new int[t.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = newLabel[t.y()[i]];
    }
    return new Split(t.x(), y, names);
  }
}
