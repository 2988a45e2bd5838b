package org.handgrad.data.caption;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.handgrad.tensor.Tensor;

/**
 * A captioning dataset: named splits sharing one vocabulary (CS231n's COCO data: "train" and "val";
 * the synthetic captions: "train", "test" and optionally "novel").
 *
 * @param name dataset name, e.g. "coco2014" or "synthetic-captions"
 * @param vocab the vocabulary every caption is encoded with
 * @param splits the splits by name, in a fixed order
 */
public record CaptionDataset(String name, Vocab vocab, Map<String, CaptionSplit> splits) {
  /** Checks that every caption token is inside the vocabulary. */
  public CaptionDataset {
    splits = Collections.unmodifiableMap(new LinkedHashMap<>(splits));
    for (Map.Entry<String, CaptionSplit> e : splits.entrySet()) {
      Tensor c = e.getValue().captions().contiguous();
      int[] data = c.intStorage();
      for (int i = 0; i < c.size(); i++) {
        int token = data[c.offset() + i];
        if (token < 0 || token >= vocab.size()) {
          throw new IllegalArgumentException(
              name
                  + ": "
                  + e.getKey()
                  + " caption "
                  + i / c.shape(1)
                  + " holds token "
                  + token
                  + ", outside the vocabulary [0, "
                  + vocab.size()
                  + ")");
        }
      }
    }
  }

  /**
   * One split by name.
   *
   * @throws IllegalArgumentException naming the splits there are
   */
  public CaptionSplit split(String splitName) {
    CaptionSplit s = splits.get(splitName);
    if (s == null) {
      throw new IllegalArgumentException(
          name + ": no split '" + splitName + "', has " + splits.keySet());
    }
    return s;
  }
}
