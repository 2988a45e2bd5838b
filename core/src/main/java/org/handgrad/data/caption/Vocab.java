package org.handgrad.data.caption;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.handgrad.io.Json;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * A captioning vocabulary: CS231n's {@code idx_to_word} list and {@code word_to_idx} map.
 *
 * <p>Four special tokens, as in CS231n's {@code coco2014_vocab.json} (where they are indices 0..3):
 * {@code <NULL>} pads captions after {@code <END>} and must be index 0 (the masked temporal softmax
 * loss and {@code Tensor.zeros} padding rely on it); {@code <START>} opens every caption (the first
 * input of teacher forcing); {@code <END>} closes it; {@code <UNK>} replaces out-of-vocabulary
 * words.
 *
 * <p>Dimension letters: N captions, T time steps (tokens per caption, CS231n COCO uses T = 17).
 *
 * <p>Tokenization ({@link #tokenize}): lower case (root locale), split on whitespace. No
 * punctuation handling: the synthetic captions have none and COCO's files are already integer
 * encoded.
 */
public final class Vocab {
  /** Padding token, index 0. */
  public static final String NULL = "<NULL>";

  /** First token of every encoded caption. */
  public static final String START = "<START>";

  /** Last token of every encoded caption (before padding). */
  public static final String END = "<END>";

  /** Stand-in for words outside the vocabulary. */
  public static final String UNK = "<UNK>";

  /** The special tokens in CS231n's order (indices 0..3 of its COCO vocabulary). */
  public static final List<String> SPECIALS = List.of(NULL, START, END, UNK);

  private final List<String> idxToWord;
  private final Map<String, Integer> wordToIdx;
  private final int start;
  private final int end;
  private final int unk;

  private Vocab(List<String> idxToWord) {
    this.idxToWord = List.copyOf(idxToWord);
    Map<String, Integer> map = new HashMap<>();
    for (int i = 0; i < this.idxToWord.size(); i++) {
      String w = this.idxToWord.get(i);
      if (w.isEmpty() || !w.strip().equals(w) || w.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException(
            "vocab: word " + i + " '" + w + "' is empty or contains whitespace");
      }
      Integer previous = map.put(w, i);
      if (previous != null) {
        throw new IllegalArgumentException(
            "vocab: word '" + w + "' appears twice, at " + previous + " and " + i);
      }
    }
    if (this.idxToWord.isEmpty() || !NULL.equals(this.idxToWord.get(0))) {
      throw new IllegalArgumentException(
          "vocab: index 0 must be "
              + NULL
              + ", got "
              + (this.idxToWord.isEmpty() ? "an empty vocabulary" : this.idxToWord.get(0)));
    }
    for (String s : SPECIALS) {
      if (!map.containsKey(s)) {
        throw new IllegalArgumentException("vocab: missing special token " + s);
      }
    }
    this.wordToIdx = Collections.unmodifiableMap(map);
    this.start = map.get(START);
    this.end = map.get(END);
    this.unk = map.get(UNK);
  }

  /**
   * A vocabulary with exactly this {@code idx_to_word} list.
   *
   * @param idxToWord word of each index; index 0 must be {@code <NULL>} and the other special
   *     tokens must appear; words unique, non-empty, without whitespace
   */
  public static Vocab of(List<String> idxToWord) {
    return new Vocab(idxToWord);
  }

  /** The four special tokens at indices 0..3 (CS231n's layout), then {@code words} in order. */
  public static Vocab withSpecials(List<String> words) {
    List<String> all = new ArrayList<>(SPECIALS);
    all.addAll(words);
    return new Vocab(all);
  }

  /**
   * Builds a vocabulary from raw captions: the special tokens, then every word seen at least {@code
   * minCount} times, most frequent first (ties in lexicographic order, so the result does not
   * depend on the caption order).
   */
  public static Vocab build(Collection<String> captions, int minCount) {
    if (minCount < 1) {
      throw new IllegalArgumentException("vocab.build: minCount must be >= 1, got " + minCount);
    }
    Map<String, Integer> counts = new HashMap<>();
    for (String c : captions) {
      for (String w : tokenize(c)) {
        counts.merge(w, 1, Integer::sum);
      }
    }
    List<String> words = new ArrayList<>();
    for (Map.Entry<String, Integer> e : counts.entrySet()) {
      if (e.getValue() >= minCount && !SPECIALS.contains(e.getKey())) {
        words.add(e.getKey());
      }
    }
    words.sort(
        (a, b) -> {
          int byCount = Integer.compare(counts.get(b), counts.get(a));
          return byCount != 0 ? byCount : a.compareTo(b);
        });
    return withSpecials(words);
  }

  /** Lower-cased (root locale) whitespace-separated tokens of a caption. */
  public static List<String> tokenize(String caption) {
    String s = caption.strip().toLowerCase(Locale.ROOT);
    return s.isEmpty() ? List.of() : List.of(s.split("\\s+"));
  }

  // ---------------------------------------------------------------- lookup

  /** Number of tokens V (CS231n's COCO vocabulary has 1004). */
  public int size() {
    return idxToWord.size();
  }

  /** CS231n's {@code idx_to_word}: the word of each index, unmodifiable. */
  public List<String> idxToWord() {
    return idxToWord;
  }

  /** CS231n's {@code word_to_idx}, unmodifiable. */
  public Map<String, Integer> wordToIdx() {
    return wordToIdx;
  }

  /**
   * The word of an index.
   *
   * @throws IllegalArgumentException when the index is outside [0, V)
   */
  public String word(int index) {
    if (index < 0 || index >= idxToWord.size()) {
      throw new IllegalArgumentException(
          "vocab: token " + index + " is outside [0, " + idxToWord.size() + ")");
    }
    return idxToWord.get(index);
  }

  /** The index of a word, or the {@code <UNK>} index when the word is not in the vocabulary. */
  public int index(String word) {
    Integer i = wordToIdx.get(word);
    return i == null ? unk : i;
  }

  /** Whether the word has its own index. */
  public boolean contains(String word) {
    return wordToIdx.containsKey(word);
  }

  /** Index of {@code <NULL>}: always 0. */
  public int nullIndex() {
    return 0;
  }

  /** Index of {@code <START>}. */
  public int startIndex() {
    return start;
  }

  /** Index of {@code <END>}. */
  public int endIndex() {
    return end;
  }

  /** Index of {@code <UNK>}. */
  public int unkIndex() {
    return unk;
  }

  // ---------------------------------------------------------------- encode

  /**
   * Encodes one caption as CS231n's COCO files do: {@code <START>}, the words ({@code <UNK>} for
   * unknown ones), {@code <END>}, then {@code <NULL>} up to {@code length}.
   *
   * @param length T, the encoded length, &gt;= 2; a caption of more than T - 2 words keeps its
   *     first T - 2 words so that {@code <END>} always fits
   * @return the token indices, length T
   */
  public int[] encode(String caption, int length) {
    if (length < 2) {
      throw new IllegalArgumentException(
          "vocab.encode: length must be >= 2 (<START> and <END>), got " + length);
    }
    List<String> words = tokenize(caption);
    int n = Math.min(words.size(), length - 2);
    int[] out = new int[length]; // zeros = <NULL> padding
    out[0] = start;
    for (int t = 0; t < n; t++) {
      out[t + 1] = index(words.get(t));
    }
    out[n + 1] = end;
    return out;
  }

  /**
   * Encodes captions into one matrix.
   *
   * @return token indices, shape (N, T) int32
   */
  public Tensor encodeAll(List<String> captions, int length) {
    int[] out = new int[captions.size() * length];
    for (int i = 0; i < captions.size(); i++) {
      System.arraycopy(encode(captions.get(i), length), 0, out, i * length, length);
    }
    return Tensor.of(out, captions.size(), length);
  }

  // ---------------------------------------------------------------- decode

  /**
   * The words of one encoded caption: {@code <NULL>} and {@code <START>} are skipped and decoding
   * stops at the first {@code <END>} (which is not included). {@code <UNK>} stays as a word.
   */
  public List<String> decodeWords(int[] caption) {
    List<String> words = new ArrayList<>();
    for (int token : caption) {
      String w = word(token);
      if (token == end) {
        break;
      }
      if (token != 0 && token != start) {
        words.add(w);
      }
    }
    return words;
  }

  /** {@link #decodeWords} joined by single spaces: "a red circle above a blue square". */
  public String decodeCaption(int[] caption) {
    return String.join(" ", decodeWords(caption));
  }

  /**
   * Decodes each row, as {@link #decodeCaption}.
   *
   * @param captions token indices, shape (N, T)
   * @return N strings
   */
  public List<String> decodeCaptions(int[][] captions) {
    List<String> out = new ArrayList<>(captions.length);
    for (int[] row : captions) {
      out.add(decodeCaption(row));
    }
    return out;
  }

  /**
   * Decodes each row of an int32 matrix, as {@link #decodeCaption}.
   *
   * @param captions token indices, shape (N, T) int32
   * @return N strings
   */
  public List<String> decodeCaptions(Tensor captions) {
    int[][] rows = rows("decodeCaptions", captions);
    return decodeCaptions(rows);
  }

  /**
   * Exactly the string CS231n's {@code decode_captions} returns for one caption: every token but
   * {@code <NULL>}, including {@code <START>} and the first {@code <END>}, where it stops, e.g.
   * "&lt;START&gt; a &lt;UNK&gt; view of a kitchen &lt;END&gt;". For diffing against the notebooks;
   * {@link #decodeCaption} is the clean text for BLEU and display.
   */
  public String decodeCaptionCs231n(int[] caption) {
    List<String> words = new ArrayList<>();
    for (int token : caption) {
      String w = word(token);
      if (token != 0) {
        words.add(w);
      }
      if (token == end) {
        break;
      }
    }
    return String.join(" ", words);
  }

  /**
   * The rows of an int32 (N, T) matrix as Java arrays.
   *
   * @param op the calling operation, for error messages
   */
  static int[][] rows(String op, Tensor captions) {
    if (captions.dtype() != DType.INT32 || captions.ndim() != 2) {
      throw new IllegalArgumentException(
          op
              + ": expected captions (N, T) int32, got "
              + captions.shapeString()
              + " "
              + captions.dtype().numpyName());
    }
    Tensor c = captions.contiguous();
    int n = c.shape(0);
    int t = c.shape(1);
    int[] data = c.intStorage();
    int[][] out = new int[n][t];
    for (int i = 0; i < n; i++) {
      System.arraycopy(data, c.offset() + i * t, out[i], 0, t);
    }
    return out;
  }

  // ---------------------------------------------------------------- JSON

  /**
   * Reads CS231n's vocabulary layout: {@code {"idx_to_word": [...], "word_to_idx": {...}}}. Both
   * keys must be present and agree (every word maps back to its own index); other keys are ignored.
   */
  public static Vocab fromJson(String json) {
    if (!(Json.parse(json) instanceof Map<?, ?> root)) {
      throw new IllegalArgumentException("vocab json: expected an object at the top level");
    }
    if (!(root.get("idx_to_word") instanceof List<?> list)) {
      throw new IllegalArgumentException("vocab json: missing list 'idx_to_word'");
    }
    if (!(root.get("word_to_idx") instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException("vocab json: missing object 'word_to_idx'");
    }
    List<String> words = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof String w)) {
        throw new IllegalArgumentException(
            "vocab json: idx_to_word[" + i + "] is not a string: " + list.get(i));
      }
      words.add(w);
    }
    Vocab v = of(words);
    if (map.size() != words.size()) {
      throw new IllegalArgumentException(
          "vocab json: word_to_idx has "
              + map.size()
              + " entries but idx_to_word has "
              + words.size());
    }
    for (Map.Entry<?, ?> e : map.entrySet()) {
      Object idx = e.getValue();
      Integer expected = v.wordToIdx.get((String) e.getKey());
      if (!(idx instanceof Long l) || expected == null || l != expected.longValue()) {
        throw new IllegalArgumentException(
            "vocab json: word_to_idx[\""
                + e.getKey()
                + "\"] = "
                + idx
                + " disagrees with idx_to_word"
                + (expected == null ? " (word absent)" : " (index " + expected + ")"));
      }
    }
    return v;
  }

  /** CS231n's layout, {@code idx_to_word} then {@code word_to_idx} in index order, indented. */
  public String toJson() {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("idx_to_word", idxToWord);
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < idxToWord.size(); i++) {
      map.put(idxToWord.get(i), i);
    }
    root.put("word_to_idx", map);
    return Json.writePretty(root);
  }

  /** Reads a {@code coco2014_vocab.json}-style file (UTF-8). */
  public static Vocab load(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    try {
      return fromJson(text);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** Writes {@link #toJson()} as UTF-8. */
  public void save(Path file) throws IOException {
    Files.writeString(file, toJson(), StandardCharsets.UTF_8);
  }

  /** Vocabularies are equal when their {@code idx_to_word} lists are. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Vocab v && v.idxToWord.equals(idxToWord);
  }

  @Override
  public int hashCode() {
    return idxToWord.hashCode();
  }

  @Override
  public String toString() {
    return "Vocab(" + idxToWord.size() + " tokens)";
  }
}
