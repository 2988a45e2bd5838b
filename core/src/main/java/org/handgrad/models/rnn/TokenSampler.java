package org.handgrad.models.rnn;

import java.util.Arrays;
import java.util.Objects;
import org.handgrad.tensor.Rng;

/**
 * The next-token distribution of stochastic decoding and the draw from it, on one row of scores.
 *
 * <p>Order of operations (that of Hugging Face's {@code generate}, which most readers will compare
 * with): temperature, softmax, top-k, renormalise, top-p, renormalise, draw. The filters rank words
 * by probability; equal probabilities are ranked by lower word id, so a filter keeps exactly k
 * words (top-k) or the shortest prefix of that ranking (top-p), never a random subset.
 */
public final class TokenSampler {
  private TokenSampler() {}

  /**
   * Slack on the nucleus threshold: the prefix stops once its mass reaches {@code topP - 1e-12}, so
   * that a boundary that lies exactly on p in exact arithmetic (probabilities 0.5, 0.3, 0.2 and p =
   * 0.8) is not pushed one word further by rounding in the running sum.
   */
  static final double TOP_P_SLACK = 1e-12;

  /**
   * The filtered distribution over the vocabulary.
   *
   * @param scores unnormalised log-probabilities of one row, length V; not modified
   * @param temperature τ &gt;= 0; 0 puts all mass on the first maximum (the limit τ → 0)
   * @param topK keep the k most likely words (0 = all)
   * @param topP keep the shortest most-likely-first prefix with mass &gt;= p (1 = all)
   * @return probabilities, length V, summing to 1, zero outside the kept set
   */
  public static double[] distribution(double[] scores, double temperature, int topK, double topP) {
    Objects.requireNonNull(scores, "scores");
    new Decoding.Sampling(temperature, topK, topP); // validates the settings
    int v = scores.length;
    double[] p = new double[v];
    if (temperature == 0) {
      p[argmax(scores)] = 1;
      return p;
    }
    // Softmax of scores / τ, shifted by the maximum so that exp cannot overflow.
    double max = scores[argmax(scores)];
    double sum = 0;
    for (int j = 0; j < v; j++) {
      p[j] = Math.exp((scores[j] - max) / temperature);
      sum += p[j];
    }
    scale(p, 1 / sum);
    Integer[] order = rankByProbability(p);
    if (topK > 0 && topK < v) {
      for (int r = topK; r < v; r++) {
        p[order[r]] = 0;
      }
      normalise(p);
    }
    if (topP < 1) {
      double mass = 0;
      int r = 0;
      while (r < v && mass < topP - TOP_P_SLACK) {
        mass += p[order[r]];
        r++;
      }
      for (; r < v; r++) {
        p[order[r]] = 0;
      }
      normalise(p);
    }
    return p;
  }

  /**
   * Draws a word from a distribution by inverse transform sampling with one {@code
   * rng.nextDouble()}.
   *
   * @param p probabilities, length V, non-negative, summing to about 1
   * @return a word id with p[id] &gt; 0
   */
  public static int draw(double[] p, Rng rng) {
    double u = rng.nextDouble();
    double cum = 0;
    int last = -1;
    for (int j = 0; j < p.length; j++) {
      if (p[j] > 0) {
        cum += p[j];
        last = j;
        if (u < cum) {
          return j;
        }
      }
    }
    if (last < 0) {
      throw new IllegalArgumentException("draw: the distribution has no positive entry");
    }
    return last; // u landed in the rounding gap between the sum and 1
  }

  /** Index of the first maximum (NaN-free input). */
  public static int argmax(double[] scores) {
    int best = 0;
    for (int j = 1; j < scores.length; j++) {
      if (scores[j] > scores[best]) {
        best = j;
      }
    }
    return best;
  }

  /** Word ids sorted by decreasing probability, ties by increasing id (a stable sort). */
  private static Integer[] rankByProbability(double[] p) {
    Integer[] order = new Integer[p.length];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
    return order;
  }

  private static void normalise(double[] p) {
    double sum = 0;
    for (double x : p) {
      sum += x;
    }
    scale(p, 1 / sum);
  }

  private static void scale(double[] p, double k) {
    for (int j = 0; j < p.length; j++) {
      p[j] *= k;
    }
  }
}
