package org.handgrad.models.cnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The penultimate features are what the output layer reads: scores = features W + b. */
class BnConvNetFeaturesTest {
  @Test
  void outputLayerOfTheFeaturesGivesTheScores() {
    BnConvNet net =
        new BnConvNet(
            new BnConvNet.Config(
                new int[] {1, 8, 8}, new int[] {4}, 1, 6, 3, 0.5, 0.0, DType.FLOAT64, 1));
    Rng rng = new Rng(0);
    Tensor x = rng.randn(DType.FLOAT64, 5, 1, 8, 8);
    net.loss(x, new int[] {0, 1, 2, 0, 1}); // one training pass: running statistics exist
    Tensor f = net.penultimateFeatures(x);
    assertArrayEquals(new int[] {5, 6}, f.shape());
    Tensor scores = net.loss(x);
    Tensor w = net.parameter("W3").value();
    Tensor b = net.parameter("b3").value();
    double[] fs = f.toDoubleArray();
    for (int n = 0; n < 5; n++) {
      for (int k = 0; k < 3; k++) {
        double s = b.toDoubleArray()[k];
        for (int m = 0; m < 6; m++) {
          s += fs[n * 6 + m] * w.toDoubleArray()[m * 3 + k];
        }
        assertEquals(scores.toDoubleArray()[n * 3 + k], s, 1e-12, "score " + n + "," + k);
      }
    }
  }
}
