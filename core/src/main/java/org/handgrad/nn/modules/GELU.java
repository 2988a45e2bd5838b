package org.handgrad.nn.modules;

import java.util.Objects;
import org.handgrad.nn.Module;
import org.handgrad.nn.NoGrad;
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.Tensor;

/**
 * GELU (Hendrycks and Gimpel 2016), exact ({@code x Phi(x)}, {@link Activations#geluForward}) or
 * with the tanh approximation of GPT-2 ({@link Activations#geluTanhForward}); PyTorch's {@code
 * nn.GELU(approximate='none' | 'tanh')}.
 *
 * <p>Any input shape; the output and dx have the shape and dtype of x. No parameters.
 */
public final class GELU extends Module {
  /** Which GELU formula, PyTorch's {@code approximate} argument. */
  public enum Approximate {
    /** Exact: {@code x Phi(x)} with the normal CDF through erfc. */
    NONE,
    /** {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
    TANH
  }

  private final Approximate approximate;
  // Exactly one of the two caches is set after a forward, by the formula in use.
  private Activations.GeluCache exactCache;
  private Activations.GeluTanhCache tanhCache;

  /** Exact GELU, PyTorch's default. */
  public GELU() {
    this(Approximate.NONE);
  }

  /** GELU with the given formula. */
  public GELU(Approximate approximate) {
    this.approximate = Objects.requireNonNull(approximate, "GELU: approximate");
  }

  /**
   * GELU of every element.
   *
   * @param x input, any shape, float32 or float64
   * @return out, the shape of x
   */
  @Override
  public Tensor forward(Tensor x) {
    exactCache = null;
    tanhCache = null;
    boolean keep = !NoGrad.active();
    if (approximate == Approximate.NONE) {
      Forward<Activations.GeluCache> f = Activations.geluForward(x);
      exactCache = keep ? f.cache() : null;
      return f.out();
    }
    Forward<Activations.GeluTanhCache> f = Activations.geluTanhForward(x);
    tanhCache = keep ? f.cache() : null;
    return f.out();
  }

  /**
   * Backward of the last forward.
   *
   * @param dout the shape of x
   * @return dx, the shape of x
   */
  @Override
  public Tensor backward(Tensor dout) {
    if (exactCache != null) {
      return Activations.geluBackward(dout, exactCache);
    }
    if (tanhCache != null) {
      return Activations.geluTanhBackward(dout, tanhCache);
    }
    throw noForward();
  }

  @Override
  protected String extraRepr() {
    return "approximate=" + approximate.name().toLowerCase(java.util.Locale.ROOT);
  }
}
