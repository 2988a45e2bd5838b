package org.handgrad.models.rnn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * Greedy decoding, beam search and stochastic sampling over any {@link StepModel}.
 *
 * <p>Output convention, shared by every method: an int32 tensor (N, maxLength) whose row n holds
 * the generated words of caption n (not {@code <START>}), then {@code <END>} if the caption ended
 * before the length limit, then {@code <NULL>} padding, so {@code decodeCaptions} (which stops at
 * {@code <END>} and skips {@code <NULL>}) reads it directly. As in CS231n no word is forbidden: an
 * untrained model may emit {@code <NULL>} or {@code <START>} as words (a trained one gives them ~0
 * probability, since they are never targets); the row is still unambiguous, its caption being
 * everything up to its {@code <END>}, or all maxLength words when there is none. CS231n's {@code
 * sample} keeps generating after {@code <END>}; here a row stops at its {@code <END>} (finished
 * rows leave the batch, so later steps cost less).
 *
 * <p>Dimensions: N captions, D features, V vocabulary, R rows of the step batch (live captions or
 * live beam hypotheses).
 */
public final class Decoders {
  private Decoders() {}

  /**
   * Decodes one caption per feature row.
   *
   * @param model the decoder
   * @param features conditioning features, shape (N, D)
   * @param tokens special token ids of the model's vocabulary
   * @param decoding greedy, beam or sampling
   * @param maxLength words generated at most, &gt; 0
   * @param rng the randomness of {@link Decoding.Sampling}; ignored (may be null) otherwise
   * @return int32 captions, shape (N, maxLength)
   * @throws IllegalArgumentException for maxLength &lt;= 0, or sampling without an rng
   */
  public static Tensor decode(
      StepModel model,
      Tensor features,
      SpecialTokens tokens,
      Decoding decoding,
      int maxLength,
      Rng rng) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(features, "features");
    Objects.requireNonNull(tokens, "tokens");
    Objects.requireNonNull(decoding, "decoding");
    if (maxLength <= 0) {
      throw new IllegalArgumentException("decode: maxLength must be > 0, got " + maxLength);
    }
    if (decoding instanceof Decoding.Sampling && rng == null) {
      throw new IllegalArgumentException("decode: sampling needs an Rng (got null)");
    }
    if (decoding instanceof Decoding.Beam b) {
      return beam(model, features, tokens, b, maxLength);
    }
    if (decoding instanceof Decoding.Sampling s) {
      return stepwise(
          model,
          features,
          tokens,
          maxLength,
          row ->
              TokenSampler.draw(
                  TokenSampler.distribution(row, s.temperature(), s.topK(), s.topP()), rng));
    }
    return stepwise(model, features, tokens, maxLength, TokenSampler::argmax);
  }

  /** Picks the next word of one row from its scores. */
  private interface Chooser {
    int choose(double[] scores);
  }

  // ---------------------------------------------------------------- greedy and sampling

  /** One word per live row per step; rows that produce {@code <END>} leave the batch. */
  private static Tensor stepwise(
      StepModel model, Tensor features, SpecialTokens tokens, int maxLength, Chooser chooser) {
    int n = features.shape(0);
    int[] out = filled(n * maxLength, tokens.nullIdx());
    Tensor[] state = model.initialState(features);
    int[] live = identity(n); // caption index of each state row
    int[] prev = filled(n, tokens.startIdx());
    int v = model.vocabSize();
    for (int t = 0; t < maxLength && live.length > 0; t++) {
      StepModel.Step step = model.step(prev, state);
      double[] scores = step.scores().toDoubleArray();
      double[] row = new double[v];
      int kept = 0;
      int[] keep = new int[live.length];
      for (int r = 0; r < live.length; r++) {
        System.arraycopy(scores, r * v, row, 0, v);
        int word = chooser.choose(row);
        out[live[r] * maxLength + t] = word;
        if (word != tokens.endIdx()) {
          keep[kept++] = r;
        }
      }
      keep = Arrays.copyOf(keep, kept);
      int[] nextLive = new int[kept];
      int[] nextPrev = new int[kept];
      for (int i = 0; i < kept; i++) {
        nextLive[i] = live[keep[i]];
        nextPrev[i] = out[live[keep[i]] * maxLength + t];
      }
      state = kept == live.length ? step.state() : rows(step.state(), keep);
      live = nextLive;
      prev = nextPrev;
    }
    return Tensor.of(out, n, maxLength);
  }

  // ---------------------------------------------------------------- beam search

  /** A partial caption: its words, summed log-probability and state row. */
  private record Hypothesis(int[] words, double logP, int row) {
    double rank(double lengthPenalty) {
      return lengthPenalty == 0 ? logP : logP / Math.pow(words.length, lengthPenalty);
    }
  }

  /** An extension of a live hypothesis by one word. */
  private record Candidate(Hypothesis parent, int word, double logP) {}

  /**
   * Beam search, batched over captions: the live hypotheses of every caption form one step batch.
   * Each caption keeps {@code width - finished} live hypotheses: the best extensions by summed
   * log-probability (ties by parent then word order, so width 1 picks greedy's argmax); extensions
   * ending in {@code <END>} move to the finished list, shrinking the beam, and the caption is done
   * when the beam is empty. See {@link Decoding.Beam} for the final ranking.
   */
  private static Tensor beam(
      StepModel model, Tensor features, SpecialTokens tokens, Decoding.Beam cfg, int maxLength) {
    int n = features.shape(0);
    int v = model.vocabSize();
    int width = cfg.width();
    List<List<Hypothesis>> live = new ArrayList<>();
    List<List<Hypothesis>> finished = new ArrayList<>();
    int[] prev = filled(n, tokens.startIdx());
    for (int i = 0; i < n; i++) {
      live.add(List.of(new Hypothesis(new int[0], 0, i)));
      finished.add(new ArrayList<>());
    }
    Tensor[] state = model.initialState(features);
    for (int t = 0; t < maxLength && prev.length > 0; t++) {
      StepModel.Step step = model.step(prev, state);
      double[] logProbs = logSoftmaxRows(step.scores().toDoubleArray(), v);
      List<Integer> parentRows = new ArrayList<>();
      List<Integer> nextWords = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int slots = width - finished.get(i).size();
        List<Candidate> best = bestExtensions(live.get(i), logProbs, v, slots);
        List<Hypothesis> next = new ArrayList<>();
        for (Candidate c : best) {
          int[] words = Arrays.copyOf(c.parent().words(), t + 1);
          words[t] = c.word();
          if (c.word() == tokens.endIdx()) {
            finished.get(i).add(new Hypothesis(words, c.logP(), -1));
          } else {
            next.add(new Hypothesis(words, c.logP(), parentRows.size()));
            parentRows.add(c.parent().row());
            nextWords.add(c.word());
          }
        }
        live.set(i, next);
      }
      state = rows(step.state(), parentRows.stream().mapToInt(Integer::intValue).toArray());
      prev = nextWords.stream().mapToInt(Integer::intValue).toArray();
    }

    int[] out = filled(n * maxLength, tokens.nullIdx());
    for (int i = 0; i < n; i++) {
      Hypothesis best = null;
      List<Hypothesis> pool = new ArrayList<>(finished.get(i));
      pool.addAll(live.get(i)); // unfinished at the length limit
      for (Hypothesis h : pool) {
        if (best == null || h.rank(cfg.lengthPenalty()) > best.rank(cfg.lengthPenalty())) {
          best = h;
        }
      }
      System.arraycopy(best.words(), 0, out, i * maxLength, best.words().length);
    }
    return Tensor.of(out, n, maxLength);
  }

  /**
   * The {@code k} best one-word extensions of a caption's live hypotheses, best first. Only each
   * hypothesis's own top k words can be among them.
   */
  private static List<Candidate> bestExtensions(
      List<Hypothesis> hyps, double[] logProbs, int v, int k) {
    List<Candidate> all = new ArrayList<>();
    if (k <= 0) {
      return all;
    }
    double[] row = new double[v];
    for (Hypothesis h : hyps) {
      System.arraycopy(logProbs, h.row() * v, row, 0, v);
      for (int word : topIndices(row, k)) {
        all.add(new Candidate(h, word, h.logP() + row[word]));
      }
    }
    // Stable sort: equal scores keep parent order, then word order.
    all.sort((a, b) -> Double.compare(b.logP(), a.logP()));
    return all.subList(0, Math.min(k, all.size()));
  }

  /** Indices of the k largest entries, largest first, ties by lower index. */
  static int[] topIndices(double[] row, int k) {
    k = Math.min(k, row.length);
    int[] top = new int[k];
    int size = 0;
    for (int j = 0; j < row.length; j++) {
      if (size == k && !(row[j] > row[top[k - 1]])) {
        continue; // not better than the k-th (ties keep the lower index)
      }
      // Insertion into the sorted prefix, dropping the last entry when full; k is small.
      int pos = size < k ? size++ : k - 1;
      while (pos > 0 && row[j] > row[top[pos - 1]]) {
        top[pos] = top[pos - 1];
        pos--;
      }
      top[pos] = j;
    }
    return top;
  }

  /** Row-wise log-softmax of a (R, V) matrix: {@code s - max - log(sum exp(s - max))}. */
  static double[] logSoftmaxRows(double[] scores, int v) {
    double[] out = new double[scores.length];
    for (int o = 0; o < scores.length; o += v) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < v; j++) {
        max = Math.max(max, scores[o + j]);
      }
      double sum = 0;
      for (int j = 0; j < v; j++) {
        sum += Math.exp(scores[o + j] - max);
      }
      double lse = max + Math.log(sum);
      for (int j = 0; j < v; j++) {
        out[o + j] = scores[o + j] - lse;
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- helpers

  /** The given rows of every state tensor (the first axis). */
  private static Tensor[] rows(Tensor[] state, int[] keep) {
    Tensor[] out = new Tensor[state.length];
    for (int i = 0; i < state.length; i++) {
      out[i] =
          keep.length == 0
              ? Tensor.zeros(state[i].dtype(), withRows(state[i].shape(), 0))
              : state[i].take(0, keep).contiguous();
    }
    return out;
  }

  private static int[] withRows(int[] shape, int rows) {
    int[] s = shape.clone();
    s[0] = rows;
    return s;
  }

  private static int[] filled(int n, int value) {
    int[] a = new int[n];
    Arrays.fill(a, value);
    return a;
  }

  private static int[] identity(int n) {
    int[] a = new int[n];
    Arrays.setAll(a, i -> i);
    return a;
  }
}
