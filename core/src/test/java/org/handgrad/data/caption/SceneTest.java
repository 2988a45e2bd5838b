package org.handgrad.data.caption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.handgrad.data.caption.Scene.Colour;
import org.handgrad.data.caption.Scene.Item;
import org.handgrad.data.caption.Scene.Pair;
import org.handgrad.data.caption.Scene.Place;
import org.handgrad.data.caption.Scene.Relation;
import org.handgrad.data.caption.Scene.Shape;
import org.handgrad.data.caption.Scene.Single;
import org.handgrad.data.caption.Scene.Size;
import org.junit.jupiter.api.Test;

class SceneTest {
  private static final Item SMALL_RED_CIRCLE = new Item(Colour.RED, Shape.CIRCLE, Size.SMALL);
  private static final Item LARGE_BLUE_SQUARE = new Item(Colour.BLUE, Shape.SQUARE, Size.LARGE);

  @Test
  void captionsAndEquivalentPhrasings() {
    Scene s = new Pair(SMALL_RED_CIRCLE, Relation.ABOVE, LARGE_BLUE_SQUARE);
    assertEquals(
        List.of(
            "a small red circle above a large blue square",
            "a large blue square below a small red circle"),
        s.captions());
    Scene mirrored = new Pair(LARGE_BLUE_SQUARE, Relation.BELOW, SMALL_RED_CIRCLE);
    assertTrue(s.sameMeaning(mirrored));
    assertEquals(s, mirrored.canonical());
    Scene right = new Pair(SMALL_RED_CIRCLE, Relation.RIGHT_OF, LARGE_BLUE_SQUARE);
    assertEquals(
        List.of(
            "a small red circle to the right of a large blue square",
            "a large blue square to the left of a small red circle"),
        right.captions());
    assertTrue(!s.sameMeaning(right));
    Scene single = new Single(new Item(Colour.GREEN, Shape.TRIANGLE, Size.LARGE), Place.LEFT);
    assertEquals(List.of("a large green triangle on the left"), single.captions());
    assertEquals(single, single.canonical());
  }

  /** Every scene of the grammar, exhaustively: 240 singles and 7680 ordered pairs. */
  private static List<Scene> allScenes() {
    List<Item> items = new ArrayList<>();
    for (Colour c : Colour.values()) {
      for (Shape sh : Shape.values()) {
        for (Size sz : Size.values()) {
          items.add(new Item(c, sh, sz));
        }
      }
    }
    List<Scene> all = new ArrayList<>();
    for (Item a : items) {
      for (Place p : Place.values()) {
        all.add(new Single(a, p));
      }
      for (Item b : items) {
        if (a.colour() != b.colour()) {
          for (Relation r : Relation.values()) {
            all.add(new Pair(a, r, b));
          }
        }
      }
    }
    return all;
  }

  @Test
  void everyCaptionParsesBackToItsSceneAndFitsTheVocabulary() {
    List<Scene> all = allScenes();
    assertEquals(240 + 48 * 40 * 4, all.size());
    Vocab v = SyntheticCaptions.vocab();
    Set<String> used = new LinkedHashSet<>();
    Set<String> distinct = new LinkedHashSet<>();
    int longest = 0;
    for (Scene s : all) {
      for (String c : s.captions()) {
        assertTrue(Scene.parse(c).sameMeaning(s), c);
        List<String> words = Vocab.tokenize(c);
        used.addAll(words);
        longest = Math.max(longest, words.size());
        distinct.add(c);
        for (String w : words) {
          assertTrue(v.contains(w), w);
        }
      }
      assertEquals(s, Scene.parse(s.captions().get(0)));
    }
    // Distinct scenes give distinct captions (a caption determines its scene).
    assertEquals(240 + 48 * 40 * 4, distinct.size());
    assertEquals(Set.copyOf(Scene.words()), used);
    assertEquals(SyntheticCaptions.CAPTION_LENGTH, longest + 2);
    assertEquals(
        List.of(
            "a",
            "small",
            "large",
            "red",
            "green",
            "blue",
            "yellow",
            "purple",
            "white",
            "circle",
            "square",
            "triangle",
            "diamond",
            "on",
            "the",
            "left",
            "right",
            "at",
            "top",
            "bottom",
            "in",
            "middle",
            "to",
            "of",
            "above",
            "below"),
        Scene.words());
  }

  @Test
  void parseRejectsCaptionsOutsideTheGrammar() {
    for (String bad :
        List.of(
            "",
            "a red circle on the left",
            "a small red circle",
            "a small red circle on the top",
            "a small red circle above",
            "a small red circle above a small red square",
            "a huge red circle on the left",
            "a small red blob on the left",
            "a small pink circle on the left",
            "the small red circle on the left",
            "a small red circle to the left a large blue square",
            "a small red circle above a large blue square on the left")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Scene.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("Scene.parse: "), e.getMessage());
    }
    assertNotEquals(null, Scene.parse("A Small RED circle in the middle"));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Pair(SMALL_RED_CIRCLE, Relation.ABOVE, SMALL_RED_CIRCLE));
  }
}
