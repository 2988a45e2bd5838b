package org.handgrad.nn.modules;

import java.util.Locale;
import java.util.Objects;
import org.handgrad.nn.PairModule;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.Tensor;

/**
 * Fixed upsampling by an integer factor s, (N, C, H, W) to (N, C, H*s, W*s), over {@link
 * org.handgrad.nn.functional.Upsample}: PyTorch's {@code nn.Upsample(scale_factor=s, mode=...)},
 * nearest or bilinear with {@code align_corners=False}. No parameters.
 */
public final class Upsample extends PairModule<org.handgrad.nn.functional.Upsample.Cache> {
  /** Interpolation mode. */
  public enum Mode {
    /** Nearest neighbour: {@code out[i, j] = x[i / s, j / s]}. */
    NEAREST,
    /** Bilinear with half-pixel centres (align_corners=False). */
    BILINEAR
  }

  private final int scale;
  private final Mode mode;

  /**
   * An upsampling layer.
   *
   * @param scale integer factor s >= 1
   * @param mode NEAREST or BILINEAR
   */
  public Upsample(int scale, Mode mode) {
    this.scale = ModuleArgs.positive("Upsample", "scale", scale);
    this.mode = Objects.requireNonNull(mode, "Upsample: mode");
  }

  /**
   * {@inheritDoc}
   *
   * @param x input, shape (N, C, H, W)
   * @return out, shape (N, C, H*s, W*s)
   */
  @Override
  protected Forward<org.handgrad.nn.functional.Upsample.Cache> forwardPair(Tensor x) {
    return mode == Mode.NEAREST
        ? org.handgrad.nn.functional.Upsample.upsampleNearestForward(x, scale)
        : org.handgrad.nn.functional.Upsample.upsampleBilinearForward(x, scale);
  }

  /**
   * {@inheritDoc}
   *
   * @param dout shape (N, C, H*s, W*s)
   * @return dx, shape (N, C, H, W)
   */
  @Override
  protected Tensor backwardPair(Tensor dout, org.handgrad.nn.functional.Upsample.Cache cache) {
    return (mode == Mode.NEAREST
            ? org.handgrad.nn.functional.Upsample.upsampleNearestBackward(dout, cache)
            : org.handgrad.nn.functional.Upsample.upsampleBilinearBackward(dout, cache))
        .dx();
  }

  @Override
  protected String extraRepr() {
    return "scale=" + scale + ", mode=" + mode.name().toLowerCase(Locale.ROOT);
  }
}
