package org.handgrad.models.linear;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.handgrad.models.Training;
import org.handgrad.nn.GradCheck;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;

class LinearClassifierTest {
  private static final DType F64 = DType.FLOAT64;

  /** X (N, D) with a ones column appended (the bias trick). */
  private static Tensor withOnes(Tensor x) {
    int n = x.shape(0);
    int d = x.shape(1);
    Tensor out = Tensor.zeros(x.dtype(), n, d + 1);
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < d; k++) {
        out.set(x.get(i, k), i, k);
      }
      out.set(1, i, d);
    }
    return out;
  }

  @Test
  void naiveAndVectorizedAgree() {
    Tensor w = Training.normal(1, F64, 0.1, 13, 5);
    Tensor x = withOnes(Training.normal(2, F64, 1.0, 17, 12));
    int[] y = Training.labels(3, 17, 5);
    for (double reg : new double[] {0, 0.3}) {
      LinearLoss a = LinearSvm.svmLossNaive(w, x, y, reg);
      LinearLoss b = LinearSvm.svmLossVectorized(w, x, y, reg);
      Golden.assertClose("svm loss", b.loss(), a.loss(), 1e-10);
      Golden.assertClose("svm dW", b.dW(), a.dW(), 1e-10);
      LinearLoss c = Softmax.softmaxLossNaive(w, x, y, reg);
      LinearLoss d = Softmax.softmaxLossVectorized(w, x, y, reg);
      Golden.assertClose("softmax loss", d.loss(), c.loss(), 1e-10);
      Golden.assertClose("softmax dW", d.dW(), c.dW(), 1e-10);
    }
  }

  @Test
  void regularizationIsRegTimesSumOfSquares() {
    // CS231n assignment 1: loss += reg * sum(W^2), dW += 2 reg W.
    Tensor w = Training.normal(4, F64, 0.1, 4, 3);
    Tensor x = Training.normal(5, F64, 1.0, 6, 4);
    int[] y = Training.labels(6, 6, 3);
    double sq = 0;
    for (int i = 0; i < w.size(); i++) {
      sq += w.getFlat(i) * w.getFlat(i);
    }
    LinearLoss plain = Softmax.softmaxLossVectorized(w, x, y, 0);
    LinearLoss reg = Softmax.softmaxLossVectorized(w, x, y, 0.7);
    assertEquals(plain.loss() + 0.7 * sq, reg.loss(), 1e-12);
    for (int i = 0; i < w.size(); i++) {
      assertEquals(plain.dW().getFlat(i) + 1.4 * w.getFlat(i), reg.dW().getFlat(i), 1e-12);
    }
  }

  @Test
  void sparseNumericalGradientCheck() {
    // W large enough that margins and probabilities are far from flat, and data drawn so no
    // hinge margin sits within 1e-3 of its kink.
    Tensor w = Training.normal(7, F64, 0.5, 9, 4);
    Tensor x = withOnes(Training.normal(8, F64, 1.0, 12, 8));
    int[] y = Training.labels(9, 12, 4);
    assertTrue(minAbsMargin(w, x, y) > 1e-3, "a hinge kink is too close");
    for (boolean naive : new boolean[] {true, false}) {
      LinearLoss svm =
          naive ? LinearSvm.svmLossNaive(w, x, y, 0.1) : LinearSvm.svmLossVectorized(w, x, y, 0.1);
      double e =
          GradCheck.gradCheckSparse(
              t -> LinearSvm.svmLossVectorized(t, x, y, 0.1).loss(), w, svm.dW(), 20, 1e-5, 10);
      assertTrue(e < 1e-7, "svm naive=" + naive + ": " + e);
      LinearLoss sm =
          naive
              ? Softmax.softmaxLossNaive(w, x, y, 0.1)
              : Softmax.softmaxLossVectorized(w, x, y, 0.1);
      double f =
          GradCheck.gradCheckSparse(
              t -> Softmax.softmaxLossNaive(t, x, y, 0.1).loss(), w, sm.dW(), 20, 1e-5, 11);
      assertTrue(f < 1e-7, "softmax naive=" + naive + ": " + f);
    }
  }

  /** The smallest |s_ij - s_iy_i + 1| over wrong classes: the distance to a hinge kink. */
  private static double minAbsMargin(Tensor w, Tensor x, int[] y) {
    double min = Double.POSITIVE_INFINITY;
    Tensor s = LinearClassifier.scores(w, x, false);
    for (int i = 0; i < x.shape(0); i++) {
      for (int j = 0; j < w.shape(1); j++) {
        if (j != y[i]) {
          min = Math.min(min, Math.abs(s.get(i, j) - s.get(i, y[i]) + 1));
        }
      }
    }
    return min;
  }

  @Test
  void untrainedSoftmaxLossIsLnTen() {
    // With W ~ 1e-4 every score is ~0, so every class has probability ~1/10: loss ~ -ln(0.1).
    Tensor w = Training.normal(12, F64, 1e-4, 3073, 10);
    Tensor x = withOnes(Training.normal(13, F64, 1.0, 200, 3072));
    double loss = Softmax.softmaxLossVectorized(w, x, Training.labels(14, 200, 10), 0).loss();
    assertTrue(Math.abs(loss - Math.log(10)) < 0.05, "loss " + loss);
  }

  /** Three Gaussian blobs in D = 6 dimensions. */
  private static Tensor blobs(long seed, int n, int[] y) {
    var rng = Training.rng(seed);
    double[] xs = new double[n * 6];
    for (int i = 0; i < n; i++) {
      y[i] = i % 3;
      for (int k = 0; k < 6; k++) {
        xs[i * 6 + k] = rng.nextGaussian() + (k % 3 == y[i] ? 3 : 0);
      }
    }
    return Tensor.of(xs, n, 6);
  }

  @Test
  void sgdReducesTheLossAndLearns() {
    int[] y = new int[150];
    Tensor x = blobs(15, 150, y);
    for (LinearClassifier model :
        List.of(
            new LinearSvm(new LinearClassifier.Config(6, 3, 0, 1e-3, true, F64, 1)),
            new Softmax(new LinearClassifier.Config(6, 3, 0, 1e-3, true, F64, 1)))) {
      double[] h = model.train(x, y, 1e-1, 1e-3, 200, 32, 16, false);
      assertEquals(200, h.length);
      double late = 0;
      for (int i = 150; i < 200; i++) {
        late += h[i] / 50;
      }
      assertTrue(late < 0.5 * h[0], model.getClass().getSimpleName() + ": " + h[0] + " -> " + late);
      assertTrue(Training.accuracy(model, x, y) > 0.9);
    }
  }

  @Test
  void implicitBiasEqualsTheExplicitOnesColumn() {
    Tensor x = Training.normal(17, F64, 1.0, 5, 2, 3); // D = 6, flattened
    int[] y = Training.labels(18, 5, 4);
    Softmax model = new Softmax(new LinearClassifier.Config(6, 4, 0.2, 0.3, true, F64, 19));
    Tensor w = model.weights();
    assertArrayEquals(new int[] {7, 4}, w.shape());
    LinearLoss explicit =
        Softmax.softmaxLossVectorized(w, withOnes(x.reshape(5, 6)), y, model.config().reg());
    double loss = model.loss(x, y);
    Golden.assertClose("loss", loss, explicit.loss(), 1e-12);
    Golden.assertClose("dW", model.parameters().get(0).grad(), explicit.dW(), 1e-12);
    // Model.loss(x, y) zeroes before filling: a second call gives the same gradient, not twice it.
    model.loss(x, y);
    Golden.assertClose("dW again", model.parameters().get(0).grad(), explicit.dW(), 1e-12);
  }

  @Test
  void float32ModelKeepsItsDtype() {
    LinearSvm model =
        new LinearSvm(new LinearClassifier.Config(6, 3, 0.1, 1e-2, true, DType.FLOAT32, 2));
    Tensor x = Training.normal(20, DType.FLOAT32, 1.0, 4, 6);
    int[] y = {0, 1, 2, 0};
    assertEquals(DType.FLOAT32, model.loss(x).dtype());
    LinearSvm m64 = new LinearSvm(new LinearClassifier.Config(6, 3, 0.1, 1e-2, true, F64, 2));
    assertEquals(m64.loss(x.to(F64), y), model.loss(x, y), 1e-5);
  }

  @Test
  void hyperparameterSearchKeepsTheBestValidationModel() {
    int[] yTrain = new int[90];
    Tensor xTrain = blobs(21, 90, yTrain);
    int[] yVal = new int[30];
    Tensor xVal = blobs(22, 30, yVal);
    double[] lrs = {1e-7, 1e-1};
    double[] regs = {0, 1e-2, 1e-1};
    HyperparameterSearch.Result r =
        HyperparameterSearch.run(
            () -> new Softmax(new LinearClassifier.Config(6, 3, 0, 1e-3, true, F64, 3)),
            xTrain,
            yTrain,
            xVal,
            yVal,
            lrs,
            regs,
            100,
            16,
            4);
    assertEquals(6, r.trials().size());
    assertEquals(1e-7, r.trials().get(0).learningRate());
    assertEquals(1e-2, r.trials().get(1).reg());
    for (HyperparameterSearch.Trial t : r.trials()) {
      assertTrue(t.valAccuracy() <= r.bestValAccuracy());
    }
    assertEquals(1e-1, r.best().learningRate()); // 1e-7 barely moves W
    assertTrue(r.bestValAccuracy() > 0.9);
    assertEquals(r.bestValAccuracy(), Training.accuracy(r.bestModel(), xVal, yVal));
    assertSame(r.bestModel(), r.bestModel());
  }

  @Test
  void clearErrors() {
    Tensor w = Tensor.zeros(F64, 5, 3);
    Tensor x = Tensor.zeros(F64, 4, 6);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> LinearSvm.svmLossVectorized(w, x, new int[4], 0));
    assertTrue(e.getMessage().contains("(5, 3)") && e.getMessage().contains("(4, 6)"));
    assertThrows(
        IllegalArgumentException.class,
        () -> Softmax.softmaxLossNaive(Tensor.zeros(F64, 6, 3), x, new int[] {0, 1, 2, 3}, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> Softmax.softmaxLossNaive(Tensor.zeros(DType.FLOAT32, 6, 3), x, new int[4], 0));
    Softmax model = new Softmax(LinearClassifier.Config.of(6, 3));
    IllegalArgumentException shape =
        assertThrows(IllegalArgumentException.class, () -> model.loss(Tensor.zeros(F64, 2, 5)));
    assertTrue(shape.getMessage().contains("softmax") && shape.getMessage().contains("(2, 5)"));
    assertThrows(IllegalArgumentException.class, () -> LinearClassifier.Config.of(6, 1));
    assertThrows(
        IllegalArgumentException.class, () -> model.train(x, new int[4], -1, 0, 10, 2, 0, false));
  }
}
