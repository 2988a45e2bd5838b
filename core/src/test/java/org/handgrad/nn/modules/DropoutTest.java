package org.handgrad.nn.modules;

import static org.handgrad.nn.modules.ModuleTesting.assertIdentical;
import static org.handgrad.nn.modules.ModuleTesting.assertThrowsWith;
import static org.handgrad.nn.modules.ModuleTesting.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.nn.functional.Dropout.DropoutParam;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class DropoutTest {
  private static final DType F64 = DType.FLOAT64;

  @Test
  void eachTrainingForwardUsesTheNextSeedOfTheSplitMixStream() {
    Dropout drop = new Dropout(0.6, 42);
    Tensor x = randn(1, F64, 5, 7);
    Tensor dout = randn(2, F64, 5, 7);
    // Documented: the k-th mask is seeded with the k-th nextLong of new SplittableRandom(seed).
    SplittableRandom stream = new SplittableRandom(42);
    Tensor previous = null;
    for (int k = 0; k < 3; k++) {
      Forward<org.handgrad.nn.functional.Dropout.Cache> ref =
          org.handgrad.nn.functional.Dropout.dropoutForward(
              x, DropoutParam.train(0.6, stream.nextLong()));
      Tensor out = drop.forward(x);
      assertIdentical("out " + k, ref.out(), out);
      assertIdentical(
          "dx " + k,
          org.handgrad.nn.functional.Dropout.dropoutBackward(dout, ref.cache()),
          drop.backward(dout));
      if (previous != null) {
        assertFalse(
            java.util.Arrays.equals(previous.toDoubleArray(), out.toDoubleArray()),
            "a new mask per forward");
      }
      previous = out;
    }
  }

  @Test
  void evaluationIsTheIdentityAndLeavesTheGeneratorAlone() {
    Dropout drop = new Dropout(0.5, 7);
    Tensor state = drop.buffers().get("rng_state").copy();
    drop.eval();
    Tensor x = randn(3, DType.FLOAT32, 4, 6);
    assertIdentical("eval out", x, drop.forward(x));
    Tensor dout = randn(4, DType.FLOAT32, 4, 6);
    assertIdentical("eval dx", dout, drop.backward(dout));
    assertIdentical("state untouched", state, drop.buffers().get("rng_state"));
    drop.train();
    drop.forward(x);
    assertFalse(
        java.util.Arrays.equals(state.toIntArray(), drop.buffers().get("rng_state").toIntArray()),
        "a training forward advances the state");
  }

  @Test
  void restoringTheStateBufferReplaysTheMasks() {
    Dropout drop = new Dropout(0.5, 123);
    Tensor x = randn(5, F64, 6, 6);
    drop.forward(x);
    Map<String, Tensor> buffers = drop.buffers();
    assertEquals(List.of("rng_state"), List.copyOf(buffers.keySet()));
    Tensor saved = buffers.get("rng_state").copy(); // what a checkpoint stores
    assertEquals(DType.INT32, saved.dtype());
    assertArrayEquals(new int[] {2}, saved.shape());
    Tensor second = drop.forward(x);
    Tensor third = drop.forward(x);

    // "Resume": a fresh module with another seed, the saved state copied into its live buffer.
    Dropout resumed = new Dropout(0.5, 999);
    Tensor live = resumed.buffers().get("rng_state");
    for (int i = 0; i < live.size(); i++) {
      live.setFlat(i, saved.getFlat(i));
    }
    assertIdentical("second mask", second, resumed.forward(x));
    assertIdentical("third mask", third, resumed.forward(x));
  }

  @Test
  void keepProbabilityIsValidatedAndKeptAsGiven() {
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> new Dropout(0, 1),
        "keep probability p must be in (0, 1]",
        "PyTorch's p is the drop probability");
    Dropout drop = new Dropout(0.8, 1);
    assertEquals(0.8, drop.p());
    assertTrue(drop.parameters().isEmpty());
    assertEquals("Dropout(p=0.8 (keep))", drop.toString());
    // Keep probability 0.8: about 80% of a large input survives, scaled by 1/0.8.
    Tensor out = drop.forward(Tensor.ones(F64, 100, 100));
    int kept = 0;
    for (int i = 0; i < out.size(); i++) {
      if (out.getFlat(i) != 0) {
        kept++;
        assertEquals(1.25, out.getFlat(i), 1e-15);
      }
    }
    assertEquals(0.8, kept / 10000.0, 0.02);
  }
}
