package org.handgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Statistical checks use bounds of 5 standard errors (or a chi-square quantile with p ~ 1e-6), so a
 * correct generator fails them with negligible probability; the seeds are fixed, so the outcome is
 * deterministic anyway.
 */
class RngTest {
  private static final int N = 1_000_000;

  @Test
  void xoshiro256StarStarMatchesThePublishedVector() {
    Rng r = Rng.fromState(new long[] {1, 2, 3, 4});
    String[] expected = {
      "11520",
      "0",
      "1509978240",
      "1215971899390074240",
      "1216172134540287360",
      "607988272756665600",
      "16172922978634559625",
      "8476171486693032832",
      "10595114339597558777",
      "2904607092377533576"
    };
    for (String e : expected) {
      assertEquals(Long.parseUnsignedLong(e), r.nextLong());
    }
  }

  @Test
  void splitMix64MatchesSplittableRandom() {
    for (long seed : new long[] {0, 1, -7, 0x123456789abcdefL}) {
      SplittableRandom jdk = new SplittableRandom(seed);
      long[] x = {seed};
      for (int i = 0; i < 5; i++) {
        assertEquals(jdk.nextLong(), Rng.splitMix64(x));
      }
    }
    assertEquals(0xE220A8397B1DCDAFL, Rng.splitMix64(new long[] {0}));
  }

  @Test
  void sameSeedSameStreamDifferentSeedDifferentStream() {
    Tensor a = new Rng(42).randn(DType.FLOAT64, 5, 7);
    Tensor b = new Rng(42).randn(DType.FLOAT64, 5, 7);
    Tensor c = new Rng(43).randn(DType.FLOAT64, 5, 7);
    assertArrayEquals(a.toDoubleArray(), b.toDoubleArray());
    assertFalse(Arrays.equals(a.toDoubleArray(), c.toDoubleArray()));
  }

  @Test
  void savedStateContinuesTheSameStream() {
    Rng r = new Rng(7);
    r.randn(3, 3);
    r.nextInt(0, 10);
    long[] state = r.getState();
    double[] first = r.uniform(DType.FLOAT64, -1, 1, 100).toDoubleArray();
    int[] perm = r.permutation(20);
    Rng restored = Rng.fromState(state);
    assertArrayEquals(first, restored.uniform(DType.FLOAT64, -1, 1, 100).toDoubleArray());
    assertArrayEquals(perm, restored.permutation(20));
    r.setState(state);
    assertArrayEquals(first, r.uniform(DType.FLOAT64, -1, 1, 100).toDoubleArray());
    state[0] = 99; // getState returned a copy
    assertNotEquals(99L, r.getState()[0]);
  }

  @Test
  void splitGivesDeterministicIndependentStreams() {
    Rng parent = new Rng(1);
    Rng child = parent.split();
    Rng parent2 = new Rng(1);
    Rng child2 = parent2.split();
    assertEquals(child.nextLong(), child2.nextLong());
    assertEquals(parent.nextLong(), parent2.nextLong());
    // Child and parent streams are uncorrelated: correlation of 10^5 uniforms within 5 sigma.
    int n = 100_000;
    double sxy = 0;
    for (int i = 0; i < n; i++) {
      sxy += (parent.nextDouble() - 0.5) * (child.nextDouble() - 0.5);
    }
    double corr = sxy / n * 12;
    assertTrue(Math.abs(corr) < 5 / Math.sqrt(n), "correlation " + corr);
    assertNotEquals(parent.fork().nextLong(), parent.fork().nextLong());
  }

  @Test
  void uniformMomentsAndRange() {
    Tensor u = new Rng(2).uniform(DType.FLOAT64, 0, 1, N);
    double mean = u.mean().item();
    double var = u.var().item();
    assertEquals(0.5, mean, 5 * Math.sqrt(1.0 / 12 / N));
    assertEquals(1.0 / 12, var, 5 * Math.sqrt((1.0 / 80 - 1.0 / 144) / N));
    assertTrue(u.min().item() >= 0 && u.max().item() < 1);
    Tensor f = new Rng(3).uniform(DType.FLOAT32, 1, 1.0000001, 1000);
    assertTrue(f.max().item() < (float) 1.0000001, "float32 uniform never returns hi");
    assertTrue(new Rng(4).rand(1000).max().item() < 1);
  }

  @Test
  void normalMomentsAndTails() {
    Tensor z = new Rng(5).randn(DType.FLOAT64, N);
    assertEquals(0, z.mean().item(), 5 / Math.sqrt(N));
    assertEquals(1, z.var().item(), 5 * Math.sqrt(2.0 / N));
    double tail = z.abs().gt(1.959963984540054).mean().item();
    assertEquals(0.05, tail, 5 * Math.sqrt(0.05 * 0.95 / N));
    Tensor g = new Rng(6).normal(DType.FLOAT32, 3, 2, 1000, 100);
    assertEquals(DType.FLOAT32, g.dtype());
    assertEquals(3, g.mean().item(), 5 * 2 / Math.sqrt(100_000));
    assertEquals(2, g.std().item(), 5 * 2 * Math.sqrt(0.5 / 100_000));
    Rng r = new Rng(8);
    double s = 0;
    for (int i = 0; i < 100_000; i++) {
      s += r.nextGaussian();
    }
    assertEquals(0, s / 100_000, 5 / Math.sqrt(100_000));
  }

  @Test
  void integersAreUniformByChiSquare() {
    int n = 100_000;
    int k = 10;
    Tensor t = new Rng(9).integers(-3, 7, n);
    assertEquals(DType.INT32, t.dtype());
    int[] counts = new int[k];
    for (int v : t.toIntArray()) {
      counts[v + 3]++;
    }
    double chi2 = 0;
    for (int c : counts) {
      chi2 += (c - n / (double) k) * (c - n / (double) k) / (n / (double) k);
    }
    assertTrue(chi2 < 40, "chi-square with 9 dof: " + chi2); // P(chi2_9 > 40) ~ 7e-6
    Rng r = new Rng(10);
    for (int i = 0; i < 1000; i++) {
      int v = r.nextInt(Integer.MIN_VALUE, Integer.MAX_VALUE);
      assertTrue(v < Integer.MAX_VALUE);
    }
  }

  @Test
  void bernoulliProportion() {
    Tensor m = new Rng(11).bernoulli(DType.FLOAT32, 0.3, N);
    assertEquals(0.3, m.mean().item(), 5 * Math.sqrt(0.21 / N));
    assertEquals(0.0, new Rng(12).bernoulli(DType.FLOAT32, 0, 100).sum().item());
    assertEquals(100.0, new Rng(12).bernoulli(DType.FLOAT32, 1, 100).sum().item());
  }

  @Test
  void permutationAndChoice() {
    Rng r = new Rng(13);
    int[] p = r.permutation(1000);
    int[] sorted = p.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < 1000; i++) {
      assertEquals(i, sorted[i]);
    }
    for (int trial = 0; trial < 100; trial++) {
      int[] c = r.choice(50, 50, false);
      assertEquals(50, Arrays.stream(c).distinct().count());
      int[] d = r.choice(50, 10, false, uniform(50));
      assertEquals(10, Arrays.stream(d).distinct().count());
    }
    assertEquals(0, r.choice(0, 0, false).length);
    // Position 0 of a permutation is uniform.
    int[] first = new int[10];
    for (int i = 0; i < 50_000; i++) {
      first[r.permutation(10)[0]]++;
    }
    for (int f : first) {
      assertEquals(5000, f, 5 * Math.sqrt(50_000 * 0.1 * 0.9));
    }
  }

  private static double[] uniform(int n) {
    double[] p = new double[n];
    Arrays.fill(p, 1.0 / n);
    return p;
  }

  @Test
  void weightedChoiceFollowsProbabilities() {
    Rng r = new Rng(14);
    double[] p = {0.5, 0.0, 0.3, 0.2};
    int n = 100_000;
    int[] counts = new int[4];
    for (int v : r.choice(4, n, true, p)) {
      counts[v]++;
    }
    for (int i = 0; i < 4; i++) {
      assertEquals(n * p[i], counts[i], 5 * Math.sqrt(n * p[i] * (1 - p[i])) + 1e-9);
    }
    // Without replacement: the first draw follows p, the rest are distinct and never p = 0.
    int[] firsts = new int[4];
    int secondIsTwo = 0;
    int trials = 40_000;
    for (int t = 0; t < trials; t++) {
      int[] c = r.choice(4, 3, false, p);
      assertEquals(3, Arrays.stream(c).distinct().count());
      assertTrue(Arrays.stream(c).noneMatch(v -> v == 1));
      firsts[c[0]]++;
      secondIsTwo += c[1] == 2 ? 1 : 0;
    }
    for (int i = 0; i < 4; i++) {
      assertEquals(trials * p[i], firsts[i], 5 * Math.sqrt(trials * p[i] * (1 - p[i])) + 1e-9);
    }
    // The second draw renormalises over what is left: 0.5 * 0.3/0.5 + 0.2 * 0.3/0.8 = 0.375.
    assertEquals(trials * 0.375, secondIsTwo, 5 * Math.sqrt(trials * 0.375 * 0.625));
  }

  @Test
  void errors() {
    Rng r = new Rng(0);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> r.setState(new long[3]));
    assertEquals("setState: expected 4 longs, got 3", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> r.setState(new long[4]));
    e = assertThrows(IllegalArgumentException.class, () -> r.choice(5, 6, false));
    assertTrue(e.getMessage().startsWith("choice: cannot draw 6 distinct values"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> r.choice(2, 1, true, new double[] {0.5, 0.6}));
    assertTrue(e.getMessage().startsWith("choice: probabilities sum to"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> r.choice(2, 1, true, new double[] {1}));
    assertThrows(IllegalArgumentException.class, () -> r.integers(3, 3, 2));
    assertThrows(IllegalArgumentException.class, () -> r.nextInt(1, 0));
    assertThrows(IllegalArgumentException.class, () -> r.bernoulli(DType.FLOAT32, 1.5, 2));
    assertThrows(IllegalArgumentException.class, () -> r.randn(DType.INT32, 2));
    assertThrows(IllegalArgumentException.class, () -> r.uniform(DType.FLOAT32, 1, 0, 2));
    assertThrows(IllegalArgumentException.class, () -> r.permutation(-1));
  }
}
