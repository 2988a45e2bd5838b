package org.handgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class MatmulTest {
  /** A (rows, cols) matrix stack in a random layout, including transposed views. */
  private static Tensor operand(Random r, DType dt, int[] batch, int rows, int cols) {
    int[] shape = java.util.Arrays.copyOf(batch, batch.length + 2);
    shape[batch.length] = rows;
    shape[batch.length + 1] = cols;
    if (r.nextInt(3) == 0) {
      // Column-major storage: a transposed view of (..., cols, rows).
      int[] stored = shape.clone();
      stored[batch.length] = cols;
      stored[batch.length + 1] = rows;
      Tensor base = Gen.tensor(r, dt, stored, Gen.Layout.CONTIGUOUS, false);
      return base.transpose(-1, -2);
    }
    return Gen.tensor(r, dt, shape);
  }

  @Property(tries = 300)
  void matmulMatchesReference(@ForAll long seed) {
    Random r = new Random(seed);
    DType da = Gen.pick(r, Gen.ALL);
    DType db = r.nextInt(4) == 0 ? Gen.pick(r, Gen.ALL) : da;
    int m = Gen.dim(r);
    int k = Gen.dim(r);
    int n = Gen.dim(r);
    int[] batch = Gen.shape(r, 2);
    int[] ba = Gen.broadcastable(r, batch);
    int[] bb = Gen.broadcastable(r, batch);
    boolean aVec = r.nextInt(5) == 0;
    boolean bVec = r.nextInt(5) == 0;
    Tensor a = aVec ? Gen.tensor(r, da, new int[] {k}) : operand(r, da, ba, m, k);
    Tensor b = bVec ? Gen.tensor(r, db, new int[] {k}) : operand(r, db, bb, k, n);
    Tensor a2 = aVec ? a.unsqueeze(0) : a;
    Tensor b2 = bVec ? b.unsqueeze(1) : b;
    DType rt = DType.promote(da, db);
    Tensor expected = Ref.matmul(a2, b2, rt == DType.INT32 ? DType.FLOAT64 : rt);
    if (aVec) {
      expected = expected.squeeze(-2);
    }
    if (bVec) {
      expected = expected.squeeze(-1);
    }
    if (rt == DType.INT32) {
      expected = expected.to(DType.INT32);
    }
    double rtol = rt == DType.FLOAT32 ? 1e-5 : 1e-12;
    String ctx = "seed " + seed + " " + a.shapeString() + " @ " + b.shapeString();
    Ref.assertClose(expected, a.matmul(b), rtol, rtol, ctx);
  }

  @Test
  void transposedOperandsAndTheTallBatchPath() {
    Random r = new Random(3);
    Tensor x = Gen.tensor(r, DType.FLOAT32, new int[] {5, 7, 4}, Gen.Layout.CONTIGUOUS, false);
    Tensor w = Gen.tensor(r, DType.FLOAT32, new int[] {6, 4}, Gen.Layout.CONTIGUOUS, false);
    // (N, T, D) @ (D, M) with w given transposed: one tall GEMM reading w column-major.
    Ref.assertClose(
        Ref.matmul(x, w.transpose(), DType.FLOAT32), x.matmul(w.transpose()), 1e-5, 1e-5, "tall");
    Tensor xt = x.transpose(1, 2); // (5, 4, 7), column-major matrices
    Ref.assertClose(
        Ref.matmul(xt, x, DType.FLOAT32), xt.matmul(x), 1e-5, 1e-5, "batched transposed");
  }

  @Test
  void dotAndVectorCases() {
    Tensor a = Tensor.vector(1.0, 2.0, 3.0);
    Tensor b = Tensor.vector(4.0, 5.0, 6.0);
    assertEquals(32.0, a.dot(b).item());
    assertEquals(0, a.dot(b).ndim());
    Tensor m = Tensor.arange(DType.FLOAT64, 6).reshape(2, 3);
    assertArrayEquals(new double[] {8, 26}, m.matmul(a).toDoubleArray());
    assertArrayEquals(new int[] {3}, Tensor.vector(1.0, 1.0).matmul(m).shape());
    assertEquals(0.0, Tensor.zeros(0).dot(Tensor.zeros(0)).item());
  }

  @Test
  void errorsNameTheShapes() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Tensor.zeros(64, 100).matmul(Tensor.zeros(3072, 100)));
    assertEquals(
        "matmul: cannot multiply (64, 100) by (3072, 100) (inner dimensions 100 and 3072 differ)",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Tensor.zeros(2, 3, 4).matmul(Tensor.zeros(5, 4, 6)));
    assertEquals(
        "matmul: batch dimensions of (2, 3, 4) and (5, 4, 6) could not be broadcast together",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(3).dot(Tensor.zeros(4)));
    assertEquals(
        "dot: expected two 1-D tensors of equal length, got shapes (3,) and (4,)", e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Tensor.scalar(DType.FLOAT32, 1).matmul(Tensor.zeros(1)));
  }
}
