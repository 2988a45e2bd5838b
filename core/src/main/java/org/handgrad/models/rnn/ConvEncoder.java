package org.handgrad.models.rnn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Affine;
import org.handgrad.nn.functional.BatchNormParam;
import org.handgrad.nn.functional.Conv;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Pool;
import org.handgrad.nn.functional.PoolParam;
import org.handgrad.nn.functional.PositionalEncoding;
import org.handgrad.nn.functional.SpatialBatchNorm;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * A small convnet trained end to end with the caption decoder:
 *
 * <pre>
 *   [conv 3x3 pad 1 - spatial batchnorm - relu - max pool 2x2] x K - flatten - affine to D
 * </pre>
 *
 * <p>With {@code regions} set, the encoder gives the last feature map as R = (S/2^K)^2 region
 * vectors instead, for a decoder that attends over them (the captioning transformer, whose
 * cross-attention weights then show where each word looks, as in "Show, Attend and Tell", Xu et al.
 * 2015, which attends over a 14x14 conv map):
 *
 * <pre>
 *   [conv - batchnorm - relu - pool] x K          (N, C_K, s, s)
 *   regions = transpose to (N, R, C_K), R = s*s    row-major over the map: region r = (r / s, r % s)
 *   features = regions W_fc + b_fc + region_pos    (N, R, D): one affine shared by every region,
 *                                                  plus a learned position embedding (R, D)
 * </pre>
 *
 * The learned position embedding {@code enc.region_pos} is there because attention is blind to
 * order: without it a region's vector would not say where in the image it is, and the captions name
 * positions. It starts at N(0, 0.02^2), ViT's initialization of its position embedding.
 *
 * <p>Why flatten and not global average pooling: captions of the synthetic dataset name relations
 * ("above", "left of"), and averaging over positions would throw away where things are; the affine
 * layer over the flattened (C_K, S/2^K, S/2^K) map keeps it. Why no ReLU after the affine: the
 * decoder's {@code W_proj} follows, and the features may take either sign. The convolutions have no
 * bias, as the batchnorm shift beta subsumes it (a zero tensor stands in for it).
 *
 * <p>Dimensions: N batch, C channels, S image side, R regions, D features.
 */
public final class ConvEncoder implements ImageEncoder {

  /**
   * Architecture.
   *
   * @param inChannels C of the images (3 for RGB)
   * @param imageSize S, the image side; divisible by 2^K
   * @param widths output channels of the K conv stages, each &gt; 0, K &gt;= 1
   * @param featureDim D
   * @param dtype float32 or float64
   * @param seed seeds the initialisation
   * @param regions give the last feature map as (N, R, D) region features instead of one (N, D)
   *     vector per image
   */
  public record Config(
      int inChannels,
      int imageSize,
      List<Integer> widths,
      int featureDim,
      DType dtype,
      long seed,
      boolean regions) {
    /** Validates the sizes. */
    public Config {
      widths = List.copyOf(widths);
      Objects.requireNonNull(dtype, "dtype");
      if (inChannels <= 0 || imageSize <= 0 || featureDim <= 0 || widths.isEmpty()) {
        throw new IllegalArgumentException(
            "ConvEncoder: expected positive sizes and at least one stage, got C="
                + inChannels
                + " S="
                + imageSize
                + " widths="
                + widths
                + " D="
                + featureDim);
      }
      for (int w : widths) {
        if (w <= 0) {
          throw new IllegalArgumentException("ConvEncoder: stage widths must be > 0: " + widths);
        }
      }
      if (imageSize % (1 << widths.size()) != 0) {
        throw new IllegalArgumentException(
            "ConvEncoder: image side "
                + imageSize
                + " must be divisible by 2^K = "
                + (1 << widths.size())
                + " for K = "
                + widths.size()
                + " pooling stages");
      }
      if (!dtype.isFloating()) {
        throw new IllegalArgumentException("ConvEncoder: dtype must be float32 or float64");
      }
    }

    /** One feature vector per image (no regions). */
    public Config(
        int inChannels,
        int imageSize,
        List<Integer> widths,
        int featureDim,
        DType dtype,
        long seed) {
      this(inChannels, imageSize, widths, featureDim, dtype, seed, false);
    }

    /** Side of the last feature map, S / 2^K. */
    public int finalSide() {
      return imageSize >> widths.size();
    }
  }

  /** One conv stage's parameters and batchnorm buffers. */
  private record Stage(
      Parameter w, Tensor zeroBias, Parameter gamma, Parameter beta, BatchNormParam bn) {}

  /** The caches of one stage, in forward order. */
  private record StageCache(
      Conv.Cache conv, SpatialBatchNorm.Cache bn, Activations.ReluCache relu, Pool.MaxCache pool) {}

  private static final ConvParam SAME_3X3 = new ConvParam(1, 1);

  private final Config config;
  private final List<Stage> stages = new ArrayList<>();
  private final Parameter fcW; // (C_K * s * s, D), or (C_K, D) with regions
  private final Parameter fcB; // (D,)
  private final Parameter regionPos; // (R, D) with regions, else null
  private final List<Parameter> params = new ArrayList<>();
  private final Map<String, Tensor> buffers = new LinkedHashMap<>();

  // Caches of the last training-mode forward.
  private List<StageCache> stageCaches;
  private Affine.Cache fcCache;
  private int[] lastMapShape;

  /**
   * An encoder with He-normal conv weights, unit gammas, zero betas and a 1/fan_in affine (and with
   * regions an N(0, 0.02^2) region position embedding, drawn last).
   */
  public ConvEncoder(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    DType dt = config.dtype();
    Rng rng = new Rng(config.seed());
    int c = config.inChannels();
    for (int k = 0; k < config.widths().size(); k++) {
      int f = config.widths().get(k);
      String p = "enc.conv" + (k + 1);
      String q = "enc.bn" + (k + 1);
      // He et al. 2015: std sqrt(2 / fan_in) keeps the activation scale through the ReLUs.
      Parameter w =
          new Parameter(p + ".w", rng.normal(dt, 0, Math.sqrt(2.0 / (c * 9)), f, c, 3, 3));
      Parameter gamma = new Parameter(q + ".gamma", Tensor.ones(dt, f));
      Parameter beta = new Parameter(q + ".beta", Tensor.zeros(dt, f));
      BatchNormParam bn = BatchNormParam.create(dt, f);
      stages.add(new Stage(w, Tensor.zeros(dt, f), gamma, beta, bn));
      params.addAll(List.of(w, gamma, beta));
      buffers.put(q + ".running_mean", bn.runningMean());
      buffers.put(q + ".running_var", bn.runningVar());
      buffers.put(q + ".num_batches_tracked", bn.numBatchesTracked());
      c = f;
    }
    int s = config.finalSide();
    int flat = config.regions() ? c : c * s * s;
    fcW =
        new Parameter(
            "enc.fc.w", rng.normal(dt, 0, Math.sqrt(1.0 / flat), flat, config.featureDim()));
    fcB = new Parameter("enc.fc.b", Tensor.zeros(dt, config.featureDim()));
    params.addAll(List.of(fcW, fcB));
    if (config.regions()) {
      regionPos = new Parameter("enc.region_pos", rng.normal(dt, 0, 0.02, s * s, featureDim()));
      params.add(regionPos);
    } else {
      regionPos = null;
    }
  }

  /** R = (S / 2^K)^2 with regions, else 0. */
  @Override
  public int regions() {
    int s = config.finalSide();
    return config.regions() ? s * s : 0;
  }

  /** The architecture. */
  public Config config() {
    return config;
  }

  @Override
  public int featureDim() {
    return config.featureDim();
  }

  @Override
  public List<Parameter> parameters() {
    return List.copyOf(params);
  }

  @Override
  public Map<String, Tensor> buffers() {
    return java.util.Collections.unmodifiableMap(buffers);
  }

  /**
   * @param images shape (N, C, S, S); converted to the encoder's dtype if needed (images are data)
   * @param train batch statistics and cache (true) or running statistics (false)
   * @return features, shape (N, D), or (N, R, D) with regions
   */
  @Override
  public Tensor forward(Tensor images, boolean train) {
    Objects.requireNonNull(images, "images");
    int side = config.imageSize();
    if (images.ndim() != 4
        || images.shape(1) != config.inChannels()
        || images.shape(2) != side
        || images.shape(3) != side) {
      throw new IllegalArgumentException(
          "ConvEncoder: expected images (N, C, S, S) = (N, "
              + config.inChannels()
              + ", "
              + side
              + ", "
              + side
              + "), got "
              + images.shapeString());
    }
    Tensor x = images.dtype() == config.dtype() ? images : images.to(config.dtype());
    BatchNormParam.Mode mode = train ? BatchNormParam.Mode.TRAIN : BatchNormParam.Mode.TEST;
    List<StageCache> caches = new ArrayList<>();
    for (Stage st : stages) {
      Forward<Conv.Cache> conv = Conv.convForward(x, st.w().value(), st.zeroBias(), SAME_3X3);
      Forward<SpatialBatchNorm.Cache> bn =
          SpatialBatchNorm.spatialBatchnormForward(
              conv.out(), st.gamma().value(), st.beta().value(), st.bn().withMode(mode));
      Forward<Activations.ReluCache> relu = Activations.reluForward(bn.out());
      Forward<Pool.MaxCache> pool = Pool.maxPoolForward(relu.out(), PoolParam.twoByTwo());
      caches.add(new StageCache(conv.cache(), bn.cache(), relu.cache(), pool.cache()));
      x = pool.out();
    }
    int n = x.shape(0);
    int[] mapShape = x.shape();
    if (config.regions()) {
      // (N, C, s, s) -> (N, R, C) -> rows (N*R, C): one affine for every region.
      x = x.reshape(n, mapShape[1], -1).transpose(1, 2).contiguous().reshape(-1, mapShape[1]);
    }
    Forward<Affine.Cache> fc = Affine.affineForward(x, fcW.value(), fcB.value());
    Tensor out = fc.out();
    if (config.regions()) {
      out =
          PositionalEncoding.positionalEmbeddingForward(
                  out.reshape(n, regions(), featureDim()), regionPos.value())
              .out();
    }
    if (train) {
      stageCaches = caches;
      fcCache = fc.cache();
      lastMapShape = mapShape;
    }
    return out;
  }

  @Override
  public void backward(Tensor dfeatures) {
    if (fcCache == null) {
      throw new IllegalStateException("ConvEncoder.backward: no training-mode forward to go back");
    }
    if (config.regions()) {
      PositionalEncoding.Grads pos =
          PositionalEncoding.positionalEmbeddingBackward(dfeatures, regionPos.shape());
      regionPos.accumulateGrad(pos.dpos());
      dfeatures = pos.dx().reshape(-1, featureDim());
    }
    Affine.Grads fc = Affine.affineBackward(dfeatures, fcCache);
    fcW.accumulateGrad(fc.dw());
    fcB.accumulateGrad(fc.db());
    Tensor dx = fc.dx();
    if (config.regions()) {
      int[] m = lastMapShape; // rows (N*R, C) back to the map (N, C, s, s)
      dx = dx.reshape(m[0], -1, m[1]).transpose(1, 2).contiguous().reshape(m);
    }
    for (int k = stages.size() - 1; k >= 0; k--) {
      Stage st = stages.get(k);
      StageCache c = stageCaches.get(k);
      Tensor dpool = Pool.maxPoolBackward(dx, c.pool()).dx();
      Tensor drelu = Activations.reluBackward(dpool, c.relu());
      SpatialBatchNorm.Grads bn = SpatialBatchNorm.spatialBatchnormBackward(drelu, c.bn());
      st.gamma().accumulateGrad(bn.dgamma());
      st.beta().accumulateGrad(bn.dbeta());
      Conv.Grads conv = Conv.convBackward(bn.dx(), c.conv());
      st.w().accumulateGrad(conv.dw());
      dx = conv.dx(); // the image gradient of stage 1 is not needed, but the pair computes it
    }
    stageCaches = null;
    fcCache = null;
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", "conv");
    m.put("in_channels", config.inChannels());
    m.put("image_size", config.imageSize());
    m.put("widths", config.widths());
    m.put("feature_dim", config.featureDim());
    m.put("dtype", config.dtype().numpyName());
    m.put("seed", config.seed());
    if (config.regions()) {
      m.put("regions", true); // absent in checkpoints from before region features
    }
    return m;
  }
}
