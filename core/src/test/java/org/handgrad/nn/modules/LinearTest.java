package org.handgrad.nn.modules;

import static org.handgrad.nn.modules.ModuleTesting.assertIdentical;
import static org.handgrad.nn.modules.ModuleTesting.assertScaled;
import static org.handgrad.nn.modules.ModuleTesting.assertThrowsWith;
import static org.handgrad.nn.modules.ModuleTesting.names;
import static org.handgrad.nn.modules.ModuleTesting.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.Affine;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class LinearTest {
  private static final DType F64 = DType.FLOAT64;

  @Test
  void forwardAndBackwardAreTheAffinePair() {
    Linear fc = new Linear(6, 4, F64, Init.rng(1));
    Tensor x = randn(2, F64, 3, 2, 3); // (N, d1, d2) is flattened to D = 6, as CS231n
    Tensor dout = randn(3, F64, 3, 4);
    Tensor w = fc.weight().value();
    Tensor b = fc.bias().orElseThrow().value();

    Tensor out = fc.forward(x);
    Tensor dx = fc.backward(dout);

    Affine.Grads ref = Affine.affineBackward(dout, Affine.affineForward(x, w, b).cache());
    assertIdentical("out", Affine.affineForward(x, w, b).out(), out);
    assertIdentical("dx", ref.dx(), dx);
    assertArrayEquals(new int[] {3, 2, 3}, dx.shape());
    assertIdentical("dw", ref.dw(), fc.weight().grad());
    assertIdentical("db", ref.db(), fc.bias().orElseThrow().grad());
  }

  @Test
  void gradientsAccumulateUntilZeroed() {
    Linear fc = new Linear(5, 3, F64, Init.rng(4));
    Tensor x = randn(5, F64, 4, 5);
    Tensor dout = randn(6, F64, 4, 3);
    fc.forward(x);
    fc.backward(dout);
    Tensor dw1 = fc.weight().grad().copy();
    Tensor db1 = fc.bias().orElseThrow().grad().copy();
    fc.backward(dout); // the cache stays until the next forward
    assertScaled("dw after two backward calls", dw1, 2, fc.weight().grad());
    assertScaled("db after two backward calls", db1, 2, fc.bias().orElseThrow().grad());
    fc.zeroGrad();
    assertScaled("dw after zeroGrad", dw1, 0, fc.weight().grad());
    assertScaled("db after zeroGrad", db1, 0, fc.bias().orElseThrow().grad());
  }

  @Test
  void aFrozenLinearStillPassesDxBackAndLeavesItsGradientsZero() {
    Linear fc = new Linear(5, 3, F64, Init.rng(4));
    Tensor x = randn(5, F64, 4, 5);
    Tensor dout = randn(6, F64, 4, 3);
    fc.forward(x);
    Tensor dx = fc.backward(dout);
    fc.zeroGrad();
    fc.weight().setRequiresGrad(false);
    fc.bias().orElseThrow().setRequiresGrad(false); // the dx-only backward: no x^T dout product
    fc.forward(x);
    assertIdentical("dx of the frozen layer", dx, fc.backward(dout));
    assertArrayEquals(new double[5 * 3], fc.weight().grad().toDoubleArray());
    assertArrayEquals(new double[3], fc.bias().orElseThrow().grad().toDoubleArray());
  }

  @Test
  void withoutBiasThereIsOnlyAWeight() {
    Linear fc = new Linear(3, 2, false, F64, WeightInit.normal(0.1), Init.rng(7));
    assertEquals(List.of("weight"), names(fc));
    assertTrue(fc.bias().isEmpty());
    assertEquals(6, fc.parameterCount());
    Tensor x = randn(8, F64, 2, 3);
    Tensor w = fc.weight().value();
    assertIdentical(
        "out = x w", Affine.affineForward(x, w, Tensor.zeros(F64, 2)).out(), fc.forward(x));
    fc.backward(randn(9, F64, 2, 2));
  }

  @Test
  void namesShapesAndDefaultInitialization() {
    Linear fc = new Linear(16, 5, DType.FLOAT32, Init.rng(3));
    assertEquals(List.of("weight", "bias"), names(fc));
    assertArrayEquals(new int[] {16, 5}, fc.weight().shape()); // (in, out): CS231n's layout
    assertEquals(DType.FLOAT32, fc.weight().dtype());
    assertEquals(16 * 5 + 5, fc.parameterCount());
    // PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, fan_in = 16.
    double bound = 0.25;
    for (Tensor t : List.of(fc.weight().value(), fc.bias().orElseThrow().value())) {
      for (int i = 0; i < t.size(); i++) {
        assertTrue(Math.abs(t.getFlat(i)) <= bound, "init within 1/sqrt(fan_in)");
      }
    }
    // The same seed gives the same weights.
    assertIdentical(
        "seeded init",
        fc.weight().value(),
        new Linear(16, 5, DType.FLOAT32, Init.rng(3)).weight().value());
    assertEquals("Linear(in=16, out=5, bias=true, float32)", fc.toString());
  }

  @Test
  void float32StaysFloat32AndMixedDtypesFail() {
    Linear fc = new Linear(3, 2, DType.FLOAT32, Init.rng(1));
    assertEquals(DType.FLOAT32, fc.forward(randn(1, DType.FLOAT32, 4, 3)).dtype());
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> fc.forward(randn(1, F64, 4, 3)),
        "affine: dtype mismatch",
        "float64",
        "float32");
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> fc.forward(randn(1, DType.FLOAT32, 4, 5)),
        "Linear (in=3, out=2): input (4, 5) has 5 features, but the weight is (3, 2), sized for 3",
        "build the layer with in=5");
  }

  @Test
  void anAffineLayerSizedForTheWrongFlattenedDimensionSaysWhichAndWhatToUse() {
    // conv output (N, 8, 14, 14) after a 2x2 pool, but the layer was sized for 8*28*28 (no pool)
    Sequential net = new Sequential(new Flatten(), new Linear(8 * 28 * 28, 10, F64, Init.rng(1)));
    IllegalArgumentException e =
        assertThrowsWith(
            IllegalArgumentException.class,
            () -> net.forward(Tensor.zeros(F64, 2, 8, 14, 14)),
            "Linear '1' (in=6272, out=10): input (2, 1568) has 1568 features, but the weight is"
                + " (6272, 10), sized for 6272",
            "build the layer with in=1568");
    // Without the Flatten, the 4-d input and the product that gives D are named.
    Linear fc = new Linear(8 * 28 * 28, 10, F64, Init.rng(1));
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> fc.forward(Tensor.zeros(F64, 2, 8, 14, 14)),
        "Linear (in=6272, out=10): input (2, 8, 14, 14) flattens to (2, 1568) (8*14*14 = 1568),"
            + " but the weight is (6272, 10)",
        "build the layer with in=1568");
    assertTrue(e.getMessage().startsWith("Linear '1'"), e.getMessage());
  }

  @Test
  void badArgumentsAndBackwardBeforeForward() {
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> new Linear(0, 2, F64, Init.rng(1)),
        "Linear: inFeatures must be >= 1, got 0");
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> new Linear(2, 2, DType.INT32, Init.rng(1)),
        "Linear: dtype must be float32 or float64, got int32");
    Linear fc = new Linear(2, 2, F64, Init.rng(1));
    assertThrowsWith(
        IllegalStateException.class,
        () -> fc.backward(Tensor.zeros(F64, 1, 2)),
        "Linear.backward: no cached forward pass");
    // A forward that fails leaves no stale cache behind.
    fc.forward(randn(1, F64, 3, 2));
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> fc.forward(randn(1, F64, 3, 7)),
        "Linear (in=2, out=2)");
    assertThrowsWith(
        IllegalStateException.class, () -> fc.backward(Tensor.zeros(F64, 3, 2)), "Linear.backward");
  }
}
