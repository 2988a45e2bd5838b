package org.handgrad.models.clip;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.handgrad.models.Nets;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.tensor.DType;

/**
 * The shape of a {@link Clip} model: a Vision Transformer (or ResNet) image encoder, a Transformer
 * text encoder over a {@link org.handgrad.data.caption.Vocab}'s token ids, both projected to a
 * joint space of {@code embedDim}.
 *
 * @param channels C of the images
 * @param imageSize H = W of the images
 * @param patch P, dividing imageSize
 * @param visionDim width of the image transformer, divisible by visionHeads
 * @param visionDepth its number of encoder layers
 * @param visionHeads its number of attention heads
 * @param textDim width of the text transformer, divisible by textHeads
 * @param textDepth its number of encoder layers
 * @param textHeads its number of attention heads
 * @param contextLength T, the length every caption is encoded to (with {@code <START>}, {@code
 *     <END>} and {@code <NULL>} padding)
 * @param vocabSize V
 * @param endToken the id of {@code <END>}, whose feature is the text's representation
 * @param embedDim E, the joint embedding
 * @param dtype float32 or float64
 * @param seed seeds the weights
 * @param visionStem how the image encoder turns images into tokens: CLIP's patchify convolution or
 *     the convolutional stem of Xiao et al. (3x3 stride-2 conv-BN-ReLU layers; the patch must then
 *     be a power of two)
 * @param resnetWidths empty for the ViT image encoder; otherwise the stage widths of a ResNet image
 *     encoder (the CIFAR-style {@link org.handgrad.models.ssl.simclr.ResNetEncoder}, one basic
 *     block per stage, global average pool) followed by a linear projection to {@code embedDim};
 *     the ViT fields (patch, vision width, depth, heads, stem) are then unused
 */
public record ClipConfig(
    int channels,
    int imageSize,
    int patch,
    int visionDim,
    int visionDepth,
    int visionHeads,
    int textDim,
    int textDepth,
    int textHeads,
    int contextLength,
    int vocabSize,
    int endToken,
    int embedDim,
    DType dtype,
    long seed,
    VisionTransformer.Stem visionStem,
    int[] resnetWidths) {
  private static final String NAME = "clip";

  /** Validates every field with a message naming it. */
  public ClipConfig {
    Nets.requireAtLeast(NAME, "channels", channels, 1);
    Nets.requireAtLeast(NAME, "image_size", imageSize, 1);
    Nets.requireAtLeast(NAME, "patch", patch, 1);
    boolean vit = resnetWidths == null || resnetWidths.length == 0; // the patch is a ViT's
    if (vit && imageSize % patch != 0) {
      throw new IllegalArgumentException(
          NAME + ": image_size " + imageSize + " is not divisible by the patch size " + patch);
    }
    Nets.requireAtLeast(NAME, "vision_dim", visionDim, 1);
    Nets.requireAtLeast(NAME, "vision_depth", visionDepth, 1);
    Nets.requireAtLeast(NAME, "vision_heads", visionHeads, 1);
    Nets.requireAtLeast(NAME, "text_dim", textDim, 1);
    Nets.requireAtLeast(NAME, "text_depth", textDepth, 1);
    Nets.requireAtLeast(NAME, "text_heads", textHeads, 1);
    if (visionDim % visionHeads != 0 || textDim % textHeads != 0) {
      throw new IllegalArgumentException(
          NAME
              + ": widths must be divisible by the heads, got vision "
              + visionDim
              + "/"
              + visionHeads
              + ", text "
              + textDim
              + "/"
              + textHeads);
    }
    Nets.requireAtLeast(NAME, "context_length", contextLength, 2);
    Nets.requireAtLeast(NAME, "vocab_size", vocabSize, 1);
    if (endToken < 0 || endToken >= vocabSize) {
      throw new IllegalArgumentException(
          NAME + ": end_token " + endToken + " is outside [0, " + vocabSize + ")");
    }
    Nets.requireAtLeast(NAME, "embed_dim", embedDim, 2);
    Nets.requireFloat(NAME, dtype);
    Objects.requireNonNull(visionStem, NAME + ": vision_stem");
    resnetWidths = Objects.requireNonNull(resnetWidths, NAME + ": resnet_widths").clone();
    for (int w : resnetWidths) {
      if (w < 1) {
        throw new IllegalArgumentException(
            NAME + ": resnet_widths must be >= 1, got " + Arrays.toString(resnetWidths));
      }
    }
    if (vit
        && visionStem == VisionTransformer.Stem.CONV
        && (patch < 2 || Integer.bitCount(patch) != 1)) {
      throw new IllegalArgumentException(
          NAME
              + ": the conv stem halves the image per convolution, so the patch must be a power of"
              + " two (2, 4, 8, ...), got "
              + patch);
    }
  }

  /**
   * A CLIP with the patchify image stem.
   *
   * @see #ClipConfig(int, int, int, int, int, int, int, int, int, int, int, int, int, DType, long,
   *     VisionTransformer.Stem)
   */
  public ClipConfig(
      int channels,
      int imageSize,
      int patch,
      int visionDim,
      int visionDepth,
      int visionHeads,
      int textDim,
      int textDepth,
      int textHeads,
      int contextLength,
      int vocabSize,
      int endToken,
      int embedDim,
      DType dtype,
      long seed) {
    this(
        channels,
        imageSize,
        patch,
        visionDim,
        visionDepth,
        visionHeads,
        textDim,
        textDepth,
        textHeads,
        contextLength,
        vocabSize,
        endToken,
        embedDim,
        dtype,
        seed,
        VisionTransformer.Stem.PATCH,
        new int[0]);
  }

  /**
   * A CLIP with a ViT image encoder and the given stem.
   *
   * @see #ClipConfig(int, int, int, int, int, int, int, int, int, int, int, int, int, DType, long,
   *     VisionTransformer.Stem, int[])
   */
  public ClipConfig(
      int channels,
      int imageSize,
      int patch,
      int visionDim,
      int visionDepth,
      int visionHeads,
      int textDim,
      int textDepth,
      int textHeads,
      int contextLength,
      int vocabSize,
      int endToken,
      int embedDim,
      DType dtype,
      long seed,
      VisionTransformer.Stem visionStem) {
    this(
        channels,
        imageSize,
        patch,
        visionDim,
        visionDepth,
        visionHeads,
        textDim,
        textDepth,
        textHeads,
        contextLength,
        vocabSize,
        endToken,
        embedDim,
        dtype,
        seed,
        visionStem,
        new int[0]);
  }

  /** The ResNet image encoder's stage widths (a copy); empty for the ViT. */
  @Override
  public int[] resnetWidths() {
    return resnetWidths.clone();
  }

  /** Whether the image encoder is a ResNet (else a ViT). */
  public boolean resnetImageEncoder() {
    return resnetWidths.length > 0;
  }

  /** The same model with a ResNet image encoder of these stage widths (empty: the ViT). */
  public ClipConfig withResnetWidths(int... widths) {
    return copy(dtype, widths);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClipConfig c && toMap().equals(c.toMap()); // every field, arrays by content
  }

  @Override
  public int hashCode() {
    return toMap().hashCode();
  }

  @Override
  public String toString() {
    return "ClipConfig" + toMap();
  }

  /**
   * The image encoder: a ViT whose classification head (on the final CLS token) is the linear
   * projection to the joint space, as in CLIP's ViT ({@code ln_post} then {@code proj}). The MLP is
   * 4x wide; no dropout.
   */
  public VisionTransformer.Config vision() {
    return new VisionTransformer.Config(
        new int[] {channels, imageSize, imageSize},
        patch,
        visionDim,
        visionDepth,
        visionHeads,
        4 * visionDim,
        embedDim,
        0.0,
        dtype,
        seed,
        visionStem);
  }

  /** The same model at another dtype (for float64 gradient checks). */
  public ClipConfig withDtype(DType newDtype) {
    return copy(newDtype, resnetWidths);
  }

  private ClipConfig copy(DType newDtype, int[] widths) {
    return new ClipConfig(
        channels,
        imageSize,
        patch,
        visionDim,
        visionDepth,
        visionHeads,
        textDim,
        textDepth,
        textHeads,
        contextLength,
        vocabSize,
        endToken,
        embedDim,
        newDtype,
        seed,
        visionStem,
        widths);
  }

  /** The fields by their snake_case names, for a checkpoint's JSON. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("channels", channels);
    m.put("image_size", imageSize);
    m.put("patch", patch);
    m.put("vision_dim", visionDim);
    m.put("vision_depth", visionDepth);
    m.put("vision_heads", visionHeads);
    m.put("text_dim", textDim);
    m.put("text_depth", textDepth);
    m.put("text_heads", textHeads);
    m.put("context_length", contextLength);
    m.put("vocab_size", vocabSize);
    m.put("end_token", endToken);
    m.put("embed_dim", embedDim);
    m.put("dtype", dtype.numpyName());
    m.put("seed", seed);
    m.put("vision_stem", visionStem.configName());
    m.put("image_encoder", resnetWidths.length > 0 ? "resnet" : "vit");
    List<Integer> widths = new ArrayList<>();
    for (int w : resnetWidths) {
      widths.add(w);
    }
    m.put("resnet_widths", widths);
    return m;
  }

  /**
   * The inverse of {@link #toMap}. A map without {@code vision_stem} (written before the field
   * existed) is a patchify model; one without {@code resnet_widths} has a ViT image encoder.
   *
   * @throws IllegalArgumentException naming a missing field
   */
  public static ClipConfig fromMap(Map<String, Object> m) {
    Objects.requireNonNull(m, "clip config");
    for (String k :
        List.of(
            "channels",
            "image_size",
            "patch",
            "vision_dim",
            "vision_depth",
            "vision_heads",
            "text_dim",
            "text_depth",
            "text_heads",
            "context_length",
            "vocab_size",
            "end_token",
            "embed_dim",
            "dtype",
            "seed")) {
      if (!m.containsKey(k)) {
        throw new IllegalArgumentException("clip config: missing field '" + k + "'");
      }
    }
    return new ClipConfig(
        i(m, "channels"),
        i(m, "image_size"),
        i(m, "patch"),
        i(m, "vision_dim"),
        i(m, "vision_depth"),
        i(m, "vision_heads"),
        i(m, "text_dim"),
        i(m, "text_depth"),
        i(m, "text_heads"),
        i(m, "context_length"),
        i(m, "vocab_size"),
        i(m, "end_token"),
        i(m, "embed_dim"),
        "float64".equals(m.get("dtype")) ? DType.FLOAT64 : DType.FLOAT32,
        ((Number) m.get("seed")).longValue(),
        VisionTransformer.Stem.parse(String.valueOf(m.getOrDefault("vision_stem", "patch"))),
        widths(m.get("resnet_widths")));
  }

  private static int[] widths(Object list) {
    if (list == null) {
      return new int[0];
    }
    List<?> l = (List<?>) list;
    int[] w = new int[l.size()];
    for (int k = 0; k < w.length; k++) {
      w[k] = ((Number) l.get(k)).intValue();
    }
    return w;
  }

  private static int i(Map<String, Object> m, String k) {
    return ((Number) m.get(k)).intValue();
  }
}
