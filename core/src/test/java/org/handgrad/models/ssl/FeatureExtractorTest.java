package org.handgrad.models.ssl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import org.handgrad.nn.NoGrad;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class FeatureExtractorTest {
  @Test
  void extractsInBatchesWithGradientsOff() {
    List<Boolean> noGrad = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    FeatureExtractor spy =
        images -> {
          noGrad.add(NoGrad.active());
          sizes.add(images.shape(0));
          return images.reshape(images.shape(0), 4).mul(2);
        };
    Tensor images = Tensor.arange(DType.FLOAT64, 5 * 4).reshape(5, 1, 2, 2);
    Tensor f = FeatureExtractor.extract(spy, images, 2);
    assertArrayEquals(images.reshape(5, 4).mul(2).toDoubleArray(), f.toDoubleArray(), 0);
    assertArrayEquals(new Object[] {2, 2, 1}, sizes.toArray());
    assertArrayEquals(new Object[] {true, true, true}, noGrad.toArray());
    assertFalse(NoGrad.active());
  }
}
