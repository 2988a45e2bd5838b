package org.handgrad.models.rnn;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * An image captioner: an {@link ImageEncoder} in front of a {@link CaptionDecoder} (the RNN/LSTM
 * {@link CaptioningRnn} or the {@link org.handgrad.models.transformer.CaptioningTransformer}),
 * trained end to end: the decoder's dL/dfeatures flows back into the encoder.
 *
 * <pre>
 *   features = encoder(images)            (N, D), or (N, R, D) for an encoder that gives regions
 *   loss     = decoder.loss(features, captions)
 *   backward: decoder (fills its grads, returns dfeatures), then encoder.backward(dfeatures)
 * </pre>
 *
 * <p>Dimensions: N batch, R regions, D features, T caption length.
 */
public final class CaptioningModel {
  private final ImageEncoder encoder;
  private final CaptionDecoder decoder;
  private final List<Parameter> params;

  /**
   * @param encoder images to features; its feature dimension must be the decoder's input dimension
   * @param decoder the caption decoder
   * @throws IllegalArgumentException on mismatched D, dtypes or parameter names, or region features
   *     for a decoder that reads one vector per image
   */
  public CaptioningModel(ImageEncoder encoder, CaptionDecoder decoder) {
    this.encoder = Objects.requireNonNull(encoder, "encoder");
    this.decoder = Objects.requireNonNull(decoder, "decoder");
    if (encoder.featureDim() != decoder.inputDim()) {
      throw new IllegalArgumentException(
          "CaptioningModel: encoder features have D="
              + encoder.featureDim()
              + " but the decoder expects D="
              + decoder.inputDim());
    }
    if (encoder.regions() > 0 && !decoder.acceptsRegions()) {
      throw new IllegalArgumentException(
          "CaptioningModel: the encoder gives "
              + encoder.regions()
              + " region features per image, but this decoder reads one feature vector per image"
              + " (use the transformer decoder, or an encoder without regions)");
    }
    List<Parameter> all = new ArrayList<>(encoder.parameters());
    all.addAll(decoder.parameters());
    Set<String> names = new HashSet<>();
    for (Parameter p : all) {
      if (!names.add(p.name())) {
        throw new IllegalArgumentException(
            "CaptioningModel: parameter name " + p.name() + " twice");
      }
      if (p.dtype() != decoder.dtype()) {
        throw new IllegalArgumentException(
            "CaptioningModel: parameter "
                + p
                + " does not have the decoder's dtype "
                + decoder.dtype().numpyName());
      }
    }
    this.params = List.copyOf(all);
  }

  /** The encoder. */
  public ImageEncoder encoder() {
    return encoder;
  }

  /** The decoder. */
  public CaptionDecoder decoder() {
    return decoder;
  }

  /** Every trainable parameter: the encoder's, then the decoder's. */
  public List<Parameter> parameters() {
    return params;
  }

  /**
   * The encoder's buffers (running statistics), then the decoder's (the transformer's positional
   * table and dropout streams), by name.
   */
  public Map<String, Tensor> buffers() {
    Map<String, Tensor> all = new LinkedHashMap<>(encoder.buffers());
    all.putAll(decoder.buffers());
    return all;
  }

  /**
   * Training step's forward and backward pass: zeroes every gradient, then fills them.
   *
   * @param images encoder input, shape (N, ...) (e.g. (N, C, S, S), or (N, D) features)
   * @param captions int32 ground truth, shape (N, T)
   * @return the loss (summed over timesteps, divided by N)
   */
  public double loss(Tensor images, Tensor captions) {
    params.forEach(Parameter::zeroGrad);
    Tensor features = encoder.forward(images, true);
    decoder.setTraining(true);
    CaptionDecoder.Loss loss = decoder.loss(features, captions);
    encoder.backward(loss.dfeatures());
    return loss.loss();
  }

  /**
   * Test-mode loss (running batchnorm statistics, no gradients kept), e.g. on held-out captions.
   * The decoder's gradients are overwritten; encoder gradients are untouched.
   */
  public double evalLoss(Tensor images, Tensor captions) {
    decoder.setTraining(false);
    return decoder.loss(encoder.forward(images, false), captions).loss();
  }

  /**
   * Generates captions in test mode.
   *
   * @param images encoder input, shape (N, ...)
   * @param decoding greedy, beam or sampling
   * @param maxLength words generated at most
   * @param rng randomness of sampling (null for greedy and beam)
   * @return int32 captions (N, maxLength), see {@link Decoders}
   */
  public Tensor sample(Tensor images, Decoding decoding, int maxLength, Rng rng) {
    Tensor features = encoder.forward(images, false);
    decoder.setTraining(false);
    return decoder.sample(features, decoding, maxLength, rng);
  }
}
