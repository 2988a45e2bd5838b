package org.handgrad.models.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** The Frechet distance against numpy (fixtures/frechet.npz) and against hand-computed cases. */
class FrechetDistanceTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("frechet");

  private static void assertMatrix(Tensor expected, double[][] actual, double tol, String what) {
    int n = expected.shape(0);
    double[] e = expected.contiguous().toDoubleArray();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        assertEquals(e[i * n + j], actual[i][j], tol, what + " at " + i + "," + j);
      }
    }
  }

  @Test
  void gaussiansSquareRootAndDistanceMatchNumpy() {
    FrechetDistance.Gaussian a = FrechetDistance.fit(Fixtures.get(FIX, "fd_a"));
    FrechetDistance.Gaussian b = FrechetDistance.fit(Fixtures.get(FIX, "fd_b"));
    double[] ma = Fixtures.get(FIX, "fd_mean_a").toDoubleArray();
    for (int j = 0; j < ma.length; j++) {
      assertEquals(ma[j], a.mean()[j], 1e-13, "mean " + j);
    }
    assertMatrix(Fixtures.get(FIX, "fd_cov_a"), a.cov(), 1e-12, "cov a");
    assertMatrix(Fixtures.get(FIX, "fd_cov_b"), b.cov(), 1e-12, "cov b");
    assertMatrix(
        Fixtures.get(FIX, "fd_sqrt_cov_a"), FrechetDistance.sqrtPsd(a.cov()), 1e-12, "sqrt cov a");
    double expected = Fixtures.get(FIX, "fd_distance").item();
    assertEquals(expected, FrechetDistance.distance(a, b), 1e-10 * expected);
  }

  @Test
  void distanceOfASetToItselfIsZero() {
    Tensor x = new Rng(7).randn(DType.FLOAT64, 200, 16);
    double d = FrechetDistance.distance(x, x);
    // tr(S) ~ 16 here; the cancellation in tr + tr - 2 tr(sqrt) leaves rounding only
    assertEquals(0, d, 1e-10);
  }

  @Test
  void oneDimensionalGaussiansByHand() {
    // In 1-D, d^2 = (m1 - m2)^2 + (s1 - s2)^2 with s the standard deviations.
    // a = 1, 2, 3, 4: mean 2.5, variance (ddof 1) 5/3; b = 0, 10: mean 5, variance 50.
    Tensor a = Tensor.of(new double[] {1, 2, 3, 4}, 4, 1);
    Tensor b = Tensor.of(new double[] {0, 10}, 2, 1);
    double s1 = Math.sqrt(5.0 / 3.0);
    double s2 = Math.sqrt(50.0);
    double expected = 2.5 * 2.5 + (s1 - s2) * (s1 - s2);
    assertEquals(expected, FrechetDistance.distance(a, b), 1e-12);
    assertEquals(expected, FrechetDistance.distance(b, a), 1e-12); // symmetric
  }

  @Test
  void shiftingTheMeanAddsItsSquaredNorm() {
    Tensor x = new Rng(3).randn(DType.FLOAT64, 100, 5);
    Tensor y = x.add(Tensor.scalar(DType.FLOAT64, 2.0));
    // same covariance, means 2 apart in each of 5 dimensions: d^2 = 5 * 4
    assertEquals(20, FrechetDistance.distance(x, y), 1e-9);
  }

  @Test
  void badInputIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                FrechetDistance.distance(
                    Tensor.zeros(DType.FLOAT64, 5, 3), Tensor.zeros(DType.FLOAT64, 5, 4)));
    assertTrue(e.getMessage().contains("3 vs 4"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FrechetDistance.fit(Tensor.zeros(DType.FLOAT64, 1, 3)));
    assertTrue(e.getMessage().contains("at least 2 samples"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FrechetDistance.fit(Tensor.zeros(DType.FLOAT64, 4, 3, 2)));
    assertTrue(e.getMessage().contains("(N, D)"), e.getMessage());
  }
}
