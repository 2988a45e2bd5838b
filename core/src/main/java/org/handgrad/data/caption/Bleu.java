package org.handgrad.data.caption;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BLEU (Papineni, Roukos, Ward and Zhu, ACL 2002), corpus level, and exact-match accuracy.
 *
 * <p>For each order n = 1..N the clipped n-gram matches and the hypothesis n-gram counts are summed
 * over the corpus (micro-average, as the paper and NLTK's {@code corpus_bleu}); a hypothesis n-gram
 * counts at most as often as it occurs in the single reference where it occurs most ("modified
 * precision"). The score is {@code BP * exp(sum_n w_n log p_n)} with uniform weights {@code w_n =
 * 1/N} and the brevity penalty {@code BP = 1} if {@code c > r}, else {@code exp(1 - r/c)}, where c
 * is the total hypothesis length and r sums, per hypothesis, the length of the reference closest in
 * length (ties go to the shorter reference, as in NLTK).
 *
 * <p>Agreement with NLTK 3.8 {@code corpus_bleu} (default weights, no smoothing) is tested to 1e-12
 * on fixtures. Two documented differences, both where NLTK departs from the paper:
 *
 * <ul>
 *   <li>A p_n with zero matches makes BLEU exactly 0 here (a geometric mean with a zero factor).
 *       NLTK replaces that p_n by the smallest normal double, which gives a positive score below
 *       1e-76 (and a warning).
 *   <li>NLTK floors each hypothesis's n-gram total at 1, so a hypothesis shorter than n adds a
 *       phantom n-gram to the denominator of p_n. Here the totals are the actual counts (a
 *       hypothesis shorter than n contributes nothing to p_n), as in the paper and in sacreBLEU.
 *       The two agree whenever every hypothesis has at least N tokens.
 * </ul>
 *
 * <p>Tokens are strings compared exactly; lower-casing and tokenization are the caller's.
 */
public final class Bleu {
  private Bleu() {}

  /** The standard maximum n-gram order: BLEU-4. */
  public static final int MAX_ORDER = 4;

  /**
   * BLEU's sufficient statistics: summing them over sentences and scoring once is corpus BLEU.
   *
   * @param matches clipped n-gram matches, index n - 1 for order n
   * @param totals hypothesis n-grams, index n - 1 for order n (same length as matches)
   * @param hypLength total hypothesis length c
   * @param refLength total closest-reference length r
   */
  public record Counts(long[] matches, long[] totals, long hypLength, long refLength) {
    /** Copies the arrays and checks that they agree. */
    public Counts {
      if (matches.length == 0 || matches.length != totals.length) {
        throw new IllegalArgumentException(
            "bleu: expected matches and totals of one length >= 1, got "
                + matches.length
                + " and "
                + totals.length);
      }
      matches = matches.clone();
      totals = totals.clone();
      for (int i = 0; i < matches.length; i++) {
        if (matches[i] < 0 || matches[i] > totals[i]) {
          throw new IllegalArgumentException(
              "bleu: order " + (i + 1) + " has " + matches[i] + " matches of " + totals[i]);
        }
      }
      if (hypLength < 0 || refLength < 0) {
        throw new IllegalArgumentException(
            "bleu: lengths must be >= 0, got " + hypLength + " and " + refLength);
      }
    }

    /** The maximum n-gram order N. */
    public int maxOrder() {
      return matches.length;
    }

    /** Clipped matches per order, a copy (index n - 1 for order n). */
    @Override
    public long[] matches() {
      return matches.clone();
    }

    /** Hypothesis n-grams per order, a copy (index n - 1 for order n). */
    @Override
    public long[] totals() {
      return totals.clone();
    }

    /** Clipped matches of order n (1-based). */
    public long matches(int n) {
      return matches[n - 1];
    }

    /** Hypothesis n-grams of order n (1-based). */
    public long totals(int n) {
      return totals[n - 1];
    }

    /** Element-wise sum: the statistics of both corpora together. */
    public Counts plus(Counts other) {
      if (other.maxOrder() != maxOrder()) {
        throw new IllegalArgumentException(
            "bleu: cannot add counts of orders " + maxOrder() + " and " + other.maxOrder());
      }
      long[] m = matches.clone();
      long[] t = totals.clone();
      for (int i = 0; i < m.length; i++) {
        m[i] += other.matches[i];
        t[i] += other.totals[i];
      }
      return new Counts(m, t, hypLength + other.hypLength, refLength + other.refLength);
    }

    /** The modified precision p_n = matches / totals (0 when there are no n-grams). */
    public double precision(int n) {
      return totals[n - 1] == 0 ? 0 : (double) matches[n - 1] / totals[n - 1];
    }

    /** The brevity penalty: 1 if c &gt; r, 0 if c = 0, else exp(1 - r/c). */
    public double brevityPenalty() {
      if (hypLength > refLength) {
        return 1;
      }
      if (hypLength == 0) {
        return 0;
      }
      return Math.exp(1 - (double) refLength / hypLength);
    }

    /** BLEU-N with uniform weights 1/N; 0 when some order has no match. */
    public double score() {
      double w = 1.0 / matches.length;
      double logSum = 0;
      for (int i = 0; i < matches.length; i++) {
        if (matches[i] == 0) {
          return 0;
        }
        logSum += w * Math.log((double) matches[i] / totals[i]);
      }
      return brevityPenalty() * Math.exp(logSum);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Counts c
          && Arrays.equals(matches, c.matches)
          && Arrays.equals(totals, c.totals)
          && hypLength == c.hypLength
          && refLength == c.refLength;
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(
          new long[] {Arrays.hashCode(matches), Arrays.hashCode(totals), hypLength, refLength});
    }

    @Override
    public String toString() {
      return "Counts(matches="
          + Arrays.toString(matches)
          + ", totals="
          + Arrays.toString(totals)
          + ", c="
          + hypLength
          + ", r="
          + refLength
          + ")";
    }
  }

  /**
   * The statistics of one hypothesis against its references.
   *
   * @param references at least one reference token list
   * @param maxOrder N &gt;= 1
   */
  public static Counts sentenceCounts(
      List<? extends List<String>> references, List<String> hypothesis, int maxOrder) {
    if (maxOrder < 1) {
      throw new IllegalArgumentException("bleu: maxOrder must be >= 1, got " + maxOrder);
    }
    if (references.isEmpty()) {
      throw new IllegalArgumentException("bleu: a hypothesis needs at least one reference");
    }
    long[] matches = new long[maxOrder];
    long[] totals = new long[maxOrder];
    // Intern n-grams as small ints, order by order: the id of an n-gram is the id of the pair
    // (id of its first n-1 tokens, id of its last token). Only n-grams of the hypothesis get ids;
    // a reference n-gram without one (-1) cannot match. Linear in the lengths, no string hashing
    // beyond the tokens.
    Map<String, Integer> tokenIds = new HashMap<>();
    int c = hypothesis.size();
    int[] hyp = new int[c];
    for (int i = 0; i < c; i++) {
      hyp[i] = tokenIds.computeIfAbsent(hypothesis.get(i), k -> tokenIds.size());
    }
    int[][] refs = new int[references.size()][];
    for (int k = 0; k < refs.length; k++) {
      List<String> ref = references.get(k);
      refs[k] = new int[ref.size()];
      for (int j = 0; j < ref.size(); j++) {
        refs[k][j] = tokenIds.getOrDefault(ref.get(j), -1);
      }
    }
    int[] hypGrams = hyp;
    int[][] refGrams = refs.clone();
    int distinct = tokenIds.size();
    for (int n = 1; n <= maxOrder; n++) {
      if (n > 1) {
        Map<Long, Integer> ids = new HashMap<>();
        int[] next = new int[Math.max(0, c - n + 1)];
        for (int i = 0; i < next.length; i++) {
          next[i] = ids.computeIfAbsent(pair(hypGrams[i], hyp[i + n - 1]), k -> ids.size());
        }
        hypGrams = next;
        for (int k = 0; k < refs.length; k++) {
          int[] prev = refGrams[k];
          int[] cur = new int[Math.max(0, refs[k].length - n + 1)];
          for (int j = 0; j < cur.length; j++) {
            int last = refs[k][j + n - 1];
            cur[j] = prev[j] < 0 || last < 0 ? -1 : ids.getOrDefault(pair(prev[j], last), -1);
          }
          refGrams[k] = cur;
        }
        distinct = ids.size();
      }
      int[] hypCount = new int[distinct];
      for (int g : hypGrams) {
        hypCount[g]++;
      }
      // Clip each hypothesis n-gram by its largest count in any one reference.
      int[] clip = new int[distinct];
      int[] refCount = new int[distinct];
      for (int[] grams : refGrams) {
        Arrays.fill(refCount, 0);
        for (int g : grams) {
          if (g >= 0) {
            refCount[g]++;
          }
        }
        for (int g = 0; g < distinct; g++) {
          clip[g] = Math.max(clip[g], refCount[g]);
        }
      }
      for (int g = 0; g < distinct; g++) {
        matches[n - 1] += Math.min(hypCount[g], clip[g]);
      }
      totals[n - 1] = hypGrams.length;
    }
    int r = references.get(0).size();
    for (List<String> ref : references) {
      int d = Math.abs(ref.size() - c);
      int best = Math.abs(r - c);
      if (d < best || (d == best && ref.size() < r)) {
        r = ref.size();
      }
    }
    return new Counts(matches, totals, c, r);
  }

  /**
   * Summed statistics of a corpus.
   *
   * @param references per hypothesis, its reference token lists (at least one each)
   * @param hypotheses the candidate token lists, same count as references
   */
  public static Counts corpusCounts(
      List<? extends List<? extends List<String>>> references,
      List<? extends List<String>> hypotheses,
      int maxOrder) {
    if (references.size() != hypotheses.size()) {
      throw new IllegalArgumentException(
          "bleu: "
              + hypotheses.size()
              + " hypotheses but "
              + references.size()
              + " reference lists");
    }
    Counts total = new Counts(new long[maxOrder], new long[maxOrder], 0, 0);
    for (int i = 0; i < hypotheses.size(); i++) {
      try {
        total = total.plus(sentenceCounts(references.get(i), hypotheses.get(i), maxOrder));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(e.getMessage() + " (hypothesis " + i + ")", e);
      }
    }
    return total;
  }

  /** Corpus BLEU-4 (uniform weights 0.25). */
  public static double corpusBleu(
      List<? extends List<? extends List<String>>> references,
      List<? extends List<String>> hypotheses) {
    return corpusBleu(references, hypotheses, MAX_ORDER);
  }

  /** Corpus BLEU-N with uniform weights 1/N (BLEU-1 .. BLEU-4 in captioning papers). */
  public static double corpusBleu(
      List<? extends List<? extends List<String>>> references,
      List<? extends List<String>> hypotheses,
      int maxOrder) {
    return corpusCounts(references, hypotheses, maxOrder).score();
  }

  /** BLEU-4 of a single hypothesis (no smoothing: 0 unless some 4-gram matches). */
  public static double sentenceBleu(
      List<? extends List<String>> references, List<String> hypothesis) {
    return sentenceCounts(references, hypothesis, MAX_ORDER).score();
  }

  /**
   * Corpus BLEU-4 of caption strings, tokenized by {@link Vocab#tokenize} (lower case, whitespace).
   *
   * @param referenceCaptions per hypothesis, its reference captions
   * @param hypothesisCaptions the generated captions
   */
  public static double corpusBleuCaptions(
      List<? extends List<String>> referenceCaptions, List<String> hypothesisCaptions) {
    List<List<List<String>>> refs = new ArrayList<>();
    for (List<String> rs : referenceCaptions) {
      List<List<String>> tokens = new ArrayList<>();
      for (String r : rs) {
        tokens.add(Vocab.tokenize(r));
      }
      refs.add(tokens);
    }
    List<List<String>> hyps = new ArrayList<>();
    for (String h : hypothesisCaptions) {
      hyps.add(Vocab.tokenize(h));
    }
    return corpusBleu(refs, hyps);
  }

  /**
   * Exact-match accuracy: the fraction of hypotheses equal, token for token, to one of their
   * references (0 for an empty corpus).
   */
  public static double exactMatch(
      List<? extends List<? extends List<String>>> references,
      List<? extends List<String>> hypotheses) {
    if (references.size() != hypotheses.size()) {
      throw new IllegalArgumentException(
          "exactMatch: "
              + hypotheses.size()
              + " hypotheses but "
              + references.size()
              + " reference lists");
    }
    if (hypotheses.isEmpty()) {
      return 0;
    }
    int hits = 0;
    for (int i = 0; i < hypotheses.size(); i++) {
      if (references.get(i).contains(hypotheses.get(i))) {
        hits++;
      }
    }
    return (double) hits / hypotheses.size();
  }

  /** Two non-negative ints as one long key. */
  private static long pair(int a, int b) {
    return ((long) a << 32) | b;
  }
}
