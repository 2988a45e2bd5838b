package org.handgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class JoiningTest {
  @Property(tries = 150)
  void concatenateSplitRoundTrip(@ForAll long seed) {
    Random r = new Random(seed);
    int[] shape = Gen.shape(r, 3);
    if (shape.length == 0) {
      shape = new int[] {2};
    }
    int a = r.nextInt(shape.length);
    int parts = 1 + r.nextInt(3);
    Tensor[] ts = new Tensor[parts];
    int[] sizes = new int[parts];
    for (int i = 0; i < parts; i++) {
      int[] s = shape.clone();
      s[a] = Gen.dim(r);
      sizes[i] = s[a];
      ts[i] = Gen.tensor(r, Gen.pick(r, Gen.ALL), s);
    }
    Tensor cat = Tensor.concatenate(a - (r.nextBoolean() ? shape.length : 0), ts);
    DType dt = ts[0].dtype();
    for (Tensor t : ts) {
      dt = DType.promote(dt, t.dtype());
    }
    assertEquals(dt, cat.dtype());
    List<Tensor> back = cat.splitSizes(a, sizes);
    for (int i = 0; i < parts; i++) {
      assertSame(cat.storage(), back.get(i).storage(), "split gives views");
      Ref.assertSame(ts[i].to(dt), back.get(i), "seed " + seed + " part " + i);
    }
  }

  @Test
  void stackSplitAndPad() {
    Tensor a = Tensor.vector(1f, 2f);
    Tensor b = Tensor.vector(3f, 4f);
    assertArrayEquals(new float[] {1, 2, 3, 4}, Tensor.stack(0, a, b).toFloatArray());
    Tensor s1 = Tensor.stack(1, a, b);
    assertArrayEquals(new int[] {2, 2}, s1.shape());
    assertArrayEquals(new float[] {1, 3, 2, 4}, s1.toFloatArray());
    assertArrayEquals(new float[] {1, 2, 3, 4}, Tensor.stack(-2, a, b).toFloatArray());
    List<Tensor> parts = Tensor.arange(DType.INT32, 6).split(0, 3);
    assertEquals(3, parts.size());
    assertArrayEquals(new int[] {4, 5}, parts.get(2).toIntArray());

    Tensor x = Tensor.ones(DType.FLOAT64, 1, 1, 2, 2);
    Tensor p = x.pad(new int[][] {{0, 0}, {0, 0}, {1, 1}, {2, 0}}, -1);
    assertArrayEquals(new int[] {1, 1, 4, 4}, p.shape());
    assertEquals(-1.0, p.get(0, 0, 0, 0));
    assertEquals(1.0, p.get(0, 0, 1, 2));
    assertEquals(1.0, p.get(0, 0, 2, 3));
    assertEquals(-1.0, p.get(0, 0, 3, 3));
    assertEquals(4.0, p.sum().item() + 12);
  }

  @Test
  void errors() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Tensor.concatenate(0, Tensor.zeros(2, 3), Tensor.zeros(2, 4)));
    assertEquals(
        "concatenate: tensor 1 of shape (2, 4) does not match tensor 0 of shape (2, 3) outside"
            + " axis 0",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(10).split(0, 3));
    assertEquals("split: axis 0 of size 10 cannot be split into 3 equal sections", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Tensor.zeros(0, 2).split(0, Integer.MAX_VALUE));
    assertEquals(
        "split: axis 0 of size 0 cannot be split into 2147483647 equal sections", e.getMessage());
    assertEquals(1, Tensor.zeros(0, 2).split(0, 1).size());
    e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(10).splitSizes(0, 3, 3));
    assertEquals("split: sizes [3, 3] add up to 6, not to the size 10 of axis 0", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Tensor.stack(0, Tensor.zeros(2), Tensor.zeros(3)));
    assertEquals(
        "stack: tensor 1 of shape (3,) does not match tensor 0 of shape (2,)", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Tensor.zeros(2).pad(new int[][] {{1, -1}}, 0));
    assertEquals(
        "pad: axis 0 needs two non-negative widths (before, after), got [1, -1]", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2).pad(new int[][] {}, 0));
    assertThrows(IllegalArgumentException.class, () -> Tensor.concatenate(0));
  }
}
