package org.handgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.DoubleBinaryOperator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class ElementwiseTest {
  /** The documented result type of a binary op. */
  static DType resultType(BinaryOp op, DType a, DType b) {
    DType p = DType.promote(a, b);
    if (op.isComparison()) {
      return p == DType.INT32 ? DType.FLOAT32 : p;
    }
    if (p == DType.INT32 && op == BinaryOp.DIV) {
      return DType.FLOAT64;
    }
    return p;
  }

  /**
   * Reference semantics: operands converted to the result's compute type first (int32 computed in
   * float64), then the op on doubles, rounded on store.
   */
  static DoubleBinaryOperator reference(BinaryOp op, DType a, DType b) {
    DType p = DType.promote(a, b);
    return (x, y) -> {
      if (p == DType.FLOAT32) {
        x = (float) x;
        y = (float) y;
      }
      return switch (op) {
        case ADD -> x + y;
        case SUB -> x - y;
        case MUL -> x * y;
        case DIV -> x / y;
        case POW -> Math.pow(x, y);
        case MAXIMUM -> Double.isNaN(x) || Double.isNaN(y) ? Double.NaN : Math.max(x, y);
        case MINIMUM -> Double.isNaN(x) || Double.isNaN(y) ? Double.NaN : Math.min(x, y);
        case EQ -> x == y ? 1 : 0;
        case NE -> x != y ? 1 : 0;
        case LT -> x < y ? 1 : 0;
        case LE -> x <= y ? 1 : 0;
        case GT -> x > y ? 1 : 0;
        case GE -> x >= y ? 1 : 0;
      };
    };
  }

  private static Tensor call(BinaryOp op, Tensor a, Tensor b) {
    return switch (op) {
      case ADD -> a.add(b);
      case SUB -> a.sub(b);
      case MUL -> a.mul(b);
      case DIV -> a.div(b);
      case POW -> a.pow(b);
      case MAXIMUM -> a.maximum(b);
      case MINIMUM -> a.minimum(b);
      case EQ -> a.eq(b);
      case NE -> a.ne(b);
      case LT -> a.lt(b);
      case LE -> a.le(b);
      case GT -> a.gt(b);
      case GE -> a.ge(b);
    };
  }

  private static Tensor call(BinaryOp op, Tensor a, double s) {
    return switch (op) {
      case ADD -> a.add(s);
      case SUB -> a.sub(s);
      case MUL -> a.mul(s);
      case DIV -> a.div(s);
      case POW -> a.pow(s);
      case MAXIMUM -> a.maximum(s);
      case MINIMUM -> a.minimum(s);
      case EQ -> a.eq(s);
      case NE -> a.ne(s);
      case LT -> a.lt(s);
      case LE -> a.le(s);
      case GT -> a.gt(s);
      case GE -> a.ge(s);
    };
  }

  @Property(tries = 400)
  void binaryOpsMatchReferenceWithBroadcasting(@ForAll long seed) {
    Random r = new Random(seed);
    BinaryOp op = BinaryOp.values()[r.nextInt(BinaryOp.values().length)];
    int[] out = Gen.shape(r, 4);
    int[] sa = Gen.broadcastable(r, out);
    int[] sb = Gen.broadcastable(r, out);
    if (r.nextBoolean()) {
      int[] t = sa;
      sa = sb;
      sb = t;
    }
    DType da = Gen.pick(r, Gen.ALL);
    DType db = r.nextInt(3) == 0 ? Gen.pick(r, Gen.ALL) : da;
    Tensor a = Gen.tensor(r, da, sa, true);
    Tensor b = Gen.tensor(r, db, sb, true);
    if (Ref.broadcastShape(sa, sb) == null) {
      return; // dropped and size-1 axes can still clash, e.g. (3,) vs (2, 1) from (2, 3)... skip
    }
    DType rt = resultType(op, da, db);
    Tensor expected = Ref.binary(a, b, reference(op, da, db), rt);
    Ref.assertSame(
        expected,
        call(op, a, b),
        "seed " + seed + " " + op + " " + a.shapeString() + " " + b.shapeString());
  }

  @Property(tries = 200)
  void scalarOverloadsMatchReference(@ForAll long seed) {
    Random r = new Random(seed);
    BinaryOp op = BinaryOp.values()[r.nextInt(BinaryOp.values().length)];
    DType dt = Gen.pick(r, Gen.ALL);
    Tensor a = Gen.tensor(r, dt, Gen.shape(r, 3), true);
    double s = dt == DType.INT32 || r.nextBoolean() ? r.nextInt(7) - 3 : r.nextGaussian();
    DType rt = resultType(op, dt, dt);
    Tensor sc =
        dt == DType.INT32 && op.isComparison()
            ? Tensor.scalar(DType.FLOAT64, s)
            : Tensor.scalar(dt, s);
    Tensor expected = Ref.binary(a, sc, reference(op, dt, sc.dtype()), rt);
    Ref.assertSame(expected, call(op, a, s), "seed " + seed + " " + op + " scalar " + s);
  }

  @Test
  void reversedScalarOps() {
    Tensor x = Tensor.vector(1f, 2f, 4f);
    assertArrayEquals(new float[] {0f, -1f, -3f}, x.rsub(1).toFloatArray());
    assertArrayEquals(new float[] {1f, 0.5f, 0.25f}, x.rdiv(1).toFloatArray());
  }

  @Test
  void typeRules() {
    Tensor f = Tensor.ones(DType.FLOAT32, 2);
    Tensor d = Tensor.ones(DType.FLOAT64, 2);
    Tensor i = Tensor.vector(1, 2);
    assertEquals(DType.FLOAT64, f.add(d).dtype());
    assertEquals(DType.FLOAT32, i.add(f).dtype());
    assertEquals(DType.FLOAT64, i.mul(d).dtype());
    assertEquals(DType.INT32, i.add(i).dtype());
    assertEquals(DType.FLOAT64, i.div(i).dtype());
    assertEquals(DType.FLOAT32, i.eq(i).dtype());
    assertEquals(DType.FLOAT64, d.lt(f).dtype());
    assertEquals(DType.FLOAT32, f.mul(0.1).dtype());
    assertEquals(DType.INT32, i.add(3).dtype());
    assertArrayEquals(new int[] {4, 5}, i.add(3).toIntArray());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> i.add(0.5));
    assertTrue(e.getMessage().startsWith("add: scalar 0.5 is not an int32 value"), e.getMessage());
    // Saturation instead of wrap-around for int32 overflow.
    assertEquals(Integer.MAX_VALUE, (int) Tensor.vector(Integer.MAX_VALUE).add(1).item());
    // Accuracy as the mean of an int comparison.
    Tensor pred = Tensor.vector(1, 2, 3, 4);
    Tensor y = Tensor.vector(1, 0, 3, 0);
    assertEquals(0.5, pred.eq(y).mean().item());
  }

  @Property(tries = 200)
  void whereMatchesReference(@ForAll long seed) {
    Random r = new Random(seed);
    int[] out = Gen.shape(r, 4);
    int[] sm = Gen.broadcastable(r, out);
    int[] sa = Gen.broadcastable(r, out);
    int[] sb = Gen.broadcastable(r, out);
    DType da = Gen.pick(r, Gen.ALL);
    DType db = r.nextBoolean() ? da : Gen.pick(r, Gen.ALL);
    Tensor m = Gen.tensor(r, Gen.pick(r, Gen.ALL), sm);
    Tensor a = Gen.tensor(r, da, sa);
    Tensor b = Gen.tensor(r, db, sb);
    int[] shape = Ref.broadcastShape(Ref.broadcastShape(sm, sa), sb);
    DType rt = DType.promote(da, db);
    Tensor expected = Tensor.zeros(rt, shape);
    for (long i = 0; i < Ref.size(shape); i++) {
      int[] idx = Ref.unravel(i, shape);
      double c = m.get(Ref.sourceIndex(idx, sm));
      expected.set(c != 0 ? a.get(Ref.sourceIndex(idx, sa)) : b.get(Ref.sourceIndex(idx, sb)), idx);
    }
    Ref.assertSame(expected, Tensor.where(m, a, b), "seed " + seed);
  }

  @Property(tries = 300)
  void inPlaceOpsMatchReference(@ForAll long seed) {
    Random r = new Random(seed);
    int[] shape = Gen.shape(r, 4);
    DType dt = Gen.pick(r, Gen.FLOATS);
    Tensor self = Gen.writable(r, dt, shape);
    Tensor before = self.copy();
    Tensor other = Gen.tensor(r, Gen.pick(r, Gen.ALL), Gen.broadcastable(r, shape));
    int which = r.nextInt(9);
    double s = r.nextGaussian();
    double alpha = r.nextGaussian();
    Tensor o32 = other.to(dt);
    Tensor expected;
    Tensor result;
    switch (which) {
      case 0 -> {
        expected = Ref.binary(before, o32, (x, y) -> x + y, dt);
        result = self.addi(other);
      }
      case 1 -> {
        expected = Ref.binary(before, o32, (x, y) -> x - y, dt);
        result = self.subi(other);
      }
      case 2 -> {
        expected = Ref.binary(before, o32, (x, y) -> x * y, dt);
        result = self.muli(other);
      }
      case 3 -> {
        expected = Ref.binary(before, o32, (x, y) -> x / y, dt);
        result = self.divi(other);
      }
      case 4 -> {
        double sv = dt == DType.FLOAT32 ? (float) s : s;
        expected = Ref.unary(before, x -> x * sv, dt);
        result = self.muli(s);
      }
      case 5 -> {
        double sv = dt == DType.FLOAT32 ? (float) s : s;
        expected = Ref.unary(before, x -> x - sv, dt);
        result = self.subi(s);
      }
      case 6 -> {
        double al = dt == DType.FLOAT32 ? (float) alpha : alpha;
        expected =
            Ref.binary(
                before,
                o32,
                dt == DType.FLOAT32
                    ? (x, y) -> (float) (x + (float) (al * y))
                    : (x, y) -> x + al * y,
                dt);
        result = self.addScaledi(alpha, other);
      }
      case 7 -> {
        expected = Ref.binary(before, o32, (x, y) -> y, dt);
        result = self.copyFrom(other);
      }
      default -> {
        double sv = dt == DType.FLOAT32 ? (float) s : s;
        expected = Ref.unary(before, x -> sv, dt);
        result = self.fill(s);
      }
    }
    assertTrue(result == self, "in-place ops return this");
    Ref.assertSame(expected, self, "seed " + seed + " case " + which);
  }

  @Test
  void inPlaceWithOverlappingOperandBuffersIt() {
    Tensor x = Tensor.arange(DType.FLOAT64, 9).reshape(3, 3);
    Tensor expected = Ref.binary(x.copy(), x.copy().transpose(), (a, b) -> a + b, DType.FLOAT64);
    x.addi(x.transpose());
    Ref.assertSame(expected, x, "x += x.T");
    Tensor y = Tensor.arange(DType.FLOAT32, 5);
    y.slice(0, 1, 5).copyFrom(y.slice(0, 0, 4));
    assertArrayEquals(new float[] {0, 0, 1, 2, 3}, y.toFloatArray());
  }

  @Test
  void inPlaceErrors() {
    Tensor x = Tensor.zeros(3, 4);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> x.addi(Tensor.zeros(5, 4)));
    assertEquals(
        "addi: cannot broadcast an operand of shape (5, 4) into a tensor of shape (3, 4) in place",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> x.addi(Tensor.zeros(2, 3, 4)));
    Tensor i = Tensor.vector(1, 2);
    e = assertThrows(IllegalArgumentException.class, () -> i.addi(Tensor.ones(2)));
    assertEquals(
        "addi: cannot store a float32 operand into an int32 tensor in place", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> i.divi(i));
    i.addi(Tensor.vector(3, 4)).muli(2);
    assertArrayEquals(new int[] {8, 12}, i.toIntArray());
    Tensor b = Tensor.zeros(3).broadcastTo(2, 3);
    e = assertThrows(IllegalArgumentException.class, () -> b.addi(1));
    assertEquals(
        "addi: cannot write in place into a broadcast view of shape (2, 3) (axis 0 repeats one"
            + " element); copy() it first",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.fill(1));
    assertThrows(IllegalArgumentException.class, () -> b.maskedFilli(Tensor.ones(3), 1));
    Tensor c = b.copy().addi(1);
    assertEquals(6.0, c.sum().item());
  }

  @Test
  void broadcastErrorNamesOpAndShapes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(3, 4).add(Tensor.zeros(5)));
    assertEquals(
        "add: operands could not be broadcast together with shapes (3, 4) (5,)", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Tensor.where(Tensor.zeros(2, 3), Tensor.zeros(3), Tensor.zeros(4)));
    assertEquals(
        "where: operands could not be broadcast together with shapes (2, 3) (3,) (4,)",
        e.getMessage());
  }

  @Test
  void typicalTrainingShapesUseTheFastPaths() {
    // (N, D) + (D,), (N, D) - (N, 1), (N, D) / scalar: results checked against the reference.
    Random r = new Random(1);
    for (DType dt : Gen.FLOATS) {
      Tensor x = Gen.tensor(r, dt, new int[] {7, 33}, Gen.Layout.CONTIGUOUS, false);
      Tensor bias = Gen.tensor(r, dt, new int[] {33}, Gen.Layout.CONTIGUOUS, false);
      Tensor rowMax = x.max(1, true);
      Ref.assertSame(
          Ref.binary(x, bias, (a, b) -> dt == DType.FLOAT32 ? (float) (a + b) : a + b, dt),
          x.add(bias),
          "bias");
      Ref.assertSame(Ref.binary(x, rowMax, (a, b) -> a - b, dt), x.sub(rowMax), "shift");
      Ref.assertSame(Ref.binary(bias, x, (a, b) -> a - b, dt), bias.sub(x), "left broadcast");
    }
  }
}
