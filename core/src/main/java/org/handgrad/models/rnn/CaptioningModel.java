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
 * An image captioner: an {@link ImageEncoder} in front of a {@link CaptioningRnn} decoder, trained
 * end to end: the decoder's dL/dfeatures flows back into the encoder.
 *
 * <pre>
 *   features = encoder(images)            (N, D)
 *   loss     = decoder.loss(features, captions)
 *   backward: decoder (fills its grads, returns dfeatures), then encoder.backward(dfeatures)
 * </pre>
 *
 * <p>Dimensions: N batch, D features, T caption length.
 */
public final class CaptioningModel {
  private final ImageEncoder encoder;
  private final CaptioningRnn decoder;
  private final List<Parameter> params;

  /**
   * @param encoder images to features; its feature dimension must be the decoder's input dimension
   * @param decoder the caption decoder
   * @throws IllegalArgumentException on mismatched D, dtypes or parameter names
   */
  public CaptioningModel(ImageEncoder encoder, CaptioningRnn decoder) {
    this.encoder = Objects.requireNonNull(encoder, "encoder");
    this.decoder = Objects.requireNonNull(decoder, "decoder");
    if (encoder.featureDim() != decoder.config().inputDim()) {
      throw new IllegalArgumentException(
          "CaptioningModel: encoder features have D="
              + encoder.featureDim()
              + " but the decoder expects D="
              + decoder.config().inputDim());
    }
    List<Parameter> all = new ArrayList<>(encoder.parameters());
    all.addAll(decoder.parameters());
    Set<String> names = new HashSet<>();
    for (Parameter p : all) {
      if (!names.add(p.name())) {
        throw new IllegalArgumentException(
            "CaptioningModel: parameter name " + p.name() + " twice");
      }
      if (p.dtype() != decoder.config().dtype()) {
        throw new IllegalArgumentException(
            "CaptioningModel: parameter "
                + p
                + " does not have the decoder's dtype "
                + decoder.config().dtype().numpyName());
      }
    }
    this.params = List.copyOf(all);
  }

  /** The encoder. */
  public ImageEncoder encoder() {
    return encoder;
  }

  /** The decoder. */
  public CaptioningRnn decoder() {
    return decoder;
  }

  /** Every trainable parameter: the encoder's, then the decoder's. */
  public List<Parameter> parameters() {
    return params;
  }

  /** The encoder's buffers (running statistics), by name. */
  public Map<String, Tensor> buffers() {
    return new LinkedHashMap<>(encoder.buffers());
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
    CaptioningRnn.Loss loss = decoder.loss(features, captions);
    encoder.backward(loss.dfeatures());
    return loss.loss();
  }

  /**
   * Test-mode loss (running batchnorm statistics, no gradients kept), e.g. on held-out captions.
   * The decoder's gradients are overwritten; encoder gradients are untouched.
   */
  public double evalLoss(Tensor images, Tensor captions) {
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
    return Decoders.decode(decoder, features, decoder.tokens(), decoding, maxLength, rng);
  }
}
