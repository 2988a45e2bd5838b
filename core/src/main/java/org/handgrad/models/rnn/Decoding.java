package org.handgrad.models.rnn;

/**
 * How to turn next-token scores into a caption: the closed family of decoding methods that {@link
 * Decoders#decode} runs.
 *
 * <ul>
 *   <li>{@link Greedy}: the most likely word at every step (CS231n's {@code sample}).
 *   <li>{@link Beam}: beam search over summed log-probabilities, with optional length
 *       normalisation.
 *   <li>{@link Sampling}: a random word from the softmax at temperature τ, optionally restricted to
 *       the k most likely words (top-k, Fan et al. 2018) and/or to the smallest set whose
 *       probability reaches p (nucleus / top-p, Holtzman et al. 2020). Needs an explicit {@link
 *       org.handgrad.tensor.Rng}.
 * </ul>
 */
public sealed interface Decoding permits Decoding.Greedy, Decoding.Beam, Decoding.Sampling {

  /** A short name for logs and the command line: "greedy", "beam", "sample". */
  String name();

  /** Argmax at every step. */
  record Greedy() implements Decoding {
    @Override
    public String name() {
      return "greedy";
    }
  }

  /**
   * Beam search.
   *
   * <p>Every hypothesis is scored by the sum of its words' log-probabilities. At each step every
   * live hypothesis is extended by each word, and the {@code width} best extensions survive; an
   * extension that ends in {@code <END>} leaves the beam and joins the finished hypotheses. Search
   * stops when {@code width} hypotheses have finished or after {@code maxLength} words; the result
   * is the best of the finished ones and of those still live at the length limit, ranked by {@code
   * logP / length^lengthPenalty} where length counts the words including {@code <END>}.
   *
   * <p>With {@code lengthPenalty = 0} the ranking is the raw log-probability, which favours short
   * captions (every word multiplies in a probability below 1); 1 ranks by the mean log-probability
   * per word. (Wu et al. 2016, GNMT, use {@code ((5 + length) / 6)^alpha}; the plain power is the
   * simpler common variant.) Width 1 is greedy decoding exactly.
   *
   * @param width beam width, &gt;= 1
   * @param lengthPenalty exponent alpha of the length normalisation, in [0, 2]
   */
  record Beam(int width, double lengthPenalty) implements Decoding {
    /** Validates the width and the exponent. */
    public Beam {
      if (width < 1) {
        throw new IllegalArgumentException("Beam: width must be >= 1, got " + width);
      }
      if (!(lengthPenalty >= 0 && lengthPenalty <= 2)) {
        throw new IllegalArgumentException(
            "Beam: lengthPenalty must be in [0, 2], got " + lengthPenalty);
      }
    }

    /** Beam search ranked by raw log-probability. */
    public Beam(int width) {
      this(width, 0);
    }

    @Override
    public String name() {
      return "beam";
    }
  }

  /**
   * Stochastic sampling: scores divided by the temperature, softmax, then the top-k filter, then
   * the top-p filter (each renormalising), then one draw (see {@link TokenSampler}).
   *
   * @param temperature τ &gt;= 0: below 1 sharpens, above 1 flattens; 0 is the limit τ → 0, the
   *     argmax (greedy)
   * @param topK keep only the k most likely words; 0 disables the filter
   * @param topP keep the smallest set of most likely words whose probability is at least p, in (0,
   *     1]; 1 disables the filter
   */
  record Sampling(double temperature, int topK, double topP) implements Decoding {
    /** Validates the ranges. */
    public Sampling {
      if (!(temperature >= 0) || Double.isInfinite(temperature)) {
        throw new IllegalArgumentException(
            "Sampling: temperature must be finite and >= 0, got " + temperature);
      }
      if (topK < 0) {
        throw new IllegalArgumentException("Sampling: topK must be >= 0 (0 = off), got " + topK);
      }
      if (!(topP > 0 && topP <= 1)) {
        throw new IllegalArgumentException(
            "Sampling: topP must be in (0, 1] (1 = off), got " + topP);
      }
    }

    /** Plain sampling from the softmax at temperature τ. */
    public static Sampling temperature(double temperature) {
      return new Sampling(temperature, 0, 1);
    }

    /** Top-k sampling at temperature 1. */
    public static Sampling topK(int k) {
      return new Sampling(1, k, 1);
    }

    /** Nucleus (top-p) sampling at temperature 1. */
    public static Sampling topP(double p) {
      return new Sampling(1, 0, p);
    }

    @Override
    public String name() {
      return "sample";
    }
  }
}
