package org.handgrad.models.clip;

import java.util.Arrays;
import org.handgrad.tensor.Tensor;

/**
 * Text-to-image retrieval: for each text query, the gallery images ranked by cosine similarity;
 * recall@k is the fraction of queries whose own image is among the first k.
 *
 * <p>Dimension letters: Q queries, M gallery images.
 */
public final class Retrieval {
  private Retrieval() {}

  /**
   * The k most similar images of one query, most similar first (ties by lower index).
   *
   * @param similarity shape (Q, M), e.g. {@link
   *     org.handgrad.nn.functional.ClipLoss#similarityNoLoop}
   * @param query the row
   * @param k in [1, M]
   */
  public static int[] topK(Tensor similarity, int query, int k) {
    int m = similarity.shape(1);
    if (k < 1 || k > m) {
      throw new IllegalArgumentException("retrieval: k must be in [1, " + m + "], got " + k);
    }
    Integer[] order = new Integer[m];
    for (int j = 0; j < m; j++) {
      order[j] = j;
    }
    Arrays.sort(
        order,
        (a, b) -> {
          int c = Double.compare(similarity.get(query, b), similarity.get(query, a));
          return c != 0 ? c : Integer.compare(a, b);
        });
    int[] out = new int[k];
    for (int i = 0; i < k; i++) {
      out[i] = order[i];
    }
    return out;
  }

  /**
   * Recall@k: the fraction of queries whose target image ranks among the k most similar. The rank
   * of the target is 1 + the number of images strictly more similar, so ties count in the query's
   * favour only when exact.
   *
   * @param similarity shape (Q, M)
   * @param targets the right image of each query, length Q, in [0, M)
   * @param k &gt;= 1
   */
  public static double recallAtK(Tensor similarity, int[] targets, int k) {
    int q = similarity.shape(0);
    int m = similarity.shape(1);
    if (targets.length != q) {
      throw new IllegalArgumentException(
          "retrieval: " + targets.length + " targets for " + q + " queries");
    }
    if (k < 1) {
      throw new IllegalArgumentException("retrieval: k must be >= 1, got " + k);
    }
    int hits = 0;
    for (int i = 0; i < q; i++) {
      if (targets[i] < 0 || targets[i] >= m) {
        throw new IllegalArgumentException(
            "retrieval: target " + targets[i] + " of query " + i + " is outside [0, " + m + ")");
      }
      double own = similarity.get(i, targets[i]);
      int better = 0;
      for (int j = 0; j < m; j++) {
        if (similarity.get(i, j) > own) {
          better++;
        }
      }
      hits += better < k ? 1 : 0;
    }
    return (double) hits / q;
  }
}
