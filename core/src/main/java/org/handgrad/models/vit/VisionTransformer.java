package org.handgrad.models.vit;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.models.Classifier;
import org.handgrad.models.InputGradients;
import org.handgrad.models.Nets;
import org.handgrad.models.transformer.TransformerEncoderLayer;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.functional.PositionInterpolation;
import org.handgrad.nn.functional.PositionalEncoding;
import org.handgrad.nn.functional.Tokens;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.LayerNorm;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.PatchEmbedding;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * A Vision Transformer (Dosovitskiy et al. 2021), CLI name "vit":
 *
 * <pre>
 *   tokens = patch_embed(x)                      (N, L, D), L = (H/P)(W/P)
 *   tokens = [cls_token; tokens] + pos_embed     (N, L+1, D)
 *   tokens = blocks[depth-1](... blocks[0](tokens))   pre-norm encoder layers
 *   scores = head(norm(tokens)[:, 0])            (N, K)
 * </pre>
 *
 * the architecture of the tiny ViT in {@code shared/bench/torch_anchor.py} and of PyTorch's {@code
 * nn.TransformerEncoderLayer(norm_first=True, activation='gelu')} stack. Parameters, by name:
 * {@code cls_token} (D,), {@code pos_embed} (L+1, D), {@code patch_embed.weight} (C P P, D) and
 * {@code .bias}, {@code blocks.i.{norm1,self_attn.{query,key,value,proj},norm2,mlp.{linear1,
 * linear2}}.{weight,bias}}, {@code norm.{weight,bias}}, {@code head.{weight,bias}}; linear weights
 * are stored (in, out). Initialization as in the ViT reference code: linear and patch weights
 * normal with std 0.02 and zero biases, {@code pos_embed} normal(0.02), {@code cls_token} zeros,
 * LayerNorms at gamma 1, beta 0. No weight decay term: use AdamW's decoupled decay.
 *
 * <p>With {@code stem=conv} the patchify convolution is replaced by the convolutional stem of Xiao
 * et al. 2021 ("Early Convolutions Help Transformers See Better"): log2(P) 3x3 stride-2
 * convolutions, each followed by BatchNorm and ReLU, with widths doubling up to D (D/2, D for P =
 * 4), then a 1x1 convolution to D, which is {@code patch_embed} with patch 1. The token grid is the
 * same (H/P)(W/P) as with patches of P, so everything after {@code patch_embed} is unchanged. Extra
 * parameters: {@code stem.{3i}.weight} (conv i, no bias, He-normal), {@code stem.{3i+1}} its
 * BatchNorm (weight, bias and running statistics).
 *
 * <p>Dimension letters: N batch, C H W image, P patch, L patches, D embedding, K classes.
 */
public final class VisionTransformer extends TapeModule
    implements Model, Classifier, InputGradients {
  private static final String NAME = "vit";

  /**
   * Configuration.
   *
   * @param inputDim (C, H, W), H and W divisible by the patch
   * @param patch P
   * @param dim D, divisible by heads
   * @param depth number of encoder layers, >= 1
   * @param heads H
   * @param mlpDim width of each feed-forward block (4D in the paper)
   * @param numClasses K
   * @param dropout DROP probability of attention weights and feed-forward blocks, in [0, 1)
   * @param dtype float32 or float64
   * @param seed seeds the weights and the dropout masks
   * @param stem how images become tokens: patchify (Dosovitskiy et al.) or convolutional (Xiao et
   *     al.; P must then be a power of two, at least 2)
   */
  public record Config(
      int[] inputDim,
      int patch,
      int dim,
      int depth,
      int heads,
      int mlpDim,
      int numClasses,
      double dropout,
      DType dtype,
      long seed,
      Stem stem) {
    /** Validates every field with a message naming it; copies inputDim. */
    public Config {
      inputDim = Objects.requireNonNull(inputDim, NAME + ": inputDim").clone();
      if (inputDim.length != 3) {
        throw new IllegalArgumentException(
            NAME + ": input_shape must be (C, H, W), got " + java.util.Arrays.toString(inputDim));
      }
      for (int d : inputDim) {
        Nets.requireAtLeast(NAME, "input_shape", d, 1);
      }
      Nets.requireAtLeast(NAME, "patch", patch, 1);
      if (inputDim[1] % patch != 0 || inputDim[2] % patch != 0) {
        throw new IllegalArgumentException(
            NAME
                + ": image size "
                + inputDim[1]
                + "x"
                + inputDim[2]
                + " is not divisible by the patch size "
                + patch);
      }
      Nets.requireAtLeast(NAME, "dim", dim, 1);
      Nets.requireAtLeast(NAME, "depth", depth, 1);
      Nets.requireAtLeast(NAME, "heads", heads, 1);
      if (dim % heads != 0) {
        throw new IllegalArgumentException(
            NAME + ": dim=" + dim + " is not divisible by heads=" + heads);
      }
      Nets.requireAtLeast(NAME, "mlp_dim", mlpDim, 1);
      Nets.requireAtLeast(NAME, "num_classes", numClasses, 2);
      if (!(dropout >= 0 && dropout < 1)) {
        throw new IllegalArgumentException(
            NAME + ": dropout must be in [0, 1) (the DROP probability), got " + dropout);
      }
      Nets.requireFloat(NAME, dtype);
      Objects.requireNonNull(stem, NAME + ": stem");
      if (stem == Stem.CONV && (patch < 2 || Integer.bitCount(patch) != 1)) {
        throw new IllegalArgumentException(
            NAME
                + ": stem=conv downsamples by 2 per convolution, so the patch must be a power of"
                + " two (2, 4, 8, ...), got "
                + patch);
      }
    }

    /**
     * A patchify ViT (the original stem).
     *
     * @see #Config(int[], int, int, int, int, int, int, double, DType, long, Stem)
     */
    public Config(
        int[] inputDim,
        int patch,
        int dim,
        int depth,
        int heads,
        int mlpDim,
        int numClasses,
        double dropout,
        DType dtype,
        long seed) {
      this(
          inputDim, patch, dim, depth, heads, mlpDim, numClasses, dropout, dtype, seed, Stem.PATCH);
    }

    /** The image shape (a copy). */
    @Override
    public int[] inputDim() {
      return inputDim.clone();
    }

    /** Number of patches L. */
    public int numPatches() {
      return (inputDim[1] / patch) * (inputDim[2] / patch);
    }

    /**
     * The tiny ViT of {@code torch_anchor.py} for Fashion-MNIST: (1, 28, 28), patch 7, dim 64,
     * depth 4, heads 4, mlp 256, 10 classes, no dropout, float32.
     */
    public static Config tiny() {
      return new Config(new int[] {1, 28, 28}, 7, 64, 4, 4, 256, 10, 0.0, DType.FLOAT32, 0);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Config c
          && java.util.Arrays.equals(inputDim, c.inputDim)
          && patch == c.patch
          && dim == c.dim
          && depth == c.depth
          && heads == c.heads
          && mlpDim == c.mlpDim
          && numClasses == c.numClasses
          && Double.compare(dropout, c.dropout) == 0
          && dtype == c.dtype
          && seed == c.seed
          && stem == c.stem;
    }

    @Override
    public int hashCode() {
      return Objects.hash(
          java.util.Arrays.hashCode(inputDim),
          patch,
          dim,
          depth,
          heads,
          mlpDim,
          numClasses,
          dropout,
          dtype,
          seed,
          stem);
    }

    @Override
    public String toString() {
      return "Config[inputDim="
          + java.util.Arrays.toString(inputDim)
          + ", patch="
          + patch
          + ", dim="
          + dim
          + ", depth="
          + depth
          + ", heads="
          + heads
          + ", mlpDim="
          + mlpDim
          + ", numClasses="
          + numClasses
          + ", dropout="
          + dropout
          + ", dtype="
          + dtype.numpyName()
          + ", seed="
          + seed
          + ", stem="
          + stem.configName()
          + "]";
    }
  }

  /** How images become tokens. */
  public enum Stem {
    /** One P x P stride-P convolution (the original ViT). */
    PATCH,
    /** log2(P) 3x3 stride-2 conv-BN-ReLU layers and a 1x1 convolution (Xiao et al. 2021). */
    CONV;

    /** The config value: "patch" or "conv". */
    public String configName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Parses a config value.
     *
     * @param value "patch" or "conv"
     * @throws IllegalArgumentException otherwise, naming both
     */
    public static Stem parse(String value) {
      for (Stem s : values()) {
        if (s.configName().equals(value)) {
          return s;
        }
      }
      throw new IllegalArgumentException(
          NAME + ": stem must be patch or conv, got '" + value + "'");
    }
  }

  private final Config config;
  private final org.handgrad.nn.Sequential stem; // null for Stem.PATCH
  private final PatchEmbedding patchEmbed;
  private final Parameter clsToken;
  private final Parameter posEmbed;
  private final List<TransformerEncoderLayer> blocks = new ArrayList<>();
  private final LayerNorm norm;
  private final Linear head;

  /** A freshly initialized ViT (see the class comment for the initialization). */
  public VisionTransformer(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    DType dt = config.dtype();
    RandomGenerator rng = Init.rng(config.seed());
    WeightInit init = WeightInit.normal(0.02);
    int d = config.dim();
    int channels = config.inputDim()[0];
    if (config.stem() == Stem.CONV) {
      stem = registerModule("stem", convStem(config, rng));
      int convs = Integer.numberOfTrailingZeros(config.patch());
      channels = stemWidth(d, convs, convs);
      patchEmbed = registerModule("patch_embed", new PatchEmbedding(channels, 1, d, dt, init, rng));
    } else {
      stem = null;
      patchEmbed =
          registerModule(
              "patch_embed", new PatchEmbedding(channels, config.patch(), d, dt, init, rng));
    }
    clsToken = registerParameter("cls_token", Tensor.zeros(dt, d));
    posEmbed =
        registerParameter("pos_embed", Init.normal(rng, dt, 0.02, config.numPatches() + 1, d));
    var blockList = new org.handgrad.nn.Sequential();
    for (int i = 0; i < config.depth(); i++) {
      TransformerEncoderLayer b =
          new TransformerEncoderLayer(
              d,
              config.heads(),
              config.mlpDim(),
              config.dropout(),
              dt,
              init,
              rng,
              config.seed() * 31 + 2 * i);
      blocks.add(b);
      blockList.add(b);
    }
    registerModule("blocks", blockList);
    norm = registerModule("norm", new LayerNorm(d, dt));
    head = registerModule("head", new Linear(d, config.numClasses(), true, dt, init, rng));
  }

  /** Width of conv i (1-based) of a stem of k convs: D / 2^(k-i), at least 1. */
  private static int stemWidth(int dim, int i, int k) {
    return Math.max(1, dim >> (k - i));
  }

  /** The convolutional stem: per stride 2, conv 3x3 (pad 1, no bias) - BatchNorm - ReLU. */
  private static org.handgrad.nn.Sequential convStem(Config config, RandomGenerator rng) {
    var layers = new org.handgrad.nn.Sequential();
    int convs = Integer.numberOfTrailingZeros(config.patch());
    int in = config.inputDim()[0];
    for (int i = 1; i <= convs; i++) {
      int out = stemWidth(config.dim(), i, convs);
      layers.add(
          new org.handgrad.nn.modules.Conv2d(
              in,
              out,
              3,
              3,
              org.handgrad.nn.functional.ConvParam.torch(2, 1),
              false,
              config.dtype(),
              WeightInit.kaiming(),
              rng));
      layers.add(new org.handgrad.nn.modules.BatchNorm2d(out, config.dtype()));
      layers.add(new org.handgrad.nn.modules.ReLU());
      in = out;
    }
    return layers;
  }

  /** The configuration. */
  public Config config() {
    return config;
  }

  /** The encoder layers, first to last. */
  public List<TransformerEncoderLayer> blocks() {
    return List.copyOf(blocks);
  }

  /**
   * Records the forward pass.
   *
   * @param x images, shape (N, C, H, W)
   * @return class scores, shape (N, K)
   */
  @Override
  public Var forward(Tape tape, Var x) {
    return tape.module(head, features(tape, x));
  }

  /**
   * Records the forward pass up to the head's input: the final-norm CLS token, the image feature
   * that DINO's projection head and linear probes read.
   *
   * @param x images, shape (N, C, H', W'), H' and W' divisible by P (see {@link #tokens})
   * @return CLS features, shape (N, D)
   */
  public Var features(Tape tape, Var x) {
    Var h = tokens(tape, x);
    Forward<int[]> cls = Tokens.selectTokenForward(h.value(), 0);
    return tape.record(
        "select_cls",
        cls.out(),
        dout -> new Tensor[] {Tokens.selectTokenBackward(dout, cls.cache())},
        h);
  }

  /**
   * Records the encoder: patch embedding, CLS token, positional embedding, the layers and the final
   * norm. Images of another size than the configuration's are accepted when their sides are
   * divisible by P: the positional table is then resized bilinearly to their patch grid ({@link
   * PositionInterpolation}, as DINO does for its local crops), and its gradient flows back through
   * the resize.
   *
   * @param x images, shape (N, C, H', W'), H' and W' divisible by P
   * @return all tokens after the final norm, shape (N, 1 + L', D), token 0 the CLS token, L' =
   *     (H'/P)(W'/P) patches in row-major order
   */
  public Var tokens(Tape tape, Var x) {
    // the patch embedding checks the image shape (channels, sides divisible by the patch)
    int[] in = config.inputDim();
    int p = config.patch();
    Var h = x;
    if (stem != null) {
      if (x.shape(2) % p != 0 || x.shape(3) % p != 0) {
        throw new IllegalArgumentException(
            NAME
                + ": image size "
                + x.shape(2)
                + "x"
                + x.shape(3)
                + " is not divisible by the patch size "
                + p
                + " (the conv stem's total stride)");
      }
      h = tape.module(stem, x);
    }
    h = tape.module(patchEmbed, h);
    Var tokens = h;
    h =
        tape.record(
            "prepend_cls",
            Tokens.prependTokenForward(tokens.value(), clsToken.value()),
            dout -> {
              Tokens.Grads g = Tokens.prependTokenBackward(dout);
              clsToken.accumulateGrad(g.dtoken());
              return new Tensor[] {g.dx()};
            },
            tokens);
    int gh0 = in[1] / p;
    int gw0 = in[2] / p;
    int gh = x.shape(2) / p;
    int gw = x.shape(3) / p;
    Forward<PositionInterpolation.Cache> table =
        gh == gh0 && gw == gw0
            ? null
            : PositionInterpolation.positionInterpolationForward(
                posEmbed.value(), gh0, gw0, gh, gw);
    Forward<int[]> pos =
        PositionalEncoding.positionalEmbeddingForward(
            h.value(), table == null ? posEmbed.value() : table.out());
    h =
        tape.record(
            "pos_embed",
            pos.out(),
            dout -> {
              PositionalEncoding.Grads g =
                  PositionalEncoding.positionalEmbeddingBackward(dout, pos.cache());
              posEmbed.accumulateGrad(
                  table == null
                      ? g.dpos()
                      : PositionInterpolation.positionInterpolationBackward(
                          g.dpos(), table.cache()));
              return new Tensor[] {g.dx()};
            },
            h);
    for (TransformerEncoderLayer b : blocks) {
      h = b.forward(tape, h);
    }
    return tape.module(norm, h);
  }

  /**
   * The patch tokens after the final norm, in evaluation mode: the per-patch features of video
   * object segmentation and of PCA pictures.
   *
   * @param x images, shape (N, C, H', W'), H' and W' divisible by P
   * @return patch features, shape (N, L', D), L' = (H'/P)(W'/P) in row-major order
   */
  public Tensor patchTokens(Tensor x) {
    eval();
    Tape tape = new Tape();
    Tensor all = tokens(tape, tape.constant(x)).value();
    return all.slice(1, 1, all.shape(1)).contiguous();
  }

  /**
   * Class scores in evaluation mode (no dropout).
   *
   * @param x images, shape (N, C, H, W)
   * @return scores, shape (N, K)
   */
  @Override
  public Tensor loss(Tensor x) {
    eval();
    Tape tape = new Tape();
    return forward(tape, tape.constant(x)).value();
  }

  /**
   * Training step: zeroes the gradients, runs forward in training mode, the softmax loss and the
   * tape's backward.
   *
   * @param x images, shape (N, C, H, W)
   * @param y labels in [0, K)
   * @return the mean cross-entropy
   */
  @Override
  public double loss(Tensor x, int[] y) {
    train();
    zeroGrad();
    Tape tape = new Tape();
    Var scores = forward(tape, tape.constant(x));
    Losses.Loss l = Losses.softmaxLoss(scores.value(), y);
    tape.backward(scores, l.dx());
    return l.loss();
  }

  @Override
  public int numClasses() {
    return config.numClasses();
  }

  /**
   * Scores in evaluation mode (no dropout) and the gradient of {@code sum(dscores * scores)} with
   * respect to the images, through the tape; parameter gradients are zeroed and then hold that
   * surrogate's gradient (see {@link InputGradients}). A ViT has no conv layer to capture; its
   * attention maps are {@link #attentionMaps}.
   *
   * @param x images, shape (N, C, H, W)
   * @param dscores upstream gradient, shape (N, K)
   * @return scores (N, K) and dx (N, C, H, W)
   */
  @Override
  public InputGradients.Result inputGradient(Tensor x, Tensor dscores) {
    eval();
    zeroGrad();
    Tape tape = new Tape();
    Var in = tape.input(x);
    Var scores = forward(tape, in);
    InputGradients.checkDscores("vit", x, dscores, config.numClasses());
    tape.backward(scores, dscores);
    return new InputGradients.Result(scores.value(), tape.grad(in), null, null);
  }

  @Override
  public int[] predict(Tensor x) {
    return Metrics.argmax(loss(x));
  }

  /**
   * The attention weights of every layer for a batch, in evaluation mode.
   *
   * @param x images, shape (N, C, H, W)
   * @return one tensor per layer, first to last, each (N, H, L+1, L+1) (token 0 is the CLS token)
   */
  public List<Tensor> attentionMaps(Tensor x) {
    loss(x);
    List<Tensor> maps = new ArrayList<>();
    for (TransformerEncoderLayer b : blocks) {
      maps.add(b.selfAttn().lastAttention());
    }
    return maps;
  }
}
