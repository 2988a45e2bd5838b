package org.handgrad.nn.functional;

import java.util.Objects;
import java.util.SplittableRandom;
import org.handgrad.tensor.Tensor;

/**
 * Inverted dropout (Srivastava et al. 2014; CS231n's {@code dropout_forward} / {@code
 * dropout_backward}).
 *
 * <p>In training each element is kept with probability p and scaled by 1/p, so the expected output
 * equals the input and the test-time pass is the identity (no rescaling at test time, hence
 * "inverted"). Here, as in CS231n, <b>p is the keep probability</b>; PyTorch's {@code F.dropout(x,
 * p)} takes the drop probability, so our p corresponds to PyTorch's 1 - p.
 */
public final class Dropout {
  private Dropout() {}

  /** Whether a layer is training or evaluating. */
  public enum Mode {
    /** Drop and rescale. */
    TRAIN,
    /** Identity. */
    TEST
  }

  /**
   * Dropout configuration, CS231n's {@code dropout_param}.
   *
   * @param p keep probability, in (0, 1]
   * @param mode TRAIN or TEST
   * @param seed seeds the mask: the same seed gives the same mask (the gradient check relies on it)
   */
  public record DropoutParam(double p, Mode mode, long seed) {
    /** Validates p and mode. */
    public DropoutParam {
      Objects.requireNonNull(mode, "dropout: mode");
      if (!(p > 0 && p <= 1)) {
        throw new IllegalArgumentException(
            "dropout: keep probability p must be in (0, 1], got "
                + p
                + " (p is the KEEP probability, as in CS231n; PyTorch's p is the drop probability)");
      }
    }

    /** Training-mode parameters. */
    public static DropoutParam train(double p, long seed) {
      return new DropoutParam(p, Mode.TRAIN, seed);
    }

    /** Test-mode parameters (the seed is unused). */
    public static DropoutParam test(double p) {
      return new DropoutParam(p, Mode.TEST, 0);
    }
  }

  /**
   * Cache of {@link #dropoutForward}.
   *
   * @param param the parameters used
   * @param mask 1/p where an element was kept and 0 where dropped, the shape and dtype of x; null
   *     in TEST mode and for p = 1 (the identity)
   */
  public record Cache(DropoutParam param, Tensor mask) {}

  /**
   * Inverted dropout. TRAIN: {@code out = x * mask} with mask = [u &lt; p] / p for u uniform in [0,
   * 1) drawn per element in row-major order from {@code new SplittableRandom(seed)}. TEST: {@code
   * out = x} (a copy).
   *
   * @param x input, any shape, float32 or float64
   * @return out, the shape and dtype of x
   */
  public static Forward<Cache> dropoutForward(Tensor x, DropoutParam param) {
    Objects.requireNonNull(param, "dropout: param");
    Elementwise.requireFloat("dropout", "x", x);
    if (param.mode() == Mode.TEST || param.p() == 1) {
      // Keep probability 1 keeps everything: the mask would be all ones, so none is drawn.
      return new Forward<>(x.copy(), new Cache(param, null));
    }
    // The mask draws are sequential; a parallel version would give each chunk its own
    // SplittableRandom.split() so the mask stays independent of the thread count.
    SplittableRandom rng = new SplittableRandom(param.seed());
    double keep = param.p();
    double scale = 1 / keep;
    // unary() supplies the shape, dtype and chunking; the mask kernel ignores the values of x.
    Tensor mask =
        Elementwise.unary(
            "dropout",
            x,
            (m, a, n) -> {
              for (int i = 0; i < n; i++) {
                m[i] = rng.nextDouble() < keep ? scale : 0.0;
              }
            });
    Tensor out = Elementwise.binary("dropout", "x", x, "mask", mask, Dropout::multiply);
    return new Forward<>(out, new Cache(param, mask));
  }

  /**
   * Backward of {@link #dropoutForward}: out = x * mask with a constant mask, so dx = dout * mask
   * in TRAIN mode and dx = dout (a copy) in TEST mode.
   *
   * @param dout upstream gradient, the shape of x
   * @return dx, the shape of x
   */
  public static Tensor dropoutBackward(Tensor dout, Cache cache) {
    if (cache.mask() == null) {
      Elementwise.requireFloat("dropout_backward", "dout", dout);
      return dout.copy();
    }
    return Elementwise.binary(
        "dropout_backward", "dout", dout, "mask", cache.mask(), Dropout::multiply);
  }

  private static void multiply(double[] y, double[] a, double[] b, int n) {
    for (int i = 0; i < n; i++) {
      y[i] = a[i] * b[i];
    }
  }
}
