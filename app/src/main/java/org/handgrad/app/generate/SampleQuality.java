package org.handgrad.app.generate;

import java.util.Arrays;
import java.util.function.IntConsumer;
import org.handgrad.app.train.RunSpec;
import org.handgrad.app.train.TrainedModel;
import org.handgrad.models.PenultimateFeatures;
import org.handgrad.models.metrics.FrechetDistance;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.nn.NoGrad;
import org.handgrad.tensor.Tensor;

/**
 * Reads images with a handgrad classifier: its penultimate features (for the Frechet distance) and
 * its predicted classes (for the class accuracy of conditional samples). Images arrive in the
 * models' range [-1, 1], go back to [0, 1] and through the classifier's own preprocessing.
 */
public final class SampleQuality {
  private final TrainedModel classifier;
  private final Model model;
  private final PenultimateFeatures features;

  /**
   * @param classifier a checkpoint of {@code ./handgrad train}
   * @param imageShape (C, H, W) of the generated images
   * @throws IllegalArgumentException when the model has no penultimate features or reads another
   *     image shape, naming both shapes
   */
  public SampleQuality(TrainedModel classifier, int[] imageShape) {
    this.classifier = classifier;
    this.model = RunSpec.unwrap(classifier.model());
    RunSpec spec = classifier.spec();
    if (!(model instanceof PenultimateFeatures f)) {
      throw new IllegalArgumentException(
          "--classifier: model '"
              + spec.model()
              + "' exposes no penultimate features; train a bn-cnn (./handgrad train --model"
              + " bn-cnn ...)");
    }
    this.features = f;
    if (!Arrays.equals(spec.inputShape(), imageShape)) {
      throw new IllegalArgumentException(
          "--classifier: it reads images of shape "
              + Arrays.toString(spec.inputShape())
              + " (trained on "
              + spec.dataset()
              + ") but the generator makes "
              + Arrays.toString(imageShape));
    }
  }

  /** What the classifier is, for reports. */
  public String describe() {
    return classifier.spec().describe() + " (" + classifier.file() + ")";
  }

  /**
   * Features and predictions of a batch.
   *
   * @param features (N, F) float64
   * @param predicted N classes
   */
  public record Read(Tensor features, int[] predicted) {}

  /**
   * Reads images in batches.
   *
   * @param x images in [-1, 1], shape (N, C, H, W)
   * @param batch images per classifier call
   * @param progress told the images done so far
   */
  public Read read(Tensor x, int batch, IntConsumer progress) {
    int n = x.shape(0);
    Tensor out = null;
    int[] pred = new int[n];
    for (int from = 0; from < n; from += batch) {
      int to = Math.min(n, from + batch);
      Tensor xb = GenData.toUnitRange(x.slice(0, from, to).copy());
      if (xb.dtype() != classifier.spec().dtype()) {
        xb = xb.to(classifier.spec().dtype());
      }
      xb = classifier.spec().preprocessing().apply(xb);
      Tensor input = xb;
      Tensor f =
          NoGrad.get(() -> features.penultimateFeatures(input))
              .to(org.handgrad.tensor.DType.FLOAT64);
      if (out == null) {
        out = Tensor.zeros(org.handgrad.tensor.DType.FLOAT64, n, f.shape(1));
      }
      out.slice(0, from, to).copyFrom(f);
      int[] p = Metrics.argmax(model.loss(xb));
      System.arraycopy(p, 0, pred, from, to - from);
      progress.accept(to);
    }
    return new Read(out, pred);
  }

  /** d^2 between two feature sets ({@link FrechetDistance}). */
  public static double frechet(Tensor a, Tensor b) {
    return FrechetDistance.distance(a, b);
  }

  /** The fraction of predictions equal to the requested labels. */
  public static double accuracy(int[] predicted, int[] labels) {
    int hit = 0;
    for (int i = 0; i < labels.length; i++) {
      hit += predicted[i] == labels[i] ? 1 : 0;
    }
    return (double) hit / labels.length;
  }
}
