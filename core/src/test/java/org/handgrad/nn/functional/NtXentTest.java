package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.nn.GradCheck;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NtXentTest {
  private static Map<String, Tensor> fixture;

  private static synchronized Tensor fx(String key) {
    if (fixture == null) {
      fixture = Fixtures.load("ntxent");
    }
    return Fixtures.get(fixture, key);
  }

  @Test
  void naiveAndVectorizedAgreeWithThePairTo1e10() {
    SplittableRandom rng = new SplittableRandom(3);
    for (double tau : new double[] {0.05, 0.5, 2.0}) {
      Tensor left = TestData.randn(rng, 5, 7);
      Tensor right = TestData.randn(rng, 5, 7);
      double naive = NtXent.simclrLossNaive(left, right, tau);
      double vectorized = NtXent.simclrLossVectorized(left, right, tau);
      double pair = NtXent.ntXentForward(Tensor.concatenate(0, left, right), tau).out().item();
      assertEquals(naive, vectorized, 1e-10 * Math.max(1, Math.abs(naive)), "tau " + tau);
      assertEquals(naive, pair, 1e-10 * Math.max(1, Math.abs(naive)), "tau " + tau);
    }
  }

  @Test
  void simIsTheCosineAndTheMatrixMatchesIt() {
    Tensor a = Tensor.vector(3.0, 4.0);
    Tensor b = Tensor.vector(4.0, 3.0);
    assertEquals(24.0 / 25.0, NtXent.sim(a, b), 1e-15);
    Tensor out = TestData.randn(new SplittableRandom(9), 6, 4);
    Tensor s = NtXent.computeSimMatrix(out);
    for (int i = 0; i < 6; i++) {
      for (int j = 0; j < 6; j++) {
        assertEquals(NtXent.sim(out.select(0, i), out.select(0, j)), s.get(i, j), 1e-14);
      }
    }
    Tensor pos = NtXent.simPositivePairs(out.slice(0, 0, 3), out.slice(0, 3, 6));
    for (int k = 0; k < 3; k++) {
      assertEquals(s.get(k, k + 3), pos.get(k, 0), 1e-14);
    }
  }

  @Test
  void perfectlyAlignedDistinctPairsGiveTheKnownLoss() {
    // Two images, views identical, the two images orthogonal: s_ip = 1/tau, the two other
    // similarities are 0, so l = -1/tau + log(exp(1/tau) + 2) for every anchor.
    Tensor z = Tensor.of(new double[] {1, 0, 0, 1, 2, 0, 0, 3}, 4, 2);
    double tau = 0.5;
    double expected = -1 / tau + Math.log(Math.exp(1 / tau) + 2);
    assertEquals(expected, NtXent.ntXentForward(z, tau).out().item(), 1e-14);
  }

  @ParameterizedTest
  @CsvSource({"0.5, 4, 3", "0.1, 6, 5", "2.0, 2, 1"})
  void passesTheFloat64GradientCheck(double tau, int rows, int d) {
    SplittableRandom rng = new SplittableRandom(rows * 31L + d);
    Tensor z = TestData.randn(rng, rows, d);
    Tensor dz = NtXent.ntXentBackward(1.0, NtXent.ntXentForward(z, tau).cache());
    Tensor num =
        GradCheck.evalNumericalGradient(
            t -> NtXent.ntXentForward(t, tau).out().item(), z, GradCheck.DEFAULT_H);
    double err = GradCheck.relError(num, dz);
    assertTrue(err < 1e-7, "rel error " + err);
    // The upstream gradient scales dz.
    Tensor dz3 = NtXent.ntXentBackward(3.0, NtXent.ntXentForward(z, tau).cache());
    Golden.assertClose("3 dz", dz3, dz.mul(3.0), 1e-14);
  }

  @ParameterizedTest
  @CsvSource({"a, FLOAT64, 1e-12", "a, FLOAT32, 1e-5", "b, FLOAT64, 1e-12", "b, FLOAT32, 1e-5"})
  void matchesPyTorch(String name, DType dt, double tol) {
    String sfx = dt == DType.FLOAT64 ? "64" : "32";
    Tensor z = fx("z_" + name + sfx);
    assertEquals(dt, z.dtype());
    double tau = fx("tau_" + name).item();
    Forward<NtXent.Cache> f = NtXent.ntXentForward(z, tau);
    assertEquals(dt, f.out().dtype());
    Golden.assertClose("loss", f.out().item(), fx("loss_" + name + sfx).item(), tol);
    Tensor dz = NtXent.ntXentBackward(1.0, f.cache());
    assertEquals(dt, dz.dtype());
    Golden.assertClose("dz", dz.to(DType.FLOAT64), fx("dz_" + name + sfx).to(DType.FLOAT64), tol);
  }

  @Test
  void badInputGetsAClearError() {
    Tensor odd = Tensor.zeros(DType.FLOAT64, 3, 4);
    TestData.assertMessage(
        "ntXent: expected an even number >= 2 of rows (two views per image, rows k and k + N),"
            + " got 3 in (3, 4)",
        () -> NtXent.ntXentForward(odd, 0.5));
    Tensor single = Tensor.ones(DType.FLOAT64, 1, 4);
    TestData.assertMessage(
        "ntXent: expected an even number >= 2 of rows (two views per image, rows k and k + N),"
            + " got 1 in (1, 4)",
        () -> NtXent.ntXentForward(single, 0.5));
    Tensor z = Tensor.ones(DType.FLOAT64, 4, 4);
    TestData.assertMessage(
        "ntXent: temperature must be positive and finite, got 0.0",
        () -> NtXent.ntXentForward(z, 0.0));
    TestData.assertMessage(
        "ntXent: temperature must be positive and finite, got -0.1",
        () -> NtXent.ntXentForward(z, -0.1));
    TestData.assertMessage(
        "ntXent: temperature must be positive and finite, got NaN",
        () -> NtXent.ntXentForward(z, Double.NaN));
    TestData.assertMessage(
        "ntXent: expected z (2N, D) with the two views of image k at rows k and k + N, got (8,)",
        () -> NtXent.ntXentForward(Tensor.zeros(DType.FLOAT64, 8), 0.5));
    TestData.assertMessage(
        "simclrLossNaive: expected out_left and out_right (N, D) of the same shape, got (2, 3)"
            + " and (3, 3)",
        () ->
            NtXent.simclrLossNaive(
                Tensor.zeros(DType.FLOAT64, 2, 3), Tensor.zeros(DType.FLOAT64, 3, 3), 0.5));
    TestData.assertMessage(
        "simclrLossVectorized: temperature must be positive and finite, got 0.0",
        () -> NtXent.simclrLossVectorized(z.slice(0, 0, 2), z.slice(0, 2, 4), 0.0));
  }
}
