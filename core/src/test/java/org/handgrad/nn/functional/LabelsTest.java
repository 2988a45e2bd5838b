package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.BiFunction;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Labels as an int32 tensor: the same results as the int[] forms, and no silent conversion. */
class LabelsTest {
  private static final Tensor X =
      Tensor.of(new double[] {1.0, -0.5, 2.0, 0.3, 0.2, -1.0, 0.0, 0.7, 0.1}, 3, 3);
  private static final int[] Y = {2, 0, 1};

  @Test
  void toArrayAndBack() {
    Tensor y = Labels.toTensor(Y);
    assertEquals(DType.INT32, y.dtype());
    assertArrayEquals(new int[] {3}, y.shape());
    assertArrayEquals(Y, Labels.toArray("op", y));
    int[] copy = Labels.toArray("op", y);
    copy[0] = 9;
    assertEquals(2, (int) y.getFlat(0), "toArray returns a copy");
  }

  @Test
  void floatOrMatrixLabelsAreRefused() {
    IllegalArgumentException f =
        assertThrows(
            IllegalArgumentException.class,
            () -> Losses.softmaxLoss(X, Tensor.vector(2.0, 0.0, 1.0)));
    assertTrue(
        f.getMessage()
                .startsWith("softmax_loss: expected labels y as an int32 tensor of shape (N,)")
            && f.getMessage().contains("float64 (3,)")
            && f.getMessage().contains("y.to(DType.INT32)"),
        f.getMessage());
    IllegalArgumentException m =
        assertThrows(
            IllegalArgumentException.class,
            () -> Losses.svmLoss(X, Tensor.of(new int[] {2, 0, 1}, 3, 1)));
    assertTrue(m.getMessage().startsWith("svm_loss:") && m.getMessage().contains("int32 (3, 1)"));
    assertThrows(IllegalArgumentException.class, () -> Labels.toArray("op", null));
  }

  @Test
  void lossesAgreeWithTheIntArrayForms() {
    Tensor y = Labels.toTensor(Y);
    same(Losses.softmaxLoss(X, Y), Losses.softmaxLoss(X, y));
    same(Losses.softmaxLossNaive(X, Y), Losses.softmaxLossNaive(X, y));
    same(Losses.svmLoss(X, Y), Losses.svmLoss(X, y));
    same(Losses.svmLossNaive(X, Y), Losses.svmLossNaive(X, y));
    // and a wrong label still fails the same way through the tensor form
    BiFunction<Tensor, Tensor, Losses.Loss> f = Losses::softmaxLoss;
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> f.apply(X, Tensor.of(new int[] {0, 3, 1}, 3)));
    assertTrue(e.getMessage().contains("softmax_loss"), e.getMessage());
  }

  private static void same(Losses.Loss expected, Losses.Loss actual) {
    assertEquals(expected.loss(), actual.loss(), 0.0);
    assertArrayEquals(expected.dx().toDoubleArray(), actual.dx().toDoubleArray(), 0.0);
  }
}
