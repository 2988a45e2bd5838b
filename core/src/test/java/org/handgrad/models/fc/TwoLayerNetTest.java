package org.handgrad.models.fc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.handgrad.models.Training;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;

class TwoLayerNetTest {
  @Test
  void cs231nDefaultsAndParameterShapes() {
    TwoLayerNet net = new TwoLayerNet(TwoLayerNet.Config.defaults());
    List<Parameter> p = net.parameters();
    assertEquals(List.of("W1", "b1", "W2", "b2"), p.stream().map(Parameter::name).toList());
    assertArrayEquals(new int[] {3072, 100}, p.get(0).shape());
    assertArrayEquals(new int[] {100, 10}, p.get(2).shape());
    assertEquals(0.0, p.get(1).value().getFlat(7));
    // weight_scale = 1e-3: the sample std of W1 is close to it.
    double s = 0;
    for (int i = 0; i < p.get(0).size(); i++) {
      s += p.get(0).value().getFlat(i) * p.get(0).value().getFlat(i);
    }
    assertEquals(1e-3, Math.sqrt(s / p.get(0).size()), 2e-5);
  }

  @Test
  void initialLossIsLnTen() {
    TwoLayerNet net = new TwoLayerNet(TwoLayerNet.Config.defaults());
    Tensor x = Training.normal(1, DType.FLOAT64, 1.0, 50, 3, 32, 32);
    double loss = net.loss(x, Training.labels(2, 50, 10));
    assertTrue(Math.abs(loss - Math.log(10)) < 0.01, "loss " + loss);
  }

  @Test
  void equalsAOneHiddenLayerFullyConnectedNet() {
    TwoLayerNet two = new TwoLayerNet(new TwoLayerNet.Config(6, 5, 3, 0.3, 0.2, DType.FLOAT64, 4));
    FullyConnectedNet fc =
        new FullyConnectedNet(
            new FullyConnectedNet.Config(
                new int[] {5}, 6, 3, 1, Normalization.NONE, 0.2, 0.3, DType.FLOAT64, 9));
    for (int i = 0; i < 4; i++) {
      fc.parameters().get(i).assign(two.parameters().get(i).value());
    }
    Tensor x = Training.normal(5, DType.FLOAT64, 1.0, 7, 6);
    int[] y = Training.labels(6, 7, 3);
    Golden.assertClose("loss", fc.loss(x, y), two.loss(x, y), 1e-14);
    for (int i = 0; i < 4; i++) {
      Golden.assertClose(
          "grad " + i, fc.parameters().get(i).grad(), two.parameters().get(i).grad(), 1e-14);
    }
    Golden.assertClose("scores", fc.loss(x), two.loss(x), 1e-14);
  }

  @Test
  void clearErrors() {
    TwoLayerNet net = new TwoLayerNet(new TwoLayerNet.Config(6, 5, 3, 0.3, 0, DType.FLOAT32, 4));
    IllegalArgumentException shape =
        assertThrows(
            IllegalArgumentException.class, () -> net.loss(Tensor.zeros(DType.FLOAT32, 2, 7)));
    assertTrue(shape.getMessage().contains("two-layer: expected x (N, 6)"), shape.getMessage());
    IllegalArgumentException dtype =
        assertThrows(
            IllegalArgumentException.class, () -> net.loss(Tensor.zeros(DType.FLOAT64, 2, 6)));
    assertTrue(dtype.getMessage().contains("float32"), dtype.getMessage());
    IllegalArgumentException label =
        assertThrows(
            IllegalArgumentException.class,
            () -> net.loss(Tensor.zeros(DType.FLOAT32, 2, 6), new int[] {0, 3}));
    assertTrue(label.getMessage().contains("y[1] = 3"), label.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new TwoLayerNet.Config(6, 0, 3, 0.3, 0, DType.FLOAT32, 4));
    assertThrows(
        IllegalArgumentException.class,
        () -> new TwoLayerNet.Config(6, 5, 3, 0.3, -1, DType.FLOAT32, 4));
    assertThrows(
        IllegalArgumentException.class,
        () -> new TwoLayerNet.Config(6, 5, 3, 0.3, 0, DType.INT32, 4));
  }
}
