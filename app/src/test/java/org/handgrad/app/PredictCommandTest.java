package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The image conversion and ranking helpers of {@code predict}. */
class PredictCommandTest {
  @Test
  void areaWeightsAverageTheCoveredPixels() {
    double[][] down = PredictCommand.areaWeights(4, 2);
    assertArrayEquals(new double[] {0.5, 0.5, 0, 0}, down[0], 1e-15);
    assertArrayEquals(new double[] {0, 0, 0.5, 0.5}, down[1], 1e-15);
    double[][] third = PredictCommand.areaWeights(4, 3); // output pixels cover 4/3 input pixels
    assertArrayEquals(new double[] {0.75, 0.25, 0, 0}, third[0], 1e-15);
    assertArrayEquals(new double[] {0, 0.5, 0.5, 0}, third[1], 1e-15);
    double[][] up = PredictCommand.areaWeights(2, 4);
    assertArrayEquals(new double[] {1, 0}, up[1], 1e-15);
    assertArrayEquals(new double[] {0, 1}, up[2], 1e-15);
  }

  @Test
  void colourImagesBecomeGreyAndAreScaled() {
    // One red pixel and one white pixel, shrunk to 1x1 grey: mean luma of 0.299 * 255 and 255.
    Tensor rgb = Tensor.of(new float[] {255, 255, 0, 255, 0, 255}, 3, 1, 2);
    Tensor x = PredictCommand.toInput(rgb, 1, 1, 1);
    assertEquals((0.299 + 1.0) / 2, x.getFlat(0), 1e-6);
    Tensor grey = Tensor.of(new float[] {51, 102}, 1, 1, 2);
    Tensor three = PredictCommand.toInput(grey, 3, 1, 2);
    assertArrayEquals(
        new float[] {0.2f, 0.4f, 0.2f, 0.4f, 0.2f, 0.4f}, three.toFloatArray(), 1e-7f);
  }

  @Test
  void softmaxAndTopK() {
    double[] p = PredictCommand.softmax(new double[] {1000, 1000, 0});
    assertArrayEquals(new double[] {0.5, 0.5, 0}, p, 1e-12);
    assertArrayEquals(new int[] {0, 1}, PredictCommand.topK(p, 2));
    assertArrayEquals(new int[] {2, 0, 1}, PredictCommand.topK(new double[] {0.2, 0.1, 0.7}, 3));
  }
}
