package org.handgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class ViewsTest {
  /** Python's slice semantics, written as Python documents them (range over slice.indices). */
  static List<Integer> pythonSlice(int n, int start, int stop, int step) {
    int lower = step > 0 ? 0 : -1;
    int upper = step > 0 ? n : n - 1;
    long s = start;
    if (s < 0) {
      s = Math.max(s + n, lower);
    } else {
      s = Math.min(s, upper);
    }
    long e = stop;
    if (e < 0) {
      e = Math.max(e + n, lower);
    } else {
      e = Math.min(e, upper);
    }
    List<Integer> out = new ArrayList<>();
    for (long i = s; step > 0 ? i < e : i > e; i += step) {
      out.add((int) i);
    }
    return out;
  }

  private static List<Integer> sliced(int n, int start, int stop, int step) {
    Tensor t = Tensor.arange(DType.INT32, n).slice(0, start, stop, step);
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < t.size(); i++) {
      out.add((int) t.get(i));
    }
    return out;
  }

  @Test
  void sliceMatchesPythonExamples() {
    int max = Integer.MAX_VALUE;
    int min = Integer.MIN_VALUE;
    assertEquals(List.of(1, 2, 3), sliced(5, 1, 4, 1));
    assertEquals(List.of(4, 3, 2, 1, 0), sliced(5, max, min, -1));
    assertEquals(List.of(3, 4), sliced(5, -2, max, 1));
    assertEquals(List.of(), sliced(5, 10, max, 1));
    assertEquals(List.of(), sliced(5, 0, -10, 1));
    assertEquals(List.of(4, 2), sliced(5, 4, 0, -2));
    assertEquals(List.of(4, 3, 2, 1, 0), sliced(5, -1, -6, -1));
    assertEquals(List.of(0, 3), sliced(5, -100, 100, 3));
    assertEquals(List.of(3, 2, 1, 0), sliced(5, 3, -100, -1));
    assertEquals(List.of(0, 2, 4), sliced(5, 0, max, 2));
    assertEquals(List.of(), sliced(5, 1, 1, 1));
    assertEquals(List.of(4, 2, 0), sliced(5, -1, -10, -2));
    assertEquals(List.of(), sliced(0, max, min, -1));
    assertEquals(List.of(0), sliced(1, 0, max, max));
  }

  @Property(tries = 300)
  void sliceMatchesPythonSemantics(@ForAll long seed) {
    Random r = new Random(seed);
    int n = r.nextInt(8);
    int[] bounds = {-20, -n - 1, -n, -1, 0, 1, n - 1, n, n + 1, 20, Integer.MAX_VALUE};
    int start = r.nextBoolean() ? bounds[r.nextInt(bounds.length)] : r.nextInt(21) - 10;
    int stop = r.nextBoolean() ? bounds[r.nextInt(bounds.length)] : r.nextInt(21) - 10;
    if (r.nextInt(6) == 0) {
      stop = Integer.MIN_VALUE;
    }
    int step = r.nextBoolean() ? r.nextInt(4) + 1 : -(r.nextInt(4) + 1);
    assertEquals(
        pythonSlice(n, start, stop, step),
        sliced(n, start, stop, step),
        "n=" + n + " " + start + ":" + stop + ":" + step);
  }

  @Property(tries = 200)
  void viewsReadTheRightElementsAndShareStorage(@ForAll long seed) {
    Random r = new Random(seed);
    DType dt = Gen.pick(r, Gen.ALL);
    int[] shape = Gen.shape(r, 4);
    Tensor x = Gen.writable(r, dt, shape);
    int nd = shape.length;
    String ctx = "seed " + seed + " shape " + Shapes.str(shape);

    // transpose reverses axes
    Tensor t = x.transpose();
    assertSame(x.storage(), t.storage());
    for (long i = 0; i < Ref.size(shape); i++) {
      int[] idx = Ref.unravel(i, shape);
      int[] rev = new int[nd];
      for (int d = 0; d < nd; d++) {
        rev[d] = idx[nd - 1 - d];
      }
      assertEquals(x.get(idx), t.get(rev), ctx);
    }

    // permute
    int[] perm = Gen.permutation(r, nd);
    Tensor p = x.permute(perm);
    for (long i = 0; i < Ref.size(shape); i++) {
      int[] idx = Ref.unravel(i, shape);
      int[] pi = new int[nd];
      for (int d = 0; d < nd; d++) {
        pi[d] = idx[perm[d]];
      }
      assertEquals(x.get(idx), p.get(pi), ctx);
    }

    // unsqueeze / squeeze round trip
    int ax = r.nextInt(nd + 1);
    Tensor u = x.unsqueeze(ax);
    assertEquals(nd + 1, u.ndim());
    assertEquals(1, u.shape(ax));
    Tensor back = u.squeeze(ax);
    assertArrayEquals(shape, back.shape());
    Ref.assertSame(x, back, ctx + " squeeze(unsqueeze)");
    assertSame(x.storage(), u.storage());

    // squeeze() drops all ones
    Tensor sq = x.squeeze();
    long ones = java.util.Arrays.stream(shape).filter(d -> d == 1).count();
    assertEquals(nd - ones, sq.ndim());
    assertArrayEquals(Ref.values(x), Ref.values(sq), 0.0);

    // flatten keeps row-major order
    Tensor f = x.flatten();
    assertArrayEquals(new int[] {x.size()}, f.shape());
    assertArrayEquals(Ref.values(x), Ref.values(f), 0.0);
    if (x.isContiguous()) {
      assertSame(x.storage(), f.storage());
    }

    if (nd > 0) {
      // slice along a random axis
      int a = r.nextInt(nd);
      int n = shape[a];
      int start = r.nextInt(2 * n + 3) - n - 1;
      int stop = r.nextInt(2 * n + 3) - n - 1;
      int step = (r.nextInt(3) + 1) * (r.nextBoolean() ? 1 : -1);
      Tensor s = x.slice(a, start, stop, step);
      assertSame(x.storage(), s.storage());
      List<Integer> picks = pythonSlice(n, start, stop, step);
      assertEquals(picks.size(), s.shape(a));
      for (long i = 0; i < Ref.size(s.shape()); i++) {
        int[] idx = Ref.unravel(i, s.shape());
        int[] src = idx.clone();
        src[a] = picks.get(idx[a]);
        assertEquals(x.get(src), s.get(idx), ctx + " slice");
      }
      // select removes the axis
      if (n > 0) {
        int k = r.nextInt(n);
        Tensor sel = x.select(a, k - (r.nextBoolean() ? n : 0));
        assertEquals(nd - 1, sel.ndim());
        for (long i = 0; i < Ref.size(sel.shape()); i++) {
          int[] idx = Ref.unravel(i, sel.shape());
          int[] src = new int[nd];
          for (int d = 0, j = 0; d < nd; d++) {
            src[d] = d == a ? k : idx[j++];
          }
          assertEquals(x.get(src), sel.get(idx), ctx + " select");
        }
      }
    }

    // broadcastTo a bigger shape
    int[] big = new int[nd + 1];
    big[0] = r.nextInt(3);
    System.arraycopy(shape, 0, big, 1, nd);
    Tensor b = x.broadcastTo(big);
    assertSame(x.storage(), b.storage());
    for (long i = 0; i < Ref.size(big); i++) {
      int[] idx = Ref.unravel(i, big);
      assertEquals(x.get(java.util.Arrays.copyOfRange(idx, 1, nd + 1)), b.get(idx), ctx);
    }
  }

  /**
   * copy() of a view reads the same elements as get(): views whose trailing axes stay contiguous
   * are copied a merged row at a time (slices along a leading axis, size-1 axes with any stride),
   * the rest element by element; last axes up to 40 long, so that rows are long as well as short.
   */
  @Property(tries = 300)
  void copyOfAViewHoldsTheElementsItReads(@ForAll long seed) {
    Random r = new Random(seed);
    DType dt = Gen.pick(r, Gen.ALL);
    int nd = 1 + r.nextInt(4);
    int[] shape = new int[nd];
    for (int d = 0; d < nd; d++) {
      shape[d] = 1 + r.nextInt(d == nd - 1 ? 40 : 6);
    }
    Tensor x = Gen.tensor(r, dt, shape);
    int ax = r.nextInt(nd);
    int start = r.nextInt(shape[ax]);
    int stop = start + 1 + r.nextInt(shape[ax] - start);
    Tensor v = x.slice(ax, start, stop, 1 + r.nextInt(2));
    switch (r.nextInt(4)) {
      case 0 -> v = v.unsqueeze(r.nextInt(nd + 1));
      case 1 -> v = v.permute(Gen.permutation(r, nd));
      case 2 -> v = v.flip(r.nextInt(nd));
      default -> {}
    }
    Tensor c = v.copy();
    String ctx = "seed " + seed + " view " + Shapes.str(v.shape()) + " of " + Shapes.str(shape);
    assertTrue(c.isContiguous(), ctx);
    assertArrayEquals(Ref.values(v), Ref.values(c), ctx);
    // a channel slice of an (N, C, H, W) feature map: runs of H*W = 49 floats
    Tensor fm = Gen.tensor(r, DType.FLOAT32, new int[] {3, 5, 7, 7});
    Tensor ch = fm.slice(1, 1, 4);
    assertArrayEquals(Ref.values(ch), Ref.values(ch.copy()), "channel slice");
  }

  @Test
  void writesThroughAViewReachTheBase() {
    Tensor x = Tensor.arange(DType.FLOAT32, 12).reshape(3, 4);
    x.transpose().slice(0, 1, 3).fill(-1); // columns 1 and 2
    assertEquals(-1.0, x.get(2, 1));
    assertEquals(-1.0, x.get(0, 2));
    assertEquals(3.0, x.get(0, 3));
    x.select(1, -1).fill(7);
    assertEquals(7.0, x.get(1, 3));
  }

  @Test
  void multiAxisSlice() {
    Tensor x = Tensor.arange(DType.FLOAT64, 24).reshape(2, 3, 4);
    Tensor s = x.slice(Slice.all(), Slice.of(1, 3), Slice.reversed());
    assertArrayEquals(new int[] {2, 2, 4}, s.shape());
    assertEquals(x.get(1, 2, 0), s.get(1, 1, 3));
    assertEquals("1:3", Slice.of(1, 3).toString());
    assertEquals("::-1", Slice.reversed().toString());
    assertThrows(IllegalArgumentException.class, () -> Slice.of(0, 1, 0));
  }

  @Test
  void broadcastToAndSqueezeErrorsNameShapes() {
    Tensor x = Tensor.zeros(3, 4);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> x.broadcastTo(5, 4));
    assertEquals(
        "broadcastTo: cannot broadcast a tensor of shape (3, 4) to (5, 4)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> x.squeeze(0));
    assertTrue(
        e.getMessage().startsWith("squeeze: cannot squeeze axis 0 of size 3"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> x.permute(0, 0));
    assertTrue(e.getMessage().startsWith("permute:"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> x.unsqueeze(3));
    assertEquals("unsqueeze: axis 3 is out of range for a tensor of rank 3", e.getMessage());
    assertThrows(IndexOutOfBoundsException.class, () -> x.select(1, 4));
  }
}
