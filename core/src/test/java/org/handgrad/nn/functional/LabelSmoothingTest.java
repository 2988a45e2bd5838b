package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.nn.GradCheck;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Softmax cross-entropy with label smoothing ({@link Losses#softmaxLoss(Tensor, int[], double)})
 * against PyTorch's {@code F.cross_entropy(label_smoothing=)} (fixtures/speedrun.npz, "ls_*"), a
 * float64 numerical gradient check, the eps = 0 case and bad arguments.
 */
class LabelSmoothingTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("speedrun");

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void matchesPyTorch(DType dtype) {
    String tag = dtype == DType.FLOAT64 ? "f64" : "f32";
    double tol = dtype == DType.FLOAT64 ? 1e-10 : 1e-5;
    Tensor x = Fixtures.get(FIX, "ls_x").to(dtype);
    int[] y = Labels.toArray("test", Fixtures.get(FIX, "ls_y"));
    Tensor eps = Fixtures.get(FIX, "ls_eps");
    for (int e = 0; e < eps.size(); e++) {
      Losses.Loss l = Losses.softmaxLoss(x, y, eps.getFlat(e));
      Golden.assertClose(
          "loss eps " + eps.getFlat(e),
          l.loss(),
          Fixtures.get(FIX, "ls_" + tag + "_loss_" + e).item(),
          tol);
      Golden.assertClose(
          "dx eps " + eps.getFlat(e),
          l.dx(),
          Fixtures.get(FIX, "ls_" + tag + "_dx_" + e).to(dtype),
          tol);
    }
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.05, 0.1, 0.5, 1.0})
  void gradientMatchesFloat64NumericalGradient(double eps) {
    SplittableRandom rng = new SplittableRandom(7);
    Tensor x = Tensor.zeros(DType.FLOAT64, 5, 6);
    for (int i = 0; i < x.size(); i++) {
      x.setFlat(i, 2 * rng.nextDouble(-1, 1));
    }
    int[] y = {0, 5, 2, 2, 3};
    Tensor num =
        GradCheck.evalNumericalGradient(t -> Losses.softmaxLoss(t, y, eps).loss(), x, 1e-5);
    double err = GradCheck.relError(Losses.softmaxLoss(x, y, eps).dx(), num);
    assertTrue(err < 1e-7, "label smoothing " + eps + ": relative error " + err);
  }

  @Test
  void zeroSmoothingIsThePlainLossAndSmoothingChangesIt() {
    Tensor x = Fixtures.get(FIX, "ls_x");
    int[] y = Labels.toArray("test", Fixtures.get(FIX, "ls_y"));
    Losses.Loss plain = Losses.softmaxLoss(x, y);
    Losses.Loss zero = Losses.softmaxLoss(x, y, 0.0);
    assertEquals(plain.loss(), zero.loss(), 0.0);
    assertArrayEquals(plain.dx().doubleStorage(), zero.dx().doubleStorage(), 0.0);
    Losses.Loss smoothed = Losses.softmaxLoss(x, y, 0.1);
    assertTrue(Math.abs(smoothed.loss() - plain.loss()) > 1e-3);
    // Each row of dx sums to 0 for any eps: the targets and the probabilities both sum to 1.
    for (int i = 0; i < x.shape(0); i++) {
      double s = 0;
      for (int j = 0; j < x.shape(1); j++) {
        s += smoothed.dx().get(i, j);
      }
      assertEquals(0.0, s, 1e-15);
    }
  }

  @Test
  void badSmoothingIsRejected() {
    Tensor x = Tensor.zeros(DType.FLOAT64, 2, 3);
    int[] y = {0, 1};
    for (double eps : new double[] {-0.1, 1.5, Double.NaN}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Losses.softmaxLoss(x, y, eps));
      assertTrue(
          e.getMessage().contains("softmax_loss: label smoothing must be in [0, 1], got " + eps),
          e.getMessage());
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Losses.softmaxLoss(x, new int[] {0, 3}, 0.1));
    assertTrue(e.getMessage().contains("y[1] = 3 is out of range [0, 3)"), e.getMessage());
  }
}
