package org.handgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class UnaryTest {
  static DoubleUnaryOperator reference(UnaryOp op) {
    return switch (op) {
      case NEG -> x -> -x;
      case EXP -> Math::exp;
      case LOG -> Math::log;
      case SQRT -> Math::sqrt;
      case SQUARE -> x -> x * x;
      case TANH -> Math::tanh;
      case SIGMOID -> x -> 1 / (1 + Math.exp(-x));
      case RELU -> x -> Double.isNaN(x) ? x : x > 0 ? x : 0;
      case ABS -> x -> x < 0 ? -x : x;
      case SIGN -> x -> x > 0 ? 1 : x < 0 ? -1 : x;
      case ERF -> SpecialFunctions::erf; // checked against a high-precision series separately
    };
  }

  private static Tensor call(UnaryOp op, Tensor x) {
    return switch (op) {
      case NEG -> x.neg();
      case EXP -> x.exp();
      case LOG -> x.log();
      case SQRT -> x.sqrt();
      case SQUARE -> x.square();
      case TANH -> x.tanh();
      case SIGMOID -> x.sigmoid();
      case RELU -> x.relu();
      case ABS -> x.abs();
      case SIGN -> x.sign();
      case ERF -> x.erf();
    };
  }

  @Property(tries = 300)
  void unaryOpsMatchReference(@ForAll long seed) {
    Random r = new Random(seed);
    UnaryOp op = UnaryOp.values()[r.nextInt(UnaryOp.values().length)];
    DType dt = Gen.pick(r, Gen.ALL);
    Tensor x = Gen.tensor(r, dt, Gen.shape(r, 4), true);
    DType out = dt.isFloating() ? dt : op.keepsInt ? DType.INT32 : DType.FLOAT64;
    Tensor expected = Ref.unary(x, reference(op), out);
    // sigmoid's reference formula differs from the stable one in the last bits for x << 0.
    double rtol = op == UnaryOp.SIGMOID ? 1e-15 : 0;
    Ref.assertClose(expected, call(op, x), rtol, 0, "seed " + seed + " " + op);
  }

  @Property(tries = 100)
  void clipMatchesReference(@ForAll long seed) {
    Random r = new Random(seed);
    DType dt = Gen.pick(r, Gen.ALL);
    Tensor x = Gen.tensor(r, dt, Gen.shape(r, 4), true);
    double lo = r.nextInt(5) - 3;
    double hi = lo + r.nextInt(4);
    Tensor expected = Ref.unary(x, v -> Double.isNaN(v) ? v : v < lo ? lo : v > hi ? hi : v, dt);
    Ref.assertSame(expected, x.clip(lo, hi), "seed " + seed);
  }

  @Test
  void sigmoidIsStableAtTheExtremes() {
    Tensor x = Tensor.vector(-1000.0, -745.0, -30.0, 0.0, 30.0, 1000.0);
    double[] s = x.sigmoid().toDoubleArray();
    assertEquals(0.0, s[0]);
    assertEquals(Math.exp(-745.0), s[1], 1e-320);
    assertEquals(Math.exp(-30.0) / (1 + Math.exp(-30.0)), s[2], 1e-28);
    assertEquals(0.5, s[3]);
    assertEquals(1.0, s[4], 1e-13);
    assertEquals(1.0, s[5]);
    float[] f = Tensor.vector(-1000f, 1000f).sigmoid().toFloatArray();
    assertArrayEquals(new float[] {0f, 1f}, f);
  }

  @Test
  void intTypes() {
    Tensor i = Tensor.vector(-2, 0, 3);
    assertEquals(DType.INT32, i.neg().dtype());
    assertEquals(DType.INT32, i.relu().dtype());
    assertArrayEquals(new int[] {0, 0, 3}, i.relu().toIntArray());
    assertEquals(DType.FLOAT64, i.exp().dtype());
    assertArrayEquals(new int[] {-1, 0, 2}, i.clip(-1, 2).toIntArray());
    assertThrows(IllegalArgumentException.class, () -> i.clip(2, 1));
  }
}
