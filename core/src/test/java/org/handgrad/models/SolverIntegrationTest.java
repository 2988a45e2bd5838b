package org.handgrad.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.handgrad.models.cnn.BnConvNet;
import org.handgrad.models.fc.FullyConnectedNet;
import org.handgrad.models.fc.Normalization;
import org.handgrad.nn.Model;
import org.handgrad.optim.Checkpoint;
import org.handgrad.optim.Solver;
import org.handgrad.optim.SolverListener;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The models under the CS231n Solver: training, and resuming from a checkpoint bit for bit. */
class SolverIntegrationTest {
  /** Three Gaussian blobs in D = 16, float32. */
  private static Solver.Data blobs() {
    int n = 120;
    int v = 30;
    var rng = Training.rng(1);
    Tensor x = Tensor.zeros(DType.FLOAT32, n + v, 16);
    int[] y = new int[n + v];
    for (int i = 0; i < n + v; i++) {
      y[i] = i % 3;
      for (int k = 0; k < 16; k++) {
        x.set(rng.nextGaussian() + (k % 3 == y[i] ? 1.5 : 0), i, k);
      }
    }
    Tensor xTrain = Tensor.zeros(DType.FLOAT32, n, 16);
    Tensor xVal = Tensor.zeros(DType.FLOAT32, v, 16);
    int[] yTrain = new int[n];
    int[] yVal = new int[v];
    for (int i = 0; i < n + v; i++) {
      for (int k = 0; k < 16; k++) {
        (i < n ? xTrain : xVal).set(x.get(i, k), i < n ? i : i - n, k);
      }
      if (i < n) {
        yTrain[i] = y[i];
      } else {
        yVal[i - n] = y[i];
      }
    }
    return new Solver.Data(xTrain, yTrain, xVal, yVal);
  }

  private static FullyConnectedNet fc() {
    return new FullyConnectedNet(
        new FullyConnectedNet.Config(
            new int[] {32, 32}, 16, 3, 0.7, Normalization.BATCHNORM, 1e-3, 5e-2, DType.FLOAT32, 2));
  }

  private static SolverOptions options() {
    return SolverOptions.builder()
        .updateRule("adam", Map.of("learning_rate", 5e-3))
        .batchSize(20)
        .numEpochs(4)
        .verbose(false)
        .seed(3)
        .build();
  }

  @Test
  void solverTrainsTheFullyConnectedNet() {
    Solver solver = new Solver(fc(), blobs(), options());
    assertEquals(Solver.Status.COMPLETED, solver.train());
    assertEquals(24, solver.lossHistory().size());
    assertTrue(solver.bestValAcc() > 0.9, "best val acc " + solver.bestValAcc());
  }

  @Test
  void resumingFromACheckpointRepeatsTheDropoutMasksAndRunningStatistics() {
    Solver.Data data = blobs();
    Model reference = fc();
    Solver uninterrupted = new Solver(reference, data, options());
    uninterrupted.train();

    Model first = fc();
    Solver stopped = new Solver(first, data, options());
    stopped.addListener(
        new SolverListener() {
          @Override
          public void iterationDone(Iteration it) {
            if (it.iteration() == 9) { // mid-epoch
              stopped.requestStop();
            }
          }
        });
    assertEquals(Solver.Status.STOPPED, stopped.train());
    Checkpoint saved = stopped.snapshot();
    first.loss(data.xTrain(), data.yTrain()); // move the live state on: the resume must undo it

    FullyConnectedNet second = new FullyConnectedNet(fc().config());
    Solver resumed = new Solver(second, data, options()).resume(saved);
    assertEquals(Solver.Status.COMPLETED, resumed.train());
    assertEquals(uninterrupted.lossHistory(), resumed.lossHistory());
    for (int i = 0; i < reference.parameters().size(); i++) {
      assertArrayEquals(
          reference.parameters().get(i).value().toFloatArray(),
          second.parameters().get(i).value().toFloatArray(),
          reference.parameters().get(i).name());
    }
    for (Map.Entry<String, Tensor> e : reference.buffers().entrySet()) {
      assertArrayEquals(
          e.getValue().toDoubleArray(),
          second.buffers().get(e.getKey()).toDoubleArray(),
          e.getKey());
    }

    // Control: the same resume with the dropout stream reset to a fresh model's state diverges,
    // so the comparison above does depend on the "dropout.rng_state" buffer.
    FullyConnectedNet third = new FullyConnectedNet(fc().config());
    Solver control = new Solver(third, data, options()).resume(saved);
    Tensor fresh = fc().buffers().get("dropout.rng_state");
    Tensor live = third.buffers().get("dropout.rng_state");
    for (int i = 0; i < live.size(); i++) {
      live.setFlat(i, fresh.getFlat(i));
    }
    control.train();
    assertNotEquals(uninterrupted.lossHistory(), control.lossHistory());
  }

  @Test
  void solverTrainsTheBatchnormConvNet() {
    var rng = Training.rng(4);
    int n = 48;
    Tensor x = Tensor.zeros(DType.FLOAT32, n, 1, 8, 8);
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % 2;
      for (int p = 0; p < 64; p++) {
        // class 0: bright left half, class 1: bright right half
        boolean bright = (p % 8 < 4) == (y[i] == 0);
        x.setFlat(i * 64 + p, (bright ? 1 : 0) + 0.3 * rng.nextGaussian());
      }
    }
    BnConvNet net =
        new BnConvNet(
            new BnConvNet.Config(
                new int[] {1, 8, 8}, new int[] {4, 8}, 1, 16, 2, 0.8, 0, DType.FLOAT32, 5));
    Solver solver =
        new Solver(
            net,
            new Solver.Data(x, y, x, y),
            SolverOptions.builder()
                .updateRule("adam", Map.of("learning_rate", 1e-2))
                .batchSize(16)
                .numEpochs(3)
                .verbose(false)
                .seed(6)
                .build());
    solver.train();
    assertEquals(1.0, solver.bestValAcc());
  }
}
