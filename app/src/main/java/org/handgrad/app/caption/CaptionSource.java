package org.handgrad.app.caption;

import java.util.List;
import java.util.Map;
import org.handgrad.models.rnn.CaptionData;
import org.handgrad.models.rnn.SpecialTokens;
import org.handgrad.tensor.Tensor;

/**
 * A captioning dataset as {@code handgrad caption} uses it: a vocabulary, training captions with
 * their images, and held-out images with their reference captions. The synthetic shapes captions
 * implement it ({@link SyntheticSource}); another dataset only has to provide these few things.
 */
public interface CaptionSource {

  /** A short name for logs, e.g. "synthetic-captions". */
  String name();

  /** The vocabulary, word by id (CS231n's {@code idx_to_word}). */
  List<String> words();

  /**
   * The words of one encoded or generated caption: special tokens skipped, stopping at {@code
   * <END>} (for display and BLEU).
   */
  List<String> decodeWords(int[] caption);

  /** The ids of {@code <NULL>}, {@code <START>}, {@code <END>}. */
  SpecialTokens tokens();

  /** Length T of the encoded captions, {@code <START>} and {@code <END>} included. */
  int captionLength();

  /** Image shape (C, S, S) of the encoder input. */
  int[] imageShape();

  /** The training captions, each pointing at its image. */
  CaptionData train();

  /** Names of the held-out splits, e.g. "test". */
  List<String> heldOutSplits();

  /**
   * A held-out split.
   *
   * @param split one of {@link #heldOutSplits()}
   */
  HeldOut heldOut(String split);

  /** JSON-ready settings that rebuild the same data ({@code caption sample} reads them back). */
  Map<String, Object> describe();

  /**
   * Held-out images and, per image, all its reference captions.
   *
   * @param images shape (N, C, S, S)
   * @param references per image its reference captions, as words (no special tokens)
   */
  record HeldOut(Tensor images, List<List<List<String>>> references) {
    /** Validates that there is one reference list per image. */
    public HeldOut {
      if (images.shape(0) != references.size()) {
        throw new IllegalArgumentException(
            "HeldOut: "
                + references.size()
                + " reference lists for images "
                + images.shapeString());
      }
      references = List.copyOf(references);
    }
  }
}
