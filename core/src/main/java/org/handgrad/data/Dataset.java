package org.handgrad.data;

import java.util.Arrays;
import java.util.List;
import org.handgrad.tensor.Shapes;

/**
 * A dataset as distributed: its official training and test splits, with the same classes.
 *
 * <p>A validation split is made from the training split by {@link Preprocess#splitLast} (the CS231n
 * way) or {@link Preprocess#splitRandom}.
 *
 * @param name registry name, e.g. "fashion-mnist"
 * @param train training split, images (N, C, H, W)
 * @param test test split, images (N, C, H, W)
 */
public record Dataset(String name, Split train, Split test) {
  /** Checks that both splits describe the same classes and example shape. */
  public Dataset {
    if (!train.classNames().equals(test.classNames())) {
      throw new IllegalArgumentException("Dataset " + name + ": train and test class names differ");
    }
    if (!Arrays.equals(train.exampleShape(), test.exampleShape())) {
      throw new IllegalArgumentException(
          "Dataset "
              + name
              + ": train examples "
              + Shapes.str(train.exampleShape())
              + " and test examples "
              + Shapes.str(test.exampleShape())
              + " differ in shape");
    }
  }

  /** The class names, index = label. */
  public List<String> classNames() {
    return train.classNames();
  }
}
