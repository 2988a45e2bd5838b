package org.handgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class IndexingTest {
  private static int[] randomIndices(Random r, int count, int size) {
    int[] idx = new int[count];
    for (int i = 0; i < count; i++) {
      idx[i] = r.nextInt(size) - (r.nextBoolean() ? size : 0); // negative indices too
    }
    return idx;
  }

  @Property(tries = 200)
  void takeAndScatterAddMatchReference(@ForAll long seed) {
    Random r = new Random(seed);
    DType dt = Gen.pick(r, Gen.ALL);
    int[] shape = Gen.shape(r, 3);
    if (shape.length == 0) {
      shape = new int[] {3};
    }
    int a = r.nextInt(shape.length);
    if (shape[a] == 0) {
      shape[a] = 2;
    }
    Tensor x = Gen.tensor(r, dt, shape);
    int[] idxShape = Gen.shape(r, 2);
    Tensor idx = Tensor.of(randomIndices(r, (int) Ref.size(idxShape), shape[a]), idxShape);
    Tensor got = x.take(a, idx);
    int[] outShape = new int[shape.length - 1 + idxShape.length];
    System.arraycopy(shape, 0, outShape, 0, a);
    System.arraycopy(idxShape, 0, outShape, a, idxShape.length);
    System.arraycopy(shape, a + 1, outShape, a + idxShape.length, shape.length - a - 1);
    assertArrayEquals(outShape, got.shape());
    for (long i = 0; i < Ref.size(outShape); i++) {
      int[] oi = Ref.unravel(i, outShape);
      int[] ii = java.util.Arrays.copyOfRange(oi, a, a + idxShape.length);
      int k = (int) idx.get(ii);
      int[] src = new int[shape.length];
      for (int d = 0; d < shape.length; d++) {
        src[d] = d < a ? oi[d] : d == a ? (k < 0 ? k + shape[a] : k) : oi[d + idxShape.length - 1];
      }
      assertEquals(x.get(src), got.get(oi), "seed " + seed);
    }
    // scatterAdd is take's adjoint: <take(x), s> == <x, scatterAdd(0, s)> for float types.
    if (dt.isFloating()) {
      Tensor s = Gen.tensor(r, dt, outShape);
      Tensor acc = Gen.writable(r, dt, shape);
      Tensor before = acc.copy();
      Tensor result = acc.scatterAddi(a, idx, s);
      assertTrue(result == acc);
      Tensor expected = before.to(DType.FLOAT64);
      for (long i = 0; i < Ref.size(outShape); i++) {
        int[] oi = Ref.unravel(i, outShape);
        int k = (int) idx.get(java.util.Arrays.copyOfRange(oi, a, a + idxShape.length));
        int[] dst = new int[shape.length];
        for (int d = 0; d < shape.length; d++) {
          dst[d] =
              d < a ? oi[d] : d == a ? (k < 0 ? k + shape[a] : k) : oi[d + idxShape.length - 1];
        }
        expected.set(expected.get(dst) + s.get(oi), dst);
      }
      Ref.assertClose(expected.to(dt), acc, dt == DType.FLOAT32 ? 1e-6 : 1e-14, 1e-6, "scatter");
    }
  }

  @Test
  void embeddingForwardAndBackward() {
    Tensor w = Tensor.arange(DType.FLOAT64, 12).reshape(4, 3); // V=4, D=3
    Tensor captions = Tensor.of(new int[] {1, 3, 1, 0}, 2, 2); // (N=2, T=2)
    Tensor out = w.take(0, captions);
    assertArrayEquals(new int[] {2, 2, 3}, out.shape());
    assertEquals(w.get(3, 2), out.get(0, 1, 2));
    Tensor dw = Tensor.zeros(DType.FLOAT64, 4, 3);
    dw.scatterAddi(0, captions, Tensor.ones(DType.FLOAT64, 2, 2, 3));
    assertArrayEquals(new double[] {1, 1, 1, 2, 2, 2, 0, 0, 0, 1, 1, 1}, dw.toDoubleArray());
  }

  @Property(tries = 200)
  void takeAlongAxisMatchesReference(@ForAll long seed) {
    Random r = new Random(seed);
    DType dt = Gen.pick(r, Gen.ALL);
    int[] shape = Gen.nonEmptyShape(r, 3);
    if (shape.length == 0) {
      shape = new int[] {2};
    }
    int a = r.nextInt(shape.length);
    Tensor x = Gen.tensor(r, dt, shape);
    int[] is = Gen.broadcastable(r, shape);
    while (is.length < shape.length) {
      is = prepend1(is);
    }
    is[a] = Gen.dim(r);
    Tensor idx = Tensor.of(randomIndices(r, (int) Ref.size(is), shape[a]), is);
    Tensor got = x.takeAlongAxis(idx, a);
    int[] outShape = new int[shape.length];
    for (int d = 0; d < shape.length; d++) {
      outShape[d] = d == a ? is[d] : Math.max(shape[d], is[d]);
    }
    assertArrayEquals(outShape, got.shape(), "seed " + seed);
    for (long i = 0; i < Ref.size(outShape); i++) {
      int[] oi = Ref.unravel(i, outShape);
      int k = (int) idx.get(Ref.sourceIndex(oi, is));
      int[] src = Ref.sourceIndex(oi, shape);
      src[a] = k < 0 ? k + shape[a] : k;
      assertEquals(x.get(src), got.get(oi), "seed " + seed);
    }
  }

  private static int[] prepend1(int[] s) {
    int[] out = new int[s.length + 1];
    out[0] = 1;
    System.arraycopy(s, 0, out, 1, s.length);
    return out;
  }

  @Test
  void pickAndOneHot() {
    Tensor scores = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    assertArrayEquals(new float[] {3, 4}, scores.pick(new int[] {2, 0}).toFloatArray());
    assertArrayEquals(
        new float[] {2, 6}, scores.transpose().transpose().pick(new int[] {1, -1}).toFloatArray());
    Tensor oh = Tensor.oneHot(new int[] {2, 0}, 3);
    assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0}, oh.toFloatArray());
    assertEquals(DType.FLOAT64, Tensor.oneHot(DType.FLOAT64, new int[] {0}, 1).dtype());
    IndexOutOfBoundsException e =
        assertThrows(IndexOutOfBoundsException.class, () -> scores.pick(new int[] {3, 0}));
    assertEquals("pick: index 3 is out of bounds for axis 1 with size 3", e.getMessage());
    e = assertThrows(IndexOutOfBoundsException.class, () -> Tensor.oneHot(new int[] {0, 3}, 3));
    assertEquals("oneHot: label 3 at position 1 is out of range for 3 classes", e.getMessage());
    IllegalArgumentException iae =
        assertThrows(IllegalArgumentException.class, () -> scores.pick(new int[] {1}));
    assertTrue(iae.getMessage().startsWith("pick: expected a 2-D tensor (N, C)"));
  }

  @Property(tries = 150)
  void masksMatchReference(@ForAll long seed) {
    Random r = new Random(seed);
    DType dt = Gen.pick(r, Gen.ALL);
    int[] shape = Gen.shape(r, 3);
    Tensor x = Gen.writable(r, dt, shape);
    Tensor mask = Gen.tensor(r, Gen.pick(r, Gen.ALL), Gen.broadcastable(r, shape)).gt(0);
    java.util.List<Double> sel = new java.util.ArrayList<>();
    Tensor filled = x.copy();
    for (long i = 0; i < Ref.size(shape); i++) {
      int[] idx = Ref.unravel(i, shape);
      if (mask.get(Ref.sourceIndex(idx, mask.shape())) != 0) {
        sel.add(x.get(idx));
        filled.set(-9, idx);
      }
    }
    Tensor got = x.maskedSelect(mask);
    assertArrayEquals(new int[] {sel.size()}, got.shape());
    for (int i = 0; i < sel.size(); i++) {
      assertEquals(sel.get(i), got.get(i));
    }
    Ref.assertSame(filled, x.maskedFill(mask, -9), "maskedFill seed " + seed);
    x.maskedFilli(mask, -9);
    Ref.assertSame(filled, x, "maskedFilli seed " + seed);
  }

  @Test
  void attentionMaskBroadcastsOverBatchAndHeads() {
    Tensor scores = Tensor.zeros(2, 2, 3, 3); // (N, H, T, T)
    Tensor causal = Tensor.ones(3, 3);
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j <= i; j++) {
        causal.set(0, i, j);
      }
    }
    Tensor masked = scores.maskedFill(causal, Double.NEGATIVE_INFINITY);
    assertEquals(Double.NEGATIVE_INFINITY, masked.get(1, 1, 0, 2));
    assertEquals(0.0, masked.get(1, 1, 2, 0));
    assertFalse(Double.isInfinite(scores.get(1, 1, 0, 2)));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Tensor.zeros(3).maskedFill(Tensor.ones(2, 3), 0));
    assertEquals(
        "maskedFill: mask of shape (2, 3) cannot be broadcast to the tensor's shape (3,)",
        e.getMessage());
  }

  @Test
  void indexErrors() {
    Tensor x = Tensor.zeros(5, 2);
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> x.take(0, 7));
    assertEquals("take: index 7 is out of bounds for axis 0 with size 5", e.getMessage());
    assertThrows(IndexOutOfBoundsException.class, () -> x.take(0, -6));
    IllegalArgumentException iae =
        assertThrows(IllegalArgumentException.class, () -> x.take(0, Tensor.zeros(2)));
    assertEquals("take: indices must be int32, got float32", iae.getMessage());
    iae =
        assertThrows(
            IllegalArgumentException.class,
            () -> x.scatterAddi(0, Tensor.vector(1, 2), Tensor.zeros(3, 2)));
    assertTrue(
        iae.getMessage().startsWith("scatterAdd: src of shape (3, 2) does not match (2, 2)"));
    iae =
        assertThrows(IllegalArgumentException.class, () -> x.takeAlongAxis(Tensor.vector(0, 1), 0));
    assertTrue(iae.getMessage().startsWith("takeAlongAxis: indices of shape (2,)"));
  }
}
