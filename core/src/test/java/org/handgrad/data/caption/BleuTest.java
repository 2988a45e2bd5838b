package org.handgrad.data.caption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.junit.jupiter.api.Test;

class BleuTest {
  private static List<String> t(String s) {
    return Vocab.tokenize(s);
  }

  @Test
  void identicalIsOne() {
    List<List<String>> refs = List.of(t("a small red circle above a large blue square"));
    assertEquals(1.0, Bleu.sentenceBleu(refs, refs.get(0)));
    assertEquals(
        1.0,
        Bleu.corpusBleu(
            List.of(refs, List.of(t("a red square on the left"), t("x y"))),
            List.of(refs.get(0), t("a red square on the left"))));
  }

  /**
   * Worked by hand. Hypothesis "a red circle above a blue square" (c = 7); references "a red circle
   * above a small blue square" and "a small blue square below a red circle" (8 tokens each, so r =
   * 8).
   *
   * <ul>
   *   <li>p1: a(2, clipped at 2 by ref 1) red circle above blue square = 7/7.
   *   <li>p2: "a red" "red circle" "circle above" "above a" "blue square" match, "a blue" does not:
   *       5/6.
   *   <li>p3: "a red circle" "red circle above" "circle above a" match; "above a blue" "a blue
   *       square" do not: 3/5.
   *   <li>p4: "a red circle above" "red circle above a" match of 4: 2/4.
   * </ul>
   *
   * The product of the precisions is 1 * 5/6 * 3/5 * 1/2 = 1/4, its fourth root 1/sqrt(2); BP =
   * exp(1 - 8/7) = exp(-1/7). BLEU-4 = exp(-1/7) / sqrt(2) = 0.61297...
   */
  @Test
  void handWorkedExample() {
    List<List<String>> refs =
        List.of(
            t("a red circle above a small blue square"),
            t("a small blue square below a red circle"));
    List<String> hyp = t("a red circle above a blue square");
    Bleu.Counts c = Bleu.sentenceCounts(refs, hyp, 4);
    assertEquals(new Bleu.Counts(new long[] {7, 5, 3, 2}, new long[] {7, 6, 5, 4}, 7, 8), c);
    assertEquals(Math.exp(-1.0 / 7) / Math.sqrt(2), Bleu.sentenceBleu(refs, hyp), 1e-15);
    assertEquals(Math.exp(-1.0 / 7), c.brevityPenalty(), 1e-15);
    // BLEU-1 is the brevity penalty alone here.
    assertEquals(Math.exp(-1.0 / 7), Bleu.corpusBleu(List.of(refs), List.of(hyp), 1), 1e-15);
  }

  /** Papineni et al.'s clipping example: "the the the the the the the" scores p1 = 2/7. */
  @Test
  void clippingAgainstTheBestReference() {
    List<List<String>> refs = List.of(t("the cat is on the mat"), t("there is a cat on the mat"));
    Bleu.Counts c = Bleu.sentenceCounts(refs, t("the the the the the the the"), 4);
    assertEquals(2, c.matches(1));
    assertEquals(7, c.totals(1));
    assertEquals(2.0 / 7, c.precision(1));
    assertEquals(0.0, c.score()); // no bigram matches
  }

  @Test
  void brevityPenaltyUsesClosestReferenceWithTiesToShorter() {
    // c = 4; references of 3 and 5 tokens are equally close: NLTK (and here) takes 3 -> BP 1.
    List<List<String>> refs = List.of(t("a b c d e"), t("a b c"));
    Bleu.Counts c = Bleu.sentenceCounts(refs, t("a b c d"), 4);
    assertEquals(3, c.refLength());
    assertEquals(1.0, c.brevityPenalty());
    // A perfect but short hypothesis: p_n = 1, BP = exp(1 - 6/4).
    List<List<String>> one = List.of(t("a b c d e f"));
    assertEquals(Math.exp(1 - 6.0 / 4), Bleu.sentenceBleu(one, t("a b c d")), 1e-15);
    // Corpus level: lengths add up before the penalty (c = 4 + 6 = 10, r = 6 + 6 = 12).
    double corpus = Bleu.corpusBleu(List.of(one, one), List.of(t("a b c d"), t("a b c d e f")));
    Bleu.Counts sum =
        Bleu.sentenceCounts(one, t("a b c d"), 4)
            .plus(Bleu.sentenceCounts(one, t("a b c d e f"), 4));
    assertEquals(10, sum.hypLength());
    assertEquals(12, sum.refLength());
    assertEquals(Math.exp(1 - 12.0 / 10), corpus, 1e-15);
    assertEquals(sum.score(), corpus);
  }

  @Test
  void zeroAndEmptyCases() {
    List<List<String>> refs = List.of(t("a b c d"));
    assertEquals(0.0, Bleu.sentenceBleu(refs, t("x y z w")));
    assertEquals(0.0, Bleu.sentenceBleu(refs, List.of()));
    assertEquals(0.0, Bleu.corpusBleu(List.of(), List.of()));
    // A hypothesis shorter than n has no n-grams: it adds nothing to p_n (paper, not NLTK).
    Bleu.Counts c = Bleu.sentenceCounts(refs, t("a b"), 4);
    assertEquals(0, c.totals(3));
    assertEquals(0.0, c.precision(3));
  }

  @Test
  void exactMatch() {
    List<List<List<String>>> refs =
        List.of(List.of(t("a b"), t("b a")), List.of(t("c d")), List.of(t("e")), List.of(t("f g")));
    List<List<String>> hyps = List.of(t("b a"), t("c d e"), t("e"), t("g f"));
    assertEquals(0.5, Bleu.exactMatch(refs, hyps));
    assertEquals(0.0, Bleu.exactMatch(List.of(), List.of()));
  }

  @Test
  void captionStrings() {
    assertEquals(
        Math.exp(-1.0 / 7) / Math.sqrt(2),
        Bleu.corpusBleuCaptions(
            List.of(
                List.of(
                    "a red circle above a small blue square",
                    "A small blue square below a red circle")),
            List.of("a red circle  above a blue square")),
        1e-15);
  }

  @Test
  void badArguments() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Bleu.corpusBleu(List.of(List.of(t("a"))), List.of(t("a"), t("b"))));
    assertEquals("bleu: 2 hypotheses but 1 reference lists", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Bleu.corpusBleu(List.of(List.of(t("a")), List.of()), List.of(t("a"), t("b"))));
    assertEquals("bleu: a hypothesis needs at least one reference (hypothesis 1)", e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> Bleu.sentenceCounts(List.of(t("a")), t("a"), 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Bleu.Counts(new long[] {3}, new long[] {2}, 1, 1));
  }

  // ---------------------------------------------------------------- NLTK fixtures

  private record Corpus(List<List<List<String>>> refs, List<List<String>> hyps, double[] nltk) {}

  private static Corpus corpus(Map<String, Tensor> f, String name) {
    int[] hyp = Fixtures.get(f, name + "_hyp").toIntArray();
    int[] hypLen = Fixtures.get(f, name + "_hyp_len").toIntArray();
    int[] nref = Fixtures.get(f, name + "_nref").toIntArray();
    int[] ref = Fixtures.get(f, name + "_ref").toIntArray();
    int[] refLen = Fixtures.get(f, name + "_ref_len").toIntArray();
    List<List<String>> hyps = new ArrayList<>();
    List<List<List<String>>> refs = new ArrayList<>();
    int hp = 0;
    int rp = 0;
    int ri = 0;
    for (int i = 0; i < hypLen.length; i++) {
      hyps.add(words(hyp, hp, hypLen[i]));
      hp += hypLen[i];
      List<List<String>> rs = new ArrayList<>();
      for (int k = 0; k < nref[i]; k++, ri++) {
        rs.add(words(ref, rp, refLen[ri]));
        rp += refLen[ri];
      }
      refs.add(rs);
    }
    return new Corpus(refs, hyps, Fixtures.get(f, name + "_bleu").toDoubleArray());
  }

  private static List<String> words(int[] tokens, int from, int n) {
    List<String> w = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      w.add("w" + tokens[from + i]);
    }
    return w;
  }

  /** NLTK 3.8 corpus_bleu, no smoothing, BLEU-1..4: within 1e-12 relative. */
  @Test
  void matchesNltkCorpusBleu() {
    Map<String, Tensor> f = Fixtures.load("bleu");
    List<String> names = List.of("hand", "random0", "random1", "random2", "random3", "random4");
    for (String name : names) {
      Corpus c = corpus(f, name);
      for (int n = 1; n <= 4; n++) {
        double ours = Bleu.corpusBleu(c.refs(), c.hyps(), n);
        double nltk = c.nltk()[n - 1];
        assertTrue(nltk > 0.1, name + " BLEU-" + n + " = " + nltk + " is not a weak check");
        assertEquals(nltk, ours, 1e-12 * nltk, name + " BLEU-" + n);
      }
    }
    assertEquals(Math.exp(-1.0 / 7) / Math.sqrt(2), corpus(f, "hand").nltk()[3], 1e-15);
  }

  /**
   * The documented differences. "zero4": no 4-gram match; NLTK returns bp * exp(sum w log p) with
   * p_4 replaced by the smallest normal double (a value below 1e-76), handgrad exactly 0. "short":
   * hypotheses of 1..3 tokens; NLTK floors each hypothesis's n-gram total at 1, i.e. its totals are
   * ours plus the number of hypotheses shorter than n. Rebuilding that from our counts must give
   * NLTK's value to 1e-12, while ours (the paper's) differs.
   */
  @Test
  void documentedDifferencesFromNltk() {
    Map<String, Tensor> f = Fixtures.load("bleu");
    Corpus zero = corpus(f, "zero4");
    for (int n = 1; n <= 3; n++) {
      assertEquals(zero.nltk()[n - 1], Bleu.corpusBleu(zero.refs(), zero.hyps(), n), 1e-12);
    }
    assertEquals(0.0, Bleu.corpusBleu(zero.refs(), zero.hyps()));
    assertTrue(zero.nltk()[3] > 0 && zero.nltk()[3] < 1e-76, "NLTK: " + zero.nltk()[3]);

    Corpus s = corpus(f, "short");
    for (int n = 1; n <= 4; n++) {
      Bleu.Counts ours = Bleu.corpusCounts(s.refs(), s.hyps(), n);
      long[] totals = ours.totals();
      for (List<String> h : s.hyps()) {
        for (int k = 1; k <= n; k++) {
          if (h.size() < k) {
            totals[k - 1]++;
          }
        }
      }
      Bleu.Counts nltkStyle =
          new Bleu.Counts(ours.matches(), totals, ours.hypLength(), ours.refLength());
      assertEquals(s.nltk()[n - 1], nltkStyle.score(), 1e-12 * s.nltk()[n - 1], "short BLEU-" + n);
      if (n > 1) {
        assertNotEquals(s.nltk()[n - 1], ours.score(), 1e-6, "short BLEU-" + n);
      } else {
        assertEquals(s.nltk()[0], ours.score(), 1e-12); // every hypothesis has a unigram
      }
    }
  }
}
