package org.handgrad.models.diffusion;

import java.util.Arrays;
import java.util.Objects;
import org.handgrad.models.Nets;
import org.handgrad.tensor.DType;

/**
 * Configuration of a {@link UNet}.
 *
 * <p>Level i (0 = full resolution) works at width {@code widths[i]} and resolution {@code H / 2^i};
 * there are {@code L = widths.length} levels, so H and W must be divisible by {@code 2^(L-1)}.
 *
 * @param inChannels C, channels of the images (and of the prediction)
 * @param baseWidth width of the first convolution and of the sinusoidal time embedding, even
 * @param widths width of each level, at least one level
 * @param timeDim width of the time (and class) embedding that every ResBlock's FiLM reads
 * @param numClasses real classes for class conditioning (the embedding has numClasses + 1 rows, the
 *     last being the null label of classifier-free guidance), 0 for an unconditional U-Net
 * @param groups GroupNorm groups, dividing baseWidth and every width
 * @param heads attention heads at the lowest resolution, dividing the last width
 * @param dtype float32 or float64
 * @param seed seeds the initial weights
 */
public record UNetConfig(
    int inChannels,
    int baseWidth,
    int[] widths,
    int timeDim,
    int numClasses,
    int groups,
    int heads,
    DType dtype,
    long seed) {
  private static final String NAME = "unet";

  /** Validates every field with a message naming it; copies widths. */
  public UNetConfig {
    widths = Objects.requireNonNull(widths, NAME + ": widths").clone();
    Nets.requireAtLeast(NAME, "in_channels", inChannels, 1);
    Nets.requireAtLeast(NAME, "base_width", baseWidth, 2);
    if (baseWidth % 2 != 0) {
      throw new IllegalArgumentException(
          NAME + ": base_width=" + baseWidth + " must be even (it is the sinusoidal time width)");
    }
    if (widths.length == 0) {
      throw new IllegalArgumentException(NAME + ": widths needs at least one level");
    }
    for (int w : widths) {
      Nets.requireAtLeast(NAME, "widths", w, 1);
    }
    Nets.requireAtLeast(NAME, "time_dim", timeDim, 1);
    Nets.requireAtLeast(NAME, "num_classes", numClasses, 0);
    Nets.requireAtLeast(NAME, "groups", groups, 1);
    Nets.requireAtLeast(NAME, "heads", heads, 1);
    if (baseWidth % groups != 0 || Arrays.stream(widths).anyMatch(w -> w % groups != 0)) {
      throw new IllegalArgumentException(
          NAME
              + ": groups="
              + groups
              + " must divide base_width="
              + baseWidth
              + " and every width "
              + Arrays.toString(widths));
    }
    int deepest = widths[widths.length - 1];
    if (deepest % heads != 0) {
      throw new IllegalArgumentException(
          NAME + ": heads=" + heads + " must divide the last width " + deepest);
    }
    Nets.requireFloat(NAME, dtype);
  }

  /**
   * The reference U-Net of {@code shared/bench/torch_generative.py} (852,897 parameters): one
   * channel, base width 32, widths (32, 64, 64) at 28, 14, 7, time embedding 128, 10 classes plus
   * the null label, GroupNorm(8), 4 heads, float32.
   */
  public static UNetConfig reference() {
    return new UNetConfig(1, 32, new int[] {32, 64, 64}, 128, 10, 8, 4, DType.FLOAT32, 0);
  }

  /** The same configuration in another dtype. */
  public UNetConfig withDType(DType newDType) {
    return new UNetConfig(
        inChannels, baseWidth, widths, timeDim, numClasses, groups, heads, newDType, seed);
  }

  /** The widths per level (a copy). */
  @Override
  public int[] widths() {
    return widths.clone();
  }

  /** Number of levels L. */
  public int levels() {
    return widths.length;
  }

  /** {@code 2^(L-1)}, which must divide the image height and width. */
  public int sizeMultiple() {
    return 1 << (widths.length - 1);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UNetConfig c
        && inChannels == c.inChannels
        && baseWidth == c.baseWidth
        && Arrays.equals(widths, c.widths)
        && timeDim == c.timeDim
        && numClasses == c.numClasses
        && groups == c.groups
        && heads == c.heads
        && dtype == c.dtype
        && seed == c.seed;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        inChannels,
        baseWidth,
        Arrays.hashCode(widths),
        timeDim,
        numClasses,
        groups,
        heads,
        dtype,
        seed);
  }

  @Override
  public String toString() {
    return "UNetConfig[inChannels="
        + inChannels
        + ", baseWidth="
        + baseWidth
        + ", widths="
        + Arrays.toString(widths)
        + ", timeDim="
        + timeDim
        + ", numClasses="
        + numClasses
        + ", groups="
        + groups
        + ", heads="
        + heads
        + ", dtype="
        + dtype.numpyName()
        + ", seed="
        + seed
        + "]";
  }
}
