package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.SeqTesting.assertClose;
import static org.handgrad.nn.functional.SeqTesting.assertExact;
import static org.handgrad.nn.functional.SeqTesting.assertRejects;
import static org.handgrad.nn.functional.SeqTesting.dtype;
import static org.handgrad.nn.functional.SeqTesting.expected;
import static org.handgrad.nn.functional.SeqTesting.input;
import static org.handgrad.nn.functional.SeqTesting.tol;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WordEmbeddingTest {
  /** F.embedding with repeated ids (dW accumulates) and unused ids (dW rows stay zero). */
  @ParameterizedTest
  @CsvSource({"f64", "f32"})
  void matchesPyTorchEmbedding(String dt) {
    DType d = dtype(dt);
    Tensor x = input("embed", "x", d);
    assertEquals(DType.INT32, x.dtype());
    Forward<WordEmbedding.Cache> f = WordEmbedding.wordEmbeddingForward(x, input("embed", "w", d));
    Tensor dw = WordEmbedding.wordEmbeddingBackward(input("embed", "dout", d), f.cache());
    assertExact(expected("embed", d, "out"), f.out(), "out");
    assertClose(expected("embed", d, "dw"), dw, tol(d), "dw");
  }

  @Test
  void duplicateTokensAccumulateExactly() {
    Tensor w = Tensor.zeros(DType.FLOAT64, 3, 2);
    Tensor x = Tensor.of(new int[] {2, 2, 2, 0}, 2, 2);
    Tensor dout = Tensor.of(new double[] {1, 10, 2, 20, 4, 40, 8, 80}, 2, 2, 2);
    Tensor dw =
        WordEmbedding.wordEmbeddingBackward(dout, WordEmbedding.wordEmbeddingForward(x, w).cache());
    assertExact(Tensor.of(new double[] {8, 80, 0, 0, 7, 70}, 3, 2), dw, "dw");
  }

  @Test
  void cacheKeepsItsOwnCopyOfTheIds() {
    Tensor w = Tensor.zeros(DType.FLOAT64, 3, 1);
    Tensor x = Tensor.of(new int[] {1, 2}, 1, 2);
    Forward<WordEmbedding.Cache> f = WordEmbedding.wordEmbeddingForward(x, w);
    x.set(99, 0, 0); // must not reach the backward pass
    Tensor dw =
        WordEmbedding.wordEmbeddingBackward(Tensor.of(new double[] {1, 2}, 1, 2, 1), f.cache());
    assertExact(Tensor.of(new double[] {0, 1, 2}, 3, 1), dw, "dw");
  }

  @Test
  void rejectsIdsOutsideTheVocabularyNamingThePosition() {
    Tensor w = Tensor.zeros(DType.FLOAT32, 5, 3);
    assertRejects(
        () -> WordEmbedding.wordEmbeddingForward(Tensor.of(new int[] {0, 1, 2, 5}, 2, 2), w),
        "wordEmbeddingForward",
        "token id 5 at (1, 1)",
        "[0, V) with V = 5");
    assertRejects(
        () -> WordEmbedding.wordEmbeddingForward(Tensor.of(new int[] {0, -1}, 1, 2), w),
        "token id -1 at (0, 1)");
  }

  @Test
  void rejectsWrongDtypesAndShapes() {
    Tensor w = Tensor.zeros(DType.FLOAT32, 5, 3);
    assertRejects(
        () -> WordEmbedding.wordEmbeddingForward(Tensor.zeros(DType.FLOAT32, 2, 2), w),
        "expected x int32 token ids (N, T), got float32 (2, 2)");
    assertRejects(
        () -> WordEmbedding.wordEmbeddingForward(Tensor.zeros(DType.INT32, 4), w),
        "got int32 (4,)");
    assertRejects(
        () ->
            WordEmbedding.wordEmbeddingForward(
                Tensor.zeros(DType.INT32, 2, 2), Tensor.zeros(DType.INT32, 5, 3)),
        "w must be float32 or float64");
    Forward<WordEmbedding.Cache> f =
        WordEmbedding.wordEmbeddingForward(Tensor.zeros(DType.INT32, 2, 2), w);
    assertRejects(
        () -> WordEmbedding.wordEmbeddingBackward(Tensor.zeros(DType.FLOAT32, 2, 2, 4), f.cache()),
        "wordEmbeddingBackward",
        "dout (N, T, D) = (2, 2, 3), got (2, 2, 4)");
  }
}
