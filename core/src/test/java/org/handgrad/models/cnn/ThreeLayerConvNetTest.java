package org.handgrad.models.cnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.handgrad.models.Training;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.Adam;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;

class ThreeLayerConvNetTest {
  @Test
  void cs231nDefaults() {
    ThreeLayerConvNet net = new ThreeLayerConvNet(ThreeLayerConvNet.Config.defaults());
    List<Parameter> p = net.parameters();
    assertEquals(
        List.of("W1", "b1", "W2", "b2", "W3", "b3"), p.stream().map(Parameter::name).toList());
    assertArrayEquals(new int[] {32, 3, 7, 7}, p.get(0).shape());
    assertArrayEquals(new int[] {32 * 16 * 16, 100}, p.get(2).shape());
    assertArrayEquals(new int[] {100, 10}, p.get(4).shape());
    assertEquals(DType.FLOAT32, p.get(0).dtype());
  }

  @Test
  void initialLossIsLnTen() {
    ThreeLayerConvNet net = new ThreeLayerConvNet(ThreeLayerConvNet.Config.defaults());
    Tensor x = Training.normal(1, DType.FLOAT32, 1.0, 4, 3, 32, 32);
    double loss = net.loss(x, Training.labels(2, 4, 10));
    assertTrue(Math.abs(loss - Math.log(10)) < 0.01, "loss " + loss);
    assertArrayEquals(new int[] {4, 10}, net.loss(x).shape());
  }

  @Test
  void overfitsASmallTrainingSet() {
    ThreeLayerConvNet net =
        new ThreeLayerConvNet(
            new ThreeLayerConvNet.Config(
                new int[] {3, 8, 8}, 8, 3, 50, 10, 5e-2, 0, DType.FLOAT32, 3));
    Tensor x = Training.normal(4, DType.FLOAT32, 1.0, 30, 3, 8, 8);
    int[] y = Training.labels(5, 30, 10);
    double[] losses = Training.fit(net, new Adam(5e-3, 0.9, 0.999, 1e-8), x, y, 100);
    assertEquals(1.0, Training.accuracy(net, x, y), "final loss " + losses[99]);
  }

  @Test
  void float32AgreesWithFloat64() {
    ThreeLayerConvNet.Config c32 =
        new ThreeLayerConvNet.Config(new int[] {2, 6, 6}, 4, 3, 7, 5, 0.2, 0.1, DType.FLOAT32, 6);
    ThreeLayerConvNet.Config c64 =
        new ThreeLayerConvNet.Config(new int[] {2, 6, 6}, 4, 3, 7, 5, 0.2, 0.1, DType.FLOAT64, 6);
    ThreeLayerConvNet n32 = new ThreeLayerConvNet(c32);
    ThreeLayerConvNet n64 = new ThreeLayerConvNet(c64);
    Tensor x = Training.normal(7, DType.FLOAT64, 1.0, 3, 2, 6, 6);
    int[] y = Training.labels(8, 3, 5);
    Golden.assertClose("loss", n32.loss(x.to(DType.FLOAT32), y), n64.loss(x, y), 1e-5);
    for (int i = 0; i < 6; i++) {
      Golden.assertClose(
          "d" + n64.parameters().get(i).name(),
          n32.parameters().get(i).grad().to(DType.FLOAT64),
          n64.parameters().get(i).grad(),
          1e-4);
    }
  }

  @Test
  void clearErrors() {
    ThreeLayerConvNet net = new ThreeLayerConvNet(ThreeLayerConvNet.Config.defaults());
    IllegalArgumentException shape =
        assertThrows(
            IllegalArgumentException.class,
            () -> net.loss(Tensor.zeros(DType.FLOAT32, 2, 1, 28, 28)));
    assertTrue(
        shape.getMessage().contains("cnn: expected x (N, 3, 32, 32), got (2, 1, 28, 28)"),
        shape.getMessage());
    IllegalArgumentException even =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new ThreeLayerConvNet.Config(
                    new int[] {3, 32, 32}, 8, 4, 10, 10, 1e-3, 0, DType.FLOAT32, 0));
    assertTrue(even.getMessage().contains("odd"), even.getMessage());
    IllegalArgumentException odd =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new ThreeLayerConvNet.Config(
                    new int[] {3, 31, 32}, 8, 3, 10, 10, 1e-3, 0, DType.FLOAT32, 0));
    assertTrue(odd.getMessage().contains("divisible by 2"), odd.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new ThreeLayerConvNet.Config(
                new int[] {32, 32}, 8, 3, 10, 10, 1e-3, 0, DType.FLOAT32, 0));
  }
}
