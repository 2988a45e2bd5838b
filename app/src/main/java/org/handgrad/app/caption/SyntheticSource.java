package org.handgrad.app.caption;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.data.caption.CaptionDataset;
import org.handgrad.data.caption.CaptionSplit;
import org.handgrad.data.caption.SyntheticCaptions;
import org.handgrad.data.caption.Vocab;
import org.handgrad.models.rnn.CaptionData;
import org.handgrad.models.rnn.SpecialTokens;

/**
 * The synthetic shapes captions ({@link SyntheticCaptions}) as a {@link CaptionSource}: "train" for
 * training, "test" (held-out images of the training distribution) and "novel" (held-out
 * colour-shape combinations) for evaluation.
 */
public final class SyntheticSource implements CaptionSource {
  private final SyntheticCaptions.Config config;
  private final CaptionDataset data;
  private final Vocab vocab;

  /**
   * Generates the data.
   *
   * @param numTrain training images
   * @param numTest images of each held-out split ("test" and "novel")
   * @param seed the dataset seed
   */
  public SyntheticSource(int numTrain, int numTest, long seed) {
    this(new SyntheticCaptions.Config(numTrain, numTest, numTest, 32, true, seed));
  }

  private SyntheticSource(SyntheticCaptions.Config config) {
    this.config = config;
    this.data = SyntheticCaptions.generate(config);
    this.vocab = data.vocab();
  }

  /** Rebuilds the source from {@link #describe()}. */
  public static SyntheticSource fromMap(Map<String, Object> m) {
    if (!"synthetic-captions".equals(m.get("name"))) {
      throw new IllegalArgumentException("SyntheticSource: not a synthetic-captions config: " + m);
    }
    return new SyntheticSource(
        new SyntheticCaptions.Config(
            number(m, "num_train"),
            number(m, "num_test"),
            number(m, "num_novel"),
            number(m, "size"),
            (Boolean) m.get("hold_out"),
            ((Number) m.get("seed")).longValue()));
  }

  private static int number(Map<String, Object> m, String key) {
    return ((Number) m.get(key)).intValue();
  }

  /** The vocabulary. */
  public Vocab vocab() {
    return vocab;
  }

  @Override
  public String name() {
    return data.name();
  }

  @Override
  public List<String> words() {
    return vocab.idxToWord();
  }

  @Override
  public List<String> decodeWords(int[] caption) {
    return vocab.decodeWords(caption);
  }

  @Override
  public SpecialTokens tokens() {
    return new SpecialTokens(vocab.nullIndex(), vocab.startIndex(), vocab.endIndex());
  }

  @Override
  public int captionLength() {
    return SyntheticCaptions.CAPTION_LENGTH;
  }

  @Override
  public int[] imageShape() {
    return new int[] {3, config.size(), config.size()};
  }

  @Override
  public CaptionData train() {
    CaptionSplit s = data.split("train");
    return new CaptionData(s.features(), s.captions(), s.imageIdxs());
  }

  @Override
  public List<String> heldOutSplits() {
    List<String> names = new ArrayList<>(data.splits().keySet());
    names.remove("train");
    return names;
  }

  @Override
  public HeldOut heldOut(String split) {
    if (split.equals("train") || !data.splits().containsKey(split)) {
      throw new IllegalArgumentException(
          "unknown held-out split '" + split + "'; known: " + heldOutSplits());
    }
    CaptionSplit s = data.split(split);
    return new HeldOut(s.features(), s.referencesByImage(vocab));
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", data.name());
    m.put("num_train", config.numTrain());
    m.put("num_test", config.numTest());
    m.put("num_novel", config.numNovel());
    m.put("size", config.size());
    m.put("hold_out", config.holdOut());
    m.put("seed", config.seed());
    return m;
  }
}
