package org.handgrad.models.clip;

import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.nn.Module;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.ClipLoss;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.Init;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * CLIP (Radford et al. 2021): an image encoder and a text encoder trained so that matching
 * image-text pairs have the highest cosine similarity in a batch.
 *
 * <pre>
 *   img = visual(images)                      (N, E)   a ViT whose head is the projection, or a
 *                                                      ResNet and a projection ({@link ResNetImageEncoder})
 *   txt = text(tokens)                        (N, E)   {@link TextEncoder}
 *   loss = ClipLoss(img, txt, logit_scale)             symmetric cross-entropy
 * </pre>
 *
 * Both encoders and the loss are recorded on one {@link Tape}; the loss is the tape's last entry
 * (two inputs, one scalar output), so one {@code tape.backward} fills every gradient. Parameters:
 * {@code visual.*} ({@link VisionTransformer} or {@link ResNetImageEncoder}), {@code text.*}
 * ({@link TextEncoder}) and {@code logit_scale} (1,), initialised to log(1 / 0.07).
 *
 * <p>Dimension letters: N batch, C H W image, T tokens, E joint embedding.
 */
public final class Clip extends Module {
  private final ClipConfig config;
  private final TapeModule visual;
  private final TextEncoder text;
  private final Parameter logitScale;

  /** A freshly initialized model (weights from the config's seed). */
  public Clip(ClipConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    RandomGenerator rng = Init.rng(config.seed() * 1_000_003L + 17);
    visual =
        registerModule(
            "visual",
            config.resnetImageEncoder()
                ? new ResNetImageEncoder(
                    config.channels(),
                    config.resnetWidths(),
                    config.embedDim(),
                    config.dtype(),
                    Init.rng(config.seed()))
                : new VisionTransformer(config.vision()));
    text = registerModule("text", new TextEncoder(config, rng));
    logitScale =
        registerParameter("logit_scale", Tensor.full(config.dtype(), ClipLoss.INIT_LOGIT_SCALE, 1));
  }

  /** The configuration. */
  public ClipConfig config() {
    return config;
  }

  /** The image encoder: a {@link VisionTransformer} or a {@link ResNetImageEncoder}. */
  public TapeModule visual() {
    return visual;
  }

  /** The text encoder. */
  public TextEncoder text() {
    return text;
  }

  /** The log-temperature parameter, shape (1,). */
  public Parameter logitScale() {
    return logitScale;
  }

  /**
   * Result of one training pass.
   *
   * @param loss the symmetric contrastive loss
   * @param logits s I T^T, shape (N, N)
   */
  public record Step(double loss, Tensor logits) {}

  /**
   * Training pass: zeroes the gradients, runs both encoders in training mode, the CLIP loss and the
   * tape's backward, so every parameter's gradient holds dL/dparam.
   *
   * @param images shape (N, C, H, W), the model's dtype
   * @param tokens int32, shape (N, T); caption i describes image i
   * @return the loss and the logits
   */
  public Step trainStep(Tensor images, Tensor tokens) {
    checkBatch(images, tokens);
    train();
    zeroGrad();
    Tape tape = new Tape();
    Var img = visual.forward(tape, tape.constant(images));
    Var txt = text.forward(tape, tape.constant(tokens));
    ClipLoss.Result r = ClipLoss.clipLossForward(img.value(), txt.value(), scale());
    Var loss =
        tape.record(
            "clip_loss",
            Tensor.full(img.value().dtype(), r.loss(), 1),
            dout -> {
              ClipLoss.Grads g = ClipLoss.clipLossBackward(r.cache());
              double up = dout.getFlat(0);
              Tensor ds = Tensor.full(logitScale.dtype(), up * g.dlogitScale(), 1);
              logitScale.accumulateGrad(ds);
              return new Tensor[] {g.dimg().muli(up), g.dtxt().muli(up)};
            },
            img,
            txt);
    tape.backward(loss, Tensor.ones(loss.value().dtype(), 1));
    return new Step(r.loss(), r.logits());
  }

  /**
   * The loss without gradients (evaluation mode), e.g. for a validation batch or a gradient check.
   *
   * @param images shape (N, C, H, W)
   * @param tokens int32, shape (N, T)
   */
  public double loss(Tensor images, Tensor tokens) {
    checkBatch(images, tokens);
    return ClipLoss.clipLossForward(encodeImages(images), encodeTexts(tokens), scale()).loss();
  }

  /**
   * Image embeddings in evaluation mode, not normalized.
   *
   * @param images shape (N, C, H, W)
   * @return shape (N, E)
   */
  public Tensor encodeImages(Tensor images) {
    visual.eval();
    Tape tape = new Tape();
    return visual.forward(tape, tape.constant(images)).value();
  }

  /**
   * Text embeddings in evaluation mode, not normalized.
   *
   * @param tokens int32, shape (N, T)
   * @return shape (N, E)
   */
  public Tensor encodeTexts(Tensor tokens) {
    text.eval();
    Tape tape = new Tape();
    return text.forward(tape, tape.constant(tokens)).value();
  }

  /** The current log-temperature t (the loss clamps it at log 100). */
  public double scale() {
    return logitScale.value().getFlat(0);
  }

  /**
   * Not a single-input module: use {@link #trainStep}, {@link #encodeImages}, {@link #encodeTexts}.
   */
  @Override
  public Tensor forward(Tensor x) {
    throw new UnsupportedOperationException(
        "Clip.forward: CLIP takes images and captions; use trainStep, encodeImages or encodeTexts");
  }

  /** Not a single-input module; see {@link #forward(Tensor)}. */
  @Override
  public Tensor backward(Tensor dout) {
    throw new UnsupportedOperationException("Clip.backward: the gradients are filled by trainStep");
  }

  private void checkBatch(Tensor images, Tensor tokens) {
    int s = config.imageSize();
    if (images.ndim() != 4
        || images.shape(1) != config.channels()
        || images.shape(2) != s
        || images.shape(3) != s
        || images.dtype() != config.dtype()) {
      throw new IllegalArgumentException(
          "clip: expected images (N, "
              + config.channels()
              + ", "
              + s
              + ", "
              + s
              + ") "
              + config.dtype().numpyName()
              + ", got "
              + images.shapeString()
              + " "
              + images.dtype().numpyName());
    }
    if (tokens.ndim() != 2 || tokens.shape(0) != images.shape(0)) {
      throw new IllegalArgumentException(
          "clip: expected one caption per image, got images "
              + images.shapeString()
              + " and tokens "
              + tokens.shapeString());
    }
    if (tokens.dtype() != DType.INT32) {
      throw new IllegalArgumentException(
          "clip: tokens must be int32 ids, got " + tokens.dtype().numpyName());
    }
  }
}
