package org.handgrad.data.caption;

import java.util.ArrayList;
import java.util.List;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;

/**
 * One split of a captioning dataset in CS231n's COCO layout: M captions, each pointing at one of N
 * images (an image usually has several captions).
 *
 * <p>Dimension letters: M captions, T tokens per caption, N images, D feature size, B batch.
 *
 * <p>Like every record holding arrays, equality is identity of the arrays, not their contents.
 *
 * @param captions encoded captions ({@code <START>} ... {@code <END>} {@code <NULL>}...), shape (M,
 *     T) int32; CS231n's {@code train_captions}
 * @param imageIdxs the image of each caption, length M, each in [0, N); CS231n's {@code
 *     train_image_idxs}
 * @param features per image: CNN features (N, D) (CS231n's {@code train_features}) or pixels (N, C,
 *     H, W); float32 or float64
 * @param urls per image its URL (CS231n's {@code train_urls}), length N, or empty when unknown
 */
public record CaptionSplit(Tensor captions, int[] imageIdxs, Tensor features, List<String> urls) {
  /** Validates shapes, dtypes and the image indices. */
  public CaptionSplit {
    if (captions == null || imageIdxs == null || features == null || urls == null) {
      throw new NullPointerException("CaptionSplit: no argument may be null");
    }
    if (captions.dtype() != DType.INT32 || captions.ndim() != 2 || captions.shape(1) < 2) {
      throw new IllegalArgumentException(
          "CaptionSplit: expected captions (M, T) int32 with T >= 2, got "
              + captions.shapeString()
              + " "
              + captions.dtype().numpyName());
    }
    if (imageIdxs.length != captions.shape(0)) {
      throw new IllegalArgumentException(
          "CaptionSplit: captions "
              + captions.shapeString()
              + " but "
              + imageIdxs.length
              + " image indices");
    }
    if (features.dtype() == DType.INT32 || features.ndim() < 2) {
      throw new IllegalArgumentException(
          "CaptionSplit: expected float features (N, D) or (N, C, H, W), got "
              + features.shapeString()
              + " "
              + features.dtype().numpyName());
    }
    int n = features.shape(0);
    for (int i = 0; i < imageIdxs.length; i++) {
      if (imageIdxs[i] < 0 || imageIdxs[i] >= n) {
        throw new IllegalArgumentException(
            "CaptionSplit: caption "
                + i
                + " points at image "
                + imageIdxs[i]
                + ", outside [0, "
                + n
                + ") of features "
                + features.shapeString());
      }
    }
    urls = List.copyOf(urls);
    if (!urls.isEmpty() && urls.size() != n) {
      throw new IllegalArgumentException(
          "CaptionSplit: " + urls.size() + " urls for " + n + " images " + features.shapeString());
    }
  }

  /** Number of captions M. */
  public int numCaptions() {
    return imageIdxs.length;
  }

  /** Number of images N. */
  public int numImages() {
    return features.shape(0);
  }

  /** Tokens per caption T. */
  public int captionLength() {
    return captions.shape(1);
  }

  /**
   * A minibatch: captions, the features of their images and their URLs.
   *
   * @param captions shape (B, T) int32
   * @param features shape (B, D) or (B, C, H, W), the image of each caption
   * @param imageIdxs length B, the image index of each caption
   * @param urls length B, or empty when the split has no URLs
   */
  public record Minibatch(Tensor captions, Tensor features, int[] imageIdxs, List<String> urls) {}

  /**
   * CS231n's {@code sample_coco_minibatch}: B captions drawn uniformly with replacement ({@code
   * np.random.choice(M, B)}), with their images' features.
   */
  public Minibatch sampleMinibatch(int batchSize, Rng rng) {
    if (batchSize < 1) {
      throw new IllegalArgumentException(
          "sampleMinibatch: batchSize must be >= 1, got " + batchSize);
    }
    return gather(rng.choice(numCaptions(), batchSize, true));
  }

  /**
   * The captions at the given rows, in order, with their images' features (copied).
   *
   * @param rows caption indices, each in [0, M)
   */
  public Minibatch gather(int[] rows) {
    int t = captionLength();
    Tensor c = captions.contiguous();
    int[] src = c.intStorage();
    int[] out = new int[rows.length * t];
    int[] images = new int[rows.length];
    List<String> batchUrls = new ArrayList<>();
    for (int b = 0; b < rows.length; b++) {
      int i = rows[b];
      if (i < 0 || i >= numCaptions()) {
        throw new IndexOutOfBoundsException(
            "CaptionSplit.gather: caption " + i + " is outside [0, " + numCaptions() + ")");
      }
      System.arraycopy(src, c.offset() + i * t, out, b * t, t);
      images[b] = imageIdxs[i];
      if (!urls.isEmpty()) {
        batchUrls.add(urls.get(images[b]));
      }
    }
    return new Minibatch(Tensor.of(out, rows.length, t), takeImages(images), images, batchUrls);
  }

  /** Rows of the features for the given images, copied: shape (B, ...). */
  private Tensor takeImages(int[] images) {
    Tensor f = features.contiguous();
    int[] shape = f.shape();
    int per = Shapes.size(shape) / Math.max(1, shape[0]);
    shape[0] = images.length;
    Tensor out = Tensor.zeros(f.dtype(), shape);
    for (int b = 0; b < images.length; b++) {
      if (f.dtype() == DType.FLOAT32) {
        System.arraycopy(
            f.floatStorage(), f.offset() + images[b] * per, out.floatStorage(), b * per, per);
      } else {
        System.arraycopy(
            f.doubleStorage(), f.offset() + images[b] * per, out.doubleStorage(), b * per, per);
      }
    }
    return out;
  }

  /**
   * CS231n's {@code max_train} subsampling: keeps {@code maxCaptions} captions drawn uniformly with
   * replacement ({@code np.random.randint(M, size=max_train)}); features and URLs are kept whole
   * because the image indices still point into them.
   */
  public CaptionSplit subsample(int maxCaptions, Rng rng) {
    if (maxCaptions < 0) {
      throw new IllegalArgumentException("subsample: maxCaptions must be >= 0, got " + maxCaptions);
    }
    int[] rows = maxCaptions == 0 ? new int[0] : rng.choice(numCaptions(), maxCaptions, true);
    Minibatch m = gather(rows);
    return new CaptionSplit(m.captions(), m.imageIdxs(), features, urls);
  }

  /**
   * The reference token lists of every image (decoded with {@link Vocab#decodeWords}), the input
   * BLEU wants: {@code references.get(i)} holds image i's captions, in caption order (empty when
   * image i has none).
   */
  public List<List<List<String>>> referencesByImage(Vocab vocab) {
    List<List<List<String>>> refs = new ArrayList<>(numImages());
    for (int i = 0; i < numImages(); i++) {
      refs.add(new ArrayList<>());
    }
    int[][] rows = Vocab.rows("referencesByImage", captions);
    for (int k = 0; k < rows.length; k++) {
      refs.get(imageIdxs[k]).add(vocab.decodeWords(rows[k]));
    }
    return refs;
  }
}
