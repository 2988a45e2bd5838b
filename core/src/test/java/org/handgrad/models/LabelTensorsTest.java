package org.handgrad.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.models.fc.TwoLayerNet;
import org.handgrad.models.knn.KNearestNeighbor;
import org.handgrad.models.linear.LinearLoss;
import org.handgrad.models.linear.LinearSvm;
import org.handgrad.models.linear.Softmax;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.functional.Labels;
import org.handgrad.optim.Solver;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Every API that takes class labels as {@code int[]} also takes them as an int32 tensor of shape
 * (N,), with the same result (the rule in {@link Labels}).
 */
class LabelTensorsTest {
  private static final DType F64 = DType.FLOAT64;
  private static final int[] Y = {0, 2, 1, 2, 0};
  private static final Tensor YT = Labels.toTensor(Y);

  @Test
  void modelLoss() {
    Tensor x = Training.normal(3, F64, 1.0, 5, 4);
    TwoLayerNet a = new TwoLayerNet(new TwoLayerNet.Config(4, 6, 3, 1e-1, 0.1, F64, 2));
    TwoLayerNet b = new TwoLayerNet(new TwoLayerNet.Config(4, 6, 3, 1e-1, 0.1, F64, 2));
    assertEquals(a.loss(x, Y), b.loss(x, YT), 0.0);
    assertArrayEquals(
        a.parameter("W1").grad().toDoubleArray(), b.parameter("W1").grad().toDoubleArray(), 0.0);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> b.loss(x, YT.to(F64)));
    assertTrue(e.getMessage().startsWith("loss: expected labels y as an int32"), e.getMessage());
  }

  @Test
  void linearLossesAndMetrics() {
    Tensor x = Training.normal(4, F64, 1.0, 5, 4);
    Tensor w = Training.normal(5, F64, 0.1, 4, 3);
    same(LinearSvm.svmLossNaive(w, x, Y, 0.1), LinearSvm.svmLossNaive(w, x, YT, 0.1));
    same(LinearSvm.svmLossVectorized(w, x, Y, 0.1), LinearSvm.svmLossVectorized(w, x, YT, 0.1));
    same(Softmax.softmaxLossNaive(w, x, Y, 0.1), Softmax.softmaxLossNaive(w, x, YT, 0.1));
    same(Softmax.softmaxLossVectorized(w, x, Y, 0.1), Softmax.softmaxLossVectorized(w, x, YT, 0.1));
    Tensor scores = x.matmul(w);
    assertEquals(
        Metrics.accuracy(Y, Metrics.argmax(scores)), Metrics.accuracy(YT, scores.argmax(1)), 0.0);
    assertThrows(IllegalArgumentException.class, () -> Metrics.accuracy(YT, scores));
  }

  @Test
  void knnAndSolverData() {
    Tensor x = Training.normal(6, F64, 1.0, 5, 4);
    KNearestNeighbor a = new KNearestNeighbor(1);
    KNearestNeighbor b = new KNearestNeighbor(1);
    a.train(x, Y);
    b.train(x, YT);
    assertArrayEquals(a.predict(x), b.predict(x));
    assertArrayEquals(Y, b.predict(x), "1-NN on its training set");
    Solver.Data d = new Solver.Data(x, YT, x, YT);
    assertArrayEquals(Y, d.yTrain());
    assertArrayEquals(Y, d.yVal());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Solver.Data(x, YT, x, Tensor.of(new int[] {0, 1, 2, 0, 1}, 5, 1)));
    assertTrue(e.getMessage().startsWith("Solver.Data yVal:"), e.getMessage());
  }

  private static void same(LinearLoss expected, LinearLoss actual) {
    assertEquals(expected.loss(), actual.loss(), 0.0);
    assertArrayEquals(expected.dW().toDoubleArray(), actual.dW().toDoubleArray(), 0.0);
  }
}
