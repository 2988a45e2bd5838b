package org.handgrad.models.rnn;

import java.util.List;
import java.util.Map;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.Tensor;

/**
 * What turns the images of a captioning batch into the features the decoder starts from. The family
 * is closed: a convnet trained end to end ({@link ConvEncoder}), precomputed features passed
 * through ({@link FeatureEncoder}, CS231n's COCO setting), and the image-blind baseline ({@link
 * BlindEncoder}).
 *
 * <p>A stateful module (DESIGN.md): it holds its parameters and buffers and keeps the cache of the
 * last training-mode {@link #forward} for {@link #backward}. Dimensions: N batch, R regions, D
 * features.
 */
public sealed interface ImageEncoder permits ConvEncoder, FeatureEncoder, BlindEncoder {

  /** Feature dimension D (the decoder's input dimension). */
  int featureDim();

  /**
   * R, the number of region feature vectors per image, or 0 for one feature vector per image (the
   * default). An encoder with regions gives (N, R, D) features, which only a decoder that attends
   * over them (the captioning transformer) accepts.
   */
  default int regions() {
    return 0;
  }

  /** Trainable parameters, names unique and distinct from the decoder's. */
  List<Parameter> parameters();

  /** Non-trainable state a checkpoint must keep (BatchNorm running statistics), live tensors. */
  Map<String, Tensor> buffers();

  /**
   * Encodes a batch.
   *
   * @param images the model's input batch, shape (N, ...) as each encoder documents
   * @param train training mode (batch statistics, cache kept for {@link #backward}) or test mode
   * @return features, shape (N, D), or (N, R, D) when {@link #regions()} is R &gt; 0
   */
  Tensor forward(Tensor images, boolean train);

  /**
   * Backpropagates dL/dfeatures of the last training-mode forward, accumulating into the parameter
   * gradients.
   *
   * @param dfeatures the shape of the features: (N, D) or (N, R, D)
   * @throws IllegalStateException when no training-mode forward preceded it
   */
  void backward(Tensor dfeatures);

  /**
   * The settings that rebuild this encoder (saved in a checkpoint's JSON), including its "kind".
   */
  Map<String, Object> describe();
}
