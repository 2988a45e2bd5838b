package org.handgrad.models.rnn;

import java.util.Arrays;
import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * A captioning split as the trainer reads it (CS231n's COCO dict: {@code train_captions}, {@code
 * train_image_idxs}, {@code train_features}): M captions, each describing one of the images.
 *
 * <p>Dimensions: M captions, T caption length, N images.
 *
 * @param images encoder inputs, shape (N, ...): pixels (N, C, S, S) or features (N, D)
 * @param captions int32 captions, shape (M, T): {@code <START>} words {@code <END>} {@code
 *     <NULL>}...
 * @param imageIndex for each caption the row of its image in {@code images}, length M, each in [0,
 *     N)
 */
public record CaptionData(Tensor images, Tensor captions, int[] imageIndex) {
  /** Validates shapes and indices; the index array is copied. */
  public CaptionData {
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(captions, "captions");
    Objects.requireNonNull(imageIndex, "imageIndex");
    if (captions.dtype() != DType.INT32 || captions.ndim() != 2 || captions.shape(1) < 2) {
      throw new IllegalArgumentException(
          "CaptionData: expected int32 captions (M, T) with T >= 2, got "
              + captions.dtype().numpyName()
              + " "
              + captions.shapeString());
    }
    if (imageIndex.length != captions.shape(0)) {
      throw new IllegalArgumentException(
          "CaptionData: "
              + imageIndex.length
              + " image indices for captions "
              + captions.shapeString());
    }
    int n = images.shape(0);
    for (int i = 0; i < imageIndex.length; i++) {
      if (imageIndex[i] < 0 || imageIndex[i] >= n) {
        throw new IllegalArgumentException(
            "CaptionData: caption "
                + i
                + " points at image "
                + imageIndex[i]
                + ", outside [0, N) with images "
                + images.shapeString());
      }
    }
    imageIndex = imageIndex.clone();
  }

  /** One caption per image, caption i describing image i. */
  public static CaptionData paired(Tensor images, Tensor captions) {
    int[] idx = new int[captions.shape(0)];
    Arrays.setAll(idx, i -> i);
    return new CaptionData(images, captions, idx);
  }

  /** Number of captions M. */
  public int size() {
    return captions.shape(0);
  }

  /** The image index of every caption (a copy). */
  @Override
  public int[] imageIndex() {
    return imageIndex.clone();
  }

  /**
   * A minibatch of captions and their images.
   *
   * @param rows caption rows, each in [0, M)
   * @return images (B, ...) and captions (B, T), B = rows.length
   */
  public Batch batch(int[] rows) {
    int[] img = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      img[i] = imageIndex[rows[i]];
    }
    return new Batch(images.take(0, img).contiguous(), captions.take(0, rows).contiguous());
  }

  /**
   * One minibatch.
   *
   * @param images shape (B, ...)
   * @param captions int32, shape (B, T)
   */
  public record Batch(Tensor images, Tensor captions) {}
}
