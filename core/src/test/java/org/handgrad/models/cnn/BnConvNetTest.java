package org.handgrad.models.cnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.handgrad.models.ModelChecks;
import org.handgrad.models.Training;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.Adam;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class BnConvNetTest {
  private static BnConvNet small(double keep, long seed) {
    return new BnConvNet(
        new BnConvNet.Config(
            new int[] {1, 8, 8}, new int[] {4, 8}, 2, 16, 10, keep, 0, DType.FLOAT32, seed));
  }

  @Test
  void fashionMnistDesign() {
    BnConvNet net = new BnConvNet(BnConvNet.Config.fashionMnist());
    List<String> names = net.parameters().stream().map(Parameter::name).toList();
    assertEquals(
        List.of(
            "W1", "gamma1", "beta1", "W2", "gamma2", "beta2", "W3", "gamma3", "beta3", "W4",
            "gamma4", "beta4", "W5", "gamma5", "beta5", "W6", "b6"),
        names);
    assertArrayEquals(new int[] {32, 1, 3, 3}, net.parameters().get(0).shape());
    assertArrayEquals(new int[] {64, 64, 3, 3}, net.parameters().get(9).shape());
    assertArrayEquals(new int[] {64 * 7 * 7, 128}, net.parameters().get(12).shape());
    assertArrayEquals(new int[] {128, 10}, net.parameters().get(15).shape());
    // 28*28*32*9 + 28*28*32*32*9 + 14*14*64*32*9 + 14*14*64*64*9 + 3136*128 + 128*10
    assertEquals(18_691_840L, net.forwardMacsPerImage());
    assertEquals(16, net.buffers().size()); // 5 BN layers x 3 + the dropout stream
    assertTrue(net.buffers().containsKey("bn5.running_var"));
    assertTrue(net.buffers().containsKey("dropout.rng_state"));
    // He init: std of W4 ~ sqrt(2 / fan_in), fan_in = 64 * 9.
    Tensor w4 = net.parameters().get(9).value();
    double s = 0;
    for (int i = 0; i < w4.size(); i++) {
      s += w4.getFlat(i) * w4.getFlat(i);
    }
    assertEquals(Math.sqrt(2.0 / 576), Math.sqrt(s / w4.size()), 2e-3);
  }

  @Test
  void learnsATinySetAndPredictsWithRunningStatistics() {
    BnConvNet net = small(1, 1);
    Tensor x = Training.normal(2, DType.FLOAT32, 1.0, 20, 1, 8, 8);
    int[] y = Training.labels(3, 20, 10);
    double[] losses = Training.fit(net, new Adam(1e-2, 0.9, 0.999, 1e-8), x, y, 60);
    assertTrue(losses[59] < 0.2 * losses[0], losses[0] + " -> " + losses[59]);
    assertEquals(60, (int) net.buffers().get("bn1.num_batches_tracked").item());
    assertEquals(1.0, Training.accuracy(net, x, y));
  }

  @Test
  void dropoutMasksResumeFromTheBuffer() {
    BnConvNet net = small(0.5, 4);
    Tensor x = Training.normal(5, DType.FLOAT32, 1.0, 6, 1, 8, 8);
    int[] y = Training.labels(6, 6, 10);
    Map<String, Tensor> saved = ModelChecks.snapshot(net.buffers());
    double first = net.loss(x, y);
    assertNotEquals(first, net.loss(x, y));
    ModelChecks.restore(net.buffers(), saved);
    assertEquals(first, net.loss(x, y));
    assertArrayEquals(net.loss(x).toDoubleArray(), net.loss(x).toDoubleArray()); // test mode
  }

  @Test
  void clearErrors() {
    IllegalArgumentException stages =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new BnConvNet.Config(
                    new int[] {1, 28, 28},
                    new int[] {8, 16, 32},
                    1,
                    16,
                    10,
                    1,
                    0,
                    DType.FLOAT32,
                    0));
    assertTrue(stages.getMessage().contains("divisible by 8"), stages.getMessage());
    IllegalArgumentException keep =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new BnConvNet.Config(
                    new int[] {1, 8, 8}, new int[] {4}, 1, 16, 10, 1.5, 0, DType.FLOAT32, 0));
    assertTrue(keep.getMessage().contains("KEEP"), keep.getMessage());
    BnConvNet net = small(1, 0);
    IllegalStateException untrained =
        assertThrows(
            IllegalStateException.class, () -> net.loss(Tensor.zeros(DType.FLOAT32, 2, 1, 8, 8)));
    assertTrue(untrained.getMessage().contains("statistics"), untrained.getMessage());
    IllegalArgumentException shape =
        assertThrows(
            IllegalArgumentException.class,
            () -> net.loss(Tensor.zeros(DType.FLOAT32, 2, 8, 8), new int[2]));
    assertTrue(shape.getMessage().contains("bn-cnn: expected x (N, 1, 8, 8)"), shape.getMessage());
  }
}
