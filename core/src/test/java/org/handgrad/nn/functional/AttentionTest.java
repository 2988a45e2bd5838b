package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.TestData.assertMessage;
import static org.handgrad.nn.functional.TestData.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.checks.AttentionChecks;
import org.handgrad.nn.functional.Dropout.DropoutParam;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class AttentionTest {
  private static final DropoutParam NONE = DropoutParam.test(1);

  @TestFactory
  Stream<DynamicTest> everyAttentionGradientPassesTheFloat64Check() {
    return AttentionChecks.checks().entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    e.getKey(),
                    () -> {
                      List<GradCheckResult> rows = e.getValue().get();
                      assertFalse(rows.isEmpty());
                      for (GradCheckResult r : rows) {
                        assertEquals(1e-7, r.tolerance());
                        assertTrue(r.passed(), r.toString());
                      }
                    }));
  }

  @Test
  void aMaskedKeyGetsExactlyZeroWeightAndZeroGradient() {
    SplittableRandom rng = new SplittableRandom(3);
    Tensor q = randn(rng, 2, 2, 3, 4);
    Tensor k = randn(rng, 2, 2, 4, 4);
    Tensor v = randn(rng, 2, 2, 4, 4);
    // key 3 is masked for every query; key 1 for query 0 only
    Tensor mask = Tensor.of(new int[] {1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0}, 3, 4);
    Forward<Attention.Cache> f = Attention.scaledDotProductAttentionForward(q, k, v, mask, NONE);
    Tensor attn = f.cache().attn();
    for (int b = 0; b < 2; b++) {
      for (int h = 0; h < 2; h++) {
        assertEquals(0.0, attn.get(b, h, 0, 1));
        for (int i = 0; i < 3; i++) {
          assertEquals(0.0, attn.get(b, h, i, 3));
          double rowSum = 0;
          for (int j = 0; j < 4; j++) {
            rowSum += attn.get(b, h, i, j);
          }
          assertEquals(1.0, rowSum, 1e-14);
        }
      }
    }
    Attention.Grads g =
        Attention.scaledDotProductAttentionBackward(randn(rng, 2, 2, 3, 4), f.cache());
    for (int b = 0; b < 2; b++) {
      for (int h = 0; h < 2; h++) {
        for (int d = 0; d < 4; d++) {
          assertEquals(0.0, g.dk().get(b, h, 3, d), "masked key gets no gradient");
          assertEquals(0.0, g.dv().get(b, h, 3, d), "masked value gets no gradient");
        }
      }
    }
  }

  @Test
  void theCausalMaskHidesTheFuture() {
    Tensor m = Attention.causalMask(3);
    assertEquals(List.of(1, 0, 0, 1, 1, 0, 1, 1, 1), intList(m));
    SplittableRandom rng = new SplittableRandom(4);
    Tensor x = randn(rng, 1, 1, 3, 2);
    Tensor attn = Attention.scaledDotProductAttentionForward(x, x, x, m, NONE).cache().attn();
    assertEquals(1.0, attn.get(0, 0, 0, 0));
    assertEquals(0.0, attn.get(0, 0, 1, 2));
  }

  @Test
  void float32AgreesWithFloat64() {
    SplittableRandom rng = new SplittableRandom(5);
    Tensor q = randn(rng, 2, 3, 5, 8);
    Tensor k = randn(rng, 2, 3, 7, 8);
    Tensor v = randn(rng, 2, 3, 7, 8);
    Tensor out64 = Attention.scaledDotProductAttentionForward(q, k, v, null, NONE).out();
    Tensor out32 =
        Attention.scaledDotProductAttentionForward(
                q.to(DType.FLOAT32), k.to(DType.FLOAT32), v.to(DType.FLOAT32), null, NONE)
            .out();
    assertEquals(DType.FLOAT32, out32.dtype());
    assertTrue(out64.allClose(out32.to(DType.FLOAT64), 1e-5, 1e-5));
  }

  @Test
  void badInputNamesTheLayerAndTheShapes() {
    SplittableRandom rng = new SplittableRandom(6);
    Tensor x = randn(rng, 2, 3, 6);
    Tensor w = randn(rng, 6, 6);
    Tensor b = randn(rng, 6);
    Attention.Projections p = new Attention.Projections(w, b, w, b, w, b, w, b);
    assertMessage(
        "multi_head_attention: embedding dimension E=6 is not divisible by the number of heads H=4",
        () -> Attention.multiHeadAttentionForward(x, x, x, p, 4, null, NONE));
    assertMessage(
        "multi_head_attention: expected attn_mask (S, T) = (3, 3) for queries of length S=3 and"
            + " keys of length T=3, got (3, 4)",
        () ->
            Attention.multiHeadAttentionForward(
                x, x, x, p, 2, Tensor.ones(DType.INT32, 3, 4), NONE));
    assertMessage(
        "multi_head_attention: attn_mask row 1 masks every key; each query needs at least one key",
        () ->
            Attention.multiHeadAttentionForward(
                x, x, x, p, 2, Tensor.of(new int[] {1, 0, 0, 0, 0, 0, 1, 1, 1}, 3, 3), NONE));
    assertMessage(
        "multi_head_attention: expected key (N, T, E) = (2, 3, 6), got (2, 3, 5)",
        () -> Attention.multiHeadAttentionForward(x, randn(rng, 2, 3, 5), x, p, 2, null, NONE));
  }

  private static List<Integer> intList(Tensor t) {
    return java.util.Arrays.stream(t.toIntArray()).boxed().toList();
  }
}
