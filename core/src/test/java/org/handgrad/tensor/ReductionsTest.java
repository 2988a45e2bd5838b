package org.handgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class ReductionsTest {
  private static Tensor call(Ref.Red kind, Tensor x, int[] axes, boolean keep, int ddof) {
    return switch (kind) {
      case SUM -> x.sum(axes, keep);
      case MEAN -> x.mean(axes, keep);
      case MAX -> x.max(axes, keep);
      case MIN -> x.min(axes, keep);
      case VAR -> x.var(axes, keep, ddof);
      case STD -> x.std(axes, keep, ddof);
    };
  }

  private static DType resultType(Ref.Red kind, DType in) {
    if (in != DType.INT32) {
      return in;
    }
    return kind == Ref.Red.SUM || kind == Ref.Red.MAX || kind == Ref.Red.MIN
        ? DType.INT32
        : DType.FLOAT64;
  }

  @Property(tries = 400)
  void reductionsMatchReference(@ForAll long seed) {
    Random r = new Random(seed);
    Ref.Red kind = Ref.Red.values()[r.nextInt(Ref.Red.values().length)];
    DType dt = Gen.pick(r, Gen.ALL);
    int[] shape = Gen.shape(r, 4);
    Tensor x = Gen.tensor(r, dt, shape, r.nextInt(4) == 0);
    int nd = shape.length;
    boolean[] red = new boolean[nd];
    int[] axes;
    if (r.nextInt(4) == 0) {
      axes = null;
      java.util.Arrays.fill(red, true);
    } else {
      int[] perm = Gen.permutation(r, nd);
      axes = new int[r.nextInt(nd + 1)];
      for (int i = 0; i < axes.length; i++) {
        red[perm[i]] = true;
        axes[i] = perm[i] - (r.nextBoolean() ? nd : 0); // negative axes too
      }
    }
    boolean keep = r.nextBoolean();
    int ddof = r.nextInt(2);
    long count = 1;
    for (int d = 0; d < nd; d++) {
      count *= red[d] ? shape[d] : 1;
    }
    String ctx =
        "seed "
            + seed
            + " "
            + kind
            + " "
            + x.shapeString()
            + " axes "
            + java.util.Arrays.toString(axes)
            + " "
            + dt;
    if (count == 0 && (kind == Ref.Red.MAX || kind == Ref.Red.MIN)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> call(kind, x, axes, keep, ddof), ctx);
      assertTrue(e.getMessage().contains("zero-size"), e.getMessage());
      return;
    }
    int[] keepShape = shape.clone();
    int kept = 0;
    for (int d = 0; d < nd; d++) {
      if (red[d]) {
        keepShape[d] = 1;
      } else {
        kept++;
      }
    }
    int[] outShape = new int[keep ? nd : kept];
    for (int d = 0, j = 0; d < nd; d++) {
      if (keep) {
        outShape[d] = keepShape[d];
      } else if (!red[d]) {
        outShape[j++] = shape[d];
      }
    }
    double[] ref = Ref.reduce(x, red, kind, kind == Ref.Red.VAR || kind == Ref.Red.STD ? ddof : 0);
    DType rt = resultType(kind, dt);
    Tensor expected = Tensor.zeros(rt, outShape);
    for (int i = 0; i < ref.length; i++) {
      expected.setFlat(i, ref[i]);
    }
    double rtol = dt == DType.FLOAT32 || rt == DType.FLOAT32 ? 1e-6 : 1e-12;
    Ref.assertClose(expected, call(kind, x, axes, keep, ddof), rtol, 1e-12, ctx);
  }

  @Property(tries = 200)
  void argmaxAndArgminMatchReference(@ForAll long seed) {
    Random r = new Random(seed);
    DType dt = Gen.pick(r, Gen.ALL);
    int[] shape = Gen.nonEmptyShape(r, 4);
    if (shape.length == 0) {
      shape = new int[] {3};
    }
    Tensor x = Gen.tensor(r, dt, shape, r.nextInt(5) == 0);
    int a = r.nextInt(shape.length);
    boolean max = r.nextBoolean();
    Tensor got = max ? x.argmax(a - (r.nextBoolean() ? shape.length : 0)) : x.argmin(a);
    assertEquals(DType.INT32, got.dtype());
    int[] outShape = new int[shape.length - 1];
    for (int d = 0, j = 0; d < shape.length; d++) {
      if (d != a) {
        outShape[j++] = shape[d];
      }
    }
    assertArrayEquals(outShape, got.shape());
    for (long i = 0; i < Ref.size(outShape); i++) {
      int[] oi = Ref.unravel(i, outShape);
      int[] idx = new int[shape.length];
      for (int d = 0, j = 0; d < shape.length; d++) {
        idx[d] = d == a ? 0 : oi[j++];
      }
      int best = -1;
      double bv = 0;
      for (int k = 0; k < shape[a]; k++) {
        idx[a] = k;
        double v = x.get(idx);
        if (Double.isNaN(v)) {
          best = k;
          break;
        }
        if (best < 0 || (max ? v > bv : v < bv)) {
          best = k;
          bv = v;
        }
      }
      assertEquals(
          best, (int) got.get(oi), "seed " + seed + " at " + java.util.Arrays.toString(oi));
    }
    // keepdims and flat versions
    assertEquals(shape.length, x.argmax(a, true).ndim());
    int flat = (int) x.argmax().item();
    double[] v = Ref.values(x);
    int fb = 0;
    for (int i = 1; i < v.length && !Double.isNaN(v[fb]); i++) {
      if (Double.isNaN(v[i]) || v[i] > v[fb]) {
        fb = i;
      }
    }
    assertEquals(fb, flat, "flat argmax, seed " + seed);
  }

  @Test
  void float32SumsAreAccumulatedInDouble() {
    // 2^24 + 4 ones: a float accumulator stalls at 2^24.
    int n = (1 << 24) + 4;
    Tensor ones = Tensor.ones(n);
    assertEquals(n, ones.sum().item());
    // Across rows (reduced outer axis) as well: 10^6 rows of 0.1f.
    int rows = 1_000_000;
    Tensor x = Tensor.full(DType.FLOAT32, 0.1, rows, 3);
    double exact = rows * (double) 0.1f;
    assertEquals((float) exact, (float) x.sum(0).get(1));
    assertEquals((float) (exact / rows), (float) x.mean(0).get(2));
  }

  @Test
  void wholeTensorVersionsAndSpecialCases() {
    Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
    assertEquals(21.0, x.sum().item());
    assertEquals(3.5, x.mean().item());
    assertEquals(6.0, x.max().item());
    assertEquals(1.0, x.min().item());
    assertEquals(35.0 / 12, x.var().item(), 1e-15);
    assertEquals(3.5, x.var(null, false, 1).item(), 1e-15);
    assertEquals(Math.sqrt(3.5), x.std(null, false, 1).item(), 1e-15);
    assertArrayEquals(new double[] {2, 5}, x.mean(1).toDoubleArray());
    assertArrayEquals(new int[] {2, 1}, x.sum(1, true).shape());
    assertEquals(0.0, Tensor.zeros(0, 3).sum().item());
    assertTrue(Double.isNaN(Tensor.zeros(0, 3).mean().item()));
    assertArrayEquals(new int[] {0}, Tensor.zeros(0, 3).max(1).shape());
    assertTrue(Double.isNaN(Tensor.vector(1.0, Double.NaN).max().item()));
    assertEquals(DType.INT32, Tensor.vector(1, 2).sum().dtype());
    assertEquals(1.5, Tensor.vector(1, 2).mean().item());
  }

  /**
   * Every reduction has the same short forms as NumPy's: (axis), (axis, keepdims), (axes), (axes,
   * keepdims), plus ddof for var and std; each equals the general form.
   */
  @Test
  void shortFormsEqualTheGeneralForm() {
    Random rng = new Random(7);
    double[] v = new double[2 * 3 * 4];
    for (int i = 0; i < v.length; i++) {
      v[i] = rng.nextGaussian();
    }
    Tensor x = Tensor.of(v, 2, 3, 4);
    int[] axes = {0, 2};
    assertSame(x.sum(axes, false), x.sum(axes));
    assertSame(x.mean(axes, false), x.mean(axes));
    assertSame(x.max(axes, false), x.max(axes));
    assertSame(x.min(axes, false), x.min(axes));
    assertSame(x.var(axes, false, 0), x.var(axes));
    assertSame(x.var(axes, true, 0), x.var(axes, true));
    assertSame(x.std(axes, false, 0), x.std(axes));
    assertSame(x.std(axes, true, 0), x.std(axes, true));
    assertSame(x.var(new int[] {1}, true, 1), x.var(1, true, 1));
    assertSame(x.std(new int[] {1}, false, 1), x.std(1, false, 1));
    assertSame(x.var(new int[] {2}, false, 0), x.var(2));
    assertSame(x.std(new int[] {2}, false, 0), x.std(2));
    assertArrayEquals(new int[] {3}, x.mean(axes).shape());
    assertArrayEquals(new int[] {1, 3, 1}, x.var(axes, true).shape());
    // var over axes {0, 2} of channel 1 by hand
    double mean = 0;
    double sq = 0;
    for (int n = 0; n < 2; n++) {
      for (int w = 0; w < 4; w++) {
        mean += v[n * 12 + 4 + w] / 8;
      }
    }
    for (int n = 0; n < 2; n++) {
      for (int w = 0; w < 4; w++) {
        double d = v[n * 12 + 4 + w] - mean;
        sq += d * d / 8;
      }
    }
    assertEquals(sq, x.var(axes).getFlat(1), 1e-15);
    assertEquals(Math.sqrt(sq * 8 / 7), x.std(axes, false, 1).getFlat(1), 1e-15);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> x.var(3, false, 1));
    assertEquals("var: axis 3 is out of range for a tensor of rank 3", e.getMessage());
  }

  private static void assertSame(Tensor expected, Tensor actual) {
    assertArrayEquals(expected.shape(), actual.shape());
    assertArrayEquals(expected.toDoubleArray(), actual.toDoubleArray(), 0.0);
  }

  @Test
  void errorsNameOpAndAxis() {
    Tensor x = Tensor.zeros(2, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.sum(3));
    assertEquals("sum: axis 3 is out of range for a tensor of rank 2", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> x.mean(new int[] {1, -1}, false));
    assertEquals("mean: axis -1 is repeated in [1, -1]", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 0).max(1));
    assertTrue(e.getMessage().startsWith("max: zero-size reduction over axes [1]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(0).argmax());
    assertTrue(e.getMessage().startsWith("argmax:"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> x.var(null, false, -1));
    assertTrue(e.getMessage().startsWith("var: ddof"), e.getMessage());
  }
}
