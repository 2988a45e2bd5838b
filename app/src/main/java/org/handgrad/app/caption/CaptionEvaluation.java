package org.handgrad.app.caption;

import java.util.ArrayList;
import java.util.List;
import org.handgrad.data.caption.Bleu;
import org.handgrad.models.rnn.CaptioningModel;
import org.handgrad.models.rnn.Decoding;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * Captions generated for a held-out split, scored against its references: exact match (the fraction
 * of images whose caption equals one of its references word for word) and corpus BLEU-4 ({@link
 * Bleu}, Papineni et al. 2002).
 *
 * @param exactMatch in [0, 1]
 * @param bleu4 corpus BLEU-4 in [0, 1]
 * @param hypotheses the generated captions as words, one per image
 */
public record CaptionEvaluation(double exactMatch, double bleu4, List<List<String>> hypotheses) {

  /** Images decoded per call: bounds the memory of the encoder's activations. */
  static final int BATCH = 250;

  /**
   * Decodes every image of a split and scores the captions.
   *
   * @param rng randomness of sampling methods (null for greedy and beam)
   */
  public static CaptionEvaluation evaluate(
      CaptioningModel model,
      CaptionSource source,
      CaptionSource.HeldOut split,
      Decoding decoding,
      int maxLength,
      Rng rng) {
    List<List<String>> hyps = new ArrayList<>();
    int n = split.images().shape(0);
    for (int from = 0; from < n; from += BATCH) {
      int to = Math.min(n, from + BATCH);
      Tensor images = split.images().slice(0, from, to).contiguous();
      Tensor generated = model.sample(images, decoding, maxLength, rng);
      int[] flat = generated.toIntArray();
      for (int i = 0; i < to - from; i++) {
        int[] row = new int[maxLength];
        System.arraycopy(flat, i * maxLength, row, 0, maxLength);
        hyps.add(source.decodeWords(row));
      }
    }
    return new CaptionEvaluation(
        Bleu.exactMatch(split.references(), hyps), Bleu.corpusBleu(split.references(), hyps), hyps);
  }
}
