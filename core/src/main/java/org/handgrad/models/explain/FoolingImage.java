package org.handgrad.models.explain;

import org.handgrad.models.InputGradients;
import org.handgrad.nn.Metrics;
import org.handgrad.tensor.Tensor;

/**
 * Fooling images (Szegedy et al. 2014, "Intriguing properties of neural networks"), CS231n's {@code
 * make_fooling_image(X, target_y, model)}: starting from a correctly classified image, take
 * gradient ascent steps on the target class score, each along the L2-normalised gradient, {@code X
 * += lr * g / ||g||_2}, until the model predicts the target; the change is usually invisible.
 *
 * <p>No clamping to the valid pixel range, as in the assignment: the fooling image lives in the
 * model's (preprocessed) input space.
 */
public final class FoolingImage {
  private FoolingImage() {}

  /**
   * Settings.
   *
   * @param learningRate the L2 length of each step, in input units (CS231n: 1)
   * @param maxSteps give up after this many steps (CS231n: 100)
   */
  public record Options(double learningRate, int maxSteps) {
    /** Validates the fields. */
    public Options {
      if (!(learningRate > 0) || maxSteps < 0) {
        throw new IllegalArgumentException(
            "fooling image: learningRate must be > 0 and maxSteps >= 0, got "
                + learningRate
                + " and "
                + maxSteps);
      }
    }

    /** CS231n's: learning rate 1, at most 100 steps. */
    public static Options defaults() {
      return new Options(1, 100);
    }
  }

  /**
   * The outcome for one image.
   *
   * @param image the fooling image, shape (1, C, H, W), the dtype of the input
   * @param steps gradient steps taken
   * @param fooled whether the model predicts the target for {@code image}
   * @param predicted the model's class for {@code image}
   */
  public record Result(Tensor image, int steps, boolean fooled, int predicted) {}

  /**
   * Makes a fooling image.
   *
   * @param model the classifier
   * @param x one image, shape (1, C, H, W), preprocessed as the model expects; not modified
   * @param target the class to reach, in [0, K)
   * @return the image after the last step, with the number of steps
   * @throws IllegalArgumentException for x not (1, C, H, W) or a target out of range
   */
  public static Result make(InputGradients model, Tensor x, int target, Options options) {
    Saliency.checkImages("fooling image", x);
    if (x.shape(0) != 1) {
      throw new IllegalArgumentException(
          "fooling image: expected one image (1, C, H, W), got " + x.shapeString());
    }
    Saliency.checkClass(target, model.numClasses());
    Tensor img = x.copy();
    int[] classes = {target};
    for (int step = 0; ; step++) {
      InputGradients.Result r = Saliency.classScoreGradient(model, img, classes);
      int predicted = Metrics.argmax(r.scores())[0];
      if (predicted == target || step == options.maxSteps()) {
        return new Result(img, step, predicted == target, predicted);
      }
      Tensor g = r.dx();
      double norm = Math.sqrt(g.square().sum().item());
      if (norm == 0) {
        // A flat score (every ReLU on the path dead): no direction to follow.
        return new Result(img, step, false, predicted);
      }
      img.addScaledi(options.learningRate() / norm, g);
    }
  }
}
