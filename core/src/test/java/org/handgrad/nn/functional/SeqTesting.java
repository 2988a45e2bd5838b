package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.function.Executable;

/** Shared helpers of the sequence-layer tests: the rnn.npz fixture, comparisons, slicing. */
final class SeqTesting {
  private SeqTesting() {}

  private static Map<String, Tensor> fixture;

  /** fixtures/rnn.npz, loaded once. */
  static synchronized Map<String, Tensor> rnnFixture() {
    if (fixture == null) {
      fixture = Fixtures.load("rnn");
    }
    return fixture;
  }

  /** Input {@code <c>_<name>} (stored float64) in the given dtype; int arrays stay int32. */
  static Tensor input(String c, String name, DType dtype) {
    Tensor t = Fixtures.get(rnnFixture(), c + "_" + name);
    return t.dtype() == DType.INT32 ? t : t.to(dtype);
  }

  /** PyTorch result {@code <c>_<f64|f32>_<name>}. */
  static Tensor expected(String c, DType dtype, String name) {
    String dt = dtype == DType.FLOAT64 ? "f64" : "f32";
    return Fixtures.get(rnnFixture(), c + "_" + dt + "_" + name);
  }

  static DType dtype(String dt) {
    return switch (dt) {
      case "f64" -> DType.FLOAT64;
      case "f32" -> DType.FLOAT32;
      default -> throw new IllegalArgumentException(dt);
    };
  }

  /**
   * Asserts same dtype and shape and {@link Golden#relDiff} (max |a - b| / max |b|, honest for
   * near-zero entries) below tol.
   */
  static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
    Golden.assertClose(what, actual, expected, tol);
  }

  /** Asserts same dtype, shape and exactly equal values. */
  static void assertExact(Tensor expected, Tensor actual, String what) {
    assertEquals(expected.dtype(), actual.dtype(), what + " dtype");
    assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
    assertArrayEquals(expected.toDoubleArray(), actual.toDoubleArray(), 0.0, what);
  }

  /** Tolerance for golden comparisons: 1e-10 at float64, 1e-5 at float32. */
  static double tol(DType dtype) {
    return dtype == DType.FLOAT64 ? 1e-10 : 1e-5;
  }

  /** A tensor of N(0, scale^2) values in the given dtype. */
  static Tensor randn(Random r, DType dtype, double scale, int... shape) {
    Tensor t = Tensor.zeros(dtype, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, scale * r.nextGaussian());
    }
    return t;
  }

  /** Timestep t of a (N, T, K) tensor, as a new (N, K) tensor. */
  static Tensor step(Tensor seq, int t) {
    int n = seq.shape(0);
    int k = seq.shape(2);
    Tensor out = Tensor.zeros(seq.dtype(), n, k);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < k; j++) {
        out.set(seq.get(i, t, j), i, j);
      }
    }
    return out;
  }

  /** Writes an (N, K) tensor into timestep t of a (N, T, K) tensor. */
  static void setStep(Tensor seq, int t, Tensor value) {
    for (int i = 0; i < value.shape(0); i++) {
      for (int j = 0; j < value.shape(1); j++) {
        seq.set(value.get(i, j), i, t, j);
      }
    }
  }

  /** a + b elementwise, as a new tensor. */
  static Tensor add(Tensor a, Tensor b) {
    Tensor out = a.copy();
    for (int i = 0; i < out.size(); i++) {
      out.setFlat(i, a.getFlat(i) + b.getFlat(i));
    }
    return out;
  }

  /** Timesteps [from, to) of a (N, T, K) tensor, as a new tensor. */
  static Tensor steps(Tensor seq, int from, int to) {
    int n = seq.shape(0);
    int k = seq.shape(2);
    Tensor out = Tensor.zeros(seq.dtype(), n, to - from, k);
    for (int t = from; t < to; t++) {
      setStep(out, t - from, step(seq, t));
    }
    return out;
  }

  /** Asserts that the call throws IllegalArgumentException whose message contains every part. */
  static void assertRejects(Executable call, String... parts) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
    }
  }
}
