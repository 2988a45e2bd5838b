package org.handgrad.models.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The encoders: shapes, modes, buffers and argument checks (gradients: CaptioningChecks). */
class ConvEncoderTest {
  private static ConvEncoder encoder() {
    return new ConvEncoder(new ConvEncoder.Config(3, 16, List.of(4, 8), 10, DType.FLOAT32, 1));
  }

  @Test
  void shapesParametersAndBuffers() {
    ConvEncoder e = encoder();
    assertEquals(10, e.featureDim());
    assertEquals(4, e.config().finalSide());
    List<String> names = e.parameters().stream().map(p -> p.name()).toList();
    assertEquals(
        List.of(
            "enc.conv1.w",
            "enc.bn1.gamma",
            "enc.bn1.beta",
            "enc.conv2.w",
            "enc.bn2.gamma",
            "enc.bn2.beta",
            "enc.fc.w",
            "enc.fc.b"),
        names);
    assertArrayEquals(new int[] {8 * 4 * 4, 10}, e.parameters().get(6).shape());
    assertEquals(6, e.buffers().size());
    Tensor images = new Rng(0).uniform(DType.FLOAT32, 0, 1, 5, 3, 16, 16);
    Tensor f = e.forward(images, true);
    assertArrayEquals(new int[] {5, 10}, f.shape());
    assertEquals(DType.FLOAT32, f.dtype());
    assertEquals(1.0, e.buffers().get("enc.bn1.num_batches_tracked").item());
    // float64 images are data: converted to the encoder's dtype.
    assertEquals(DType.FLOAT32, e.forward(images.to(DType.FLOAT64), false).dtype());
  }

  @Test
  void testModeUsesRunningStatisticsAndKeepsNoCache() {
    ConvEncoder e = encoder();
    Tensor images = new Rng(0).uniform(DType.FLOAT32, 0, 1, 5, 3, 16, 16);
    Tensor train = e.forward(images, true);
    e.backward(Tensor.ones(DType.FLOAT32, 5, 10));
    Tensor test = e.forward(images, false);
    assertFalse(train.sub(test).abs().max().item() < 1e-3, "test mode must not use batch stats");
    // Test mode leaves the running statistics alone and keeps no cache for backward.
    assertEquals(1.0, e.buffers().get("enc.bn1.num_batches_tracked").item());
    IllegalStateException ex =
        assertThrows(
            IllegalStateException.class, () -> e.backward(Tensor.ones(DType.FLOAT32, 5, 10)));
    assertTrue(ex.getMessage().contains("no training-mode forward"), ex.getMessage());
  }

  @Test
  void badImagesAndConfigsAreRejected() {
    ConvEncoder e = encoder();
    IllegalArgumentException ex =
        assertThrows(
            IllegalArgumentException.class,
            () -> e.forward(Tensor.zeros(DType.FLOAT32, 2, 1, 16, 16), true));
    assertTrue(
        ex.getMessage()
            .contains("expected images (N, C, S, S) = (N, 3, 16, 16), got (2, 1, 16, 16)"),
        ex.getMessage());
    ex =
        assertThrows(
            IllegalArgumentException.class,
            () -> new ConvEncoder.Config(3, 12, List.of(4, 4, 4), 10, DType.FLOAT32, 1));
    assertTrue(ex.getMessage().contains("divisible by 2^K = 8"), ex.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new ConvEncoder.Config(3, 16, List.of(), 10, DType.FLOAT32, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> new ConvEncoder.Config(3, 16, List.of(0), 10, DType.FLOAT32, 1));
    assertThrows(IllegalArgumentException.class, () -> new FeatureEncoder(0));
    assertThrows(
        IllegalArgumentException.class,
        () -> new FeatureEncoder(4).forward(Tensor.zeros(DType.FLOAT32, 2, 5), true));
    assertThrows(IllegalArgumentException.class, () -> new BlindEncoder(DType.INT32));
  }

  @Test
  void compositeChecksFeatureDimensionAndDtype() {
    CaptioningRnn rnn =
        new CaptioningRnn(
            new CaptioningRnn.Config(
                9, 7, 4, 6, CellType.RNN, DType.FLOAT32, 3, SpecialTokens.cs231n()));
    IllegalArgumentException ex =
        assertThrows(IllegalArgumentException.class, () -> new CaptioningModel(encoder(), rnn));
    assertTrue(
        ex.getMessage().contains("encoder features have D=10 but the decoder expects D=7"),
        ex.getMessage());
    ConvEncoder f64 =
        new ConvEncoder(new ConvEncoder.Config(3, 16, List.of(4), 7, DType.FLOAT64, 1));
    ex = assertThrows(IllegalArgumentException.class, () -> new CaptioningModel(f64, rnn));
    assertTrue(ex.getMessage().contains("dtype"), ex.getMessage());
    Tensor blind = new BlindEncoder(DType.FLOAT64).forward(Tensor.zeros(DType.FLOAT32, 3, 2), true);
    assertArrayEquals(new int[] {3, 1}, blind.shape());
    assertEquals(0, blind.abs().max().item());
  }
}
