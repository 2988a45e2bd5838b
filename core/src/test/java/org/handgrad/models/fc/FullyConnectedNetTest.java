package org.handgrad.models.fc;

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
import org.handgrad.optim.SgdMomentum;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;

class FullyConnectedNetTest {
  private static final DType F64 = DType.FLOAT64;

  private static FullyConnectedNet net(
      Normalization norm, double keep, double weightScale, DType dtype, int... hidden) {
    return new FullyConnectedNet(
        new FullyConnectedNet.Config(hidden, 20, 10, keep, norm, 0.0, weightScale, dtype, 3));
  }

  @Test
  void parameterNamesAndShapes() {
    FullyConnectedNet fc = net(Normalization.BATCHNORM, 0.5, 1e-2, F64, 8, 9);
    assertEquals(
        List.of("W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"),
        fc.parameters().stream().map(Parameter::name).toList());
    assertArrayEquals(new int[] {20, 8}, fc.parameters().get(0).shape());
    assertArrayEquals(new int[] {9, 10}, fc.parameters().get(8).shape());
    assertEquals(1.0, fc.parameters().get(2).value().getFlat(3)); // gamma starts at 1
    assertEquals(
        List.of(
            "bn1.running_mean",
            "bn1.running_var",
            "bn1.num_batches_tracked",
            "bn2.running_mean",
            "bn2.running_var",
            "bn2.num_batches_tracked",
            "dropout.rng_state"),
        List.copyOf(fc.buffers().keySet()));
    assertEquals(
        List.of("W1", "b1", "W2", "b2"),
        net(Normalization.NONE, 1, 1e-2, F64, 8).parameters().stream()
            .map(Parameter::name)
            .toList());
    assertTrue(net(Normalization.LAYERNORM, 1, 1e-2, F64, 8).buffers().isEmpty());
  }

  @Test
  void initialLossIsLnTen() {
    Tensor x = Training.normal(1, F64, 1.0, 40, 20);
    int[] y = Training.labels(2, 40, 10);
    for (Normalization norm : Normalization.values()) {
      // Small weights: the scores are ~0 whatever the hidden activations, so p ~ 1/10 each.
      double loss = net(norm, 1, 1e-3, F64, 30, 30).loss(x, y);
      assertTrue(Math.abs(loss - Math.log(10)) < 0.01, norm + ": loss " + loss);
    }
  }

  @Test
  void overfitsFiftyExamplesWithAdam() {
    // CS231n's sanity check: a net that cannot memorise a tiny training set has a bug.
    Tensor x = Training.normal(3, DType.FLOAT32, 1.0, 50, 3, 4, 4); // D = 48
    int[] y = Training.labels(4, 50, 10);
    FullyConnectedNet fc =
        new FullyConnectedNet(
            new FullyConnectedNet.Config(
                new int[] {100, 100}, 48, 10, 1, Normalization.NONE, 0, 5e-2, DType.FLOAT32, 5));
    double[] losses = Training.fit(fc, new Adam(1e-3, 0.9, 0.999, 1e-8), x, y, 150);
    assertEquals(1.0, Training.accuracy(fc, x, y), "final loss " + losses[149]);
    assertTrue(losses[149] < 0.1 * losses[0], losses[0] + " -> " + losses[149]);
  }

  @Test
  void overfitsFiftyExamplesWithBatchnormAndSgdMomentum() {
    Tensor x = Training.normal(6, F64, 1.0, 50, 20);
    int[] y = Training.labels(7, 50, 10);
    FullyConnectedNet fc = net(Normalization.BATCHNORM, 1, 5e-2, F64, 100, 100);
    Training.fit(fc, new SgdMomentum(1e-1, 0.9), x, y, 100);
    // Test mode uses the running statistics: they must have caught up with the (fixed) batch.
    assertEquals(1.0, Training.accuracy(fc, x, y));
  }

  @Test
  void batchnormTrainUsesBatchStatisticsAndTestUsesRunningOnes() {
    FullyConnectedNet fc = net(Normalization.BATCHNORM, 1, 5e-2, F64, 8);
    Tensor x = Training.normal(8, F64, 1.0, 6, 20);
    int[] y = Training.labels(9, 6, 10);
    IllegalStateException untrained = assertThrows(IllegalStateException.class, () -> fc.loss(x));
    assertTrue(untrained.getMessage().contains("statistics"), untrained.getMessage());
    Map<String, Tensor> buffers = fc.buffers();
    fc.loss(x, y);
    assertEquals(1, (int) buffers.get("bn1.num_batches_tracked").item());
    assertNotEquals(0.0, buffers.get("bn1.running_var").getFlat(0));
    // Test mode: an example's scores do not depend on the rest of the batch.
    Tensor all = fc.loss(x);
    Tensor first = fc.loss(rows(x, 0, 1));
    for (int j = 0; j < 10; j++) {
      assertEquals(all.get(0, j), first.get(0, j), 1e-12);
    }
    assertEquals(1, (int) buffers.get("bn1.num_batches_tracked").item()); // test mode: no update
  }

  @Test
  void dropoutIsOnlyInTrainingAndItsMasksResumeFromTheBuffer() {
    FullyConnectedNet fc = net(Normalization.NONE, 0.5, 5e-2, F64, 30, 30);
    Tensor x = Training.normal(10, F64, 1.0, 8, 20);
    int[] y = Training.labels(11, 8, 10);
    assertArrayEquals(fc.loss(x).toDoubleArray(), fc.loss(x).toDoubleArray()); // no dropout
    Map<String, Tensor> saved = ModelChecks.snapshot(fc.buffers());
    double first = fc.loss(x, y);
    double second = fc.loss(x, y);
    assertNotEquals(first, second); // a fresh mask every training step
    ModelChecks.restore(fc.buffers(), saved); // as a checkpoint restore would
    assertEquals(first, fc.loss(x, y));
    assertEquals(second, fc.loss(x, y));
    // keep = 1 is no dropout at all: train-mode scores equal test-mode scores.
    FullyConnectedNet plain = net(Normalization.NONE, 1, 5e-2, F64, 30, 30);
    assertEquals(plain.loss(x, y), plain.loss(x, y));
  }

  @Test
  void biasesBeforeBatchnormGetAZeroGradient() {
    // The honest exception of ModelChecks: BN subtracts the batch mean, so the loss does not
    // depend on the affine bias before it. Both the analytic and the numerical gradient vanish.
    FullyConnectedNet fc = net(Normalization.BATCHNORM, 1, 0.3, F64, 6, 7);
    ModelChecks.jitterVectors(fc, 12);
    Tensor x = Training.normal(13, F64, 1.0, 6, 20);
    int[] y = Training.labels(14, 6, 10);
    Map<String, Tensor> saved = ModelChecks.snapshot(fc.buffers());
    fc.loss(x, y);
    for (int i : new int[] {1, 5}) { // b1, b2
      Parameter b = fc.parameters().get(i);
      Tensor analytic = b.grad().copy();
      Tensor numeric =
          ModelChecks.fivePointGradient(
              () -> {
                ModelChecks.restore(fc.buffers(), saved);
                return fc.loss(x, y);
              },
              b.value());
      for (int j = 0; j < b.size(); j++) {
        assertTrue(Math.abs(analytic.getFlat(j)) < 1e-14, b.name() + " " + analytic.getFlat(j));
        assertTrue(Math.abs(numeric.getFlat(j)) < 1e-10, b.name() + " " + numeric.getFlat(j));
      }
    }
  }

  @Test
  void float32AgreesWithFloat64() {
    for (Normalization norm : Normalization.values()) {
      FullyConnectedNet f64 = net(norm, 1, 0.1, F64, 16, 12);
      FullyConnectedNet f32 = net(norm, 1, 0.1, DType.FLOAT32, 16, 12);
      Tensor x = Training.normal(15, F64, 1.0, 9, 20);
      int[] y = Training.labels(16, 9, 10);
      Golden.assertClose(norm + " loss", f32.loss(x.to(DType.FLOAT32), y), f64.loss(x, y), 1e-5);
      for (int i = 0; i < f64.parameters().size(); i++) {
        String name = f64.parameters().get(i).name();
        if (norm == Normalization.BATCHNORM
            && name.startsWith("b")
            && !name.startsWith("beta")
            && !name.equals("b3")) {
          continue; // identically zero gradients (see biasesBeforeBatchnormGetAZeroGradient)
        }
        Tensor g32 = f32.parameters().get(i).grad();
        assertEquals(DType.FLOAT32, g32.dtype());
        Golden.assertClose(
            norm + " " + f64.parameters().get(i).name(),
            g32.to(F64),
            f64.parameters().get(i).grad(),
            1e-4);
      }
    }
  }

  @Test
  void clearErrors() {
    IllegalArgumentException keep =
        assertThrows(
            IllegalArgumentException.class, () -> net(Normalization.NONE, 0, 1e-2, F64, 5));
    assertTrue(keep.getMessage().contains("KEEP probability"), keep.getMessage());
    assertThrows(IllegalArgumentException.class, () -> net(Normalization.NONE, 1, 1e-2, F64, 5, 0));
    assertThrows(IllegalArgumentException.class, () -> Normalization.byName("groupnorm"));
    FullyConnectedNet fc = net(Normalization.NONE, 1, 1e-2, F64, 5);
    IllegalArgumentException shape =
        assertThrows(IllegalArgumentException.class, () -> fc.loss(Tensor.zeros(F64, 3, 21)));
    assertTrue(
        shape.getMessage().contains("fc: expected x (N, 20)")
            && shape.getMessage().contains("(3, 21)"),
        shape.getMessage());
    IllegalArgumentException labels =
        assertThrows(
            IllegalArgumentException.class, () -> fc.loss(Tensor.zeros(F64, 3, 20), new int[2]));
    assertTrue(labels.getMessage().contains("length N=3"), labels.getMessage());
  }

  private static Tensor rows(Tensor x, int from, int to) {
    int d = x.shape(1);
    double[] v = new double[(to - from) * d];
    for (int i = from; i < to; i++) {
      for (int k = 0; k < d; k++) {
        v[(i - from) * d + k] = x.get(i, k);
      }
    }
    return Tensor.of(v, to - from, d);
  }
}
