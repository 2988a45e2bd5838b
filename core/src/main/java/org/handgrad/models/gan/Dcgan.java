package org.handgrad.models.gan;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.models.Nets;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.GanLosses;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.BatchNorm1d;
import org.handgrad.nn.modules.BatchNorm2d;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.ConvTranspose2d;
import org.handgrad.nn.modules.Flatten;
import org.handgrad.nn.modules.LeakyReLU;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.nn.modules.Tanh;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * A DCGAN (Radford et al. 2016) for small grey images, optionally class-conditional, with the
 * losses of CS231n's GAN notebook ({@link GanLosses}).
 *
 * <pre>
 *   generator      [z ; onehot(y)] (N, Z + K)
 *                  -> Linear (no bias) -> BatchNorm1d -> ReLU        (N, 2W * H/4 * W/4)
 *                  -> reshape (N, 2W, H/4, W/4)
 *                  -> ConvTranspose 4x4 stride 2 pad 1 (no bias) -> BatchNorm2d -> ReLU (N, W, H/2, W/2)
 *                  -> ConvTranspose 4x4 stride 2 pad 1 -> tanh       (N, C, H, W) in [-1, 1]
 *   discriminator  [x ; onehot(y) as K constant planes] (N, C + K, H, W)
 *                  -> Conv 4x4 stride 2 pad 1 -> LeakyReLU(0.2)      (N, W, H/2, W/2)
 *                  -> Conv 4x4 stride 2 pad 1 -> LeakyReLU(0.2)      (N, 2W, H/4, W/4)
 *                  -> Flatten -> Linear                              (N, 1) logits
 * </pre>
 *
 * <p>Here W is the base width ({@link Config#width}), Z the noise size and K the number of classes
 * (0 for an unconditional model). The discriminator has no BatchNorm (as CS231n's DC
 * discriminator): its output for an example then depends on that example alone, so real and
 * generated images go through it as one batch of 2N and the result equals two separate passes.
 * Weights are drawn N(0, 0.02) and biases are zero, DCGAN's initialization; BatchNorm starts at
 * gamma 1, beta 0.
 *
 * <p>Why the tape for the generator: its reshape between the linear and the convolutional part is a
 * view, recorded with {@link Tape#reshape}, so the generator reads top to bottom as one {@link
 * TapeModule}.
 */
public final class Dcgan {
  private static final String NAME = "dcgan";

  /** Which pair of losses trains the model. */
  public enum LossKind {
    /** CS231n's {@code discriminator_loss} and the non-saturating {@code generator_loss}. */
    BCE,
    /** CS231n's {@code ls_discriminator_loss} and {@code ls_generator_loss} (Mao et al. 2017). */
    LEAST_SQUARES
  }

  /**
   * Configuration.
   *
   * @param imageShape (C, H, W), H and W divisible by 4
   * @param noiseDim Z, the size of the noise vector, &gt;= 1
   * @param width W, the base number of channels, &gt;= 1
   * @param numClasses K, 0 for an unconditional model, else &gt;= 2
   * @param loss which losses train it
   * @param dtype float32 or float64
   * @param seed seeds the initial weights
   */
  public record Config(
      int[] imageShape,
      int noiseDim,
      int width,
      int numClasses,
      LossKind loss,
      DType dtype,
      long seed) {
    /** Validates every field with a message naming it; copies imageShape. */
    public Config {
      imageShape = Objects.requireNonNull(imageShape, NAME + ": imageShape").clone();
      if (imageShape.length != 3) {
        throw new IllegalArgumentException(
            NAME + ": imageShape must be (C, H, W), got " + Arrays.toString(imageShape));
      }
      for (int s : imageShape) {
        Nets.requireAtLeast(NAME, "imageShape", s, 1);
      }
      if (imageShape[1] % 4 != 0 || imageShape[2] % 4 != 0) {
        throw new IllegalArgumentException(
            NAME
                + ": image size "
                + imageShape[1]
                + "x"
                + imageShape[2]
                + " is not divisible by 4 (two stride-2 layers)");
      }
      Nets.requireAtLeast(NAME, "noiseDim", noiseDim, 1);
      Nets.requireAtLeast(NAME, "width", width, 1);
      if (numClasses != 0) {
        Nets.requireAtLeast(NAME, "numClasses (0 for unconditional)", numClasses, 2);
      }
      Objects.requireNonNull(loss, NAME + ": loss");
      Nets.requireFloat(NAME, dtype);
    }

    /**
     * Fashion-MNIST defaults: (1, 28, 28), noise 64, width 64, unconditional, BCE losses, float32,
     * seed 0.
     */
    public static Config fashionMnist() {
      return new Config(new int[] {1, 28, 28}, 64, 64, 0, LossKind.BCE, DType.FLOAT32, 0);
    }

    /** The image shape (a copy). */
    @Override
    public int[] imageShape() {
      return imageShape.clone();
    }

    /** True when the model takes class labels. */
    public boolean conditional() {
      return numClasses > 0;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Config c
          && Arrays.equals(imageShape, c.imageShape)
          && noiseDim == c.noiseDim
          && width == c.width
          && numClasses == c.numClasses
          && loss == c.loss
          && dtype == c.dtype
          && seed == c.seed;
    }

    @Override
    public int hashCode() {
      return Objects.hash(
          Arrays.hashCode(imageShape), noiseDim, width, numClasses, loss, dtype, seed);
    }

    @Override
    public String toString() {
      return "Config[imageShape="
          + Arrays.toString(imageShape)
          + ", noiseDim="
          + noiseDim
          + ", width="
          + width
          + ", numClasses="
          + numClasses
          + ", loss="
          + loss
          + ", dtype="
          + dtype.numpyName()
          + ", seed="
          + seed
          + "]";
    }
  }

  /** The generator as a tape module: input (N, Z + K), output (N, C, H, W). */
  public static final class Generator extends TapeModule {
    private final int[] seedShape;
    private final Linear fc;
    private final BatchNorm1d bn0;
    private final ReLU relu0;
    private final ConvTranspose2d up1;
    private final BatchNorm2d bn1;
    private final ReLU relu1;
    private final ConvTranspose2d up2;
    private final Tanh tanh;

    Generator(Config c, RandomGenerator rng, WeightInit init) {
      DType dt = c.dtype();
      int w = c.width();
      int[] s = c.imageShape();
      seedShape = new int[] {2 * w, s[1] / 4, s[2] / 4};
      int seedSize = seedShape[0] * seedShape[1] * seedShape[2];
      ConvParam up = new ConvParam(2, 1);
      // Layers followed by a BatchNorm have no bias: the batch mean removes it anyway.
      fc =
          registerModule(
              "fc", new Linear(c.noiseDim() + c.numClasses(), seedSize, false, dt, init, rng));
      bn0 = registerModule("bn0", new BatchNorm1d(seedSize, dt));
      relu0 = registerModule("relu0", new ReLU());
      up1 = registerModule("up1", new ConvTranspose2d(2 * w, w, 4, 4, up, false, dt, init, rng));
      bn1 = registerModule("bn1", new BatchNorm2d(w, dt));
      relu1 = registerModule("relu1", new ReLU());
      up2 = registerModule("up2", new ConvTranspose2d(w, s[0], 4, 4, up, true, dt, init, rng));
      tanh = registerModule("tanh", new Tanh());
    }

    /**
     * Records the generator.
     *
     * @param x noise and one-hot labels, shape (N, Z + K)
     * @return images in [-1, 1], shape (N, C, H, W)
     */
    @Override
    public Var forward(Tape tape, Var x) {
      Var h = tape.module(fc, x);
      h = tape.module(bn0, h);
      h = tape.module(relu0, h);
      h = tape.reshape(h, h.shape(0), seedShape[0], seedShape[1], seedShape[2]);
      h = tape.module(up1, h);
      h = tape.module(bn1, h);
      h = tape.module(relu1, h);
      h = tape.module(up2, h);
      return tape.module(tanh, h);
    }
  }

  private final Config config;
  private final Generator generator;
  private final Sequential discriminator;

  /** A freshly initialized DCGAN (see the class comment). */
  public Dcgan(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    RandomGenerator rng = Init.rng(config.seed());
    WeightInit init = WeightInit.normal(0.02);
    DType dt = config.dtype();
    int w = config.width();
    int[] s = config.imageShape();
    generator = new Generator(config, rng, init);
    ConvParam down = new ConvParam(2, 1);
    discriminator =
        new Sequential()
            .add(
                "conv1", new Conv2d(s[0] + config.numClasses(), w, 4, 4, down, true, dt, init, rng))
            .add("lrelu1", new LeakyReLU(0.2))
            .add("conv2", new Conv2d(w, 2 * w, 4, 4, down, true, dt, init, rng))
            .add("lrelu2", new LeakyReLU(0.2))
            .add("flatten", new Flatten())
            .add("fc", new Linear(2 * w * (s[1] / 4) * (s[2] / 4), 1, true, dt, init, rng));
  }

  /** The configuration. */
  public Config config() {
    return config;
  }

  /** The generator module (its parameters are named {@code fc.weight}, {@code bn0.gamma}, ...). */
  public Generator generator() {
    return generator;
  }

  /** The discriminator module ({@code conv1.weight}, ..., {@code fc.bias}). */
  public Sequential discriminator() {
    return discriminator;
  }

  /** The generator's parameters. */
  public List<Parameter> generatorParameters() {
    return generator.parameters();
  }

  /** The discriminator's parameters. */
  public List<Parameter> discriminatorParameters() {
    return discriminator.parameters();
  }

  // ---------------------------------------------------------------- inputs

  /**
   * The generator's input: noise with the one-hot labels appended (conditional models only).
   *
   * @param z noise, shape (N, Z)
   * @param labels class of each row, length N, each in [0, K); null for an unconditional model
   * @return shape (N, Z + K)
   * @throws IllegalArgumentException when z's shape, the labels or their presence do not fit
   */
  public Tensor generatorInput(Tensor z, int[] labels) {
    Objects.requireNonNull(z, NAME + ": z is null");
    if (z.ndim() != 2 || z.shape(1) != config.noiseDim() || z.shape(0) < 1) {
      throw new IllegalArgumentException(
          NAME + ": expected z (N, " + config.noiseDim() + ") with N >= 1, got " + z.shapeString());
    }
    checkLabels(labels, z.shape(0));
    if (!config.conditional()) {
      return z;
    }
    return Tensor.concatenate(1, z, Tensor.oneHot(config.dtype(), labels, config.numClasses()));
  }

  /**
   * The discriminator's input: images with K constant planes appended, plane y set to 1
   * (conditional models only).
   *
   * @param x images, shape (N, C, H, W), in [-1, 1]
   * @param labels class of each image, length N; null for an unconditional model
   * @return shape (N, C + K, H, W)
   */
  public Tensor discriminatorInput(Tensor x, int[] labels) {
    checkImages(x);
    checkLabels(labels, x.shape(0));
    if (!config.conditional()) {
      return x;
    }
    int n = x.shape(0);
    int h = x.shape(2);
    int w = x.shape(3);
    Tensor planes = Tensor.zeros(config.dtype(), n, config.numClasses(), h, w);
    for (int i = 0; i < n; i++) {
      planes.select(0, i).select(0, labels[i]).fill(1);
    }
    return Tensor.concatenate(1, x, planes);
  }

  /**
   * Generates images in evaluation mode (BatchNorm uses its running statistics).
   *
   * @param z noise, shape (N, Z)
   * @param labels classes, length N, or null for an unconditional model
   * @return images in [-1, 1], shape (N, C, H, W)
   */
  public Tensor generate(Tensor z, int[] labels) {
    generator.eval();
    Tensor out = generator.forward(generatorInput(z, labels));
    generator.train();
    return out;
  }

  /**
   * Noise for N images.
   *
   * @return standard normal noise, shape (n, Z)
   */
  public Tensor noise(int n, Rng rng) {
    return rng.randn(config.dtype(), n, config.noiseDim());
  }

  // ---------------------------------------------------------------- losses through the networks

  /**
   * The discriminator's loss and gradients: generates fakes from z (training mode, no gradient to
   * the generator), runs the discriminator on [real; fake] as one batch, and back-propagates the
   * discriminator loss into the discriminator's (zeroed) gradients.
   *
   * @param real real images, shape (N, C, H, W), in [-1, 1]
   * @param z noise, shape (M, Z)
   * @param realLabels classes of the real images (conditional) or null
   * @param fakeLabels classes to generate (conditional) or null
   * @return the loss and the gradients of the logits (real (N, 1), fake (M, 1))
   */
  public GanLosses.DiscriminatorLoss discriminatorLossAndBackward(
      Tensor real, Tensor z, int[] realLabels, int[] fakeLabels) {
    Tensor fake = generator.forward(generatorInput(z, fakeLabels));
    Tensor input =
        Tensor.concatenate(
            0, discriminatorInput(real, realLabels), discriminatorInput(fake, fakeLabels));
    discriminator.zeroGrad();
    Tensor logits = discriminator.forward(input);
    int n = real.shape(0);
    Tensor lr = logits.slice(0, 0, n);
    Tensor lf = logits.slice(0, n, logits.shape(0));
    GanLosses.DiscriminatorLoss loss =
        config.loss() == LossKind.BCE
            ? GanLosses.discriminatorLoss(lr, lf)
            : GanLosses.lsDiscriminatorLoss(lr, lf);
    discriminator.backward(Tensor.concatenate(0, loss.dreal(), loss.dfake()));
    return loss;
  }

  /**
   * The generator's loss and gradients: generates from z, scores the fakes with the discriminator
   * and back-propagates the generator loss through the discriminator into the generator's (zeroed)
   * gradients. The discriminator's gradients are zeroed afterwards: this pass must not train it.
   *
   * @param z noise, shape (N, Z)
   * @param labels classes to generate (conditional) or null
   * @return the loss and dL/dlogits, shape (N, 1)
   */
  public Losses.Loss generatorLossAndBackward(Tensor z, int[] labels) {
    generator.zeroGrad();
    Tensor fake = generator.forward(generatorInput(z, labels));
    Tensor logits = discriminator.forward(discriminatorInput(fake, labels));
    Losses.Loss loss =
        config.loss() == LossKind.BCE
            ? GanLosses.generatorLoss(logits)
            : GanLosses.lsGeneratorLoss(logits);
    Tensor dinput = discriminator.backward(loss.dx());
    discriminator.zeroGrad();
    int c = config.imageShape()[0];
    generator.backward(dinput.slice(1, 0, c).contiguous());
    return loss;
  }

  // ---------------------------------------------------------------- checks

  private void checkImages(Tensor x) {
    Objects.requireNonNull(x, NAME + ": images are null");
    int[] s = config.imageShape();
    if (x.ndim() != 4
        || x.shape(0) < 1
        || x.shape(1) != s[0]
        || x.shape(2) != s[1]
        || x.shape(3) != s[2]) {
      throw new IllegalArgumentException(
          NAME
              + ": expected images (N, "
              + s[0]
              + ", "
              + s[1]
              + ", "
              + s[2]
              + ") with N >= 1, got "
              + x.shapeString());
    }
  }

  private void checkLabels(int[] labels, int n) {
    if (!config.conditional()) {
      if (labels != null) {
        throw new IllegalArgumentException(
            NAME + ": labels given to an unconditional model (numClasses = 0)");
      }
      return;
    }
    if (labels == null || labels.length != n) {
      throw new IllegalArgumentException(
          NAME
              + ": a conditional model needs "
              + n
              + " labels, got "
              + (labels == null ? "none" : labels.length));
    }
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= config.numClasses()) {
        throw new IllegalArgumentException(
            NAME
                + ": label "
                + labels[i]
                + " at index "
                + i
                + " is outside [0, "
                + config.numClasses()
                + ")");
      }
    }
  }
}
