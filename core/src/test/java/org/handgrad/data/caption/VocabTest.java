package org.handgrad.data.caption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabTest {
  private static final Vocab V = Vocab.withSpecials(List.of("a", "red", "circle", "above", "cat"));

  // <NULL>=0 <START>=1 <END>=2 <UNK>=3 a=4 red=5 circle=6 above=7 cat=8

  @Test
  void specialTokensFollowCs231n() {
    assertEquals(List.of("<NULL>", "<START>", "<END>", "<UNK>"), V.idxToWord().subList(0, 4));
    assertEquals(0, V.nullIndex());
    assertEquals(1, V.startIndex());
    assertEquals(2, V.endIndex());
    assertEquals(3, V.unkIndex());
    assertEquals(9, V.size());
    assertEquals(4, V.wordToIdx().get("a"));
    assertEquals("circle", V.word(6));
    assertEquals(3, V.index("dog"));
  }

  @Test
  void encodeFramesPadsAndMapsUnknownWords() {
    assertArrayEquals(new int[] {1, 4, 5, 6, 2, 0, 0, 0}, V.encode("a red circle", 8));
    assertArrayEquals(new int[] {1, 4, 3, 8, 2}, V.encode("  A  Dog CAT ", 5));
    assertArrayEquals(new int[] {1, 2}, V.encode("", 2));
    // Too long: the first T - 2 words, then <END>.
    assertArrayEquals(new int[] {1, 4, 5, 2}, V.encode("a red circle above", 4));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> V.encode("a", 1));
    assertTrue(e.getMessage().contains("length must be >= 2"), e.getMessage());
    Tensor t = V.encodeAll(List.of("a cat", "red"), 5);
    assertArrayEquals(new int[] {2, 5}, t.shape());
    assertArrayEquals(new int[] {1, 4, 8, 2, 0, 1, 5, 2, 0, 0}, t.toIntArray());
  }

  @Test
  void decodeSkipsNullAndStartAndStopsAtEnd() {
    assertEquals("a red circle", V.decodeCaption(new int[] {1, 4, 5, 6, 2, 0, 0}));
    // Stops at the first <END>: tokens after it (even words) are dropped.
    assertEquals("a red", V.decodeCaption(new int[] {1, 4, 5, 2, 6, 7, 2}));
    // <NULL> and <START> anywhere are skipped; <UNK> stays a word.
    assertEquals("a <UNK> cat", V.decodeCaption(new int[] {0, 1, 4, 0, 3, 1, 8, 2}));
    // No <END>: every word to the end.
    assertEquals("cat cat", V.decodeCaption(new int[] {1, 8, 8}));
    assertEquals("", V.decodeCaption(new int[] {1, 2, 4}));
    assertEquals(List.of("a", "red"), V.decodeWords(new int[] {1, 4, 5, 2}));
    assertEquals(
        List.of("a red", "cat"), V.decodeCaptions(new int[][] {{1, 4, 5, 2, 0}, {1, 8, 2, 4, 4}}));
    Tensor t = Tensor.of(new int[] {1, 4, 5, 2, 0, 1, 8, 2, 4, 4}, 2, 5);
    assertEquals(List.of("a red", "cat"), V.decodeCaptions(t));
    // A transposed view decodes its rows, not the storage order.
    Tensor tt = Tensor.of(new int[] {1, 1, 4, 8, 2, 2}, 3, 2).transpose(0, 1);
    assertEquals(List.of("a", "cat"), V.decodeCaptions(tt));
  }

  @Test
  void decodeErrors() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> V.decodeCaption(new int[] {1, 9}));
    assertEquals("vocab: token 9 is outside [0, 9)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> V.decodeCaptions(Tensor.zeros(2, 3)));
    assertEquals(
        "decodeCaptions: expected captions (N, T) int32, got (2, 3) float32", e.getMessage());
  }

  /**
   * The caption printed in CS231n's RNN_Captioning notebook: tokens [1 4 3 172 6 4 62 10 317 6 114
   * 612 2 0 0 0 0] decode_captions to "&lt;START&gt; a &lt;UNK&gt; view of a kitchen and all of its
   * appliances &lt;END&gt;". A vocabulary with those words at those indices reproduces it.
   */
  @Test
  void cs231nVerbatimKeepsStartAndEnd() {
    List<String> words = new ArrayList<>(Vocab.SPECIALS);
    for (int i = 4; i < 613; i++) {
      words.add("w" + i);
    }
    String[][] at = {
      {"4", "a"},
      {"172", "view"},
      {"6", "of"},
      {"62", "kitchen"},
      {"10", "and"},
      {"317", "all"},
      {"114", "its"},
      {"612", "appliances"}
    };
    for (String[] p : at) {
      words.set(Integer.parseInt(p[0]), p[1]);
    }
    Vocab coco = Vocab.of(words);
    int[] caption = {1, 4, 3, 172, 6, 4, 62, 10, 317, 6, 114, 612, 2, 0, 0, 0, 0};
    assertEquals(
        "<START> a <UNK> view of a kitchen and all of its appliances <END>",
        coco.decodeCaptionCs231n(caption));
    assertEquals(
        "a <UNK> view of a kitchen and all of its appliances", coco.decodeCaption(caption));
    assertEquals("<START> a <END>", coco.decodeCaptionCs231n(new int[] {1, 0, 4, 2, 4}));
  }

  @Test
  void encodeDecodeRoundTrip() {
    Vocab v = SyntheticCaptions.vocab();
    for (String c :
        List.of(
            "a small red circle above a large blue square",
            "a large green triangle on the left",
            "a small yellow triangle to the left of a large purple diamond")) {
      assertEquals(c, v.decodeCaption(v.encode(c, SyntheticCaptions.CAPTION_LENGTH)));
    }
  }

  @Test
  void jsonRoundTripInCs231nLayout(@TempDir Path dir) throws IOException {
    String json = V.toJson();
    assertTrue(json.startsWith("{\n  \"idx_to_word\": [\n    \"<NULL>\","), json);
    assertTrue(json.contains("\"word_to_idx\": {\n    \"<NULL>\": 0,"), json);
    assertEquals(V, Vocab.fromJson(json));
    Path f = dir.resolve("vocab.json");
    V.save(f);
    assertEquals(V, Vocab.load(f));
    // CS231n's file: any key order, word_to_idx in any order, other keys ignored.
    Vocab cs =
        Vocab.fromJson(
            "{\"word_to_idx\": {\"<END>\": 2, \"<NULL>\": 0, \"dog\": 4, \"<UNK>\": 3,"
                + " \"<START>\": 1}, \"idx_to_word\": [\"<NULL>\", \"<START>\", \"<END>\","
                + " \"<UNK>\", \"dog\"], \"comment\": 1}");
    assertEquals(Vocab.withSpecials(List.of("dog")), cs);
  }

  @Test
  void badVocabularies(@TempDir Path dir) throws IOException {
    assertMessage(
        "vocab: index 0 must be <NULL>, got <START>",
        () -> Vocab.of(List.of("<START>", "<NULL>", "<END>", "<UNK>")));
    assertMessage(
        "vocab: missing special token <UNK>",
        () -> Vocab.of(List.of("<NULL>", "<START>", "<END>", "a")));
    assertMessage(
        "vocab: word 'a' appears twice, at 4 and 5", () -> Vocab.withSpecials(List.of("a", "a")));
    assertMessage(
        "vocab: word 4 'a b' is empty or contains whitespace",
        () -> Vocab.withSpecials(List.of("a b")));
    assertMessage(
        "vocab json: missing object 'word_to_idx'",
        () -> Vocab.fromJson("{\"idx_to_word\": [\"<NULL>\"]}"));
    String specials = "\"<NULL>\": 0, \"<START>\": 1, \"<END>\": 2, \"<UNK>\": 3";
    String list = "\"idx_to_word\": [\"<NULL>\", \"<START>\", \"<END>\", \"<UNK>\", \"dog\"]";
    assertMessage(
        "vocab json: word_to_idx[\"dog\"] = 5 disagrees with idx_to_word (index 4)",
        () -> Vocab.fromJson("{" + list + ", \"word_to_idx\": {" + specials + ", \"dog\": 5}}"));
    assertMessage(
        "vocab json: word_to_idx[\"cat\"] = 4 disagrees with idx_to_word (word absent)",
        () -> Vocab.fromJson("{" + list + ", \"word_to_idx\": {" + specials + ", \"cat\": 4}}"));
    assertMessage(
        "vocab json: word_to_idx has 4 entries but idx_to_word has 5",
        () -> Vocab.fromJson("{" + list + ", \"word_to_idx\": {" + specials + "}}"));
    Path f = dir.resolve("broken.json");
    Files.writeString(f, "{\"idx_to_word\": 3}");
    IOException e = assertThrows(IOException.class, () -> Vocab.load(f));
    assertEquals(f + ": vocab json: missing list 'idx_to_word'", e.getMessage());
  }

  @Test
  void buildCountsWords() {
    Vocab b = Vocab.build(List.of("a cat", "a dog", "A bird", "the cat", "a"), 2);
    // a: 4, cat: 2; bird, dog, the: 1 (dropped at minCount 2).
    assertEquals(List.of("<NULL>", "<START>", "<END>", "<UNK>", "a", "cat"), b.idxToWord());
    Vocab all = Vocab.build(List.of("b a", "c b a", "a"), 1);
    assertEquals(List.of("a", "b", "c"), all.idxToWord().subList(4, 7));
    assertThrows(IllegalArgumentException.class, () -> Vocab.build(List.of("a"), 0));
  }

  private static void assertMessage(String expected, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertEquals(expected, e.getMessage());
  }
}
