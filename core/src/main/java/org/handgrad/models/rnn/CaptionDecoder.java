package org.handgrad.models.rnn;

import java.util.List;
import java.util.Map;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * A caption decoder as the captioning stack sees it: {@link CaptioningRnn} (CS231n's RNN/LSTM
 * captioner) and {@link org.handgrad.models.transformer.CaptioningTransformer} (CS231n's
 * transformer captioner). {@link CaptioningModel} puts an {@link ImageEncoder} in front of one,
 * {@link CaptioningTrainer} trains it, {@link CaptionCheckpoint} saves it (by {@link #describe()})
 * and every method of {@link Decoders} decodes it through its {@link StepModel} side.
 *
 * <p>Dimensions: N batch, R image regions, D feature dimension, T caption length (including {@code
 * <START>}), V vocabulary.
 */
public interface CaptionDecoder extends StepModel {

  /**
   * The loss of a batch and the gradient that flows back into the features (and on into an encoder
   * trained end to end).
   *
   * @param loss masked softmax loss summed over timesteps, divided by N (CS231n's {@code
   *     temporal_softmax_loss})
   * @param dfeatures dL/dfeatures, the shape of the features: (N, D), or (N, R, D) for region
   *     features
   */
  record Loss(double loss, Tensor dfeatures) {}

  /** D, the feature dimension the decoder reads. */
  int inputDim();

  /** The dtype of every parameter (and of the features it accepts). */
  DType dtype();

  /** The special token ids of the vocabulary. */
  SpecialTokens tokens();

  /** Whether {@link #loss} and the decoders accept region features (N, R, D) besides (N, D). */
  default boolean acceptsRegions() {
    return false;
  }

  /** The trainable parameters, names unique (a checkpoint stores them by name). */
  List<Parameter> parameters();

  /** Non-trainable state a checkpoint keeps (live tensors, by name); empty by default. */
  default Map<String, Tensor> buffers() {
    return Map.of();
  }

  /**
   * Training mode (dropout on) or evaluation mode (dropout off); a decoder without dropout ignores
   * it. {@link CaptioningModel} sets it before every loss and every decoding.
   */
  default void setTraining(boolean training) {}

  /**
   * Training loss with teacher forcing ({@code captions_in = captions[:, :-1]}, {@code captions_out
   * = captions[:, 1:]}, {@code <NULL>} targets masked). Zeroes every parameter gradient, then
   * writes dL/dparam into it.
   *
   * @param features image features, shape (N, D) (or (N, R, D) when {@link #acceptsRegions()})
   * @param captions int32 ground truth (N, T), T &gt;= 2
   * @return the loss and dL/dfeatures
   */
  Loss loss(Tensor features, Tensor captions);

  /**
   * The settings that rebuild this decoder (saved in a checkpoint's JSON), including its "kind".
   */
  Map<String, Object> describe();

  /**
   * Decodes with any method: greedy, beam, or temperature / top-k / top-p sampling.
   *
   * @param features image features, shape (N, D) (or (N, R, D))
   * @param decoding the method
   * @param maxLength number of words generated at most, &gt; 0
   * @param rng randomness of {@link Decoding.Sampling}; may be null otherwise
   * @return int32 captions (N, maxLength), see {@link Decoders}
   */
  default Tensor sample(Tensor features, Decoding decoding, int maxLength, Rng rng) {
    return Decoders.decode(this, features, tokens(), decoding, maxLength, rng);
  }
}
