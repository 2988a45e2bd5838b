package org.handgrad.models.clip;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.handgrad.data.caption.Vocab;
import org.handgrad.tensor.Tensor;

/**
 * Text prompts for a trained CLIP: templates ("a photo of a {}"), and encoding that refuses words
 * the model has no token for. An unknown word would become {@code <UNK>}, whose embedding was never
 * trained, and the prompt would silently mean something else; so it is an error naming the words.
 */
public final class Prompts {
  private Prompts() {}

  /** The slot a class name fills in a template. */
  public static final String SLOT = "{}";

  /**
   * Fills every template with a class name.
   *
   * @param template contains {@value #SLOT} once, e.g. "a photo of a {}"
   * @param className e.g. "sneaker"
   */
  public static String fill(String template, String className) {
    if (!template.contains(SLOT)) {
      throw new IllegalArgumentException(
          "prompt template '" + template + "' has no " + SLOT + " for the class name");
    }
    return template.replace(SLOT, className);
  }

  /** The words of a class name as the vocabulary sees them: "T-shirt/top" is "t-shirt/top". */
  public static String normalize(String className) {
    return className.strip().toLowerCase(Locale.ROOT);
  }

  /**
   * Encodes prompts as {@link Vocab#encode} does, after checking every word.
   *
   * @param prompts texts, at least one
   * @param length T, the model's context length
   * @return token ids, int32, shape (P, T)
   * @throws IllegalArgumentException naming every unknown word, or a prompt longer than T - 2 words
   */
  public static Tensor encode(Vocab vocab, List<String> prompts, int length) {
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("clip prompts: no prompt given");
    }
    Set<String> unknown = new LinkedHashSet<>();
    for (String p : prompts) {
      List<String> words = Vocab.tokenize(p);
      if (words.isEmpty()) {
        throw new IllegalArgumentException("clip prompts: an empty prompt has no words");
      }
      if (words.size() > length - 2) {
        throw new IllegalArgumentException(
            "clip prompts: '"
                + p
                + "' has "
                + words.size()
                + " words; the model reads at most "
                + (length - 2));
      }
      for (String w : words) {
        if (!vocab.contains(w) || Vocab.SPECIALS.contains(w)) {
          unknown.add(w);
        }
      }
    }
    if (!unknown.isEmpty()) {
      List<String> known = new ArrayList<>(vocab.idxToWord());
      known.removeAll(Vocab.SPECIALS);
      throw new IllegalArgumentException(
          "clip prompts: the model never saw tokens for "
              + unknown
              + " (it knows "
              + known.size()
              + " words: "
              + String.join(" ", known.subList(0, Math.min(40, known.size())))
              + (known.size() > 40 ? " ..." : "")
              + ")");
    }
    return vocab.encodeAll(prompts, length);
  }
}
