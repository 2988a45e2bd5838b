package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.TestData.assertMessage;
import static org.handgrad.nn.functional.TestData.randn;
import static org.handgrad.testing.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.checks.DenseChecks;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LossesTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("dense");

  /** softmax: F.cross_entropy; softmaxbig: the same scores * 300 (near 1000, exp overflows). */
  @ParameterizedTest
  @CsvSource({
    "softmax, f64, 1e-10",
    "softmax, f32, 1e-5",
    "softmaxbig, f64, 1e-10",
    "softmaxbig, f32, 1e-5"
  })
  void softmaxMatchesPyTorchCrossEntropy(String c, String dt, double tol) {
    Tensor x = get(FIX, c + "_x_" + dt);
    int[] y = get(FIX, c + "_y_" + dt).toIntArray();
    for (Losses.Loss l :
        new Losses.Loss[] {Losses.softmaxLoss(x, y), Losses.softmaxLossNaive(x, y)}) {
      Golden.assertClose(c + " loss", l.loss(), get(FIX, c + "_loss_" + dt).item(), tol);
      Golden.assertClose(c + " dx", l.dx(), get(FIX, c + "_dx_" + dt), tol);
    }
  }

  /** F.multi_margin_loss also divides by the number of classes C: compare ours with C times it. */
  @ParameterizedTest
  @CsvSource({"f64, 1e-10", "f32, 1e-5"})
  void svmMatchesPyTorchMultiMarginTimesC(String dt, double tol) {
    Tensor x = get(FIX, "svm_x_" + dt);
    int[] y = get(FIX, "svm_y_" + dt).toIntArray();
    int c = x.shape(1);
    Tensor torchDx = get(FIX, "svm_dx_" + dt);
    Tensor expectedDx = Tensor.zeros(x.dtype(), torchDx.shape());
    for (int i = 0; i < torchDx.size(); i++) {
      expectedDx.setFlat(i, c * torchDx.getFlat(i));
    }
    double expectedLoss = c * get(FIX, "svm_loss_" + dt).item();
    for (Losses.Loss l : new Losses.Loss[] {Losses.svmLoss(x, y), Losses.svmLossNaive(x, y)}) {
      Golden.assertClose("svm loss", l.loss(), expectedLoss, tol);
      Golden.assertClose("svm dx", l.dx(), expectedDx, tol);
    }
  }

  @Test
  void fastAgreesWithNaive() {
    SplittableRandom rng = new SplittableRandom(11);
    int[][] sizes = {{1, 1}, {1, 7}, {20, 10}, {33, 3}};
    for (int[] s : sizes) {
      Tensor x = randn(rng, s[0], s[1]);
      int[] y = new int[s[0]];
      for (int i = 0; i < y.length; i++) {
        y[i] = rng.nextInt(s[1]);
      }
      String at = " at (N, C) = (" + s[0] + ", " + s[1] + ")";
      Losses.Loss fast = Losses.softmaxLoss(x, y);
      Losses.Loss naive = Losses.softmaxLossNaive(x, y);
      Golden.assertClose("softmax loss" + at, fast.loss(), naive.loss(), 1e-10);
      Golden.assertClose("softmax dx" + at, fast.dx(), naive.dx(), 1e-10);
      fast = Losses.svmLoss(x, y);
      naive = Losses.svmLossNaive(x, y);
      assertEquals(naive.loss(), fast.loss(), 1e-10 * Math.max(1, naive.loss()), "svm" + at);
      Golden.assertClose("svm dx" + at, fast.dx(), naive.dx(), 1e-10);
    }
  }

  /** CS231n's sanity check: equal scores give softmax loss log C and SVM loss C - 1. */
  @Test
  void uniformScoresGiveTheTextbookValues() {
    Tensor x = Tensor.full(DType.FLOAT64, 0.25, 4, 10);
    int[] y = {0, 3, 9, 5};
    assertEquals(Math.log(10), Losses.softmaxLoss(x, y).loss(), 1e-15);
    assertEquals(9.0, Losses.svmLoss(x, y).loss(), 0.0);
  }

  @Test
  void gradientsPassTheNumericalCheck() {
    for (String layer : new String[] {"softmax_loss", "svm_loss"}) {
      for (GradCheckResult r : DenseChecks.checks().get(layer).get()) {
        assertTrue(r.passed(), r.toString());
      }
    }
  }

  @Test
  void float32InFloat32Out() {
    Tensor x = Tensor.zeros(DType.FLOAT32, 2, 3);
    assertEquals(DType.FLOAT32, Losses.softmaxLoss(x, new int[] {0, 1}).dx().dtype());
    assertEquals(DType.FLOAT32, Losses.svmLoss(x, new int[] {0, 1}).dx().dtype());
  }

  @Test
  void rejectsBadLabelsAndShapes() {
    Tensor x = Tensor.zeros(DType.FLOAT64, 5, 10);
    assertMessage(
        "softmax_loss: expected y of length N=5 for x (5, 10), got length 4",
        () -> Losses.softmaxLoss(x, new int[4]));
    assertMessage(
        "svm_loss: y[3] = 10 is out of range [0, 10) for x (5, 10)",
        () -> Losses.svmLoss(x, new int[] {0, 1, 2, 10, 4}));
    assertMessage(
        "softmax_loss: y[0] = -1 is out of range [0, 10) for x (5, 10)",
        () -> Losses.softmaxLossNaive(x, new int[] {-1, 1, 2, 3, 4}));
    assertMessage(
        "svm_loss: expected y of length N=5 for x (5, 10), got null",
        () -> Losses.svmLossNaive(x, (int[]) null));
    assertMessage(
        "softmax_loss: expected scores x (N, C) with N, C >= 1, got (10,)",
        () -> Losses.softmaxLoss(Tensor.zeros(DType.FLOAT64, 10), new int[10]));
    assertMessage(
        "svm_loss: expected x float32 or float64, got int32",
        () -> Losses.svmLoss(x.to(DType.INT32), new int[5]));
  }
}
