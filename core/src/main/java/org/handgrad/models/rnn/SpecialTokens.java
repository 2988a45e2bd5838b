package org.handgrad.models.rnn;

import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The ids of the special tokens of a captioning vocabulary (CS231n's {@code word_to_idx['<NULL>']}
 * etc.): padding, start of caption, end of caption.
 *
 * @param nullIdx padding after the end of a caption; masked out of the loss, pads decoded output
 * @param startIdx fed as the first input word
 * @param endIdx ends a caption; decoding of a sequence stops once it is produced
 */
public record SpecialTokens(int nullIdx, int startIdx, int endIdx) {
  /** Validates that the ids are non-negative and distinct. */
  public SpecialTokens {
    if (nullIdx < 0 || startIdx < 0 || endIdx < 0) {
      throw new IllegalArgumentException(
          "SpecialTokens: ids must be >= 0, got null="
              + nullIdx
              + " start="
              + startIdx
              + " end="
              + endIdx);
    }
    if (nullIdx == startIdx || nullIdx == endIdx || startIdx == endIdx) {
      throw new IllegalArgumentException(
          "SpecialTokens: ids must be distinct, got null="
              + nullIdx
              + " start="
              + startIdx
              + " end="
              + endIdx);
    }
  }

  /** CS231n's COCO vocabulary order: {@code <NULL>} = 0, {@code <START>} = 1, {@code <END>} = 2. */
  public static SpecialTokens cs231n() {
    return new SpecialTokens(0, 1, 2);
  }

  /**
   * The ids of {@code <NULL>}, {@code <START>} and {@code <END>} in a CS231n {@code word_to_idx}
   * map (the COCO vocabulary and the notebooks' small test maps use these spellings).
   *
   * @param wordToIdx word to index
   * @throws IllegalArgumentException naming a missing special token
   */
  public static SpecialTokens fromWordToIdx(Map<String, Integer> wordToIdx) {
    return new SpecialTokens(
        special(wordToIdx, "<NULL>"), special(wordToIdx, "<START>"), special(wordToIdx, "<END>"));
  }

  /**
   * CS231n's {@code V = len(word_to_idx)}, after checking that the map's indices are distinct and
   * cover [0, V) (the rows of the word embedding and of the output scores).
   *
   * @param wordToIdx word to index
   * @throws IllegalArgumentException naming an index outside [0, V) or used twice
   */
  public static int vocabSizeOf(Map<String, Integer> wordToIdx) {
    Objects.requireNonNull(wordToIdx, "wordToIdx");
    int v = wordToIdx.size();
    boolean[] seen = new boolean[v];
    for (Map.Entry<String, Integer> e : wordToIdx.entrySet()) {
      Integer i = e.getValue();
      if (i == null || i < 0 || i >= v || seen[i]) {
        throw new IllegalArgumentException(
            "word_to_idx must map its V="
                + v
                + " words to distinct indices in [0, "
                + v
                + ") (V = len(word_to_idx), the rows of W_embed); '"
                + e.getKey()
                + "' -> "
                + i
                + (i != null && i >= 0 && i < v ? " is used twice" : " is outside"));
      }
      seen[i] = true;
    }
    return v;
  }

  private static int special(Map<String, Integer> wordToIdx, String token) {
    Integer id = wordToIdx.get(token);
    if (id == null) {
      throw new IllegalArgumentException(
          "word_to_idx: missing special token "
              + token
              + " (needed: <NULL>, <START>, <END>); got words "
              + new TreeSet<>(wordToIdx.keySet()));
    }
    return id;
  }

  /** The largest of the three ids: a vocabulary must be larger than this. */
  int maxId() {
    return Math.max(nullIdx, Math.max(startIdx, endIdx));
  }
}
