package org.handgrad.models.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.tensor.Rng;
import org.junit.jupiter.api.Test;

/** The filtered next-word distribution (temperature, top-k, top-p) and the draw from it. */
class TokenSamplerTest {
  private static final double[] P = {0.1, 0.5, 0.15, 0.25};

  private static double[] logs(double[] p) {
    double[] s = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      s[i] = Math.log(p[i]) + 3; // any shift: softmax is shift-invariant
    }
    return s;
  }

  private static void assertDist(double[] expected, double[] actual) {
    assertArrayEquals(expected, actual, 1e-12);
  }

  @Test
  void noFilterIsTheSoftmax() {
    assertDist(P, TokenSampler.distribution(logs(P), 1, 0, 1));
  }

  @Test
  void topPKeepsTheShortestMostLikelyPrefixReachingP() {
    // Ranked: 1 (0.5), 3 (0.25), 2 (0.15), 0 (0.1); prefix masses 0.5, 0.75, 0.9, 1.0.
    double[] s = logs(P);
    assertDist(new double[] {0, 1, 0, 0}, TokenSampler.distribution(s, 1, 0, 0.5));
    assertDist(new double[] {0, 2 / 3.0, 0, 1 / 3.0}, TokenSampler.distribution(s, 1, 0, 0.51));
    assertDist(new double[] {0, 2 / 3.0, 0, 1 / 3.0}, TokenSampler.distribution(s, 1, 0, 0.7));
    // Exactly on a boundary (0.5 + 0.25 = 0.75): that prefix is enough.
    assertDist(new double[] {0, 2 / 3.0, 0, 1 / 3.0}, TokenSampler.distribution(s, 1, 0, 0.75));
    assertDist(
        new double[] {0, 0.5 / 0.9, 0.15 / 0.9, 0.25 / 0.9},
        TokenSampler.distribution(s, 1, 0, 0.76));
    assertDist(P, TokenSampler.distribution(s, 1, 0, 1));
  }

  @Test
  void topKKeepsTheKMostLikelyAndTopPThenActsOnTheRenormalisedRest() {
    double[] s = logs(P);
    assertDist(new double[] {0, 1, 0, 0}, TokenSampler.distribution(s, 1, 1, 1));
    assertDist(new double[] {0, 2 / 3.0, 0, 1 / 3.0}, TokenSampler.distribution(s, 1, 2, 1));
    assertDist(P, TokenSampler.distribution(s, 1, 4, 1));
    assertDist(P, TokenSampler.distribution(s, 1, 9, 1));
    // After top-2 the masses are 2/3 and 1/3: p = 0.6 keeps only the first.
    assertDist(new double[] {0, 1, 0, 0}, TokenSampler.distribution(s, 1, 2, 0.6));
  }

  @Test
  void tiesAtTheTopKBoundaryKeepTheLowerIds() {
    double[] s = {1, 2, 2, 2};
    assertDist(new double[] {0, 0.5, 0.5, 0}, TokenSampler.distribution(s, 1, 2, 1));
  }

  @Test
  void temperatureSharpensOrFlattens() {
    double[] s = {0, 1, 2};
    double z = 1 + Math.exp(0.5) + Math.exp(1);
    assertDist(
        new double[] {1 / z, Math.exp(0.5) / z, Math.exp(1) / z},
        TokenSampler.distribution(s, 2, 0, 1));
    assertDist(new double[] {0, 0, 1}, TokenSampler.distribution(s, 0, 0, 1));
    assertDist(new double[] {0, 0, 1}, TokenSampler.distribution(s, 1e-3, 0, 1));
    // Huge scores do not overflow (max subtraction).
    double[] big = TokenSampler.distribution(new double[] {1000, 999}, 0.5, 0, 1);
    assertEquals(1 / (1 + Math.exp(-2)), big[0], 1e-15);
  }

  @Test
  void drawsFollowTheDistribution() {
    Rng rng = new Rng(12);
    int n = 40_000;
    int[] counts = new int[P.length];
    for (int i = 0; i < n; i++) {
      counts[TokenSampler.draw(P, rng)]++;
    }
    for (int j = 0; j < P.length; j++) {
      double sd = Math.sqrt(n * P[j] * (1 - P[j]));
      assertTrue(Math.abs(counts[j] - n * P[j]) < 4 * sd, j + ": " + counts[j]);
    }
    // Zero-probability words are never drawn.
    double[] q = {0, 0.3, 0, 0.7};
    for (int i = 0; i < 1000; i++) {
      int w = TokenSampler.draw(q, rng);
      assertTrue(w == 1 || w == 3);
    }
    assertThrows(IllegalArgumentException.class, () -> TokenSampler.draw(new double[3], rng));
  }

  @Test
  void argmaxTakesTheFirstMaximum() {
    assertEquals(1, TokenSampler.argmax(new double[] {0, 3, 3, 1}));
  }
}
